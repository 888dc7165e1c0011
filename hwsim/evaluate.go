package hwsim

import (
	"context"
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/quant"
)

// Source is a labelled input set fed to Evaluate.
type Source interface {
	// Len is the number of samples.
	Len() int
	// Batch returns samples [start, start+n) as a float input batch (first
	// dimension n) and their class labels.
	Batch(start, n int) (*importer.Tensor, []int, error)
}

// SetSource feeds a dataset.Set (e.g. MNIST) to a network: the batch layout
// comes from the network input's shape, pixels p map to (p/255-Mean)/Std.
type SetSource struct {
	Set       *dataset.Set
	Input     importer.ValueInfo
	Mean, Std float32
}

// NewSetSource builds a SetSource for net's input.
func NewSetSource(set *dataset.Set, net *quant.Network, mean, std float32) (*SetSource, error) {
	if set == nil || net == nil || net.Input < 0 || net.Input >= len(net.Values) {
		return nil, fmt.Errorf("hwsim: set source: missing set or network input")
	}
	v := net.Values[net.Input]
	dims := []importer.Dim{{Param: "batch"}}
	for _, d := range v.Shape {
		dims = append(dims, importer.Dim{Value: int64(d)})
	}
	return &SetSource{Set: set, Input: importer.ValueInfo{Name: net.InputName, DType: importer.Float, Shape: dims}, Mean: mean, Std: std}, nil
}

// Len implements Source.
func (s *SetSource) Len() int { return s.Set.N }

// Batch implements Source.
func (s *SetSource) Batch(start, n int) (*importer.Tensor, []int, error) {
	x, err := s.Set.BatchFor(s.Input, start, n, s.Mean, s.Std)
	if err != nil {
		return nil, nil, err
	}
	lb, err := s.Set.LabelInts(start, n)
	if err != nil {
		return nil, nil, err
	}
	return x, lb, nil
}

// EvalOptions control Evaluate.
type EvalOptions struct {
	// Limit evaluates only the first Limit samples (0 = all).
	Limit int
	// BatchSize is the number of samples per Network.Run (0 = 500).
	BatchSize int
	// Float, when set, runs the float model on a batch; its top-1 accuracy
	// is reported as accuracy_float.
	Float func(x *importer.Tensor) (*importer.Tensor, error)
	// Progress, when set, is called after each batch.
	Progress func(done, total int)
	// Golden, when set, holds the golden model's output codes of the
	// evaluated samples (from Network.RunCodes, samples in order), so that
	// evaluating several mappings of one network runs the golden model once.
	Golden []int32
}

// IndexOverhead is the share of the index tables in the totals.
type IndexOverhead struct {
	Bits        int64   `json:"bits"`
	EnergyPJ    float64 `json:"energy_pj"`
	AreaUM2     float64 `json:"area_um2"`
	EnergyShare float64 `json:"energy_share"`
	AreaShare   float64 `json:"area_share"`
}

// Report is the result of Evaluate: accuracy and agreement over the
// evaluated images and the cost of one inference (per layer and total).
type Report struct {
	Scheme   string `json:"scheme"`
	MaxShare int    `json:"max_share"`
	Mode     string `json:"mode"`
	Seed     uint64 `json:"seed"`
	HW       HW     `json:"hw"`
	Images   int    `json:"images"`
	// Top-1 accuracies against the labels (AccuracyFloat only when
	// EvalOptions.Float is set).
	AccuracyFloat *float64 `json:"accuracy_float,omitempty"`
	AccuracyInt   float64  `json:"accuracy_int"`
	AccuracySim   float64  `json:"accuracy_sim"`
	// Agreement is the share of images whose simulated output codes equal
	// the golden model's exactly; AgreementTop1 the share with the same
	// top-1 class.
	Agreement     float64 `json:"agreement"`
	AgreementTop1 float64 `json:"agreement_top1"`
	// ADC losses over the whole run: clipped (saturating) and truncated
	// conversions, their sum, and all conversions of the run.
	ADCClipped     int64 `json:"adc_clipped"`
	ADCTruncated   int64 `json:"adc_truncated"`
	ADCSaturations int64 `json:"adc_saturations"`
	ADCConversions int64 `json:"adc_conversions_run"`
	// Costs of one inference.
	Cycles        int64         `json:"cycles"`
	LatencyNs     float64       `json:"latency_ns"`
	EnergyPJ      Breakdown     `json:"energy_pj"`
	AreaUM2       Breakdown     `json:"area_um2"`
	Crossbars     int           `json:"crossbars"`
	Tiles         int           `json:"tiles"`
	IndexOverhead IndexOverhead `json:"index_overhead"`
	Counts        Counts        `json:"counts"`
	Layers        []LayerCost   `json:"layers"`
}

