package sweep

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/mapper"
)

// ModelInfo identifies one network of the sweep.
type ModelInfo struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
	// Data is the network's own test data when it has one (ModelSpec.Data),
	// "" when it uses the sweep's.
	Data string `json:"data,omitempty"`
	// Family is the dense network a fine-tuned sparse network was pruned
	// from, and Files its model files, one per ratio ("" and nil for an
	// ordinary network).
	Family string   `json:"family,omitempty"`
	Files  []string `json:"files,omitempty"`
	// Note says where the network and its data come from (ModelSpec.Note).
	Note string `json:"note,omitempty"`
}

// RunInfo is the exact configuration a sweep ran with: enough to rerun it and
// to state it in RESULTS.md.
type RunInfo struct {
	Models   []ModelInfo `json:"models"`
	Prune    []float64   `json:"prune"`
	Schemes  []string    `json:"schemes"`
	MaxShare []int       `json:"max_share"`
	// Quant is the quantization configuration (Prune set per point).
	Quant json.RawMessage `json:"quant,omitempty"`
	// HWFile is the hardware file given ("" = defaults); HW the description
	// in effect.
	HWFile string          `json:"hw_file,omitempty"`
	HW     json.RawMessage `json:"hw,omitempty"`
	// HWVariants is the hardware axis of a sweep over several hardware
	// descriptions (HW is then the first's), in the order given.
	HWVariants []HWVariant `json:"hw_variants,omitempty"`
	Limit      int         `json:"limit"`
	Data       string      `json:"data"`
	Seed       uint64      `json:"seed"`
	// Command is the canonical command line of the grid, when known: the
	// flags that determine results, sorted, without the output directory,
	// the shard or the worker count (cmd/rramc), so that every task of a
	// sharded sweep and a single-process run record the same one.
	Command string `json:"command,omitempty"`
}

// Results is a finished sweep: its configuration and its points.
type Results struct {
	SchemaVersion int     `json:"schema_version"`
	Info          RunInfo `json:"config"`
	Points        []Point `json:"points"`
}

// Sort orders the points by network, pruning ratio, scheme and limit, so
// files and tables are stable whatever order the workers finished in. The
// network order is that of Info.Models (then by name), schemes that of
// Info.Schemes.
func (r *Results) Sort() {
	mrank := map[string]int{}
	for i, m := range r.Info.Models {
		mrank[m.Name] = i
	}
	srank := map[string]int{}
	for i, s := range r.Info.Schemes {
		srank[s] = i
	}
	rank := func(m map[string]int, k string) int {
		if v, ok := m[k]; ok {
			return v
		}
		return len(m)
	}
	slices.SortStableFunc(r.Points, func(a, b Point) int {
		return cmp.Or(
			cmp.Compare(rank(mrank, a.ModelName), rank(mrank, b.ModelName)),
			cmp.Compare(a.ModelName, b.ModelName),
			cmp.Compare(a.Prune, b.Prune),
			cmp.Compare(rank(srank, a.Scheme), rank(srank, b.Scheme)),
			cmp.Compare(a.Scheme, b.Scheme),
			// unlimited (0) after the finite limits
			cmp.Compare(shareRank(a.MaxShare), shareRank(b.MaxShare)),
		)
	})
}

func shareRank(s int) int {
	if s == 0 {
		return math.MaxInt
	}
	return s
}

// Validate checks every point, and that the points of one network under
// one hardware variant are either all cost-only or none (cost-only follows
// from the network's input, or from a cost-only variant).
func (r *Results) Validate() error {
	type netVariant struct{ model, variant string }
	costOnly := map[netVariant]bool{}
	for i := range r.Points {
		p := &r.Points[i]
		if err := p.validate(); err != nil {
			return fmt.Errorf("results point %d: %w", i, err)
		}
		k := netVariant{p.ModelName, p.HWVariant}
		if c, ok := costOnly[k]; ok && c != p.CostOnly {
			return fmt.Errorf("results point %d: network %s has cost-only and measured points%s", i, p.ModelName, variantText(p.HWVariant))
		}
		costOnly[k] = p.CostOnly
	}
	return nil
}

