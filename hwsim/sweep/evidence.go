package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rramc/rramc/mapper"
)

// PaperMethod is the paper's configuration of column similarity: pairs of
// columns sharing one crossbar column.
var PaperMethod = Method{Scheme: "colsim", MaxShare: 2}

// onlyVariant returns a view of r holding the points of hardware variant v.
func (r *Results) onlyVariant(v string) *Results {
	out := &Results{SchemaVersion: r.SchemaVersion, Info: r.Info}
	for _, p := range r.Points {
		if p.HWVariant == v {
			out.Points = append(out.Points, p)
		}
	}
	return out
}

// variantGains returns the network-level gains of variant v against
// baseline bl.
func variantGains(gs []Gain, v, bl string) []Gain {
	var out []Gain
	for _, g := range gs {
		if g.HWVariant == v && g.Baseline == bl && g.LayerIndex < 0 {
			out = append(out, g)
		}
	}
	return out
}

// bestSummary returns the method with the highest mean energy saving among
// sums (baselines left out), or nil.
func bestSummary(sums []Summary) *Summary {
	var best *Summary
	for i := range sums {
		s := &sums[i]
		if mapper.IsBaseline(s.Scheme) || !finite(s.MeanEnergy) {
			continue
		}
		if best == nil || s.MeanEnergy > best.MeanEnergy {
			best = s
		}
	}
	return best
}

// findSummary returns the summary of method m in sums, or nil.
func findSummary(sums []Summary, m Method) *Summary {
	for i := range sums {
		if sums[i].Scheme == m.Scheme && sums[i].MaxShare == m.MaxShare {
			return &sums[i]
		}
	}
	return nil
}

