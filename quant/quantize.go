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
	g         *importer.Graph
	opset     int64
	layers    []*floatLayer
	byNode    map[*importer.Node]*floatLayer
	stats     map[string]*rangeStat
	inputName string
	inShape   []int // per sample
	cfg       Config
	// fixed holds activation encodings and fixedW weight scales given by a
	// pre-quantized (QDQ) model, by value / weight initializer name.
	fixed  map[string]actSpec
	fixedW map[string]weightSpec
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

// Quantize prunes, calibrates and quantizes the float model m. calib is a
// batch of preprocessed calibration inputs (first dimension = samples) of
// which the first cfg.Calib are used. m is not modified.
func Quantize(m *importer.Model, calib *importer.Tensor, cfg Config) (*Network, error) {
	p, err := prepare(m, calib, cfg)
	if err != nil {
		return nil, err
	}
	return p.build(p.cfg)
}

// prepare validates cfg, optimizes and prunes a copy of m and calibrates it.
func prepare(m *importer.Model, calib *importer.Tensor, cfg Config) (*prepared, error) {
	return prepareWith(m, calib, cfg, nil)
}

// prepareWith is prepare with an optional rewrite of the model copy (QDQ
// import) that returns fixed activation encodings and weight scales. calib
// may be nil only with a rewrite.
func prepareWith(m *importer.Model, calib *importer.Tensor, cfg Config,
	rewrite func(*importer.Model) (map[string]actSpec, map[string]weightSpec, error)) (*prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("quant: no model graph")
	}
	if calib != nil {
		if len(calib.Shape) < 2 || len(calib.Float) != calib.Len() || calib.Shape[0] == 0 {
			return nil, fmt.Errorf("%w: calibration data must be a float batch [N, ...], have shape %v", ErrInvalidConfig, calib.Shape)
		}
		if cfg.Calib > calib.Shape[0] {
			return nil, invalid("calib %d is larger than the %d calibration samples available", cfg.Calib, calib.Shape[0])
		}
	} else if rewrite == nil {
		return nil, fmt.Errorf("%w: no calibration data", ErrInvalidConfig)
	}
	mc := cloneModel(m)
	p := &prepared{}
	if rewrite != nil {
		var err error
		if p.fixed, p.fixedW, err = rewrite(mc); err != nil {
			return nil, err
		}
	}
	mc, err := passes.Optimize(mc)
	if err != nil {
		return nil, err
	}
	g := mc.Graph
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("quant: %w: the model has %d inputs; the integer model takes exactly one", importer.ErrInvalidModel, len(g.Inputs))
	}
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("quant: %w: the model has no output", importer.ErrInvalidModel)
	}
	swapMaxPoolRelu(g)
	p.g, p.opset, p.byNode, p.inputName, p.cfg = g, mc.Opset(), map[*importer.Node]*floatLayer{}, g.Inputs[0].Name, cfg
	if calib != nil {
		p.inShape = slices.Clone(calib.Shape[1:])
	} else {
		for _, d := range g.Inputs[0].Shape[min(1, len(g.Inputs[0].Shape)):] {
			if d.Value <= 0 {
				return nil, fmt.Errorf("%w: input %q has no fixed shape; pass calibration data", ErrInvalidConfig, p.inputName)
			}
			p.inShape = append(p.inShape, int(d.Value))
		}
	}
	if err := p.collectLayers(); err != nil {
		return nil, err
	}
	prune(p.layers, cfg)
	if calib != nil {
		st, err := calibrate(g, p.inputName, calib, cfg.Calib, cfg.CalibMethod == CalibPercentile)
		if err != nil {
			return nil, err
		}
		p.stats = st
	}
	return p, nil
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
}