func variantText(v string) string {
	if v == "" {
		return ""
	}
	return " under hardware variant " + v
}

// CostOnly reports whether the points of network model are cost-only
// (Point.CostOnly): no accuracy was measured. With a hardware axis it is
// said of the first variant's points, the ones the tables show.
func (r *Results) CostOnly(model string) bool {
	first := ""
	if len(r.Info.HWVariants) > 0 {
		first = r.Info.HWVariants[0].Name
	}
	for i := range r.Points {
		if p := &r.Points[i]; p.ModelName == model && p.HWVariant == first {
			return p.CostOnly
		}
	}
	return false
}

// costOnlyReason returns the reason recorded by the first cost-only point
// of model.
func (r *Results) costOnlyReason(model string) string {
	for i := range r.Points {
		if p := &r.Points[i]; p.ModelName == model && p.CostOnly {
			return p.CostOnlyReason
		}
	}
	return ""
}

// CostOnlyModels returns the networks whose points are cost-only, in
// ModelNames order.
func (r *Results) CostOnlyModels() []string {
	var out []string
	for _, m := range r.ModelNames() {
		if r.CostOnly(m) {
			out = append(out, m)
		}
	}
	return out
}

// ModelNames returns the networks in order of appearance (Info.Models first).
func (r *Results) ModelNames() []string {
	var names []string
	for _, m := range r.Info.Models {
		if !slices.Contains(names, m.Name) {
			names = append(names, m.Name)
		}
	}
	for i := range r.Points {
		if !slices.Contains(names, r.Points[i].ModelName) {
			names = append(names, r.Points[i].ModelName)
		}
	}
	return names
}

// Ratios returns the pruning ratios present, ascending.
func (r *Results) Ratios() []float64 {
	var v []float64
	for i := range r.Points {
		if !slices.Contains(v, r.Points[i].Prune) {
			v = append(v, r.Points[i].Prune)
		}
	}
	slices.Sort(v)
	return v
}

// Method is a scheme with its sharing limit.
type Method struct {
	Scheme   string
	MaxShare int
}

// Label formats the method like Point.Label.
func (m Method) Label() string { return SchemeLabel(m.Scheme, m.MaxShare, true) }

