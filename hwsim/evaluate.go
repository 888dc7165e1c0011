package hwsim

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"time"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/quant"
)

// This file is rramc's one evaluation layer: the float model, the integer
// golden model and the simulated accelerator are all fed from a
// Feed (a dataset.Source per model input) by Run, and compared by the functions below. The CLI's
// eval and sim, the sweep and the Go example use it.

// Stage runs one batch through one form of the model (float32, golden,
// simulated) and returns its outputs in graph order, first dimension the
// batch. xs holds the batch of every model input, in input order.
type Stage func(xs []*importer.Tensor) ([]*importer.Tensor, error)

// Outputs is what comparisons need of one stage's outputs: per sample, the
// top-1 class of the first output and a 64-bit FNV-1a hash of the exact
// bits of the sample's rows of every output (the golden and simulated
// outputs are dequantized codes, so equal rows mean equal codes).
type Outputs struct {
	Top1 []int
	Rows []uint64
}

// RunOptions control Run.
type RunOptions struct {
	// First is the first sample used; Limit the number used from there
	// (0 = to the end).
	First int
	Limit int
	// BatchSize is the number of samples per stage call (0 = 500).
	BatchSize int
	// Progress, when set, is called after each batch.
	Progress func(done, total int)
}

// Samples is the number of samples Run uses of src (a dataset.Source or a
// Feed) under opts.
func (o RunOptions) Samples(src interface{ Len() int }) int {
	n := max(src.Len()-max(o.First, 0), 0)
	if o.Limit > 0 && o.Limit < n {
		return o.Limit
	}
	return n
}

// labels returns the labels of the samples Run uses (nil when src has none).
func (o RunOptions) labels(src Feed) []int {
	l := src.Labels()
	if l == nil {
		return nil
	}
	return l[o.First : o.First+o.Samples(src)]
}

// Run feeds the samples of src, batch by batch, to every stage (each batch
// is built once) and returns each stage's outputs. When src has labels they
// are checked against the classes of the first output: a label the model
// cannot predict is refused, so no accuracy is silently wrong.
func Run(ctx context.Context, src Feed, opts RunOptions, stages ...Stage) ([]*Outputs, error) {
	total := opts.Samples(src)
	if total <= 0 || opts.First < 0 {
		return nil, fmt.Errorf("%s: %w: no samples from %d on (it has %d)", src.Name(), dataset.ErrInvalidData, opts.First, src.Len())
	}
	if err := src.Fit(); err != nil {
		return nil, err
	}
	in := src.Inputs[0] // the inputs share the batch axis
	bs := opts.BatchSize
	if bs <= 0 {
		bs = 500
	}
	// A model exported with a fixed batch size takes batches of exactly
	// that size.
	if len(in.Shape) > 0 && in.Shape[0].Value > 0 {
		bs = int(in.Shape[0].Value)
		if total%bs != 0 {
			return nil, fmt.Errorf("%s: %w: the model's input %q takes batches of exactly %d samples; %d is not a multiple (use --limit)",
				src.Name(), dataset.ErrInvalidData, in.Name, bs, total)
		}
	}
	outs := make([]*Outputs, len(stages))
	for i := range outs {
		outs[i] = &Outputs{Top1: make([]int, 0, total), Rows: make([]uint64, 0, total)}
	}
	labels := opts.labels(src)
	for start := 0; start < total; start += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(bs, total-start)
		xs, err := src.Batch(opts.First+start, n)
		if err != nil {
			return nil, err
		}
		for i, stage := range stages {
			ys, err := stage(xs)
			if err != nil {
				return nil, err
			}
			if len(ys) == 0 {
				return nil, fmt.Errorf("hwsim: a stage returned no output")
			}
			if start == 0 && i == 0 && labels != nil {
				if err := checkLabels(src.Name(), opts.First, labels, ys[0], n); err != nil {
					return nil, err
				}
			}
			if err := outs[i].add(ys, n); err != nil {
				return nil, err
			}
		}
		if opts.Progress != nil {
			opts.Progress(start+n, total)
		}
	}
	return outs, nil
}

// checkLabels refuses labels outside the classes of output y (n samples).
// A model that outputs its labels (an integer output, ArgMax) does not say
// how many classes it has; then only negative labels are refused.
func checkLabels(src string, first int, labels []int, y *importer.Tensor, n int) error {
	if y != nil && !y.IsFloat() {
		for i, l := range labels {
			if l < 0 {
				return fmt.Errorf("%s: %w: label %d of sample %d is negative", src, dataset.ErrInvalidData, l, first+i)
			}
		}
		return nil
	}
	if y == nil || n == 0 || len(y.Float)%n != 0 {
		return nil // add reports the malformed output
	}
	classes := len(y.Float) / n
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("%s: %w: label %d of sample %d is outside the model's %d classes (0..%d)",
				src, dataset.ErrInvalidData, l, first+i, classes, classes-1)
		}
	}
	return nil
}