// build quantizes weights and compiles the integer program for cfg (only
// its weight and activation settings may differ from the prepared config).
func (p *prepared) build(cfg Config) (*Network, error) {
	b := &builder{p: p, cfg: cfg, g: p.g, cons: consumers(p.g), net: &Network{Config: cfg},
		vals: map[string]int{}, done: map[*importer.Node]bool{}}
	signed := true
	if st := p.stats[p.inputName]; st != nil {
		signed = st.min < 0
	}
	sx, signed, _, _ := b.encode(p.inputName, signed, math.Inf(-1), math.Inf(1))
	b.net.Input = b.newValue(p.inputName, p.inShape, sx, signed)
	b.net.InputName = p.inputName
	for _, n := range b.g.Nodes {
		if b.done[n] {
			continue
		}
		if err := b.node(n); err != nil {
			return nil, err
		}
	}
	if len(b.missing) > 0 {
		return nil, fmt.Errorf("%w: no calibration data, and the model fixes no scale for %s", ErrInvalidConfig, strings.Join(b.missing, ", "))
	}
	if len(b.unsup) > 0 {
		return nil, fmt.Errorf("quant: %w: %w: %s", importer.ErrInvalidModel, ErrUnsupported, strings.Join(b.unsup, ", "))
	}
	outName := b.g.Outputs[0].Name
	o, ok := b.vals[outName]
	if !ok {
		return nil, fmt.Errorf("quant: graph output %q is not produced by the integer program", outName)
	}
	b.net.Output, b.net.OutputName = o, outName
	for _, l := range b.net.Linears {
		l.cache = &packCache{}
	}
	if err := b.net.check(); err != nil {
		return nil, fmt.Errorf("quant: internal error: built network is inconsistent: %w", err)
	}
	return b.net, nil
}

func (b *builder) newValue(name string, shape []int, scale float64, signed bool) int {
	b.net.Values = append(b.net.Values, Value{Name: name, Shape: slices.Clone(shape), Scale: scale, Signed: signed, Bits: b.cfg.ABits})
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
		_, qmax := codeRange(b.cfg.ABits, signed)
		scale = shortScale(r / float64(qmax))
	}
	clo, chi = clampCodes(lo, hi, scale, b.cfg.ABits, signed)
	return scale, signed, clo, chi
}

func (b *builder) unsupported(n *importer.Node, why string) {
	s := nodeWhere(n)
	if why != "" {
		s += ": " + why
	}
	b.unsup = append(b.unsup, s)
}

// input returns the integer value feeding input i of n.
func (b *builder) input(n *importer.Node, i int) (int, bool) {
	if i >= len(n.Inputs) {
		return 0, false
	}
	v, ok := b.vals[n.Inputs[i]]
	return v, ok
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

// clipBounds reads Clip's min/max (attributes before opset 11, constant
// inputs after).
func (b *builder) clipBounds(n *importer.Node) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if b.p.opset < 11 {
		return float64(attrFloat(n, "min", float32(math.Inf(-1)))), float64(attrFloat(n, "max", float32(math.Inf(1)))), true
	}
	for i, dst := range []*float64{&lo, &hi} {
		if len(n.Inputs) <= i+1 || n.Inputs[i+1] == "" {
			continue
		}
		v, okc := constFloats(b.g, n.Inputs[i+1])
		if !okc || len(v) != 1 {
			return 0, 0, false
		}
		*dst = float64(v[0])
	}
	return lo, hi, true
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
	if f := b.p.byNode[n]; f != nil {
		return b.linear(n, f)
	}
	switch n.OpType {
	case "Add":
		return b.add(n)
	case "Relu":
		return b.clampOp(n, 0, math.Inf(1))
	case "Clip":
		lo, hi, ok := b.clipBounds(n)
		if !ok {
			b.unsupported(n, "non-constant bounds")
			return nil
		}
		return b.clampOp(n, lo, hi)
	case "MaxPool", "AveragePool":
		return b.pool(n)
	case "GlobalAveragePool", "GlobalMaxPool":
		return b.globalPool(n)
	case "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout":
		return b.reshape(n)
	case "Transpose":
		return b.transpose(n)
	case "Concat":
		return b.concat(n)
	case "Softmax", "LogSoftmax":
		return b.softmax(n)
	case "BatchNormalization":
		return b.batchNorm(n)
	}
	if _, _, ok, _ := interp.PointwiseFunc(n); ok {
		return b.lut(n)
	}
	if isLinearOp(n.OpType) {
		b.unsupported(n, "weight is not a constant")
		return nil
	}
	b.unsupported(n, "")
	return nil
}

