package sweep

import (
	"fmt"
	"io"
)

// writeFamilies writes the fine-tuned sparse networks beside the one-shot
// pruning of their dense network, ratio by ratio, and the weight
// statistics of every network at its lowest ratio (trained and random
// weights differ in how many zero bits there are to exploit).
func writeFamilies(w io.Writer, r *Results, gs []Gain) {
	f := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	var fams []ModelInfo
	for _, m := range r.Info.Models {
		if m.Family != "" {
			fams = append(fams, m)
		}
	}
	if len(fams) > 0 {
		method := SchemeLabel(PaperMethod.Scheme, PaperMethod.MaxShare, true)
		f("## Trained sparse networks against one-shot pruning\n\n")
		f("A network `NAME%s` is NAME pruned and fine-tuned elsewhere (testmodels/train.py --sparse: global magnitude pruning in steps, "+
			"fine-tuning after each) and swept at the sparsity its weights have, without further pruning; NAME itself is pruned one-shot by rramc "+
			"at each ratio. Top-1 in %%: float (the float model as given: for one-shot pruning the unpruned model, the same at every ratio), "+
			"int (the integer golden model of the pruned network) and simulated (on lossless hardware every scheme gives the same simulated "+
			"accuracy; shown: %s). Cost at the sparsity of the weights: %s's performance improvement and energy saving against %s on each.\n\n",
			FinetunedSuffix, accuracyScheme(r), method, PaperBaseline)
		f("| network | ratio | one-shot: float | int | simulated | fine-tuned: float | int | simulated | one-shot: %s vs %s perf., energy | fine-tuned: %s vs %s perf., energy |\n",
			method, PaperBaseline, method, PaperBaseline)
		f("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		gain := func(model string, pr float64) string {
			g := findGain(gs, model, pr, PaperMethod, PaperBaseline)
			if g == nil {
				return "–"
			}
			return pct(g.PerfImprovement) + ", " + times(g.EnergySaving)
		}
		acc := func(p *Point) string {
			if p == nil || p.CostOnly {
				return "– | – | –"
			}
			return fmt.Sprintf("%.2f | %.2f | %.2f", 100*p.AccFloat, 100*p.AccInt, 100*p.AccSim)
		}
		for _, ft := range fams {
			for _, pr := range r.Ratios() {
				p := r.accuracyPoint(ft.Name, pr)
				if p == nil {
					continue
				}
				f("| %s | %g | %s | %s | %s | %s |\n", ft.Family, pr, acc(r.accuracyPoint(ft.Family, pr)), acc(p),
					gain(ft.Family, pr), gain(ft.Name, pr))
			}
		}
		f("\n")
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