// componentShares sums the energy by component of the points and returns
// the components by decreasing share of the total, with their shares.
func componentShares(pts []*Point) ([]string, map[string]float64) {
	sum := map[string]float64{}
	total := 0.0
	for _, p := range pts {
		for c, v := range p.Energy {
			sum[c] += v
			total += v
		}
	}
	names := make([]string, 0, len(sum))
	for c := range sum {
		names = append(names, c)
	}
	slices.SortFunc(names, func(a, b string) int {
		if sum[a] != sum[b] {
			if sum[a] > sum[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	shares := map[string]float64{}
	for c, v := range sum {
		if total > 0 {
			shares[c] = v / total
		}
	}
	return names, shares
}

// hwSummary describes a variant's hardware in a few words from its JSON.
func hwSummary(raw json.RawMessage) string {
	var h struct {
		XbarRows   int             `json:"xbar_rows"`
		XbarCols   int             `json:"xbar_cols"`
		OURows     int             `json:"ou_rows"`
		OUCols     int             `json:"ou_cols"`
		CellBits   int             `json:"cell_bits"`
		ADCBits    int             `json:"adc_bits"`
		CycleModel string          `json:"cycle_model"`
		Chip       json.RawMessage `json:"chip"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return "?"
	}
	chip := "crossbar periphery only"
	if len(h.Chip) > 0 && string(h.Chip) != "null" {
		chip = "whole chip"
	}
	return fmt.Sprintf("%d×%d crossbar, %d×%d OU, %d-bit cells, %d-bit ADC, %s, %s", h.XbarRows, h.XbarCols, h.OURows, h.OUCols,
		h.CellBits, h.ADCBits, h.CycleModel, chip)
}

// writeVariants writes the paper's comparison (the paper's method and the
// best scheme against sre) under every hardware variant of r in one table,
// performance measured three ways (OU cycles as the cycle model counts
// them, one image's latency, the pipeline period where there is one), how
// much of the saving survives under the whole-chip variants, and what
// dominates each variant's energy. It writes nothing for a sweep of one
// hardware.
func writeVariants(b *bytes.Buffer, r *Results, gs []Gain) {
	if len(r.Info.HWVariants) == 0 {
		return
	}
	f := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	method := SchemeLabel(PaperMethod.Scheme, PaperMethod.MaxShare, true)
	f("## The paper's comparison under each hardware variant\n\n")
	f("The same networks, ratios and schemes run under each hardware variant; gains compare points of one variant only. "+
		"%s and the best scheme (highest mean energy saving against %s) against %s: mean over networks and ratios, "+
		"and the range of the per-ratio means. The first variant is the one every other table of this file shows. "+
		"Performance is given three ways: *cycles* as the variant's cycle model counts them (iso-crossbar: OU activations "+
		"summed over the layers; pipelined: the cycles of the slowest layer, i.e. the time between two images, so the "+
		"improvement is in throughput); *latency*, one image's time through the network, including the buffer and "+
		"interconnect time of a whole-chip variant; *throughput*, from the pipeline period, where the layers form a "+
		"pipeline (cycle model pipelined or a whole chip).\n\n",
		method, PaperBaseline, PaperBaseline)
	if co := costOnlyVariants(r); len(co) > 0 {
		f("The points of %s %s cost only: no image was simulated under %s, so %s no accuracy (their ADCs are narrower than "+
			"an OU's full-scale column sum, so their simulation is bit-serial, about a thousand times the golden model's work, "+
			"which the sweep's time budget cannot hold for every point). Their costs are exact: the cost of an inference "+
			"depends on the mapping alone.\n\n",
			plural(len(co), "variant", "variants"), codeList(co), plural(len(co), "it", "them"), plural(len(co), "it has", "they have"))
	}
	f("| variant | hardware | method | perf. improvement (cycles) | range over ratios | latency improvement | throughput improvement | energy saving | range over ratios |\n")
	f("|---|---|---|--:|--:|--:|--:|--:|--:|\n")
	var survive, notes []string
	// The methods whose saving is followed into the whole-chip variants:
	// the paper's and the first variant's best.
	firstSums := Summaries(variantGains(gs, r.Info.HWVariants[0].Name, PaperBaseline))
	followed := []Method{PaperMethod}
	if s := bestSummary(firstSums); s != nil && (Method{s.Scheme, s.MaxShare}) != PaperMethod {
		followed = append(followed, Method{s.Scheme, s.MaxShare})
	}
	for vi, v := range r.Info.HWVariants {
		view := r.onlyVariant(v.Name)
		sums := Summaries(variantGains(gs, v.Name, PaperBaseline))
		var rows []*Summary
		if s := findSummary(sums, PaperMethod); s != nil && s.Points > 0 {
			rows = append(rows, s)
		}
		if s := bestSummary(sums); s != nil && (len(rows) == 0 || s.Scheme != rows[0].Scheme || s.MaxShare != rows[0].MaxShare) {
			rows = append(rows, s)
		}
		if len(rows) == 0 {
			f("| `%s` | %s | – | – | – | – | – | – | – |\n", v.Name, hwSummary(v.HW))
		}
		for i, s := range rows {
			m := Method{s.Scheme, s.MaxShare}
			label := m.Label()
			if m != PaperMethod {
				label += " (best)"
			}
			latS, perS := "–", "–"
			if lat, n := timeGain(view, m, PaperBaseline, false); n > 0 {
				latS = pct(lat)
			}
			if per, n := timeGain(view, m, PaperBaseline, true); n > 0 {
				perS = pct(per)
			}
			name, hw := "", ""
			if i == 0 {
				name, hw = "`"+v.Name+"`", hwSummary(v.HW)
			}
			f("| %s | %s | %s | %s | %s–%s | %s | %s | %s | %s–%s |\n", name, hw, label, pct(s.MeanPerf), pct(s.PerfRangeLo), pct(s.PerfRangeHi),
				latS, perS, times(s.MeanEnergy), times(s.EnergyRangeLo), times(s.EnergyRangeHi))
		}
		if vi > 0 && strings.Contains(hwSummary(v.HW), "whole chip") {
			for _, m := range followed {
				base, got := findSummary(firstSums, m), findSummary(sums, m)
				if base != nil && got != nil {
					survive = append(survive, survivalText(v.Name, r.Info.HWVariants[0].Name, m.Label(), base.MeanEnergy, got.MeanEnergy))
				}
			}
		}
		notes = append(notes, energyNote(r, v.Name))
	}
	f("\n")
	if len(survive) > 0 {
		f("How much of the energy saving survives when the whole chip is charged (the whole-chip variants against the first):\n\n")
		for _, s := range survive {
			f("- %s\n", s)
		}
		f("\n")
	}
	f("What dominates the energy (share of the summed energy of one inference over the variant's networks and ratios):\n\n")
	for _, n := range notes {
		f("- %s\n", n)
	}
	f("\n")
}

// survivalText compares method's mean energy saving against sre under a
// whole-chip variant v with the first variant's: the share of the saving
// beyond 1x that remains.
func survivalText(v, first, method string, base, got float64) string {
	s := fmt.Sprintf("`%s`: %s saves %s against %s, %s under `%s`", v, method, times(got), PaperBaseline, times(base), first)
	switch {
	case base > 1 && got >= 1:
		s += fmt.Sprintf(": %.0f %% of the saving beyond 1x survives", 100*(got-1)/(base-1))
	case base > 1:
		s += ": none of the saving survives (it costs more energy)"
	default:
		s += ": there is no saving to keep under the first variant"
	}
	return s + "."
}

// energyNote says which components dominate variant v's energy, for the
// baseline and for the paper's method.
func energyNote(r *Results, v string) string {
	var parts []string
	for _, m := range []Method{{PaperBaseline, 0}, PaperMethod} {
		var pts []*Point
		for i := range r.Points {
			p := &r.Points[i]
			if p.HWVariant == v && p.Scheme == m.Scheme && p.MaxShare == m.MaxShare {
				pts = append(pts, p)
			}
		}
		names, shares := componentShares(pts)
		if len(names) == 0 {
			continue
		}
		top := fmt.Sprintf("%s %.0f %%", names[0], 100*shares[names[0]])
		if len(names) > 1 {
			top += fmt.Sprintf(", then %s %.0f %%", names[1], 100*shares[names[1]])
		}
		parts = append(parts, fmt.Sprintf("%s: %s", SchemeLabel(m.Scheme, m.MaxShare, true), top))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("`%s`: no energy breakdown recorded", v)
	}
	return fmt.Sprintf("`%s`: %s.", v, strings.Join(parts, "; "))
}

// writeClaims states, per baseline, where the paper's claim (its mean
// performance improvement and its range of energy savings) holds for the
// paper's method, where it does not, and why, from the measured values of
// r (one hardware) and its gains gs.
func writeClaims(b *bytes.Buffer, r *Results, gs []Gain) {
	f := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	method := SchemeLabel(PaperMethod.Scheme, PaperMethod.MaxShare, true)
	f("## Where the paper's claim holds\n\n")
	f("The paper claims %s mean performance improvement and %s–%s energy savings across sparsity ratios. Below, per baseline, "+
		"the claim is taken to hold at a ratio when %s's mean over networks reaches the paper's mean performance improvement "+
		"(within 10 %%) and its energy saving reaches the low end of the paper's range (%s). The reasons are read off the "+
		"same points: OU activations (what cycles follow) and the energy by component.\n\n",
		pct(PaperPerfImprovement), times(PaperEnergyLo), times(PaperEnergyHi), method, times(PaperEnergyLo))
	wrote := false
	for _, bl := range mapper.Baselines() {
		var sel []Gain
		for _, g := range gs {
			if g.Baseline == bl && g.LayerIndex < 0 && g.Method() == PaperMethod {
				sel = append(sel, g)
			}
		}
		sums := Summaries(sel)
		if len(sums) == 0 || sums[0].Points == 0 {
			continue
		}
		wrote = true
		s := sums[0]
		var holds, fails []string
		for _, rs := range s.ByRatio {
			perfOK := rs.PerfImprovement >= 0.9*PaperPerfImprovement
			energyOK := rs.EnergySaving >= PaperEnergyLo
			desc := fmt.Sprintf("prune %g (%s, %s)", rs.Prune, pct(rs.PerfImprovement), times(rs.EnergySaving))
			switch {
			case perfOK && energyOK:
				holds = append(holds, desc)
			case perfOK:
				fails = append(fails, desc+": performance holds, energy does not")
			case energyOK:
				fails = append(fails, desc+": energy holds, performance does not")
			default:
				fails = append(fails, desc+": neither holds")
			}
		}
		perfVerdict, energyVerdict := "holds", "holds at every ratio"
		if s.MeanPerf < 0.9*PaperPerfImprovement {
			perfVerdict = "does not hold"
		}
		if s.EnergyRangeLo < PaperEnergyLo {
			energyVerdict = "does not hold at every ratio"
			if s.EnergyRangeHi < PaperEnergyLo {
				energyVerdict = "holds at no ratio"
			}
		}
		f("### Against `%s`\n\n", bl)
		f("%s against %s: mean performance improvement %s (paper %s): the performance claim %s on average; "+
			"energy saving %s–%s over ratios (paper %s–%s): the energy claim %s.\n\n",
			method, bl, pct(s.MeanPerf), pct(PaperPerfImprovement), perfVerdict, times(s.EnergyRangeLo), times(s.EnergyRangeHi),
			times(PaperEnergyLo), times(PaperEnergyHi), energyVerdict)
		if len(holds) > 0 {
			f("- Holds at %s.\n", strings.Join(holds, "; "))
		} else {
			f("- Holds at no ratio.\n")
		}
		if len(fails) > 0 {
			f("- Does not hold at %s.\n", strings.Join(fails, "; "))
		}
		for _, why := range claimReasons(r, bl, s.ByRatio) {
			f("- %s\n", why)
		}
		f("\n")
	}
	if !wrote {
		f("No %s point has a baseline to compare with in this sweep.\n\n", method)
	}
}

// claimReasons explains the gains of the paper's method over baseline bl
// per ratio: its cut in OU activations (the source of the speed-up), and
// the energy component that shrinks least relative to its share.
func claimReasons(r *Results, bl string, ratios []RatioStat) []string {
	var out []string
	var ouParts []string
	for _, rs := range ratios {
		var cut float64
		n := 0
		for _, m := range r.ModelNames() {
			mp := r.Find(m, rs.Prune, PaperMethod.Scheme, PaperMethod.MaxShare)
			bp := r.Find(m, rs.Prune, bl, 0)
			if mp == nil || bp == nil || bp.OUActivations == 0 {
				continue
			}
			cut += 1 - float64(mp.OUActivations)/float64(bp.OUActivations)
			n++
		}
		if n > 0 {
			ouParts = append(ouParts, fmt.Sprintf("%.1f %% at prune %g", 100*cut/float64(n), rs.Prune))
		}
	}
	if len(ouParts) > 0 {
		out = append(out, fmt.Sprintf("Why (speed): performance follows OU activations; %s fires fewer OUs than %s by %s "+
			"(mean over networks; negative = more).", SchemeLabel(PaperMethod.Scheme, PaperMethod.MaxShare, true), bl,
			strings.Join(ouParts, ", ")))
	}
	// Energy: per component, the method's share of its own energy and the
	// baseline/method ratio of that component, summed over all points.
	var mpts, bpts []*Point
	for _, m := range r.ModelNames() {
		for _, rs := range ratios {
			mp := r.Find(m, rs.Prune, PaperMethod.Scheme, PaperMethod.MaxShare)
			bp := r.Find(m, rs.Prune, bl, 0)
			if mp != nil && bp != nil {
				mpts, bpts = append(mpts, mp), append(bpts, bp)
			}
		}
	}
	names, shares := componentShares(mpts)
	_, bshares := componentShares(bpts)
	var mTot, bTot float64
	for i := range mpts {
		mTot += mpts[i].Energy.Total()
		bTot += bpts[i].Energy.Total()
	}
	if len(names) == 0 || mTot == 0 {
		return out
	}
	overall := bTot / mTot
	var parts []string
	for _, c := range names {
		if shares[c] < 0.05 {
			continue
		}
		ratio := math.Inf(1)
		if shares[c] > 0 {
			ratio = (bshares[c] * bTot) / (shares[c] * mTot)
		}
		if bshares[c] == 0 { // a cost the baseline does not have (index tables against dense)
			parts = append(parts, fmt.Sprintf("%s %.0f %% of its energy, which %s does not spend", c, 100*shares[c], bl))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.0f %% of its energy, saved %s", c, 100*shares[c], times(ratio)))
	}
	out = append(out, fmt.Sprintf("Why (energy): summed over all networks and ratios, %s's energy saving over %s is %s; by component "+
		"(those of 5 %% or more): %s. A component saved less than the total holds the saving back.",
		SchemeLabel(PaperMethod.Scheme, PaperMethod.MaxShare, true), bl, times(overall), strings.Join(parts, "; ")))
	return out
}