// linear quantizes the weights of f and emits an OpLinear with its fused
// bias Add (MatMul) and activation.
func (b *builder) linear(n *importer.Node, f *floatLayer) error {
	in, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	inV := b.net.Values[in]
	l := &Linear{Index: len(b.net.Linears), Name: n.Name, Op: n.OpType, Groups: 1,
		WBits: b.cfg.WBits, ABits: inV.Bits, InputSigned: inV.Signed}
	if l.Name == "" {
		l.Name = fmt.Sprintf("%s_%d", n.OpType, l.Index)
	}
	for _, o := range b.net.Linears {
		if o.Name == l.Name { // names must be unique (mapping files key on them)
			l.Name = fmt.Sprintf("%s_%d", l.Name, l.Index)
			break
		}
	}
	op := Op{Kind: OpLinear, Name: l.Name, In: []int{in}, Linear: l.Index}
	var outShape []int
	bias := make([]float64, f.cout)
	alpha, beta := 1.0, 1.0
	switch n.OpType {
	case "Conv":
		wt := b.g.Initializers[n.Inputs[1]]
		groups := int(attrInt(n, "group", 1))
		if len(inV.Shape) != 3 || groups <= 0 || inV.Shape[0]%groups != 0 || f.cout%groups != 0 || wt.Shape[1]*groups != inV.Shape[0] {
			return fmt.Errorf("quant: %w: %s: input %v, weight %v, group %d do not match", importer.ErrInvalidModel, nodeWhere(n), inV.Shape, wt.Shape, groups)
		}
		win, err := window(n, inV.Shape, wt.Shape[2:])
		if err != nil {
			return err
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" && f.bias == nil {
			b.unsupported(n, "bias is not a constant vector of one value per output channel")
			return nil
		}
		l.Groups = groups
		l.K, l.N = wt.Shape[1]*wt.Shape[2]*wt.Shape[3], f.cout/groups
		op.Win = win
		outShape = []int{f.cout, win.OutH, win.OutW}
	case "Gemm":
		if len(inV.Shape) != 1 || inV.Shape[0] != f.k {
			return fmt.Errorf("quant: %w: %s: input %v per sample, weight wants %d features", importer.ErrInvalidModel, nodeWhere(n), inV.Shape, f.k)
		}
		alpha = float64(attrFloat(n, "alpha", 1))
		beta = float64(attrFloat(n, "beta", 1))
		l.K, l.N = f.k, f.cout
		outShape = []int{f.cout}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" && f.bias == nil {
			c, okc := constFloats(b.g, n.Inputs[2])
			if !okc || len(c) != 1 {
				b.unsupported(n, "bias C is not a constant vector or scalar")
				return nil
			}
			for i := range bias {
				bias[i] = float64(c[0])
			}
		}
	case "MatMul":
		if len(inV.Shape) < 1 || inV.Shape[len(inV.Shape)-1] != f.k {
			return fmt.Errorf("quant: %w: %s: input %v per sample, weight wants %d features", importer.ErrInvalidModel, nodeWhere(n), inV.Shape, f.k)
		}
		l.K, l.N = f.k, f.cout
		outShape = slices.Clone(inV.Shape)
		outShape[len(outShape)-1] = f.cout
	}
	if f.bias != nil {
		for i, v := range f.bias {
			bias[i] = float64(v) * beta
		}
	}
	out := n.Outputs[0]
	if n.OpType == "MatMul" && f.bias != nil {
		add := soleConsumer(b.g, b.cons, out)
		b.done[add] = true
		out = add.Outputs[0]
	}
	act, actOut, lo, hi, nonNeg := b.activation(out)
	if act != nil {
		b.done[act] = true
		out = actOut
	}
	sy, signed, clo, chi := b.encode(out, !nonNeg, lo, hi)
	y := b.newValue(out, outShape, sy, signed)
	op.Out = y
	op.Lo, op.Hi = clo, chi

	// weights: per output channel c, scale s_c = max|w_c|·alpha / (2^(B-1)-1)
	qmax := float64(int32(1)<<(b.cfg.WBits-1) - 1)
	nsc := 1
	if b.cfg.PerChannel {
		nsc = f.cout
	}
	l.WScale = make([]float64, nsc)
	for c := 0; c < f.cout; c++ {
		m := 0.0
		for kk := 0; kk < f.k; kk++ {
			m = math.Max(m, math.Abs(float64(f.w[f.index(c, kk)])*alpha))
		}
		if nsc > 1 {
			l.WScale[c] = m
		} else {
			l.WScale[0] = math.Max(l.WScale[0], m)
		}
	}
	for i, m := range l.WScale {
		if m > 0 {
			l.WScale[i] = float64(float32(m / qmax))
		} else {
			l.WScale[i] = 1
		}
	}
	if ws, ok := b.p.fixedW[n.Inputs[1]]; ok {
		// pre-quantized weights keep their scales; the codes round back exactly
		wantAxis := 0
		if f.kn {
			wantAxis = 1
		}
		switch {
		case len(ws.scales) == 1:
			nsc = 1
		case len(ws.scales) == f.cout && ws.axis == wantAxis:
			nsc = f.cout
		default:
			return fmt.Errorf("quant: %w: %s: weight %q has %d scales along axis %d; the crossbar needs one per tensor or per output channel (axis %d)",
				ErrUnsupported, nodeWhere(n), n.Inputs[1], len(ws.scales), ws.axis, wantAxis)
		}
		l.WScale = make([]float64, nsc)
		for i := range l.WScale {
			l.WScale[i] = ws.scales[i] * math.Abs(alpha)
		}
	}
	l.Weights = make([][]int32, l.Groups)
	for g := range l.Weights {
		l.Weights[g] = make([]int32, l.K*l.N)
	}
	zeros, pruned := 0, 0
	for c := 0; c < f.cout; c++ {
		s := l.WScale[min(c, nsc-1)]
		g, nn := c/l.N, c%l.N
		wg := l.Weights[g]
		for kk := 0; kk < f.k; kk++ {
			w := float64(f.w[f.index(c, kk)]) * alpha
			if w == 0 {
				pruned++
			}
			q := clamp32(roundSat32(w/s), int32(-qmax-1), int32(qmax))
			if q == 0 {
				zeros++
			}
			wg[kk*l.N+nn] = q
		}
	}
	// bias at scale s_x·s_c; requantization by s_x·s_c/s_y
	op.Bias = make([]int32, f.cout)
	op.Mult = make([]Multiplier, nsc)
	for c := range op.Bias {
		op.Bias[c] = roundSat32(bias[c] / (inV.Scale * l.WScale[min(c, nsc-1)]))
	}
	for i, s := range l.WScale {
		op.Mult[i] = NewMultiplier(inV.Scale * s / sy)
	}
	b.net.Linears = append(b.net.Linears, l)
	b.net.Layers = append(b.net.Layers, LayerStats{Name: l.Name, Weights: f.cout * f.k, Pruned: pruned, Zeros: zeros, PrunedChannels: f.prunedCh})
	b.emit(op)
	return nil
}

