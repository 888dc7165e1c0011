package sweep

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// HybridScheme is the scheme that combines sre's row compression with
// column similarity (mapper's sre-colsim); RESULTS.md reports it against
// sre ratio by ratio.
const HybridScheme = "sre-colsim"

// writeHybrid writes the hybrid's mean performance improvement and energy
// saving over sre at every ratio, for each of its sharing limits (network
// gains gs of one hardware).
func writeHybrid(w io.Writer, gs []Gain) {
	f := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	var sel []Gain
	for _, g := range gs {
		if g.Scheme == HybridScheme && g.Baseline == PaperBaseline && g.LayerIndex < 0 {
			sel = append(sel, g)
		}
	}
	sums := Summaries(sel)
	if len(sums) == 0 {
		return
	}
	f("## `%s` against `%s`, ratio by ratio\n\n", HybridScheme, PaperBaseline)
	f("`%s` maps each band of output columns either as `%s` does (rows zero over the band removed over the whole K) or as column "+
		"similarity does, with column similarity inside either, whichever fires fewer OUs; per layer it never needs more OU "+
		"activations than `%s` or than `colsim` with the same limit (mapper's tests check it on random matrices and the test "+
		"models). Mean over networks of the performance improvement and of the energy saving against `%s`:\n\n",
		HybridScheme, PaperBaseline, PaperBaseline, PaperBaseline)
	head, rule := []string{"prune"}, []string{"--:"}
	for _, s := range sums {
		l := SchemeLabel(s.Scheme, s.MaxShare, true)
		head = append(head, l+" networks", l+" perf. improvement", l+" energy saving")
		rule = append(rule, "--:", "--:", "--:")
	}
	f("| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	var ratios []float64
	for _, s := range sums {
		for _, rs := range s.ByRatio {
			if !slices.Contains(ratios, rs.Prune) {
				ratios = append(ratios, rs.Prune)
			}
		}
	}
	slices.Sort(ratios)
	for _, pr := range ratios {
		row := []string{fmt.Sprint(pr)}
		for _, s := range sums {
			i := slices.IndexFunc(s.ByRatio, func(rs RatioStat) bool { return rs.Prune == pr })
			if i < 0 {
				row = append(row, "–", "–", "–")
				continue
			}
			rs := s.ByRatio[i]
			row = append(row, fmt.Sprint(rs.Networks), pct(rs.PerfImprovement), times(rs.EnergySaving))
		}
		f("| %s |\n", strings.Join(row, " | "))
	}
	row := []string{"mean over all"}
	for _, s := range sums {
		row = append(row, fmt.Sprint(s.Points), pct(s.MeanPerf), times(s.MeanEnergy))
	}
	f("| %s |\n\n", strings.Join(row, " | "))
	for _, s := range sums {
		f("- %s: performance improvement %s to %s over ratios, energy saving %s to %s; %s at every ratio.\n",
			SchemeLabel(s.Scheme, s.MaxShare, true), pct(s.PerfRangeLo), pct(s.PerfRangeHi), times(s.EnergyRangeLo), times(s.EnergyRangeHi),
			beatsText(s))
	}
	f("\n")
}

func beatsText(s Summary) string {
	switch {
	case s.PerfRangeLo >= 0 && s.EnergyRangeLo >= 1:
		return "no slower and no more energy than " + s.Baseline
	case s.PerfRangeLo >= 0:
		return "no slower than " + s.Baseline + " (energy not at every ratio)"
	}
	return "not ahead of " + s.Baseline
}

// writeBound writes every scheme's OU activations over the lower bound on
// them (Point.OUActivationBound), per network and ratio, for the points of
// one hardware.
func writeBound(w io.Writer, r *Results) {
	f := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	methods := r.Methods()
	if len(methods) == 0 {
		return
	}
	f("## Distance from the lower bound on OU activations\n\n")
	f("OU activations of one inference over a lower bound on the OU activations of *any* layout obeying the scheme's sharing " +
		"rule (its limit; one logical column per physical column for the schemes that do not share) on the same crossbar and OU: " +
		"the relaxations of the packing problem in mapper (rows: owner entries an OU can hold; columns: OUs a column's " +
		"nonzero digits need), solved exactly for tiny groups. 1.00x would be optimal; the bound is not always reachable, so a " +
		"ratio above 1 is an upper limit on what a better heuristic could still save. With unlimited sharing (/∞) the bound is " +
		"loose: a one-row strip serves a whole row with one physical column per nonzero level, so the bound cannot exceed the " +
		"nonzero rows, and the large /∞ ratios say more about the bound than about the schemes.\n\n")
	head, rule := []string{"network", "prune"}, []string{"---", "--:"}
	for _, m := range methods {
		head = append(head, m.Label())
		rule = append(rule, "--:")
	}
	f("| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	sum := make([]float64, len(methods))
	cnt := make([]int, len(methods))
	for _, model := range r.ModelNames() {
		for _, pr := range r.Ratios() {
			row := []string{model, fmt.Sprint(pr)}
			any := false
			for i, m := range methods {
				p := r.Find(model, pr, m.Scheme, m.MaxShare)
				if p == nil || p.OUActivationBound <= 0 {
					row = append(row, "–")
					continue
				}
				any = true
				v := float64(p.OUActivations) / float64(p.OUActivationBound)
				sum[i] += v
				cnt[i]++
				row = append(row, fmt.Sprintf("%.2fx", v))
			}
			if any {
				f("| %s |\n", strings.Join(row, " | "))
			}
		}
	}
	row := []string{"mean", ""}
	for i := range methods {
		if cnt[i] == 0 {
			row = append(row, "–")
			continue
		}
		row = append(row, fmt.Sprintf("%.2fx", sum[i]/float64(cnt[i])))
	}
	f("| %s |\n\n", strings.Join(row, " | "))
}

// timeGain is the mean over networks and ratios of baseline time / method
// time − 1 for the points of one hardware view r, with time the one-image
// latency (latency) or the pipeline period (period; points without a
// pipeline are left out).
func timeGain(r *Results, m Method, bl string, period bool) (mean float64, n int) {
	for _, model := range r.ModelNames() {
		for _, pr := range r.Ratios() {
			mp, bp := r.Find(model, pr, m.Scheme, m.MaxShare), r.Find(model, pr, bl, 0)
			if mp == nil || bp == nil {
				continue
			}
			a, b := mp.LatencyNS, bp.LatencyNS
			if period {
				a, b = mp.PeriodNS, bp.PeriodNS
			}
			if a <= 0 || b <= 0 {
				continue
			}
			mean += b/a - 1
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return mean / float64(n), n
}

// costOnlyVariants lists the hardware variants swept for their cost only.
func costOnlyVariants(r *Results) []string {
	var out []string
	for _, v := range r.Info.HWVariants {
		if v.CostOnly {
			out = append(out, v.Name)
		}
	}
	return out
}

// writeNetworks writes where each network and its data come from
// (ModelInfo.Note), for the networks that say.
func writeNetworks(w io.Writer, r *Results) {
	var notes []ModelInfo
	for _, m := range r.Info.Models {
		if m.Note != "" {
			notes = append(notes, m)
		}
	}
	if len(notes) == 0 {
		return
	}
	fmt.Fprintf(w, "## Where the networks come from\n\n")
	for _, m := range notes {
		fmt.Fprintf(w, "- `%s`: %s\n", m.Name, m.Note)
	}
	fmt.Fprintf(w, "\n")
}
