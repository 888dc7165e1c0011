package quant

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/passes"
)

// ErrUnsupported is wrapped (together with importer.ErrInvalidModel) by the
// error listing the ops a model uses that have no integer implementation.
var ErrUnsupported = errors.New("not supported by the integer model")

// prepared is everything Quantize computes before choosing weight bit
// widths: the optimized, pruned float graph and its calibration ranges. It is
// reused across weight widths (the ranges do not depend on them).
type prepared struct {
	g      *importer.Graph
	opset  int64
	layers []*floatLayer
	byNode map[*importer.Node]*floatLayer
	stats  map[string]*rangeStat
	// inputNames and inShapes (per sample) are the graph inputs', in
	// graph-input order.
	inputNames []string
	inShapes   [][]int
	// lead is 1 when the ONNX batch axis is outside every value's Shape
	// (the graph keeps its samples apart), 0 when the graph is quantized at
	// batch 1 because it moves the batch axis (see atBatchOne).
	lead int
	// fusedInto maps the nodes of a decomposed LayerNorm or Gelu chain
	// (but its last) to the op they were fused into (fuse.go).
	fusedInto map[*importer.Node]*importer.Node
	cfg       Config
	// fixed holds activation encodings and fixedW weight scales given by a
	// pre-quantized (QDQ) model, by value / weight initializer name.
	fixed  map[string]actSpec
	fixedW map[string]weightSpec
	// written are the nodes of the model as given (index-aligned with it);
	// fates says what passes.Optimize did with each node it was handed
	// (those QDQ import left), keyed by the written node. Placement reads
	// them.
	written []*importer.Node
	fates   map[*importer.Node]passes.Fate
}

// actSpec is an activation encoding fixed by a QDQ model: scale, signedness
// and the real range its integer type can hold.
type actSpec struct {
	scale  float64
	signed bool
	lo, hi float64
}

// weightSpec is a weight quantization fixed by a QDQ model: one scale per
// tensor or per element along axis of the float weight.
type weightSpec struct {
	scales []float64
	axis   int
}

// Quantize prunes, calibrates and quantizes the float model m, which has
// one input. calib is a batch of preprocessed calibration inputs (first
// dimension = samples) of which the first cfg.Calib are used. m is not
// modified.
func Quantize(m *importer.Model, calib *importer.Tensor, cfg Config) (*Network, error) {
	return QuantizeInputs(m, oneBatch(calib), cfg)
}

// QuantizeInputs is Quantize for a model with any number of inputs (a
// pre-quantized QDQ model goes through QuantizeQDQ): calib[i] is the
// calibration batch of graph input i, every batch with the same number of
// samples. Each input gets its own scale and signedness from its own data.
func QuantizeInputs(m *importer.Model, calib []*importer.Tensor, cfg Config) (*Network, error) {
	if IsQDQ(m) {
		return quantizeQDQ(m, calib, cfg)
	}
	p, err := prepare(m, calib, cfg)
	if err != nil {
		return nil, err
	}
	return p.build(p.cfg)
}

// oneBatch is the calibration batches of a one-input model (nil: none).
func oneBatch(calib *importer.Tensor) []*importer.Tensor {
	if calib == nil {
		return nil
	}
	return []*importer.Tensor{calib}
}

// prepare validates cfg, optimizes and prunes a copy of m and calibrates it.
func prepare(m *importer.Model, calib []*importer.Tensor, cfg Config) (*prepared, error) {
	return prepareWith(m, calib, cfg, nil, false)
}

// prepareWith is prepare with an optional rewrite of the model copy (QDQ
// import) that returns fixed activation encodings and weight scales. calib
// may be nil only with a rewrite or when dry (Placement: nothing is
// calibrated, the input shape comes from the model).
func prepareWith(m *importer.Model, calib []*importer.Tensor, cfg Config,
	rewrite func(*importer.Model) (map[string]actSpec, map[string]weightSpec, error), dry bool) (*prepared, error) {
	return prepareAt(m, calib, cfg, rewrite, dry, false)
}