// window resolves Conv or pooling geometry for an input of per-sample shape
// [C,H,W] (kernel: the Conv weight's spatial shape, nil for pooling) with
// the interpreter's window arithmetic, so the integer model's windows are
// exactly the float model's.
func window(n *importer.Node, in []int, kernel []int) (*Window, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("quant: %w: %s: input shape %v, want [C H W]", ErrUnsupported, nodeWhere(n), in)
	}
	g, err := interp.NodeWindow(n, in[0], in[1:], kernel, 1)
	if err != nil {
		return nil, fmt.Errorf("quant: %w: %s: %v", importer.ErrInvalidModel, nodeWhere(n), err)
	}
	return &Window{KH: g.KH, KW: g.KW, StrideH: g.StrideH, StrideW: g.StrideW,
		PadT: g.PadT, PadL: g.PadL, PadB: g.PadB, PadR: g.PadR, DilH: g.DilH, DilW: g.DilW,
		InC: g.InC, InH: g.InH, InW: g.InW, OutH: g.OutH, OutW: g.OutW}, nil
}

// add emits OpAdd for the sum of two integer values of the same shape.
func (b *builder) add(n *importer.Node) error {
	x, ok1 := b.input(n, 0)
	y, ok2 := b.input(n, 1)
	if !ok1 || !ok2 {
		b.unsupported(n, "operands must both be activations (constant addends are only fused after MatMul)")
		return nil
	}
	vx, vy := b.net.Values[x], b.net.Values[y]
	if !slices.Equal(vx.Shape, vy.Shape) {
		b.unsupported(n, fmt.Sprintf("broadcasting %v + %v", vx.Shape, vy.Shape))
		return nil
	}
	out := n.Outputs[0]
	act, actOut, lo, hi, nonNeg := b.activation(out)
	if act != nil {
		b.done[act] = true
		out = actOut
	}
	sy, signed, clo, chi := b.encode(out, !(nonNeg || !vx.Signed && !vy.Signed), lo, hi)
	v := b.newValue(out, vx.Shape, sy, signed)
	twice := 2 * math.Max(vx.Scale, vy.Scale)
	op := Op{Kind: OpAdd, Name: n.Name, In: []int{x, y}, Out: v,
		Mult: []Multiplier{NewMultiplier(vx.Scale / twice), NewMultiplier(vy.Scale / twice),
			NewMultiplier(twice / (float64(int64(1)<<addShift) * sy))}}
	op.Lo, op.Hi = clo, chi
	b.emit(op)
	return nil
}

