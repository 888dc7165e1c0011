package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

func init() {
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		register(op, 2, 2, compileBinary, shapeBinary)
	}
	// The float32 product floatRow computes for Mul.
	registerGate("Mul", func(dst, a, b []float32) { floatRow(opMul, dst, a, 0, 1, b, 0, 1) })
	registerResidualAdd("Add")
	register("Relu", 1, 1, compileRelu, shapeSame)
	registerEpilogue("Relu", func(*compileCtx, *importer.Node) epilogue {
		return func(v []float32) { reluSlice(v, v) }
	})
	registerPointwise("Sigmoid", true, fixedPointwise(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }))
	registerPointwise("Tanh", false, fixedPointwise(math.Tanh))
	registerPointwise("Neg", false, fixedPointwise(func(x float64) float64 { return -x }))
	registerPointwise("Abs", true, fixedPointwise(math.Abs))
	registerPointwise("Exp", true, fixedPointwise(math.Exp))
	registerPointwise("Sqrt", false, fixedPointwise(math.Sqrt))
	registerPointwise("Reciprocal", false, fixedPointwise(func(x float64) float64 { return 1 / x }))
	registerPointwise("LeakyRelu", false, func(n *importer.Node) (func(float64) float64, error) {
		a, err := floatAttrs(n, []string{"alpha"}, 0.01)
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}, nil
	})
	register("Clip", 1, 3, compileClip, shapeSame)
	registerEpilogue("Clip", clipEpilogue)
	register("Identity", 1, 1, compileIdentity, shapeIdentity)
	register("Dropout", 1, 3, compileDropout, shapeDropout)
	register("Cast", 1, 1, compileCast, shapeCast)
}

func compileUnary(f func(float32) float32) func(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(c *compileCtx, n *importer.Node) (kernel, error) {
		return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
			x := ins[0]
			if err := needFloat(x, "input"); err != nil {
				return nil, err
			}
			out := ar.newFloat(x.Shape)
			mapParallel(out.Float, x.Float, f, numWorkers())
			return one(out), nil
		}, nil
	}
}

// compileRelu: max(x, 0), NaN propagating, in a loop the compiler keeps
// tight (Relu runs after nearly every Conv).
func compileRelu(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input"); err != nil {
			return nil, err
		}
		out := ar.newFloat(x.Shape)
		reluParallel(out.Float, x.Float, numWorkers())
		return one(out), nil
	}, nil
}

// Clip: before opset 11 min/max are attributes, from 11 optional inputs.
func compileClip(c *compileCtx, n *importer.Node) (kernel, error) {
	lo, hi, err := clipAttrBounds(c, n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		l, h, err := clipBounds(lo, hi, ins[1:])
		if err != nil {
			return nil, err
		}
		if x.IsFloat() {
			out := ar.newFloat(x.Shape)
			clampParallel(out.Float, x.Float, l, h, numWorkers())
			return one(out), nil
		}
		out := &importer.Tensor{DType: x.DType, Shape: append([]int(nil), x.Shape...), Int: make([]int64, len(x.Int))}
		for i, v := range x.Int {
			if float32(v) < l {
				v = int64(l)
			}
			if float32(v) > h {
				v = int64(h)
			}
			out.Int[i] = v
		}
		return one(out), nil
	}, nil
}

// clipAttrBounds returns the bounds of a Clip before opset 11 from its
// attributes, otherwise ±Inf (the defaults of the omitted inputs).
func clipAttrBounds(c *compileCtx, n *importer.Node) (lo, hi float32, err error) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	if c.opset < 11 && len(n.Inputs) == 1 {
		if lo, err = n.AttrFloat("min", lo); err != nil {
			return 0, 0, err
		}
		if hi, err = n.AttrFloat("max", hi); err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

// clipBounds overrides lo and hi with Clip's min and max inputs (nil or
// absent: kept).
func clipBounds(lo, hi float32, bounds []*importer.Tensor) (float32, float32, error) {
	for i, p := range []*float32{&lo, &hi} {
		if i < len(bounds) && bounds[i] != nil {
			b := bounds[i]
			if len(b.Shape) != 0 && b.Len() != 1 {
				return 0, 0, fmt.Errorf("clip bound %d must be a scalar, have shape %v", i+1, b.Shape)
			}
			if b.Len() != 1 {
				return 0, 0, fmt.Errorf("clip bound %d is empty", i+1)
			}
			if b.IsFloat() {
				*p = b.Float[0]
			} else {
				*p = float32(b.Int[0])
			}
		}
	}
	return lo, hi, nil
}

// clipEpilogue is the fused form of a Clip whose bounds are known when
// compiling (attributes or initializers); nil when a bound is computed at
// run time or is invalid (the unfused kernel then reports it).
func clipEpilogue(c *compileCtx, n *importer.Node) epilogue {
	lo, hi, err := clipAttrBounds(c, n)
	if err != nil {
		return nil
	}
	var bounds []*importer.Tensor
	for i := 1; i < len(n.Inputs); i++ {
		if n.Inputs[i] == "" {
			bounds = append(bounds, nil)
			continue
		}
		b := c.constInput(n, i)
		if b == nil {
			return nil
		}
		bounds = append(bounds, b)
	}
	if lo, hi, err = clipBounds(lo, hi, bounds); err != nil {
		return nil
	}
	return func(v []float32) { clampSlice(v, v, lo, hi) }
}

func compileIdentity(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) { return one(ins[0]), nil }, nil
}

