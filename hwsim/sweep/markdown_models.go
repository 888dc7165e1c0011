package sweep

import (
	"fmt"
	"io"
)

// writeFamilies writes the fine-tuned sparse networks beside the one-shot
// pruning of their dense network, ratio by ratio, and the weight
// statistics of every network at its lowest ratio (trained and random
// weights differ in how many zero bits there are to exploit).
func writeFamilies(w io.Writer, r *Results) {
	f := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	var fams []ModelInfo
	for _, m := range r.Info.Models {
		if m.Family != "" {
			fams = append(fams, m)
		}
	}
	if len(fams) > 0 {
		f("## Trained sparse networks against one-shot pruning\n\n")
		f("A network `NAME%s` is NAME pruned and fine-tuned elsewhere (testmodels/train.py --sparse: global magnitude pruning in steps, "+
			"fine-tuning after each) and swept at the sparsity its weights have, without further pruning; NAME itself is pruned one-shot by rramc "+
			"at each ratio. Top-1 in %%, simulated (on lossless hardware every scheme gives the same simulated accuracy; shown: %s).\n\n",
			FinetunedSuffix, accuracyScheme(r))
		f("| network | ratio | one-shot: float | one-shot: simulated | fine-tuned: float | fine-tuned: simulated |\n|---|--:|--:|--:|--:|--:|\n")
		for _, ft := range fams {
			for _, pr := range r.Ratios() {
				p := r.accuracyPoint(ft.Name, pr)
				if p == nil {
					continue
				}
				one := r.accuracyPoint(ft.Family, pr)
				oneF, oneS := "–", "–"
				if one != nil && !one.CostOnly {
					oneF, oneS = fmt.Sprintf("%.2f", 100*one.AccFloat), fmt.Sprintf("%.2f", 100*one.AccSim)
				}
				f("| %s | %g | %s | %s | %.2f | %.2f |\n", ft.Family, pr, oneF, oneS, 100*p.AccFloat, 100*p.AccSim)
			}
		}
		f("\n(One-shot float accuracy is that of the unpruned model, which rramc prunes after import: it is the same at every ratio.)\n\n")
	}
	f("## Weight statistics\n\n")
	f("At each network's lowest ratio: the fraction of zero weight codes and of zero bits of the bit-sliced two's-complement weights " +
		"(what zero-column skipping and column similarity feed on), to set trained networks beside random-weight ones.\n\n")
	f("| network | data | ratio | weight sparsity | bit sparsity |\n|---|---|--:|--:|--:|\n")
	for _, m := range r.Info.Models {
		for _, pr := range r.Ratios() {
			p := r.accuracyPoint(m.Name, pr)
			if p == nil {
				continue
			}
			data := dataName(r.Info.Data)
			if m.Data != "" {
				data = dataName(m.Data)
			}
			if p.CostOnly {
				data = "none (cost only)"
			}
			f("| %s | %s | %g | %.3f | %.3f |\n", m.Name, data, pr, p.Sparsity, p.BitSparsity)
			break
		}
	}
	f("\n")
}

// accuracyScheme is the method whose points accuracyPoint reads.
func accuracyScheme(r *Results) string {
	if ms := r.Methods(); len(ms) > 0 {
		return ms[0].Label()
	}
	return "–"
}

// accuracyPoint returns a point of network m at ratio pr, of the first
// method that has one.
func (r *Results) accuracyPoint(m string, pr float64) *Point {
	for _, me := range r.Methods() {
		if p := r.Find(m, pr, me.Scheme, me.MaxShare); p != nil {
			return p
		}
	}
	return nil
}