// prepareAt is prepareWith, at batch 1 when atOne (see batchone.go). A graph
// that moves the batch axis and cannot be built with the batch outside its
// values is prepared again at batch 1.
func prepareAt(m *importer.Model, calib []*importer.Tensor, cfg Config,
	rewrite func(*importer.Model) (map[string]actSpec, map[string]weightSpec, error), dry, atOne bool) (*prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("quant: no model graph")
	}
	if calib != nil {
		calib = floatBatches(calib)
		if err := checkCalib(m.Graph, calib, cfg.Calib); err != nil {
			return nil, err
		}
	} else if rewrite == nil && !dry {
		return nil, fmt.Errorf("%w: no calibration data", ErrInvalidConfig)
	}
	mc := cloneModel(m)
	p := &prepared{written: slices.Clone(mc.Graph.Nodes)}
	if rewrite != nil {
		var err error
		if p.fixed, p.fixedW, err = rewrite(mc); err != nil {
			return nil, err
		}
	}
	beforeOpt := mc.Graph.Nodes
	p.lead = 1
	if atOne {
		// the inputs' batch fixed to 1: the shape chains fold to constants
		mc.Graph.Inputs = slices.Clone(mc.Graph.Inputs)
		for i := range mc.Graph.Inputs {
			in := &mc.Graph.Inputs[i]
			in.Shape = slices.Clone(in.Shape) // the caller's model stays as it is
			in.Shape[0] = importer.Dim{Value: 1}
		}
		p.lead = 0
	}
	mc, fates, err := passes.OptimizeTraced(mc)
	if err != nil {
		return nil, err
	}
	p.fates = make(map[*importer.Node]passes.Fate, len(fates))
	for i, f := range fates {
		p.fates[beforeOpt[i]] = f
	}
	g := mc.Graph
	if len(g.Inputs) == 0 {
		return nil, fmt.Errorf("quant: %w: the model has no input", importer.ErrInvalidModel)
	}
	if err := sharedBatch(m.Graph); err != nil {
		return nil, err
	}
	if calib != nil && len(calib) != len(g.Inputs) {
		return nil, fmt.Errorf("%w: %d calibration batches for the model's %d inputs", ErrInvalidConfig, len(calib), len(g.Inputs))
	}
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("quant: %w: the model has no output", importer.ErrInvalidModel)
	}
	p.fusedInto = map[*importer.Node]*importer.Node{}
	for c, fused := range fuseDecomposed(g) {
		if c.Name == fused.Name { // the chain's last node: it is the fused op
			for w, f := range p.fates {
				if f.Node == c {
					f.Node = fused
					p.fates[w] = f
				}
			}
		} else {
			p.fusedInto[c] = fused
		}
	}
	if err := lowerLinears(g, mc.Opset()); err != nil {
		return nil, err
	}
	swapMaxPoolRelu(g)
	p.g, p.opset, p.byNode, p.cfg = g, mc.Opset(), map[*importer.Node]*floatLayer{}, cfg
	for i, gin := range g.Inputs {
		p.inputNames = append(p.inputNames, gin.Name)
		var shape []int
		if calib != nil {
			shape = slices.Clone(calib[i].Shape[1:])
			if p.lead == 0 {
				shape = append([]int{1}, shape...)
			}
		} else {
			for _, d := range gin.Shape[min(p.lead, len(gin.Shape)):] {
				if d.Value <= 0 {
					return nil, fmt.Errorf("%w: input %q has no fixed shape; pass calibration data", ErrInvalidConfig, gin.Name)
				}
				shape = append(shape, int(d.Value))
			}
		}
		p.inShapes = append(p.inShapes, shape)
	}
	if err := p.collectLayers(); err != nil {
		return nil, err
	}
	if !atOne && movesBatch(g) && batchPinnable(m.Graph) {
		if b := p.newBuilder(cfg, true); b.runDry() {
			return prepareAt(m, calib, cfg, rewrite, dry, true)
		}
	}
	if dry {
		return p, nil
	}
	prune(p.layers, cfg)
	if calib != nil {
		st, err := calibrate(g, calib, cfg.Calib, cfg.CalibMethod == CalibPercentile)
		if err != nil {
			return nil, err
		}
		p.stats = st
	}
	return p, nil
}