// clampOp emits a standalone Relu/Clip: same scale, codes clamped.
func (b *builder) clampOp(n *importer.Node, lo, hi float64) error {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	signed := vx.Signed && lo < 0
	v := b.aliasValue(n.Outputs[0], x, vx.Shape)
	b.net.Values[v].Signed = signed
	clo, chi := clampCodes(lo, hi, vx.Scale, vx.Bits, vx.Signed)
	olo, ohi := codeRange(vx.Bits, signed)
	b.emit(Op{Kind: OpClamp, Name: n.Name, In: []int{x}, Out: v, Lo: max(clo, olo), Hi: min(chi, ohi)})
	return nil
}

func (b *builder) pool(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		b.unsupported(n, "MaxPool indices output")
		return nil
	}
	vx := b.net.Values[x]
	ks := attrInts(n, "kernel_shape")
	if len(ks) != 2 {
		return fmt.Errorf("quant: %w: %s: kernel_shape %v (2-D only)", importer.ErrInvalidModel, nodeWhere(n), ks)
	}
	w, err := window(n, vx.Shape, nil)
	if err != nil {
		return err
	}
	kind := OpMaxPool
	if n.OpType == "AveragePool" {
		kind = OpAvgPool
		w.CountIncludePad = attrInt(n, "count_include_pad", 0) != 0
	}
	v := b.aliasValue(n.Outputs[0], x, []int{vx.Shape[0], w.OutH, w.OutW})
	lo, hi := vx.Range()
	b.emit(Op{Kind: kind, Name: n.Name, In: []int{x}, Out: v, Win: w, Lo: lo, Hi: hi})
	return nil
}