func (o *Outputs) add(ys []*importer.Tensor, n int) error {
	top, err := topClasses(ys[0], n)
	if err != nil {
		return err
	}
	hs := make([]hash.Hash64, n)
	for i := range hs {
		hs[i] = fnv.New64a()
	}
	for _, y := range ys {
		if err := hashRows(hs, y); err != nil {
			return err
		}
	}
	for _, h := range hs {
		o.Rows = append(o.Rows, h.Sum64())
	}
	o.Top1 = append(o.Top1, top...)
	return nil
}

// topClasses is the top-1 class of each of the n samples of output y: its
// largest element, or for an integer output of one value per sample (an
// ArgMax at the end of the graph) that value, the model's own class.
// Integer outputs of another shape carry no class to score.
func topClasses(y *importer.Tensor, n int) ([]int, error) {
	if y != nil && !y.IsFloat() {
		if len(y.Int) != n || y.Len() != n {
			return nil, fmt.Errorf("%w: model output is %v %v for %d samples: an integer output is scored only as one class label per sample", importer.ErrInvalidModel, y.DType, y.Shape, n)
		}
		top := make([]int, n)
		for i, v := range y.Int {
			top[i] = int(v)
		}
		return top, nil
	}
	top, err := importer.ArgMaxRows(y)
	if err != nil {
		return nil, err
	}
	if len(top) != n || len(y.Float)%n != 0 {
		return nil, fmt.Errorf("model output of shape %v for %d samples", y.Shape, n)
	}
	return top, nil
}

// hashRows adds the exact bits of each sample's row of y to its hash
// (hs[i] for sample i): 4 bytes per float32, 8 per integer.
func hashRows(hs []hash.Hash64, y *importer.Tensor) error {
	n := len(hs)
	size := len(y.Int)
	if y.IsFloat() {
		size = len(y.Float)
	}
	if n == 0 || size%n != 0 {
		return fmt.Errorf("model output of shape %v for %d samples", y.Shape, n)
	}
	per := size / n
	var buf [8]byte
	for i, h := range hs {
		if y.IsFloat() {
			for _, v := range y.Float[i*per : (i+1)*per] {
				binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(v))
				h.Write(buf[:4])
			}
			continue
		}
		for _, v := range y.Int[i*per : (i+1)*per] {
			binary.LittleEndian.PutUint64(buf[:], uint64(v))
			h.Write(buf[:])
		}
	}
	return nil
}

// Accuracy is the top-1 accuracy of o against labels (the fraction of
// samples whose top-1 class is the label).
func (o *Outputs) Accuracy(labels []int) float64 {
	return frac(countEqual(o.Top1, labels), len(labels))
}

// BitExact is the fraction of samples whose outputs in o and ref are
// bit-identical.
func (o *Outputs) BitExact(ref *Outputs) float64 {
	var same int
	if len(o.Rows) == len(ref.Rows) {
		for i := range o.Rows {
			if o.Rows[i] == ref.Rows[i] {
				same++
			}
		}
	}
	return frac(same, len(ref.Rows))
}

// Top1Agreement is the fraction of samples with the same top-1 class in o
// and ref.
func (o *Outputs) Top1Agreement(ref *Outputs) float64 {
	return frac(countEqual(o.Top1, ref.Top1), len(ref.Top1))
}

func countEqual(a, b []int) int {
	if len(a) != len(b) {
		return 0
	}
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// GoldenStage runs the integer golden model of net.
func GoldenStage(net *quant.Network, workers int) Stage {
	return func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		y, err := net.RunOutputs(xs, nil, workers)
		if err != nil {
			return nil, fmt.Errorf("golden model: %w", err)
		}
		return y, nil
	}
}

// Stage runs the simulator's network with the simulated crossbars.
// Without ADC noise results do not depend on call order, so the network
// may run its chunks on several goroutines; with noise the calls of each
// layer must come in sample order.
func (s *Simulator) Stage() Stage {
	workers := s.opts.Workers
	if s.hw.ADCNoiseSigmaLSB > 0 {
		workers = 1
	}
	return func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		y, err := s.net.RunOutputs(xs, s.MatMul, workers)
		if err != nil {
			return nil, fmt.Errorf("simulation: %w", err)
		}
		return y, nil
	}
}