// sharedBatch refuses a model whose inputs cannot share the batch axis the
// integer program runs samples along: an input without axes (a scalar
// parameter), or fixed leading dimensions that differ (an input broadcast
// over the batch of another, like ONNX's [5] against [3,4,5]).
func sharedBatch(g *importer.Graph) error {
	if len(g.Inputs) < 2 {
		return nil
	}
	first := g.Inputs[0]
	for _, in := range g.Inputs {
		if in.Shape == nil {
			continue // rank unknown: the calibration data says
		}
		if len(in.Shape) == 0 {
			return fmt.Errorf("quant: %w: input %q is a scalar; every input of a model with several needs the batch as its first axis", ErrUnsupported, in.Name)
		}
		a, b := first.Shape, in.Shape
		if len(a) > 0 && a[0].Value > 0 && b[0].Value > 0 && a[0].Value != b[0].Value {
			return fmt.Errorf("quant: %w: inputs %q %s and %q %s do not share a batch axis (first dimensions %d and %d); every input needs the batch as its first axis",
				ErrUnsupported, first.Name, importer.FormatDims(a), in.Name, importer.FormatDims(b), a[0].Value, b[0].Value)
		}
	}
	return nil
}

// floatBatches returns xs with every batch of whole numbers (a bool mask,
// integer indices or bytes, held in Tensor.Int) as a float batch of the
// same values: calibration and the integer program read float batches,
// and an input of a whole-number type takes its values as they are. xs is
// not modified.
func floatBatches(xs []*importer.Tensor) []*importer.Tensor {
	out := xs
	for i, x := range xs {
		if x == nil || x.IsFloat() || len(x.Int) != x.Len() {
			continue
		}
		if &out[0] == &xs[0] {
			out = slices.Clone(xs)
		}
		out[i] = importer.NewFloat(slices.Clone(x.Shape), x.Floats())
	}
	return out
}

// checkCalib checks the calibration batches before anything runs: one
// float batch [N, ...] per graph input of g, all with the same N, holding at
// least calib samples. Errors name the input.
func checkCalib(g *importer.Graph, calib []*importer.Tensor, n int) error {
	name := func(i int) string {
		if i < len(g.Inputs) {
			return g.Inputs[i].Name
		}
		return fmt.Sprint("#", i)
	}
	for i, x := range calib {
		if x == nil || len(x.Shape) < 2 || len(x.Float) != x.Len() || x.Shape[0] == 0 {
			var shape []int
			if x != nil {
				shape = x.Shape
			}
			return fmt.Errorf("%w: calibration data of input %q must be a float batch [N, ...], have shape %v", ErrInvalidConfig, name(i), shape)
		}
		if x.Shape[0] != calib[0].Shape[0] {
			return fmt.Errorf("%w: calibration data of input %q has %d samples, of input %q %d", ErrInvalidConfig, name(i), x.Shape[0], name(0), calib[0].Shape[0])
		}
	}
	if len(calib) > 0 && n > calib[0].Shape[0] {
		return invalid("calib %d is larger than the %d calibration samples available", n, calib[0].Shape[0])
	}
	return nil
}