func (b *builder) globalPool(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	if len(vx.Shape) < 2 {
		return fmt.Errorf("quant: %w: %s: input shape %v", importer.ErrInvalidModel, nodeWhere(n), vx.Shape)
	}
	shape := []int{vx.Shape[0]}
	for range vx.Shape[1:] {
		shape = append(shape, 1)
	}
	kind := OpGlobalAvg
	if n.OpType == "GlobalMaxPool" {
		kind = OpGlobalMax
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	lo, hi := vx.Range()
	b.emit(Op{Kind: kind, Name: n.Name, In: []int{x}, Out: v, Lo: lo, Hi: hi})
	return nil
}

// reshape handles the layout-only ops: the batch dimension must stay first
// and unchanged.
func (b *builder) reshape(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	size := vx.size()
	var shape []int
	switch n.OpType {
	case "Identity", "Dropout":
		shape = vx.Shape
	case "Flatten":
		axis := int(attrInt(n, "axis", 1))
		if axis < 0 {
			axis += len(vx.Shape) + 1
		}
		if axis != 1 {
			b.unsupported(n, fmt.Sprintf("axis %d (only 1 keeps the batch dimension)", axis))
			return nil
		}
		shape = []int{size}
	case "Reshape":
		t, okc := constInts(b.g, n.Inputs[1])
		if !okc || len(t) == 0 {
			b.unsupported(n, "shape is not a constant")
			return nil
		}
		// t[0] is the batch dimension (-1, 0, or the exported batch size).
		rest := slices.Clone(t[1:])
		known, neg := 1, -1
		for i, d := range rest {
			switch {
			case d == 0 && i+1 < len(vx.Shape)+1 && attrInt(n, "allowzero", 0) == 0:
				rest[i] = vx.Shape[i]
				known *= rest[i]
			case d == -1 && neg < 0:
				neg = i
			case d > 0:
				known *= d
			default:
				b.unsupported(n, fmt.Sprintf("target shape %v", t))
				return nil
			}
		}
		if neg >= 0 {
			if known == 0 || size%known != 0 {
				b.unsupported(n, fmt.Sprintf("target shape %v for %v per sample", t, vx.Shape))
				return nil
			}
			rest[neg] = size / known
		}
		if t[0] == -1 && neg >= 0 || t[0] > 1 {
			b.unsupported(n, fmt.Sprintf("target shape %v changes the batch dimension", t))
			return nil
		}
		shape = rest
	case "Squeeze", "Unsqueeze":
		axes := attrInts(n, "axes")
		if axes == nil && len(n.Inputs) > 1 {
			axes, _ = constInts(b.g, n.Inputs[1])
		}
		full := append([]int{-1}, vx.Shape...)
		if n.OpType == "Squeeze" {
			if axes == nil {
				for i, d := range vx.Shape {
					if d == 1 {
						axes = append(axes, i+1)
					}
				}
			}
			drop := map[int]bool{}
			for _, a := range axes {
				if a < 0 {
					a += len(full)
				}
				if a <= 0 || a >= len(full) || full[a] != 1 {
					b.unsupported(n, fmt.Sprintf("axes %v", axes))
					return nil
				}
				drop[a] = true
			}
			for i, d := range full[1:] {
				if !drop[i+1] {
					shape = append(shape, d)
				}
			}
		} else {
			r := len(full) + len(axes)
			ins := map[int]bool{}
			for _, a := range axes {
				if a < 0 {
					a += r
				}
				if a <= 0 || a >= r {
					b.unsupported(n, fmt.Sprintf("axes %v", axes))
					return nil
				}
				ins[a] = true
			}
			j := 1
			for i := 1; i < r; i++ {
				if ins[i] {
					shape = append(shape, 1)
				} else if j < len(full) {
					shape = append(shape, full[j])
					j++
				}
			}
		}
	}
	p := 1
	for _, d := range shape {
		p *= d
	}
	if p != size {
		return fmt.Errorf("quant: %w: %s: %v per sample cannot become %v", importer.ErrInvalidModel, nodeWhere(n), vx.Shape, shape)
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	b.emit(Op{Kind: OpReshape, Name: n.Name, In: []int{x}, Out: v})
	return nil
}

func (b *builder) transpose(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	perm := attrInts(n, "perm")
	r := len(vx.Shape) + 1
	if perm == nil {
		b.unsupported(n, "default perm reverses the batch dimension")
		return nil
	}
	if len(perm) != r || perm[0] != 0 {
		b.unsupported(n, fmt.Sprintf("perm %v must keep the batch axis first", perm))
		return nil
	}
	pp := make([]int, r-1)
	shape := make([]int, r-1)
	for i, p := range perm[1:] {
		if p < 1 || p >= r {
			return fmt.Errorf("quant: %w: %s: perm %v", importer.ErrInvalidModel, nodeWhere(n), perm)
		}
		pp[i] = p - 1
		shape[i] = vx.Shape[p-1]
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	b.emit(Op{Kind: OpTranspose, Name: n.Name, In: []int{x}, Out: v, Perm: pp})
	return nil
}

// concat rescales every input to the output scale max(s_i): inputs already
// at that scale pass unchanged, the others are requantized.
func (b *builder) concat(n *importer.Node) error {
	var ins []int
	for i := range n.Inputs {
		x, ok := b.input(n, i)
		if !ok {
			b.unsupported(n, "every input must be an activation")
			return nil
		}
		ins = append(ins, x)
	}
	v0 := b.net.Values[ins[0]]
	axis := int(attrInt(n, "axis", 1))
	if axis < 0 {
		axis += len(v0.Shape) + 1
	}
	if axis < 1 || axis > len(v0.Shape) {
		b.unsupported(n, fmt.Sprintf("axis %d", axis))
		return nil
	}
	shape := slices.Clone(v0.Shape)
	shape[axis-1] = 0
	sy, signed := 0.0, false
	for _, x := range ins {
		v := b.net.Values[x]
		if len(v.Shape) != len(shape) {
			return fmt.Errorf("quant: %w: %s: inputs of different rank", importer.ErrInvalidModel, nodeWhere(n))
		}
		for i := range shape {
			if i != axis-1 && v.Shape[i] != v0.Shape[i] {
				return fmt.Errorf("quant: %w: %s: input shapes %v and %v", importer.ErrInvalidModel, nodeWhere(n), v0.Shape, v.Shape)
			}
		}
		shape[axis-1] += v.Shape[axis-1]
		sy = math.Max(sy, v.Scale)
		signed = signed || v.Signed
	}
	out := b.newValue(n.Outputs[0], shape, sy, signed)
	op := Op{Kind: OpConcat, Name: n.Name, In: ins, Out: out, Axis: axis - 1}
	op.Lo, op.Hi = codeRange(b.cfg.ABits, signed)
	for _, x := range ins {
		op.Mult = append(op.Mult, NewMultiplier(b.net.Values[x].Scale/sy))
	}
	b.emit(op)
	return nil
}

// softmax becomes the float post-op when it produces the graph output.
func (b *builder) softmax(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok || n.Outputs[0] != b.g.Outputs[0].Name || b.net.Post != "" {
		b.unsupported(n, "only a final Softmax/LogSoftmax producing the graph output is supported")
		return nil
	}
	def := int64(-1)
	if b.p.opset < 13 {
		def = 1
	}
	axis := int(attrInt(n, "axis", def))
	r := len(b.net.Values[x].Shape) + 1
	if axis < 0 {
		axis += r
	}
	if b.p.opset < 13 && axis != r-1 {
		b.unsupported(n, "softmax over flattened trailing axes")
		return nil
	}
	b.net.Post, b.net.PostAxis = n.OpType, axis
	b.vals[n.Outputs[0]] = x
	return nil
}

// batchNorm handles a BatchNormalization that could not be folded into a
// preceding linear layer: y = a_c·x + b_c with a_c = γ/√(σ²+ε),
// b_c = β - μ·a_c, as OpAffine y_q = ±M_c(x_q) + round(b_c/s_y) with
// M_c = |a_c|·s_x/s_y.
func (b *builder) batchNorm(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok || len(n.Inputs) < 5 {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	var par [4][]float32
	for i := range par {
		v, okc := constFloats(b.g, n.Inputs[i+1])
		if !okc || len(vx.Shape) == 0 || len(v) != vx.Shape[0] {
			b.unsupported(n, "parameters are not constant per-channel vectors")
			return nil
		}
		par[i] = v
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	out := n.Outputs[0]
	act, actOut, lo, hi, nonNeg := b.activation(out)
	if act != nil {
		b.done[act] = true
		out = actOut
	}
	sy, signed, clo, chi := b.encode(out, !nonNeg, lo, hi)
	v := b.newValue(out, vx.Shape, sy, signed)
	c := vx.Shape[0]
	op := Op{Kind: OpAffine, Name: n.Name, In: []int{x}, Out: v, Mult: make([]Multiplier, c), Bias: make([]int32, c), Neg: make([]bool, c)}
	for i := 0; i < c; i++ {
		a := float64(par[0][i]) / math.Sqrt(float64(par[3][i])+eps)
		bb := float64(par[1][i]) - float64(par[2][i])*a
		op.Mult[i] = NewMultiplier(math.Abs(a) * vx.Scale / sy)
		op.Neg[i] = a < 0
		op.Bias[i] = roundSat32(bb / sy)
	}
	op.Lo, op.Hi = clo, chi
	b.emit(op)
	return nil
}

// lut tabulates an elementwise function over every input code:
// Table[q - q_min] = clamp(round(f(q·s_x)/s_y)).
func (b *builder) lut(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	// The function is the float interpreter's own (one definition per
	// activation); the table holds it at every input code.
	f, nonNeg, _, err := interp.PointwiseFunc(n)
	if err != nil {
		return err
	}
	sy, signed, olo, ohi := b.encode(n.Outputs[0], !nonNeg, math.Inf(-1), math.Inf(1))
	v := b.newValue(n.Outputs[0], vx.Shape, sy, signed)
	lo, hi := vx.Range()
	op := Op{Kind: OpLUT, Name: n.Name, In: []int{x}, Out: v, Lo: olo, Hi: ohi, Table: make([]int32, hi-lo+1)}
	for q := lo; q <= hi; q++ {
		y := f(float64(q) * vx.Scale)
		if math.IsNaN(y) {
			b.unsupported(n, fmt.Sprintf("%s is undefined at input %g, inside the calibrated range", n.OpType, float64(q)*vx.Scale))
			return nil
		}
		op.Table[q-lo] = clamp32(roundSat32(y/sy), olo, ohi)
	}
	b.emit(op)
	return nil
}