// NetInputs describes the inputs of a quantized network (a symbolic batch
// and each input's sample shape), for feeding data to a network read from
// a mapping file.
func NetInputs(net *quant.Network) []importer.ValueInfo {
	ins := make([]importer.ValueInfo, len(net.Inputs))
	for i, in := range net.Inputs {
		dims := []importer.Dim{{Param: "batch"}}
		for _, d := range net.Values[in.Value].Shape {
			dims = append(dims, importer.Dim{Value: int64(d)})
		}
		dt := in.DType
		if dt == importer.Undefined {
			dt = importer.Float
		}
		ins[i] = importer.ValueInfo{Name: in.Name, DType: dt, Shape: dims}
	}
	return ins
}

// EvalOptions control Evaluate.
type EvalOptions struct {
	RunOptions
	// Float, when set, runs the float model on a batch; its top-1 accuracy
	// is reported as accuracy_float.
	Float Stage
	// Golden, when set, holds the golden model's outputs of the evaluated
	// samples (from Run with GoldenStage), so that evaluating several
	// mappings of one network runs the golden model once.
	Golden *Outputs
	// StageSeconds, when not nil, receives the wall time spent in each
	// stage over the whole run, under "sim", "int" (the golden model) and "float", the names eval uses.
	StageSeconds map[string]float64
}

// timedStage wraps s to add its wall time to seconds[name] (s itself when
// seconds is nil).
func timedStage(s Stage, name string, seconds map[string]float64) Stage {
	if seconds == nil {
		return s
	}
	return func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		t0 := time.Now()
		y, err := s(xs)
		seconds[name] += time.Since(t0).Seconds()
		return y, err
	}
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
	// BitExact is the fraction of images whose simulated outputs are
	// bit-identical to the golden model's; Top1Agreement the fraction with
	// the same top-1 class.
	BitExact      float64 `json:"bit_exact"`
	Top1Agreement float64 `json:"top1_agreement"`
	// ADC losses over the whole run: clipped (saturating) and truncated
	// conversions, their sum, and all conversions of the run.
	ADCClipped     int64 `json:"adc_clipped"`
	ADCTruncated   int64 `json:"adc_truncated"`
	ADCSaturations int64 `json:"adc_saturations"`
	ADCConversions int64 `json:"adc_conversions_run"`
	// Cost is the cost of one inference (its fields inline in JSON), and
	// IndexOverhead the index tables' share of it.
	Cost
	IndexOverhead IndexOverhead `json:"index_overhead"`
}

// Evaluate runs src through the golden model and the simulator (and the
// float model when opts.Float is set) and reports accuracy, agreement and
// the per-inference cost. It resets the simulator's counters first. The
// source must have labels.
func Evaluate(ctx context.Context, sim *Simulator, src Feed, opts EvalOptions) (*Report, error) {
	labels := opts.labels(src)
	if labels == nil {
		return nil, fmt.Errorf("%s: %w: no labels to measure accuracy against", src.Name(), dataset.ErrInvalidData)
	}
	total := opts.Samples(src)
	sim.Reset()
	stages := []Stage{timedStage(sim.Stage(), "sim", opts.StageSeconds)}
	if opts.Golden == nil {
		stages = append(stages, timedStage(GoldenStage(sim.net, 0), "int", opts.StageSeconds))
	} else if len(opts.Golden.Top1) < total {
		return nil, fmt.Errorf("hwsim: evaluate: golden outputs of %d samples for %d", len(opts.Golden.Top1), total)
	}
	if opts.Float != nil {
		stages = append(stages, timedStage(opts.Float, "float", opts.StageSeconds))
	}
	outs, err := Run(ctx, src, opts.RunOptions, stages...)
	if err != nil {
		return nil, err
	}
	simOut, golden := outs[0], opts.Golden
	if golden == nil {
		golden = outs[1]
	} else {
		golden = &Outputs{Top1: golden.Top1[:total], Rows: golden.Rows[:total]}
	}
	r, err := sim.Report(total)
	if err != nil {
		return nil, err
	}
	r.AccuracyInt, r.AccuracySim = golden.Accuracy(labels), simOut.Accuracy(labels)
	r.BitExact, r.Top1Agreement = simOut.BitExact(golden), simOut.Top1Agreement(golden)
	if opts.Float != nil {
		a := outs[len(outs)-1].Accuracy(labels)
		r.AccuracyFloat = &a
	}
	return r, nil
}

// Report is the cost of one inference from the simulator's counters after
// images samples were run, with the ADC losses of the whole run.
func (s *Simulator) Report(images int) (*Report, error) {
	counted := s.Counted()
	per, err := s.PerImage(counted, int64(images))
	if err != nil {
		return nil, err
	}
	cost, err := s.Cost(per)
	if err != nil {
		return nil, err
	}
	r := &Report{Scheme: s.mp.Scheme, MaxShare: s.mp.MaxShare, Mode: s.opts.Mode, Seed: s.opts.Seed,
		HW: s.HW(), Images: images, Cost: *cost}
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