// collectLayers finds the Conv/Gemm/MatMul nodes with a constant weight, in
// graph order, and records their float weights and biases (pointing into the
// private copy of the graph, so pruning reaches the calibration run).
func (p *prepared) collectLayers() error {
	g := p.g
	cons := consumers(g)
	for _, n := range g.Nodes {
		if !isLinearOp(n.OpType) || len(n.Inputs) < 2 {
			continue
		}
		wt := g.Initializers[n.Inputs[1]]
		if wt == nil {
			continue // activation × activation: reported as unsupported later
		}
		if !wt.DType.IsFloat() {
			return fmt.Errorf("quant: %s: weight %q is %v, want float (pre-quantized models go through QDQ import)", nodeWhere(n), n.Inputs[1], wt.DType)
		}
		if len(wt.Float) != wt.Len() {
			return fmt.Errorf("quant: %w: %s: weight %q has %d values for shape %v", importer.ErrInvalidModel, nodeWhere(n), n.Inputs[1], len(wt.Float), wt.Shape)
		}
		f := &floatLayer{node: n, op: n.OpType, w: wt.Float}
		switch n.OpType {
		case "Conv":
			if len(wt.Shape) != 4 {
				return fmt.Errorf("quant: %w: %s: only 2-D convolutions are supported (weight %v)", ErrUnsupported, nodeWhere(n), wt.Shape)
			}
			f.cout, f.k = wt.Shape[0], wt.Shape[1]*wt.Shape[2]*wt.Shape[3]
		case "ConvTranspose":
			// [C_in, Cout/groups, k...]; the builder checks it against the input
			group := int(attrInt(n, "group", 1))
			if len(wt.Shape) < 3 || group < 1 || wt.Shape[0]%group != 0 {
				return fmt.Errorf("quant: %w: %s: weight %v with group %d", importer.ErrInvalidModel, nodeWhere(n), wt.Shape, group)
			}
			taps := 1
			for _, d := range wt.Shape[2:] {
				taps *= d
			}
			f.convT = &convTLayout{cg: wt.Shape[0] / group, mg: wt.Shape[1], taps: taps}
			f.cout, f.k = group*wt.Shape[1], wt.Shape[0]/group*taps
		case "Gemm":
			if len(wt.Shape) != 2 {
				return fmt.Errorf("quant: %w: %s: weight shape %v", importer.ErrInvalidModel, nodeWhere(n), wt.Shape)
			}
			if attrInt(n, "transA", 0) != 0 {
				return fmt.Errorf("quant: %w: %s: transA=1", ErrUnsupported, nodeWhere(n))
			}
			if attrInt(n, "transB", 0) != 0 {
				f.cout, f.k = wt.Shape[0], wt.Shape[1]
			} else {
				f.cout, f.k, f.kn = wt.Shape[1], wt.Shape[0], true
			}
		case "MatMul":
			if len(wt.Shape) != 2 {
				return fmt.Errorf("quant: %w: %s: weight must be 2-D, is %v", ErrUnsupported, nodeWhere(n), wt.Shape)
			}
			f.cout, f.k, f.kn = wt.Shape[1], wt.Shape[0], true
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			if b, ok := constFloats(g, n.Inputs[2]); ok && len(b) == f.cout {
				f.bias = b
			}
		} else if n.OpType == "MatMul" {
			if a := soleConsumer(g, cons, n.Outputs[0]); a != nil && a.OpType == "Add" {
				if b := matMulBias(g, a, n.Outputs[0], f.cout); b != nil {
					f.bias = b
				}
			}
		}
		p.layers = append(p.layers, f)
		p.byNode[n] = f
	}
	return nil
}

// matMulBias returns the constant operand of Add node a (the other operand
// being value x) when it is a per-column bias of n values.
func matMulBias(g *importer.Graph, a *importer.Node, x string, n int) []float32 {
	if len(a.Inputs) != 2 {
		return nil
	}
	other := a.Inputs[0]
	if other == x {
		other = a.Inputs[1]
	}
	t := g.Initializers[other]
	if t == nil || !t.DType.IsFloat() || len(t.Float) != n {
		return nil
	}
	for _, d := range t.Shape[:max(len(t.Shape)-1, 0)] {
		if d != 1 {
			return nil
		}
	}
	return t.Float
}

// builder turns a prepared graph into an integer Network.
type builder struct {
	p     *prepared
	cfg   Config
	g     *importer.Graph
	cons  map[string][]*importer.Node
	net   *Network
	vals  map[string]int
	done  map[*importer.Node]bool
	unsup []string
	// missing lists values that need a calibrated range when there was no
	// calibration data (QDQ import without calib).
	missing []string
	// dry: build for Placement (no calibration, go on past problems).
	dry bool
	// lead is the prepared graph's (1: the batch axis is outside every
	// value; 0: quantized at batch 1, see atBatchOne).
	lead int
	// outcomes records what each node of g became (placement.go); cur is
	// the one of the node being built.
	outcomes map[*importer.Node]*outcome
	cur      *outcome
	// shapes are the inferred shapes and shape values (shapeValues).
	shapes map[string]*interp.ValueShape
	// posts are the float post-ops (Post, PostAxis) of graph outputs a
	// trailing softmax produces, by output name.
	posts map[string]Output
}

// build quantizes weights and compiles the integer program for cfg (only
// its weight and activation settings may differ from the prepared config).
func (p *prepared) build(cfg Config) (*Network, error) {
	b := p.newBuilder(cfg, false)
	return b.run()
}

func (p *prepared) newBuilder(cfg Config, dry bool) *builder {
	b := &builder{p: p, cfg: cfg, g: p.g, cons: consumers(p.g), net: &Network{Config: cfg},
		vals: map[string]int{}, done: map[*importer.Node]bool{}, dry: dry, lead: p.lead,
		outcomes: map[*importer.Node]*outcome{}, posts: map[string]Output{}}
	for c, fused := range p.fusedInto {
		b.outcomes[c] = &outcome{into: fused}
	}
	return b
}