// Methods returns the distinct (scheme, limit) pairs present, in point order.
func (r *Results) Methods() []Method {
	var ms []Method
	for i := range r.Points {
		m := Method{r.Points[i].Scheme, r.Points[i].MaxShare}
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	return ms
}

// Find returns the point of (model, prune, scheme, maxShare) or nil.
func (r *Results) Find(model string, prune float64, scheme string, maxShare int) *Point {
	for i := range r.Points {
		p := &r.Points[i]
		if p.ModelName == model && p.Prune == prune && p.Scheme == scheme && p.MaxShare == maxShare {
			return p
		}
	}
	return nil
}

// Gain compares one method point with one baseline point, for the whole
// network (LayerIndex -1) or one layer.
type Gain struct {
	ModelName  string  `json:"model_name"`
	HWVariant  string  `json:"hw_variant,omitempty"`
	Prune      float64 `json:"prune"`
	Scheme     string  `json:"scheme"`
	MaxShare   int     `json:"max_share"`
	Baseline   string  `json:"baseline"`
	LayerIndex int     `json:"layer_index"`
	Layer      string  `json:"layer"`
	// Cycles and energy (pJ) of the baseline and of the method.
	BaselineCycles   int64   `json:"baseline_cycles"`
	Cycles           int64   `json:"cycles"`
	BaselineEnergyPJ float64 `json:"baseline_energy_pj"`
	EnergyPJ         float64 `json:"energy_pj"`
	// PerfImprovement = BaselineCycles/Cycles - 1; EnergySaving =
	// BaselineEnergyPJ/EnergyPJ. +Inf when the method costs nothing and the
	// baseline does, NaN when both cost nothing.
	PerfImprovement float64 `json:"perf_improvement"`
	EnergySaving    float64 `json:"energy_saving"`
}

// Method returns the gain's method.
func (g *Gain) Method() Method { return Method{g.Scheme, g.MaxShare} }

func ratio(num, den float64) float64 {
	if den == 0 {
		if num == 0 {
			return math.NaN()
		}
		return math.Inf(1)
	}
	return num / den
}

func newGain(m, b *Point, li int, layer string, bc, mc int64, be, me float64) Gain {
	return Gain{
		ModelName: m.ModelName, HWVariant: m.HWVariant, Prune: m.Prune, Scheme: m.Scheme, MaxShare: m.MaxShare,
		Baseline: b.Scheme, LayerIndex: li, Layer: layer,
		BaselineCycles: bc, Cycles: mc, BaselineEnergyPJ: be, EnergyPJ: me,
		PerfImprovement: ratio(float64(bc), float64(mc)) - 1,
		EnergySaving:    ratio(be, me),
	}
}

// baselineFor returns the point of baseline scheme bl in the same setting as
// m (any limit; baselines are run with limit 0).
func (r *Results) baselineFor(m *Point, bl string) *Point {
	var found *Point
	for i := range r.Points {
		b := &r.Points[i]
		if b.Scheme == bl && sameSetting(m, b) {
			if b.MaxShare == 0 {
				return b
			}
			if found == nil {
				found = b
			}
		}
	}
	return found
}

// Gains derives every comparison of a scheme against a baseline present in
// the results: one network row (LayerIndex -1) followed by one row per layer
// for each (point, baseline) pair, baselines in mapper.Baselines order. A point is
// not compared with its own scheme. Layers are matched by index and must
// have the same name; mismatched layer lists give network rows only.
func (r *Results) Gains() []Gain {
	var gs []Gain
	for i := range r.Points {
		m := &r.Points[i]
		for _, bl := range mapper.Baselines() {
			if m.Scheme == bl {
				continue
			}
			b := r.baselineFor(m, bl)
			if b == nil {
				continue
			}
			gs = append(gs, newGain(m, b, -1, "", b.Cycles, m.Cycles, b.EnergyPJ, m.EnergyPJ))
			if len(m.Layers) != len(b.Layers) {
				continue
			}
			for li := range m.Layers {
				ml, bl := &m.Layers[li], &b.Layers[li]
				if ml.Name != bl.Name {
					break
				}
				gs = append(gs, newGain(m, b, li, ml.Name, bl.Cycles, ml.Cycles, bl.EnergyPJ, ml.EnergyPJ))
			}
		}
	}
	return gs
}

// RatioStat is the mean network-level gain over the networks at one ratio.
type RatioStat struct {
	Prune           float64 `json:"prune"`
	Networks        int     `json:"networks"`
	PerfImprovement float64 `json:"perf_improvement"`
	EnergySaving    float64 `json:"energy_saving"`
}

// Summary aggregates the network-level gains of one method against one
// baseline: the statistics the paper's headline figures are.
type Summary struct {
	Scheme   string `json:"scheme"`
	MaxShare int    `json:"max_share"`
	Baseline string `json:"baseline"`
	// Points is the number of (network, ratio) comparisons.
	Points int `json:"points"`
	// MeanPerf is the arithmetic mean of the performance improvement over all
	// networks and ratios; MinPerf/MaxPerf its extremes.
	MeanPerf, MinPerf, MaxPerf float64
	// MeanEnergy is the mean energy saving over all networks and ratios;
	// MinEnergy/MaxEnergy the extremes over single points.
	MeanEnergy, MinEnergy, MaxEnergy float64
	// ByRatio are the means over networks per ratio; EnergyRangeLo/Hi the
	// range of their energy savings (the paper's "1.51x-2.52x across
	// sparsity ratios").
	ByRatio                      []RatioStat
	EnergyRangeLo, EnergyRangeHi float64
	PerfRangeLo, PerfRangeHi     float64
}

// Label is "method vs baseline".
func (s *Summary) Label() string {
	return SchemeLabel(s.Scheme, s.MaxShare, true) + " vs " + s.Baseline
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Summaries aggregates the network rows of gs per (method, baseline), in
// order of first appearance. Non-finite gains (zero-cost points) are left
// out of the means.
func Summaries(gs []Gain) []Summary {
	type key struct {
		m  Method
		bl string
	}
	var order []key
	rows := map[key][]Gain{}
	for _, g := range gs {
		if g.LayerIndex >= 0 {
			continue
		}
		k := key{g.Method(), g.Baseline}
		if _, ok := rows[k]; !ok {
			order = append(order, k)
		}
		rows[k] = append(rows[k], g)
	}
	out := make([]Summary, 0, len(order))
	for _, k := range order {
		s := Summary{Scheme: k.m.Scheme, MaxShare: k.m.MaxShare, Baseline: k.bl,
			MinPerf: math.Inf(1), MaxPerf: math.Inf(-1), MinEnergy: math.Inf(1), MaxEnergy: math.Inf(-1),
			EnergyRangeLo: math.Inf(1), EnergyRangeHi: math.Inf(-1), PerfRangeLo: math.Inf(1), PerfRangeHi: math.Inf(-1)}
		var sp, se float64
		var ratios []float64
		for _, g := range rows[k] {
			if !finite(g.PerfImprovement) || !finite(g.EnergySaving) {
				continue
			}
			s.Points++
			sp += g.PerfImprovement
			se += g.EnergySaving
			s.MinPerf, s.MaxPerf = min(s.MinPerf, g.PerfImprovement), max(s.MaxPerf, g.PerfImprovement)
			s.MinEnergy, s.MaxEnergy = min(s.MinEnergy, g.EnergySaving), max(s.MaxEnergy, g.EnergySaving)
			if !slices.Contains(ratios, g.Prune) {
				ratios = append(ratios, g.Prune)
			}
		}
		if s.Points == 0 {
			s.MeanPerf, s.MinPerf, s.MaxPerf = math.NaN(), math.NaN(), math.NaN()
			s.MeanEnergy, s.MinEnergy, s.MaxEnergy = math.NaN(), math.NaN(), math.NaN()
			s.EnergyRangeLo, s.EnergyRangeHi, s.PerfRangeLo, s.PerfRangeHi = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			out = append(out, s)
			continue
		}
		s.MeanPerf, s.MeanEnergy = sp/float64(s.Points), se/float64(s.Points)
		slices.Sort(ratios)
		for _, pr := range ratios {
			rs := RatioStat{Prune: pr}
			for _, g := range rows[k] {
				if g.Prune == pr && finite(g.PerfImprovement) && finite(g.EnergySaving) {
					rs.Networks++
					rs.PerfImprovement += g.PerfImprovement
					rs.EnergySaving += g.EnergySaving
				}
			}
			rs.PerfImprovement /= float64(rs.Networks)
			rs.EnergySaving /= float64(rs.Networks)
			s.ByRatio = append(s.ByRatio, rs)
			s.EnergyRangeLo, s.EnergyRangeHi = min(s.EnergyRangeLo, rs.EnergySaving), max(s.EnergyRangeHi, rs.EnergySaving)
			s.PerfRangeLo, s.PerfRangeHi = min(s.PerfRangeLo, rs.PerfImprovement), max(s.PerfRangeHi, rs.PerfImprovement)
		}
		out = append(out, s)
	}
	return out
}
