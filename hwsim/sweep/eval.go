package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// evalBatch is the number of images run through a network at once.
const evalBatch = 250

// Evaluator is the real point evaluation: import, quantize and prune,
// map, simulate over the test images, price. It caches per network the
// loaded model with its float predictions, and per (network, ratio) the
// quantized network with its golden predictions, so the schemes of one
// (network, ratio) quantize once. Safe for concurrent use.
type Evaluator struct {
	// Workers is the goroutines one point uses inside the simulator and
	// the golden model (0 = GOMAXPROCS).
	Workers int
	// Unshared makes every point compute everything itself: its own
	// mapping, and its own simulation of every image even where the
	// simulator provably computes the golden model. It is the reference
	// the shared evaluation is tested against (same bytes), not a mode to
	// run sweeps in.
	Unshared bool
	// shortcuts counts the points whose simulation was the golden model
	// (tests check that the shared evaluation takes the shortcut).
	shortcuts atomic.Int64

	mu     sync.Mutex
	models map[string]*modelEntry
	nets   map[string]*netEntry
	order  []string // nets keys, least recently used first
	// maps holds the mappings of the cached networks per scheme, sharing
	// limit and geometry (mapKey), shared by the hardware variants of one
	// geometry; mapOrder is its LRU order, bounded like nets.
	maps     map[string]*mapEntry
	mapOrder []string
	// bounds holds the lower bounds on OU activations per layer of the
	// cached networks per geometry and sharing limit (boundKey).
	bounds     map[string]*boundEntry
	boundOrder []string
	// keep bounds the cached quantized networks.
	keep int
	// sources holds the opened data per data specification (sourceKey).
	sources map[string]*sourceEntry
}

type sourceEntry struct {
	once        sync.Once
	err         error
	test, calib dataset.Source
}

type modelEntry struct {
	once  sync.Once
	err   error
	model *hwsim.Model
	in    importer.ValueInfo
	src   *sourceEntry
	// float outputs and labels of the n test images from first on
	first  int
	n      int
	labels []int
	float  *hwsim.Outputs
	// costOnly is set when the input cannot take the data set's images
	// (reason says why): the points of the model are cost-only, computed
	// on synthetic inputs of shape [batch, image...] (syntheticInput).
	costOnly bool
	reason   string
	image    []int // dimensions of one input sample (without the batch)
	batch    int   // images per run: the fixed batch size, else 1
}

type netEntry struct {
	once   sync.Once
	err    error
	net    *quant.Network
	golden *hwsim.Outputs
}

type mapEntry struct {
	once sync.Once
	err  error
	mp   *mapper.Mapping
	// bitSparsity is the mapping's total bit sparsity (mapper.Stats).
	bitSparsity float64
}

type boundEntry struct {
	once  sync.Once
	layer []int64 // per layer, per input bit, summed over the groups
}

// NewEvaluator returns an evaluator for cfg's data set. Points evaluated in
// parallel (cfg.Workers > 1) each use one goroutine inside; a single point
// at a time uses every core.
func NewEvaluator(cfg Config) (*Evaluator, error) {
	// Fail before the first point on what every point would fail on.
	for _, s := range cfg.Schemes {
		if _, err := mapper.LookupScheme(s); err != nil {
			return nil, fmt.Errorf("sweep: %w: %v", ErrInvalidConfig, err)
		}
	}
	if len(cfg.HW) > 0 {
		if _, err := hwsim.ParseHW(cfg.HW); err != nil {
			return nil, fmt.Errorf("sweep: hardware %s: %w", cfg.HWFile, err)
		}
	}
	qc := cfg.quantConfig()
	if err := qc.Validate(); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	w := 0
	if cfg.Workers > 1 {
		w = 1
	}
	return &Evaluator{Workers: w, models: map[string]*modelEntry{}, nets: map[string]*netEntry{}, maps: map[string]*mapEntry{}, bounds: map[string]*boundEntry{},
		keep: 2 * max(cfg.Workers, 1), sources: map[string]*sourceEntry{}}, nil
}