// wholeEncoding is the encoding of a graph input of whole numbers (type
// dt bool or integer): its values are its codes, at scale 1, so a mask
// enters as 0/1 codes the logic, Where and compare kinds take and an index
// stays exact. ok is false for a float input, one whose encoding a QDQ
// model fixes, and an integer input whose calibrated values do not fit the
// activation codes (image bytes at fewer than 8 bits): that one keeps its
// calibrated scale, as a float input does.
func (b *builder) wholeEncoding(name string, dt importer.DataType) (scale float64, signed, ok bool) {
	if !dt.IsWhole() {
		return 0, false, false
	}
	if _, fixed := b.p.fixed[name]; fixed {
		return 0, false, false
	}
	lo, hi := dt.IntRange()
	if st := b.p.stats[name]; st != nil && st.count > 0 {
		lo, hi = int64(math.Floor(st.min)), int64(math.Ceil(st.max))
	}
	signed = lo < 0
	clo, chi := codeRange(b.cfg.ABits, signed)
	if lo < int64(clo) || hi > int64(chi) {
		return 0, false, false
	}
	return 1, signed, true
}

// run compiles the integer program. A dry builder (Placement) does not stop
// at the first problem: it records every node's outcome and goes on past
// unsupported nodes (see placeholder).
func (b *builder) run() (*Network, error) {
	p := b.p
	for i, name := range p.inputNames {
		// each input is unsigned or signed by its own calibration data
		signed := true
		if st := p.stats[name]; st != nil {
			signed = st.min < 0
		}
		sx, signed, _, _ := b.encode(name, signed, math.Inf(-1), math.Inf(1))
		if s, sg, ok := b.wholeEncoding(name, b.g.Inputs[i].DType); ok {
			sx, signed = s, sg
		}
		shape := p.inShapes[i]
		if b.lead == 0 {
			// The input without its batch axis of 1, as the caller feeds
			// it and as every network's inputs are (the QDQ export and a
			// mapping file's inputs declare the batch axis in front of
			// it); the graph reads the full shape through an alias.
			shape = shape[1:]
		}
		in := Input{Value: b.newValue(name, shape, sx, signed), Name: name}
		if b.lead == 0 {
			b.batchForm(name, name, in.Value, true)
		}
		// Only integer element types are recorded (float is the zero value).
		if dt := b.g.Inputs[i].DType; dt.IsWhole() {
			in.DType = dt
		}
		b.net.Inputs = append(b.net.Inputs, in)
	}
	for _, n := range b.g.Nodes {
		if b.done[n] {
			continue
		}
		if err := b.place(n); err != nil {
			return nil, err
		}
	}
	if b.dry {
		return nil, nil
	}
	if len(b.missing) > 0 {
		return nil, fmt.Errorf("%w: no calibration data, and the model fixes no scale for %s", ErrInvalidConfig, strings.Join(b.missing, ", "))
	}
	if len(b.unsup) > 0 {
		return nil, fmt.Errorf("quant: %w: %w: %s", importer.ErrInvalidModel, ErrUnsupported, strings.Join(b.unsup, ", "))
	}
	for _, gout := range b.g.Outputs {
		v, ok := b.vals[gout.Name]
		if !ok {
			return nil, fmt.Errorf("quant: graph output %q is not produced by the integer program", gout.Name)
		}
		if b.lead == 0 {
			// the output without its batch axis, as the caller reads it
			v = b.batchForm(gout.Name, gout.Name, v, false)
		}
		o := b.posts[gout.Name] // Post and PostAxis, if a softmax is its float post-op
		o.Value, o.Name = v, gout.Name
		// Only integer element types are recorded (float is the zero value).
		dt := gout.DType
		if vi, ok := b.g.ValueInfo[gout.Name]; ok && dt == importer.Undefined {
			dt = vi.DType
		}
		if dt.IsWhole() {
			o.DType = dt
		}
		b.net.Outputs = append(b.net.Outputs, o)
	}
	for _, l := range b.net.Linears {
		l.cache = &packCache{}
	}
	if err := b.net.check(); err != nil {
		return nil, fmt.Errorf("quant: internal error: built network is inconsistent: %w", err)
	}
	return b.net, nil
}