// Dropout at inference is the identity; the optional mask output is all ones
// (true). From opset 12 the training_mode input may switch it to training,
// where it zeroes a random ratio of the values: that is refused, never run as
// the identity, unless the ratio is 0 (then training is the identity too).
func compileDropout(c *compileCtx, n *importer.Node) (kernel, error) {
	wantMask := len(n.Outputs) > 1 && n.Outputs[1] != ""
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		if len(ins) > 2 && ins[2] != nil && ins[2].Len() > 0 && ins[2].Floats()[0] != 0 {
			ratio := float32(0.5) // the ONNX default
			if ins[1] != nil && ins[1].Len() > 0 {
				ratio = ins[1].Floats()[0]
			}
			if ratio != 0 {
				return nil, fmt.Errorf("training_mode is true with ratio %g: training-mode Dropout (random masking) is not supported, only inference", ratio)
			}
		}
		if !wantMask {
			return one(ins[0]), nil
		}
		m := &importer.Tensor{DType: importer.Bool, Shape: append([]int(nil), ins[0].Shape...), Int: make([]int64, ins[0].Len())}
		for i := range m.Int {
			m.Int[i] = 1
		}
		return []*importer.Tensor{ins[0], m}, nil
	}, nil
}

func compileCast(c *compileCtx, n *importer.Node) (kernel, error) {
	to, err := n.AttrInt("to", 0)
	if err != nil {
		return nil, err
	}
	dt := importer.DataType(to)
	switch dt {
	case importer.Float, importer.Double, importer.Float16, importer.BFloat16, importer.Int8, importer.Uint8, importer.Int16, importer.Uint16, importer.Int32, importer.Uint32, importer.Int64, importer.Uint64, importer.Bool:
	default:
		return nil, fmt.Errorf("cast to element type %d is not supported", to)
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		return one(castTensor(ins[0], dt)), nil
	}, nil
}

// castTensor converts x to element type dt with ONNX Cast semantics: floats
// to integers truncate toward zero, integers wrap to the target width, any
// non-zero value becomes true, float16/bfloat16 round to nearest even.
func castTensor(x *importer.Tensor, dt importer.DataType) *importer.Tensor {
	out := &importer.Tensor{DType: dt, Shape: append([]int(nil), x.Shape...)}
	if dt.IsFloat() {
		out.Float = make([]float32, x.Len())
		if x.IsFloat() {
			copy(out.Float, x.Float)
		} else {
			for i, v := range x.Int {
				if x.DType == importer.Uint64 {
					out.Float[i] = float32(uint64(v))
				} else {
					out.Float[i] = float32(v)
				}
			}
		}
		switch dt {
		case importer.Float16:
			for i, v := range out.Float {
				out.Float[i] = roundHalf(v)
			}
		case importer.BFloat16:
			for i, v := range out.Float {
				out.Float[i] = roundBFloat16(v)
			}
		}
		return out
	}
	out.Int = make([]int64, x.Len())
	if x.IsFloat() {
		for i, v := range x.Float {
			if dt == importer.Bool {
				if v != 0 {
					out.Int[i] = 1
				}
				continue
			}
			out.Int[i] = wrapInt(floatToInt(v), dt)
		}
		return out
	}
	for i, v := range x.Int {
		if dt == importer.Bool {
			if v != 0 {
				out.Int[i] = 1
			}
			continue
		}
		out.Int[i] = wrapInt(v, dt)
	}
	return out
}

// floatToInt truncates toward zero, saturating out-of-range values and
// mapping NaN to 0 (Go's conversion is implementation-defined there).
func floatToInt(v float32) int64 {
	switch {
	case v != v:
		return 0
	case v >= 9.223372e18:
		return math.MaxInt64
	case v <= -9.223372e18:
		return math.MinInt64
	}
	return int64(v)
}