// spec is the data specification of a point.
func (pc *PointConfig) spec() dataset.Spec {
	data := pc.Data
	if data == "" {
		data = "mnist"
	}
	return dataset.Spec{Data: data, Labels: pc.Labels, Norm: dataset.Normalize{Mean: pc.Mean, Std: pc.Std}, Resize: pc.Resize}
}

// source opens a point's test and calibration data once per specification.
func (e *Evaluator) source(pc *PointConfig) (*sourceEntry, error) {
	spec := pc.spec()
	key := fmt.Sprintf("%q|%q|%v|%v|%d", spec.Data, spec.Labels, spec.Norm.Mean, spec.Norm.Std, spec.Resize)
	e.mu.Lock()
	se, ok := e.sources[key]
	if !ok {
		se = &sourceEntry{}
		e.sources[key] = se
	}
	e.mu.Unlock()
	se.once.Do(func() {
		if se.test, se.err = dataset.Open(spec); se.err != nil {
			return
		}
		if se.test.Labels() == nil {
			se.err = fmt.Errorf("%w: data %s has no labels (give its labels file)", ErrInvalidConfig, spec.Data)
			return
		}
		se.calib, se.err = dataset.Open(spec.Calibration())
	})
	return se, se.err
}

func (e *Evaluator) workers() int {
	if e.Workers > 0 {
		return e.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// images returns the first test image a point uses and their number:
// pc.Limit images from pc.FirstImage on, clipped to the set (a whole point
// asking for more than the set has gets the set; a part of a split point
// must lie inside it).
func (e *Evaluator) images(pc *PointConfig, test dataset.Source) (first, n int, err error) {
	first, total := pc.FirstImage, test.Len()
	if first < 0 || (first > 0 && first+pc.Limit > total) {
		return 0, 0, fmt.Errorf("%w: images %d-%d: the test set has %d", ErrInvalidConfig, first, first+pc.Limit, total)
	}
	if pc.Limit > 0 && first+pc.Limit < total {
		return first, pc.Limit, nil
	}
	return first, total - first, nil
}

// model loads pc's model and computes its float predictions once.
func (e *Evaluator) model(ctx context.Context, pc *PointConfig) (*modelEntry, error) {
	se, err := e.source(pc)
	if err != nil {
		return nil, err
	}
	first, n, err := e.images(pc, se.test)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%s|%v|%d|%d|%p", pc.Model, pc.ModelHash, constHashes(pc.Consts), first, n, se)
	e.mu.Lock()
	me, ok := e.models[key]
	if !ok {
		me = &modelEntry{}
		e.models[key] = me
	}
	e.mu.Unlock()
	me.once.Do(func() { me.src = se; me.err = e.loadModel(ctx, pc, me, first, n) })
	if me.err != nil {
		e.mu.Lock()
		if e.models[key] == me { // let a later call retry (e.g. after cancellation)
			delete(e.models, key)
		}
		e.mu.Unlock()
	}
	return me, me.err
}

func (e *Evaluator) loadModel(ctx context.Context, pc *PointConfig, me *modelEntry, first, n int) error {
	m, err := hwsim.LoadModelFiles(pc.Model, pc.constFiles())
	if err != nil {
		return err
	}
	if len(m.Inputs) != 1 {
		// a sweep point's data is one image set: one input
		return fmt.Errorf("%s: %w: the sweep takes models with one input; this one has %d", pc.Model, importer.ErrInvalidModel, len(m.Inputs))
	}
	me.model, me.in, me.first, me.n = m, m.Inputs[0], first, n
	if ferr := me.src.test.Fit(me.in); ferr != nil {
		return costOnlyModel(pc, me, fmt.Sprintf("input %q of shape %s does not take %s samples: %v",
			me.in.Name, fmtShape(me.in.Shape), dataName(pc.Data), ferr))
	}
	me.labels = me.src.test.Labels()[first : first+n]
	// A model exported with a fixed batch size takes exactly that many
	// images per run.
	if sh := me.in.Shape; len(sh) > 0 && sh[0].Value > evalBatch {
		return fmt.Errorf("%s: %w: fixed batch size %d", pc.Model, importer.ErrInvalidModel, sh[0].Value)
	}
	outs, err := hwsim.Run(ctx, hwsim.OneInput(me.src.test, me.in), me.runOptions(), m.Stage())
	if err != nil {
		return err
	}
	me.float = outs[0]
	return nil
}

// runOptions select the model entry's test images.
func (me *modelEntry) runOptions() hwsim.RunOptions {
	return hwsim.RunOptions{First: me.first, Limit: me.n, BatchSize: evalBatch}
}

// costOnlyModel marks me cost-only: no float predictions, no labels. Every
// input dimension but the batch must be fixed, since the synthetic inputs
// need a shape.
func costOnlyModel(pc *PointConfig, me *modelEntry, reason string) error {
	me.costOnly, me.reason, me.n = true, reason, 0
	sh := me.in.Shape
	if len(sh) < 2 {
		return fmt.Errorf("%s: %w: %s, and a cost-only point needs a batched input of fixed sample shape", pc.Model, importer.ErrInvalidModel, reason)
	}
	per := 1
	for _, d := range sh[1:] {
		if d.Value <= 0 {
			return fmt.Errorf("%s: %w: %s, and dimension %s is not fixed, so no synthetic input can be made for a cost-only point",
				pc.Model, importer.ErrInvalidModel, reason, fmtDim(d))
		}
		if per > maxCostOnlySample/int(d.Value) {
			return fmt.Errorf("%s: %w: input sample %s larger than %d values", pc.Model, importer.ErrInvalidModel, fmtShape(sh), maxCostOnlySample)
		}
		per *= int(d.Value)
		me.image = append(me.image, int(d.Value))
	}
	me.batch = 1
	if sh[0].Value > 0 {
		if sh[0].Value > costOnlyMaxBatch {
			return fmt.Errorf("%s: %w: fixed batch size %d (a cost-only point runs at most %d)", pc.Model, importer.ErrInvalidModel, sh[0].Value, costOnlyMaxBatch)
		}
		me.batch = int(sh[0].Value)
	}
	return nil
}

// Cost-only points (doc.go): calibration images, bounds on the synthetic
// input.
const (
	costOnlyCalib     = 2
	costOnlyMaxBatch  = 64
	maxCostOnlySample = 1 << 24
)

// costOnlyCalibImages is the number of synthetic calibration images of a
// cost-only point: min(quant calib, costOnlyCalib), rounded up to whole runs
// of a fixed batch.
func costOnlyCalibImages(calib, batch int) int {
	n := max(min(calib, costOnlyCalib), 1)
	return (n + batch - 1) / batch * batch
}

// syntheticInput returns n samples of the given shape filled with the
// reference pattern of testmodels.ReferenceInput over the flat index i of
// the whole batch:
//
//	x[i] = ((i mod 251)/250 - 0.5)·2   (float32, in [-1, 1])
//
// so sample 0 is exactly the input whose logits testmodels/manifest.json
// records for its benchmark models, and the following samples are the same
// ramp shifted (the sample size is rarely a multiple of 251).
func syntheticInput(image []int, n int) *importer.Tensor {
	t := &importer.Tensor{DType: importer.Float, Shape: append([]int{n}, image...)}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = (float32(i%251)/250 - 0.5) * 2
	}
	return t
}

func fmtDim(d importer.Dim) string {
	switch {
	case d.Param != "":
		return d.Param
	case d.Value > 0:
		return fmt.Sprint(d.Value)
	}
	return "?"
}

func fmtShape(sh []importer.Dim) string {
	s := make([]string, len(sh))
	for i, d := range sh {
		s[i] = fmtDim(d)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// network quantizes pc's model at pc.Prune once and computes its golden
// predictions. Calibration runs on the MNIST calibration subset, which is
// disjoint from the test images; a cost-only model is calibrated on
// synthetic inputs (syntheticInput) and has no golden predictions.
func (e *Evaluator) network(ctx context.Context, pc *PointConfig, me *modelEntry) (*netEntry, error) {
	key := fmt.Sprintf("%s|%s|%v|%d|%d|%g|%t|%s|%p", pc.Model, pc.ModelHash, constHashes(pc.Consts), me.first, me.n, pc.Prune, pc.Finetuned, pc.Quant, me.src)
	e.mu.Lock()
	ne, ok := e.nets[key]
	if !ok {
		ne = &netEntry{}
		e.nets[key] = ne
	}
	// LRU: most recent last; drop the oldest beyond keep (running
	// evaluations hold their own reference).
	e.order = touchLRU(e.order, key, e.keep, func(k string) { delete(e.nets, k) })
	e.mu.Unlock()
	ne.once.Do(func() { ne.err = e.quantize(ctx, pc, me, ne) })
	if ne.err != nil {
		e.mu.Lock()
		if e.nets[key] == ne {
			delete(e.nets, key)
		}
		e.mu.Unlock()
	}
	return ne, ne.err
}

// mapping maps pc's scheme and sharing limit on geo once per cached
// network: the hardware variants of one geometry share it (the mapping
// depends on nothing else; the simulators only read it).
func (e *Evaluator) mapping(pc *PointConfig, ne *netEntry, geo mapper.Geometry) (*mapEntry, error) {
	opts := mapper.Options{Scheme: pc.Scheme, MaxShare: pc.MaxShare, Workers: e.workers()}
	if e.Unshared {
		me := &mapEntry{}
		me.mp, me.bitSparsity, me.err = mapAndStats(ne.net, geo, opts)
		return me, me.err
	}
	// The other workers' points of this mapping wait for it: like
	// quantization, it uses every core (the mapping does not depend on
	// the number of workers).
	opts.Workers = runtime.GOMAXPROCS(0)
	key := fmt.Sprintf("%p|%s|%d|%+v", ne, pc.Scheme, pc.MaxShare, geo)
	e.mu.Lock()
	me, ok := e.maps[key]
	if !ok {
		me = &mapEntry{}
		e.maps[key] = me
	}
	e.mapOrder = touchLRU(e.mapOrder, key, e.keep*4, func(k string) { delete(e.maps, k) })
	e.mu.Unlock()
	me.once.Do(func() { me.mp, me.bitSparsity, me.err = mapAndStats(ne.net, geo, opts) })
	if me.err != nil {
		e.mu.Lock()
		if e.maps[key] == me {
			delete(e.maps, key)
		}
		e.mu.Unlock()
	}
	return me, me.err
}

// mapAndStats maps net and returns the mapping with its bit sparsity.
func mapAndStats(net *quant.Network, geo mapper.Geometry, opts mapper.Options) (*mapper.Mapping, float64, error) {
	mp, err := mapper.Map(net, geo, opts)
	if err != nil {
		return nil, 0, err
	}
	_, tot, err := mp.Stats()
	if err != nil {
		return nil, 0, err
	}
	return mp, tot.BitSparsity(), nil
}

// activationBound returns, per layer of ne's network, the lower bound on
// OU activations per input bit of any layout on geo in which a physical
// column serves at most share logical columns (mapper.ActivationBound;
// share 0 = any number), once per network, geometry and limit: the schemes
// of one sharing rule share it.
func (e *Evaluator) activationBound(ne *netEntry, geo mapper.Geometry, share int) []int64 {
	key := fmt.Sprintf("%p|%d|%+v", ne, share, geo)
	e.mu.Lock()
	be, ok := e.bounds[key]
	if !ok {
		be = &boundEntry{}
		e.bounds[key] = be
	}
	e.boundOrder = touchLRU(e.boundOrder, key, e.keep*4, func(k string) { delete(e.bounds, k) })
	e.mu.Unlock()
	be.once.Do(func() {
		be.layer = make([]int64, len(ne.net.Linears))
		for li, l := range ne.net.Linears {
			d := mapper.Dims{K: l.K, N: l.N, Bits: l.WBits, CellBits: geo.CellBits}
			for _, w := range l.Weights {
				be.layer[li] += mapper.ActivationBound(w, d, geo, share)
			}
		}
	})
	return be.layer
}

// boundShare is the sharing rule a scheme's layouts obey, for the lower
// bound: its limit when it shares columns, else one logical column per
// physical column.
func boundShare(scheme string, maxShare int) int {
	if mapper.UsesMaxShare(scheme) {
		return maxShare
	}
	return 1
}

// touchLRU moves key to the end of order (most recent) and drops the
// oldest keys beyond keep with drop.
func touchLRU(order []string, key string, keep int, drop func(string)) []string {
	for i, k := range order {
		if k == key {
			order = append(order[:i], order[i+1:]...)
			break
		}
	}
	order = append(order, key)
	for len(order) > keep {
		drop(order[0])
		order = order[1:]
	}
	return order
}

func (e *Evaluator) quantize(ctx context.Context, pc *PointConfig, me *modelEntry, ne *netEntry) error {
	qc := quant.DefaultConfig()
	if len(pc.Quant) > 0 {
		if err := json.Unmarshal(pc.Quant, &qc); err != nil {
			return fmt.Errorf("quant config: %w", err)
		}
	}
	qc.Prune = pc.Prune
	if pc.Finetuned { // the file is already pruned to pc.Prune
		qc.Prune = 0
	}
	// Quantization and the golden pass run once per (network, ratio) while
	// the other workers usually wait for them: they use every core.
	qc.Workers = runtime.GOMAXPROCS(0)
	if me.costOnly {
		// Only the weights shape the mapping; the activation ranges only
		// set the requantization, which changes no count.
		qc.Calib = costOnlyCalibImages(qc.Calib, me.batch)
		net, err := quant.Quantize(me.model.Graph, syntheticInput(me.image, qc.Calib), qc)
		if err != nil {
			return fmt.Errorf("%s prune %g: %w", pc.Model, pc.Prune, err)
		}
		ne.net = net
		return nil
	}
	net, _, err := me.model.Quantize([]dataset.Source{me.src.calib}, qc)
	if err != nil {
		return fmt.Errorf("%s prune %g: %w", pc.Model, pc.Prune, err)
	}
	outs, err := hwsim.Run(ctx, hwsim.OneInput(me.src.test, me.in), me.runOptions(), hwsim.GoldenStage(net, runtime.GOMAXPROCS(0)))
	if err != nil {
		return fmt.Errorf("%s prune %g: %w", pc.Model, pc.Prune, err)
	}
	ne.net, ne.golden = net, outs[0]
	return nil
}

// Evaluate computes one point: accuracy (float, golden, simulated) over the
// test images and the cost of one inference from the simulator's counts. A
// model whose input cannot take the test images gives a cost-only point
// (Point.CostOnly, doc.go): no accuracy, the cost of one synthetic image.
func (e *Evaluator) Evaluate(ctx context.Context, pc PointConfig) (*Point, error) {
	hw, err := hwsim.ParseHW(pc.HW)
	if err != nil {
		return nil, err
	}
	me, err := e.model(ctx, &pc)
	if err != nil {
		return nil, err
	}
	ne, err := e.network(ctx, &pc, me)
	if err != nil {
		return nil, err
	}
	ment, err := e.mapping(&pc, ne, hw.Geometry)
	if err != nil {
		return nil, err
	}
	mp := ment.mp
	sim, err := hwsim.Simulate(ne.net, mp, hw, hwsim.Options{Workers: e.workers(), Seed: pc.SimSeed()})
	if err != nil {
		return nil, err
	}
	var simOut *hwsim.Outputs
	var counts []hwsim.Counts
	switch {
	case pc.CostOnly:
		// A cost-only hardware variant: the counts of one inference
		// follow from the mapping (only ADC saturations depend on the
		// data, and no image is simulated, so their total is 0).
		counts, err = sim.InferenceCounts()
	case !e.Unshared && sim.ComputesGolden():
		// The simulator provably computes the golden model's products
		// for every input (lossless ideal hardware, a mapping that folds
		// back to the weights exactly): its outputs are the golden
		// outputs and its counts those of the mapping, so running the
		// images through it would give these very bytes.
		simOut = ne.golden
		counts, err = sim.InferenceCounts()
		e.shortcuts.Add(1)
	case me.costOnly:
		// One run (one image, or one fixed batch) of the synthetic input:
		// the counts of one inference, which depend only on the mapping
		// and the vectors per layer, never on the values.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := ne.net.RunWorkers(syntheticInput(me.image, me.batch), sim.MatMul, e.workers()); err != nil {
			return nil, fmt.Errorf("simulation: %w", err)
		}
		counts, err = sim.PerImage(sim.Counted(), int64(me.batch))
	default:
		outs, err := hwsim.Run(ctx, hwsim.OneInput(me.src.test, me.in), me.runOptions(), sim.Stage())
		if err != nil {
			return nil, err
		}
		simOut = outs[0]
		counts, err = sim.PerImage(sim.Counted(), int64(me.n))
	}
	if err != nil {
		return nil, err
	}
	cost, err := sim.Cost(counts)
	if err != nil {
		return nil, err
	}
	costOnly, reason, images := me.costOnly, me.reason, me.n
	if pc.CostOnly {
		costOnly, images = true, 0
		reason = strings.TrimPrefix(reason+"; ", "; ") + fmt.Sprintf("hardware variant %s is swept for its cost only: no image is simulated", pc.HWVariant)
	}
	p := &Point{
		Model: pc.Model, ModelName: pc.ModelName, Prune: pc.Prune, Finetuned: pc.Finetuned, Scheme: pc.Scheme, MaxShare: mp.MaxShare,
		XbarRows: hw.XbarRows, XbarCols: hw.XbarCols, OURows: hw.OURows, OUCols: hw.OUCols, CellBits: hw.CellBits,
		ADCBits: hw.ADCBits, Sparsity: ne.net.TotalSparsity(), BitSparsity: ment.bitSparsity, Images: images,
		CostOnly: costOnly, CostOnlyReason: reason, Saturations: cost.Counts.ADCClipped + cost.Counts.ADCTruncated,
		OUActivations: cost.Counts.OUActivations, Cycles: cost.Cycles, LatencyNS: cost.LatencyNs, PeriodNS: cost.PeriodNs,
		EnergyPJ: cost.EnergyPJ.Total, Energy: cost.EnergyPJ.Components(), AreaUM2: cost.AreaUM2.Total,
		IndexBits: cost.IndexBits, IndexEnergyPJ: cost.EnergyPJ.Get("index"), Crossbars: cost.Crossbars,
	}
	if !costOnly {
		p.AccFloat, p.AccInt, p.AccSim = me.float.Accuracy(me.labels), ne.golden.Accuracy(me.labels), simOut.Accuracy(me.labels)
		p.Agreement, p.BitExact = simOut.Top1Agreement(ne.golden), simOut.BitExact(ne.golden)
	}
	if len(ne.net.Linears) > 0 {
		p.WBits, p.ABits = ne.net.Linears[0].WBits, ne.net.Linears[0].ABits
	}
	// The bound is per input bit and vector; every OU of a layer fires
	// once per input step and vector, so a layer's activations over its
	// OUs are the factor that puts the bound in the same units.
	bound := e.activationBound(ne, hw.Geometry, boundShare(pc.Scheme, pc.MaxShare))
	for li, lc := range cost.Layers {
		if lc.OUs > 0 && li < len(bound) {
			p.OUActivationBound += bound[li] * (lc.Counts.OUActivations / int64(lc.OUs))
		}
	}
	for _, lc := range cost.Layers {
		p.Layers = append(p.Layers, LayerRow{Index: lc.Index, Name: lc.Name, OUActivations: lc.Counts.OUActivations,
			Cycles: lc.Cycles, EnergyPJ: lc.EnergyPJ.Total, Energy: lc.EnergyPJ.Components(), IndexBits: lc.IndexBits,
			IndexEnergyPJ: lc.EnergyPJ.Get("index"), Crossbars: lc.Crossbars, Columns: int64(lc.PhysicalColumns), AreaUM2: lc.AreaUM2.Total})
	}
	return p, nil
}