func (b *builder) newValue(name string, shape []int, scale float64, signed bool) int {
	return b.newValueBits(name, shape, scale, signed, b.cfg.ABits)
}

// newValueBits is newValue for codes of the given width.
func (b *builder) newValueBits(name string, shape []int, scale float64, signed bool, bits int) int {
	b.net.Values = append(b.net.Values, Value{Name: name, Shape: slices.Clone(shape), Scale: scale, Signed: signed, Bits: bits})
	b.vals[name] = len(b.net.Values) - 1
	return len(b.net.Values) - 1
}

// aliasValue registers name with the encoding of value src and a new shape.
func (b *builder) aliasValue(name string, src int, shape []int) int {
	v := b.net.Values[src]
	v.Name, v.Shape = name, slices.Clone(shape)
	b.net.Values = append(b.net.Values, v)
	b.vals[name] = len(b.net.Values) - 1
	return len(b.net.Values) - 1
}

// residualBits is the code width of a residual-stream value: one that only
// the digital units read. The crossbars take activation_bits-wide inputs,
// but a digital adder or LayerNorm unit reads any width, and one scale for
// a whole tensor of A-bit codes can leave a row that is much smaller than
// the rest (a transformer's class token: its row is ~40x below the patch
// rows after the position embedding) at a code or two, which the
// LayerNorm reading it then amplifies to full size. Sums of the residual
// stream (Add, as the producer) therefore keep digitalBits-wide codes when
// every reader is another Add or a LayerNormalization; anything else (a
// crossbar, a lookup table, the network output, any value of a
// pre-quantized model) keeps A bits.
func (b *builder) residualBits(name string) int {
	readers := b.cons[name]
	if len(b.p.fixed) > 0 || len(readers) == 0 || isGraphOutput(b.g, name) {
		return b.cfg.ABits
	}
	for _, r := range readers {
		if r.OpType != "Add" && r.OpType != "LayerNormalization" {
			return b.cfg.ABits
		}
	}
	return digitalBits
}

// scaleBits is the number of significant bits kept in activation scales.
const scaleBits = 14

// shortScale rounds an activation scale to scaleBits significant bits (a
// relative change below 2^-14). Then code·s is exact in float32 for 8-bit
// codes, and so are sums of up to 4 such values and their division by a
// power of two: an exported QDQ model evaluated in float32 meets exactly the
// ties the integer AveragePool rounds (sum/4 = k+1/2), and rounds them the
// same way (ties to even).
func shortScale(s float64) float64 {
	frac, exp := math.Frexp(s)
	return math.Ldexp(math.Round(frac*(1<<scaleBits))/(1<<scaleBits), exp)
}

// encode chooses the encoding of value name: its scale, signedness and the
// output clamp in codes for real bounds [lo, hi]. The scale is range / qmax,
// the range being the calibrated maximum magnitude (or its percentile) and
// qmax 2^A-1 for unsigned and 2^(A-1)-1 for signed codes. A pre-quantized
// (QDQ) model fixes scale and signedness instead; its code range then also
// bounds the clamp (a uint8 QuantizeLinear clamps at 0 like a Relu). Scales
// are rounded to scaleBits significant bits (see shortScale), which also
// makes them exact float32 values for the QDQ export.
func (b *builder) encode(name string, signed bool, lo, hi float64) (scale float64, sgn bool, clo, chi int32) {
	return b.encodeBits(name, b.cfg.ABits, signed, lo, hi)
}

// encodeBits is encode for codes of the given width.
func (b *builder) encodeBits(name string, bits int, signed bool, lo, hi float64) (scale float64, sgn bool, clo, chi int32) {
	if f, ok := b.p.fixed[name]; ok {
		scale, signed = f.scale, f.signed
		lo, hi = math.Max(lo, f.lo), math.Min(hi, f.hi)
	} else {
		st := b.p.stats[name]
		r := 0.0
		if st != nil {
			if b.cfg.CalibMethod == CalibPercentile {
				r = st.percentile(b.cfg.Percentile)
			} else {
				r = st.maxAbs()
			}
		} else if b.p.stats == nil {
			b.missing = append(b.missing, name)
		}
		if !(r > 0) || math.IsInf(r, 0) {
			r = 1 // an all-zero value: any scale represents it exactly
		}
		qmin, qmax := codeRange(bits, signed)
		scale = shortScale(r / float64(qmax))
		if st != nil && st.count > 0 && b.dtype(name).IsWhole() && st.min >= float64(qmin) && st.max <= float64(qmax) {
			scale = 1 // whole numbers that fit the codes are their own codes
		}
	}
	clo, chi = clampCodes(lo, hi, scale, bits, signed)
	return scale, signed, clo, chi
}