// wrapInt reduces v to the range of integer type dt (two's complement wrap).
func wrapInt(v int64, dt importer.DataType) int64 {
	switch dt {
	case importer.Int8:
		return int64(int8(v))
	case importer.Uint8:
		return int64(uint8(v))
	case importer.Int16:
		return int64(int16(v))
	case importer.Uint16:
		return int64(uint16(v))
	case importer.Int32:
		return int64(int32(v))
	case importer.Uint32:
		return int64(uint32(v))
	}
	return v
}

// roundHalf rounds v to the nearest float16 value (ties to even) and returns
// it as float32.
func roundHalf(v float32) float32 {
	if v != v || math.IsInf(float64(v), 0) {
		return v
	}
	a := math.Abs(float64(v))
	if a >= 65520 { // rounds to infinity in float16
		return float32(math.Copysign(math.Inf(1), float64(v)))
	}
	// Quantum: 2^(e-10) for normal numbers, 2^-24 for subnormals.
	e := math.Floor(math.Log2(a))
	if a == 0 {
		return v
	}
	if e < -14 {
		e = -14
	}
	q := math.Ldexp(1, int(e)-10)
	r := math.RoundToEven(a/q) * q
	return float32(math.Copysign(r, float64(v)))
}

// roundBFloat16 rounds v to bfloat16 (8 mantissa bits, ties to even).
func roundBFloat16(v float32) float32 {
	if v != v {
		return v
	}
	b := math.Float32bits(v)
	b += 0x7FFF + (b>>16)&1
	return math.Float32frombits(b &^ 0xFFFF)
}

// ---------------------------------------------------------------------------
// Binary arithmetic with multidirectional (numpy) broadcasting.

type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
)

func compileBinary(c *compileCtx, n *importer.Node) (kernel, error) {
	var op binOp
	switch n.OpType {
	case "Add":
		op = opAdd
	case "Sub":
		op = opSub
	case "Mul":
		op = opMul
	case "Div":
		op = opDiv
	}
	// Opset < 7 used axis/broadcast attributes for limited broadcasting;
	// rramc reads opset >= 7 only, where numpy rules apply.
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		out, err := binary(ar, op, ins[0], ins[1])
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}, nil
}

// binary applies op elementwise with broadcasting.
func binary(ar *arena, op binOp, a, b *importer.Tensor) (*importer.Tensor, error) {
	if a.IsFloat() != b.IsFloat() {
		return nil, fmt.Errorf("operands have different element types %s and %s", a, b)
	}
	shape, err := importer.BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	if _, err := importer.CheckNumElements(shape); err != nil {
		return nil, err
	}
	if a.IsFloat() {
		out := ar.newFloat(shape)
		broadcastLoopParallel(a.Shape, b.Shape, shape, numWorkers(), func(o, ia, sa, ib, sb, cnt int) {
			floatRow(op, out.Float[o:o+cnt], a.Float, ia, sa, b.Float, ib, sb)
		})
		return out, nil
	}
	out := &importer.Tensor{DType: a.DType, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
	var divErr error
	broadcastLoop(a.Shape, b.Shape, shape, func(o, ia, sa, ib, sb, cnt int) {
		dst := out.Int[o : o+cnt]
		for i := range dst {
			x, y := a.Int[ia+i*sa], b.Int[ib+i*sb]
			switch op {
			case opAdd:
				dst[i] = x + y
			case opSub:
				dst[i] = x - y
			case opMul:
				dst[i] = x * y
			case opDiv:
				if y == 0 {
					divErr = fmt.Errorf("integer division by zero")
					continue
				}
				dst[i] = x / y
			}
		}
	})
	if divErr != nil {
		return nil, divErr
	}
	if out.DType != importer.Int64 {
		for i, v := range out.Int {
			out.Int[i] = wrapInt(v, out.DType)
		}
	}
	return out, nil
}

func floatRow(op binOp, dst, a []float32, ia, sa int, b []float32, ib, sb int) {
	switch {
	case sa == 1 && sb == 1:
		x, y := a[ia:ia+len(dst)], b[ib:ib+len(dst)]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x[i] + y[i]
			}
		case opSub:
			for i := range dst {
				dst[i] = x[i] - y[i]
			}
		case opMul:
			for i := range dst {
				dst[i] = x[i] * y[i]
			}
		case opDiv:
			for i := range dst {
				dst[i] = x[i] / y[i]
			}
		}
	case sa == 1 && sb == 0:
		x, y := a[ia:ia+len(dst)], b[ib]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x[i] + y
			}
		case opSub:
			for i := range dst {
				dst[i] = x[i] - y
			}
		case opMul:
			for i := range dst {
				dst[i] = x[i] * y
			}
		case opDiv:
			for i := range dst {
				dst[i] = x[i] / y
			}
		}
	default:
		for i := range dst {
			x, y := a[ia+i*sa], b[ib+i*sb]
			switch op {
			case opAdd:
				dst[i] = x + y
			case opSub:
				dst[i] = x - y
			case opMul:
				dst[i] = x * y
			case opDiv:
				dst[i] = x / y
			}
		}
	}
}