// Evaluate runs src through the golden model and the simulator and reports
// accuracy, agreement and the per-inference cost. It resets the simulator's
// counters first.
func Evaluate(ctx context.Context, sim *Simulator, src Source, opts EvalOptions) (*Report, error) {
	net := sim.net
	total := src.Len()
	if opts.Limit > 0 {
		total = min(total, opts.Limit)
	}
	if total <= 0 {
		return nil, fmt.Errorf("hwsim: evaluate: no samples")
	}
	bs := opts.BatchSize
	if bs <= 0 {
		bs = 500
	}
	sim.Reset()
	// Without ADC noise results do not depend on call order, so the
	// network may run its chunks on several goroutines; with noise the
	// calls of each layer must come in image order.
	simWorkers := sim.opts.Workers
	if sim.hw.ADCNoiseSigmaLSB > 0 {
		simWorkers = 1
	}
	var okF, okI, okS, same, sameTop int
	for start := 0; start < total; start += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(bs, total-start)
		x, labels, err := src.Batch(start, n)
		if err != nil {
			return nil, fmt.Errorf("hwsim: evaluate: batch at %d: %w", start, err)
		}
		if len(labels) != n {
			return nil, fmt.Errorf("hwsim: evaluate: batch at %d: %d labels for %d samples", start, len(labels), n)
		}
		got, shape, err := net.RunCodes(x, sim.MatMul, simWorkers)
		if err != nil {
			return nil, fmt.Errorf("hwsim: evaluate: simulation: %w", err)
		}
		var gold []int32
		if opts.Golden != nil {
			if len(shape) == 0 || shape[0] != n || len(got)%n != 0 || len(opts.Golden) < (start+n)*(len(got)/n) {
				return nil, fmt.Errorf("hwsim: evaluate: %d golden codes do not cover samples up to %d", len(opts.Golden), start+n)
			}
			per := len(got) / n
			gold = opts.Golden[start*per : (start+n)*per]
		} else if gold, _, err = net.RunCodes(x, nil, 0); err != nil {
			return nil, fmt.Errorf("hwsim: evaluate: golden model: %w", err)
		}
		if len(shape) == 0 || shape[0] != n || len(gold) != len(got) || len(gold)%n != 0 {
			return nil, fmt.Errorf("hwsim: evaluate: output shape %v for %d samples", shape, n)
		}
		per := len(gold) / n
		var fl *importer.Tensor
		if opts.Float != nil {
			fl, err = opts.Float(x)
			if err != nil {
				return nil, fmt.Errorf("hwsim: evaluate: float model: %w", err)
			}
			if len(fl.Float) != n*per {
				return nil, fmt.Errorf("hwsim: evaluate: float model gives %d values for %d samples of %d", len(fl.Float), n, per)
			}
		}
		var fpred []int
		if fl != nil {
			if fpred, err = importer.ArgMaxRows(fl); err != nil {
				return nil, fmt.Errorf("hwsim: evaluate: float model: %w", err)
			}
		}
		for i := 0; i < n; i++ {
			g, s := gold[i*per:(i+1)*per], got[i*per:(i+1)*per]
			tg, ts := argmax32(g), argmax32(s)
			if tg == labels[i] {
				okI++
			}
			if ts == labels[i] {
				okS++
			}
			if slices.Equal(g, s) {
				same++
			}
			if tg == ts {
				sameTop++
			}
			if fpred != nil && fpred[i] == labels[i] {
				okF++
			}
		}
		if opts.Progress != nil {
			opts.Progress(start+n, total)
		}
	}
	counted := sim.Counted()
	per, err := sim.PerImage(counted, int64(total))
	if err != nil {
		return nil, err
	}
	cost, err := sim.Cost(per)
	if err != nil {
		return nil, err
	}
	r := &Report{Scheme: sim.mp.Scheme, MaxShare: sim.mp.MaxShare, Mode: sim.opts.Mode, Seed: sim.opts.Seed,
		HW: sim.HW(), Images: total,
		AccuracyInt: frac(okI, total), AccuracySim: frac(okS, total),
		Agreement: frac(same, total), AgreementTop1: frac(sameTop, total),
		Cycles: cost.Cycles, LatencyNs: cost.LatencyNs, EnergyPJ: cost.EnergyPJ, AreaUM2: cost.AreaUM2,
		Crossbars: cost.Crossbars, Tiles: cost.Tiles, Counts: cost.Counts, Layers: cost.Layers}
	if opts.Float != nil {
		a := frac(okF, total)
		r.AccuracyFloat = &a
	}
	for _, c := range counted {
		r.ADCClipped += c.ADCClipped
		r.ADCTruncated += c.ADCTruncated
		r.ADCConversions += c.ADCConversions
	}
	r.ADCSaturations = r.ADCClipped + r.ADCTruncated
	r.IndexOverhead = IndexOverhead{Bits: cost.IndexBits, EnergyPJ: cost.EnergyPJ.Get("index"), AreaUM2: cost.AreaUM2.Get("index")}
	if cost.EnergyPJ.Total > 0 {
		r.IndexOverhead.EnergyShare = cost.EnergyPJ.Get("index") / cost.EnergyPJ.Total
	}
	if cost.AreaUM2.Total > 0 {
		r.IndexOverhead.AreaShare = cost.AreaUM2.Get("index") / cost.AreaUM2.Total
	}
	return r, nil
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// argmax32 returns the index of the largest value (the first on ties).
func argmax32(v []int32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