func (b *builder) unsupported(n *importer.Node, why string) {
	s := nodeWhere(n)
	if why != "" {
		s += ": " + why
	}
	b.unsup = append(b.unsup, s)
	if b.cur != nil {
		if why == "" {
			why = "no integer kind for " + n.OpType
		}
		b.cur.why = append(b.cur.why, why)
	}
}

// input returns the integer value feeding input i of n.
func (b *builder) input(n *importer.Node, i int) (int, bool) {
	if i >= len(n.Inputs) {
		return 0, false
	}
	v, ok := b.vals[n.Inputs[i]]
	return v, ok
}

// integerInput is input 0 of n as an integer value; when it is not one, it
// reports n unsupported with the reason and returns false.
func (b *builder) integerInput(n *importer.Node) (int, bool) {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
	}
	return x, ok
}

func (b *builder) emit(op Op) {
	b.net.Ops = append(b.net.Ops, op)
}

// activation looks for a Relu or Clip that is the sole consumer of value
// name and can be fused as an output clamp. It returns the fused node (nil
// if none) and its output name, the clamp bounds in real units, and whether
// the result is provably non-negative.
func (b *builder) activation(name string) (fused *importer.Node, out string, lo, hi float64, nonNeg bool) {
	lo, hi = math.Inf(-1), math.Inf(1)
	c := soleConsumer(b.g, b.cons, name)
	if c == nil {
		return nil, name, lo, hi, false
	}
	switch c.OpType {
	case "Relu":
		return c, c.Outputs[0], 0, hi, true
	case "Clip":
		l, h, ok := b.clipBounds(c)
		if !ok {
			return nil, name, lo, hi, false
		}
		return c, c.Outputs[0], l, h, l >= 0
	}
	return nil, name, lo, hi, false
}

// fuseActivation fuses a Relu or Clip that follows value name (see
// activation) into the clamp of the op writing it, marking the activation
// done: it returns the name the op writes (the activation's output, or name
// when there is none), the clamp bounds in real units, and whether the
// result is known non-negative.
func (b *builder) fuseActivation(name string) (out string, lo, hi float64, nonNeg bool) {
	act, out, lo, hi, nonNeg := b.activation(name)
	if act != nil {
		b.done[act] = true
	}
	return out, lo, hi, nonNeg
}

// clampCodes converts real clamp bounds to codes of a value with scale s,
// intersected with the code range.
func clampCodes(lo, hi, s float64, bits int, signed bool) (int32, int32) {
	clo, chi := codeRange(bits, signed)
	if !math.IsInf(lo, -1) {
		clo = max(clo, clamp32(roundSat32(lo/s), clo, chi))
	}
	if !math.IsInf(hi, 1) {
		chi = min(chi, clamp32(roundSat32(hi/s), clo, chi))
	}
	return clo, chi
}

func (b *builder) node(n *importer.Node) error {
	if !(n.Domain == "" || n.Domain == "ai.onnx") {
		b.unsupported(n, "domain "+n.Domain)
		return nil
	}
	if len(n.Outputs) == 0 {
		return nil
	}
	if b.lead == 0 {
		if why := b.adaptInputs(n); why != "" {
			b.unsupported(n, why)
			return nil
		}
	}
	if f := b.p.byNode[n]; f != nil {
		return b.linear(n, f)
	}
	if b.isShapeArithmetic(n) {
		if b.cur != nil {
			b.cur.folded = "shape arithmetic: its values follow from the static shapes"
		}
		return nil
	}
	if build := builders[n.OpType]; build != nil {
		return build(b, n)
	}
	if _, _, ok, _ := interp.PointwiseFunc(n); ok {
		return b.lut(n)
	}
	if isLinearOp(n.OpType) {
		b.unsupported(n, "no constant weight: a product of two activations cannot be programmed into RRAM, and no digital integer kind takes it")
		return nil
	}
	b.unsupported(n, "")
	return nil
}