// broadcastLoop walks the output of broadcasting shapes as and bs to out
// row by row. It first merges adjacent dims that broadcast the same way, so
// that e.g. [N,C,H,W] + [C,1,1] becomes rows of H·W with a constant b. For
// each row it calls fn(outOffset, aOffset, aStride, bOffset, bStride, count).
func broadcastLoop(as, bs, out []int, fn func(o, ia, sa, ib, sb, cnt int)) {
	w := newBroadcastWalk(as, bs, out)
	w.run(0, w.total, fn)
}

// broadcastLoopParallel is broadcastLoop with the output split into
// contiguous element ranges across up to workers goroutines (one when the
// output is under two elementwiseGrain); a row crossing a range boundary is
// cut in two. fn must write only its output range.
func broadcastLoopParallel(as, bs, out []int, workers int, fn func(o, ia, sa, ib, sb, cnt int)) {
	w := newBroadcastWalk(as, bs, out)
	parallelElementwise(w.total, workers, func(lo, hi int) { w.run(lo, hi, fn) })
}

// broadcastWalk is the merged iteration space of one broadcast: dims (the
// last is the row) and each operand's stride per dim.
type broadcastWalk struct {
	dims, da, db []int
	total        int
}

func newBroadcastWalk(as, bs, out []int) broadcastWalk {
	rank := len(out)
	sta := broadcastStrides(as, out)
	stb := broadcastStrides(bs, out)
	// Merge dims: dims i-1 and i merge when both operands' strides are
	// contiguous across them (stride[i-1] == stride[i]*out[i]).
	var w broadcastWalk
	for i := 0; i < rank; i++ {
		if out[i] == 1 {
			continue
		}
		if k := len(w.dims) - 1; k >= 0 && w.da[k] == sta[i]*out[i] && w.db[k] == stb[i]*out[i] {
			w.dims[k] *= out[i]
			w.da[k], w.db[k] = sta[i], stb[i]
			continue
		}
		w.dims = append(w.dims, out[i])
		w.da = append(w.da, sta[i])
		w.db = append(w.db, stb[i])
	}
	w.total = importer.NumElements(out)
	return w
}

// run calls fn over the output elements [e0, e1), row by row.
func (w *broadcastWalk) run(e0, e1 int, fn func(o, ia, sa, ib, sb, cnt int)) {
	if e0 >= e1 {
		return
	}
	if len(w.dims) == 0 {
		fn(0, 0, 0, 0, 0, 1)
		return
	}
	last := len(w.dims) - 1
	cnt, sa, sb := w.dims[last], w.da[last], w.db[last]
	// The multi-index of e0's row, and the operands' offsets at e0.
	idx := make([]int, last)
	ia, ib := 0, 0
	r := e0 / cnt
	for d := last - 1; d >= 0; d-- {
		idx[d] = r % w.dims[d]
		r /= w.dims[d]
		ia += idx[d] * w.da[d]
		ib += idx[d] * w.db[d]
	}
	o, skip := e0-e0%cnt, e0%cnt
	for o < e1 {
		n := min(cnt, e1-o) - skip
		fn(o+skip, ia+skip*sa, sa, ib+skip*sb, sb, n)
		skip = 0
		o += cnt
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			ia += w.da[d]
			ib += w.db[d]
			if idx[d] < w.dims[d] {
				break
			}
			ia -= w.da[d] * w.dims[d]
			ib -= w.db[d] * w.dims[d]
			idx[d] = 0
		}
	}
}

// shapeIdentity is the shape rule of Identity.
func shapeIdentity(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	return []*ValueShape{x}, nil
}

// shapeDropout is the shape rule of Dropout.
func shapeDropout(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	m := same(x)
	m.DType = importer.Bool
	return []*ValueShape{x, m}, nil
}

// shapeCast is the shape rule of Cast.
func shapeCast(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	to, _ := n.AttrInt("to", 0)
	o := same(x)
	o.DType = importer.DataType(to)
	if x.Vals != nil && importer.DataType(to) == importer.Int64 && !x.DType.IsFloat() {
		o.Vals = x.Vals
	}
	return []*ValueShape{o}, nil
}

// shapeBinary is the shape rule of Add, Sub, Mul, Div.
func shapeBinary(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	return []*ValueShape{inferBinary(n.OpType, x, sc.in(1))}, nil
}
