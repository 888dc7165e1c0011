package interp

import (
	"math"

	"github.com/rramc/rramc/importer"
)

// Shape inference with symbolic dims.
//
// Every value gets a ValueShape: its element type, its rank when known, and
// per dim a fixed size or a symbol (the batch "N" of an input declared
// [N,1,28,28] flows through as the same symbol). Small integer tensors that
// hold shapes (outputs of Shape, Gather, Concat, Unsqueeze... on shapes) also
// carry their element values, each fixed or symbolic, so that a PyTorch
// Shape→Gather→Unsqueeze→Concat→Reshape chain can be resolved to a constant
// Reshape target once the shapes are known (see foldShapeChains).

// ValueShape is what inference knows about one value.
type ValueShape struct {
	DType importer.DataType
	Dims  []importer.Dim // nil: rank unknown
	Known bool           // rank known (Dims valid)
	Vals  []importer.Dim // values of a small int tensor (rank ≤ 1), nil when unknown
}

func intsOf(dims []importer.Dim) ([]int, bool) {
	out := make([]int, len(dims))
	for i, d := range dims {
		if d.Param != "" || d.Value < 0 {
			return nil, false
		}
		out[i] = int(d.Value)
	}
	return out, true
}

func dimsOf(shape []int) []importer.Dim {
	out := make([]importer.Dim, len(shape))
	for i, v := range shape {
		out[i] = importer.Dim{Value: int64(v)}
	}
	return out
}

// unknownDim marks a dim or shape value inference cannot express (e.g. a
// product with a symbol). It is not -1, which is a legitimate shape value
// (Reshape's "infer this dim").
var unknownDim = importer.Dim{Value: math.MinInt64}

// IsUnknownDim reports the marker of a dim inference cannot express.
func IsUnknownDim(d importer.Dim) bool { return d.Param == "" && d.Value == math.MinInt64 }

func fixed(v int) importer.Dim { return importer.Dim{Value: int64(v)} }

func dimEq(a, b importer.Dim) bool {
	if IsUnknownDim(a) || IsUnknownDim(b) {
		return false
	}
	return a == b
}

// ValueInfo converts s for storage in Graph.ValueInfo (unknown dims become
// the zero Dim, ONNX's "unknown").
func (s *ValueShape) ValueInfo(name string) importer.ValueInfo {
	vi := importer.ValueInfo{Name: name, DType: s.DType}
	if s.Known {
		vi.Shape = make([]importer.Dim, len(s.Dims))
		for i, d := range s.Dims {
			if !IsUnknownDim(d) {
				vi.Shape[i] = d
			}
		}
	}
	return vi
}

func fromValueInfo(vi importer.ValueInfo) *ValueShape {
	s := &ValueShape{DType: vi.DType}
	if vi.Shape != nil {
		s.Known = true
		s.Dims = make([]importer.Dim, len(vi.Shape))
		for i, d := range vi.Shape {
			if d.Value <= 0 && d.Param == "" {
				s.Dims[i] = unknownDim
			} else {
				s.Dims[i] = d
			}
		}
	}
	return s
}

func fromTensor(t *importer.Tensor) *ValueShape {
	s := &ValueShape{DType: t.DType, Dims: dimsOf(t.Shape), Known: true}
	if !t.IsFloat() && len(t.Shape) <= 1 && len(t.Int) <= 64 {
		s.Vals = make([]importer.Dim, len(t.Int))
		for i, v := range t.Int {
			s.Vals[i] = importer.Dim{Value: v}
		}
	}
	return s
}

// Const turns fully fixed values into a constant int64 tensor (nil when
// some value is symbolic or unknown).
func (s *ValueShape) Const() *importer.Tensor {
	if s.Vals == nil || !s.Known || len(s.Dims) > 1 {
		return nil
	}
	v := make([]int64, len(s.Vals))
	for i, d := range s.Vals {
		if d.Param != "" || IsUnknownDim(d) {
			return nil
		}
		v[i] = d.Value
	}
	shape, _ := intsOf(s.Dims)
	if importer.NumElements(shape) != len(v) {
		return nil
	}
	return &importer.Tensor{DType: s.DType, Shape: shape, Int: v}
}

// inferCtx holds shapes of all values during a pass.
type inferCtx struct {
	opset  int64
	shapes map[string]*ValueShape
	consts map[string]*importer.Tensor
}

func (c *inferCtx) get(name string) *ValueShape {
	if name == "" {
		return nil
	}
	if s, ok := c.shapes[name]; ok {
		return s
	}
	if t, ok := c.consts[name]; ok {
		s := fromTensor(t)
		c.shapes[name] = s
		return s
	}
	return nil
}

// InferShapes infers shapes for every value of g; declared ValueInfo of
// intermediate values is used when inference cannot tell. It returns the
// shapes by value name. Errors name the node (a model whose declared shapes
// contradict the operators is invalid).
func InferShapes(g *importer.Graph, opset int64) (map[string]*ValueShape, error) {
	c := &inferCtx{opset: opset, shapes: map[string]*ValueShape{}, consts: g.Initializers}
	for _, in := range g.Inputs {
		c.shapes[in.Name] = fromValueInfo(in)
	}
	for _, n := range g.Nodes {
		ins := make([]*ValueShape, len(n.Inputs))
		for i, name := range n.Inputs {
			ins[i] = c.get(name)
		}
		outs, err := inferNode(c, n, ins)
		if err != nil {
			return nil, importer.NodeError(n, err)
		}
		for i, name := range n.Outputs {
			if name == "" {
				continue
			}
			var s *ValueShape
			if i < len(outs) {
				s = outs[i]
			}
			if s == nil || !s.Known {
				if vi, ok := g.ValueInfo[name]; ok && vi.Shape != nil {
					d := fromValueInfo(vi)
					if s != nil && s.DType != importer.Undefined {
						d.DType = s.DType
					}
					s = d
				}
			}
			if s == nil {
				s = &ValueShape{}
			}
			c.shapes[name] = s
		}
	}
	return c.shapes, nil
}

func same(x *ValueShape) *ValueShape {
	if x == nil {
		return &ValueShape{}
	}
	return &ValueShape{DType: x.DType, Dims: x.Dims, Known: x.Known}
}

// shapeCtx is what an op's shape rule may consult about one node.
type shapeCtx struct {
	c   *inferCtx
	n   *importer.Node
	ins []*ValueShape
}

// in returns the shape of input i (unknown when omitted or not inferred).
func (s *shapeCtx) in(i int) *ValueShape {
	if i < len(s.ins) && s.ins[i] != nil {
		return s.ins[i]
	}
	return &ValueShape{}
}

// cst returns the constant value of input i: an initializer, or a small
// integer tensor whose values inference knows; nil otherwise.
func (s *shapeCtx) cst(i int) *importer.Tensor {
	n := s.n
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil
	}
	if t, ok := s.c.consts[n.Inputs[i]]; ok {
		return t
	}
	if v := s.in(i); v.Vals != nil {
		return v.Const()
	}
	return nil
}

// inferNode returns the output shapes of one node (nil entries: unknown)
// by the shape rule its op registered with its kernel.
func inferNode(c *inferCtx, n *importer.Node, ins []*ValueShape) ([]*ValueShape, error) {
	spec := opTable[n.OpType]
	if spec == nil || spec.shape == nil || !n.InDefaultDomain() {
		return []*ValueShape{{}}, nil
	}
	return spec.shape(&shapeCtx{c: c, n: n, ins: ins})
}

// dimProd multiplies dims; a product involving a symbol is unknown unless
// it is a single symbol times ones.
func dimProd(ds []importer.Dim) importer.Dim {
	p := int64(1)
	var sym importer.Dim
	nsym := 0
	for _, d := range ds {
		switch {
		case IsUnknownDim(d):
			return unknownDim
		case d.Param != "":
			sym = d
			nsym++
		default:
			p *= d.Value
		}
	}
	switch {
	case nsym == 0:
		return importer.Dim{Value: p}
	case nsym == 1 && p == 1:
		return sym
	}
	return unknownDim
}

// broadcastDims is BroadcastShapes over symbolic dims.
func broadcastDims(a, b []importer.Dim) []importer.Dim {
	r := max(len(a), len(b))
	out := make([]importer.Dim, r)
	for i := 0; i < r; i++ {
		da, db := fixed(1), fixed(1)
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case dimEq(da, db):
			out[i] = da
		case da == fixed(1):
			out[i] = db
		case db == fixed(1):
			out[i] = da
		case da.Param == "" && !IsUnknownDim(da):
			out[i] = da // a symbol broadcast against a fixed size must be 1 or equal
		case db.Param == "" && !IsUnknownDim(db):
			out[i] = db
		default:
			out[i] = unknownDim
		}
	}
	return out
}

func inferBinary(op string, a, b *ValueShape) *ValueShape {
	if !a.Known || !b.Known {
		return &ValueShape{DType: a.DType}
	}
	o := &ValueShape{DType: a.DType, Dims: broadcastDims(a.Dims, b.Dims), Known: true}
	// Arithmetic on shape values (e.g. batch·C computed in the graph).
	if a.Vals != nil && b.Vals != nil && !a.DType.IsFloat() {
		n := max(len(a.Vals), len(b.Vals))
		if (len(a.Vals) == n || len(a.Vals) == 1) && (len(b.Vals) == n || len(b.Vals) == 1) {
			v := make([]importer.Dim, n)
			for i := range v {
				x, y := a.Vals[min(i, len(a.Vals)-1)], b.Vals[min(i, len(b.Vals)-1)]
				v[i] = unknownDim
				if x.Param != "" || y.Param != "" || IsUnknownDim(x) || IsUnknownDim(y) {
					if op == "Mul" && y == fixed(1) {
						v[i] = x
					} else if op == "Mul" && x == fixed(1) {
						v[i] = y
					}
					continue
				}
				switch op {
				case "Add":
					v[i] = importer.Dim{Value: x.Value + y.Value}
				case "Sub":
					v[i] = importer.Dim{Value: x.Value - y.Value}
				case "Mul":
					v[i] = importer.Dim{Value: x.Value * y.Value}
				case "Div":
					if y.Value != 0 {
						v[i] = importer.Dim{Value: x.Value / y.Value}
					}
				}
			}
			o.Vals = v
		}
	}
	return o
}

func inferWindow(n *importer.Node, x, w *ValueShape) ([]*ValueShape, error) {
	isConv := n.OpType == "Conv"
	// MaxPool keeps an integer input's type; Conv and AveragePool are float.
	dt := importer.Float
	if !isConv && x.DType != importer.Undefined {
		dt = x.DType
	}
	if !x.Known || len(x.Dims) < 3 {
		return []*ValueShape{{DType: dt}}, nil
	}
	at, err := readConvAttrs(n, !isConv)
	if err != nil {
		return nil, err
	}
	out := []importer.Dim{x.Dims[0], x.Dims[1]}
	var kernel []int
	if isConv {
		if !w.Known || len(w.Dims) != len(x.Dims) {
			return []*ValueShape{{DType: dt}}, nil
		}
		out[1] = w.Dims[0]
		if k, ok := intsOf(w.Dims[2:]); ok {
			kernel = k
		}
	}
	ceil, _ := n.AttrInt("ceil_mode", 0)
	spatial := len(x.Dims) - 2
	if kernel == nil && at.kernel == nil {
		return []*ValueShape{{DType: dt, Dims: append(out, unknownDims(spatial)...), Known: true}}, nil
	}
	if spatial > 2 {
		ax, err := at.axes(spatial, kernel)
		if err != nil {
			return nil, err
		}
		sp, ok := intsOf(x.Dims[2:])
		if !ok {
			return []*ValueShape{{DType: dt, Dims: append(out, unknownDims(spatial)...), Known: true}}, nil
		}
		g, err := newWindowGeometry(1, 1, sp, ax, at.autoPad, ceil != 0)
		if err != nil {
			return nil, err
		}
		for _, o := range g.OutShape() {
			out = append(out, fixed(o))
		}
		return []*ValueShape{{DType: dt, Dims: out, Known: true}}, nil
	}
	p, err := at.params(spatial, kernel, ceil != 0)
	if err != nil {
		return nil, err
	}
	sp, ok := intsOf(x.Dims[2:])
	if !ok {
		return []*ValueShape{{DType: dt, Dims: append(out, unknownDims(spatial)...), Known: true}}, nil
	}
	h, wd := 1, sp[len(sp)-1]
	if spatial == 2 {
		h = sp[0]
	}
	g, err := NewConvGeometry(1, h, wd, 1, p)
	if err != nil {
		return nil, err
	}
	if spatial == 2 {
		out = append(out, fixed(g.OutH))
	}
	out = append(out, fixed(g.OutW))
	return []*ValueShape{{DType: dt, Dims: out, Known: true}}, nil
}

func unknownDims(n int) []importer.Dim {
	d := make([]importer.Dim, n)
	for i := range d {
		d[i] = unknownDim
	}
	return d
}

func inferMatMul(a, b *ValueShape) *ValueShape {
	if !a.Known || !b.Known || len(a.Dims) == 0 || len(b.Dims) == 0 {
		return &ValueShape{DType: importer.Float}
	}
	ad, bd := a.Dims, b.Dims
	if len(ad) == 1 {
		ad = []importer.Dim{fixed(1), ad[0]}
	}
	if len(bd) == 1 {
		bd = []importer.Dim{bd[0], fixed(1)}
	}
	out := broadcastDims(ad[:len(ad)-2], bd[:len(bd)-2])
	if len(a.Dims) > 1 {
		out = append(out, ad[len(ad)-2])
	}
	if len(b.Dims) > 1 {
		out = append(out, bd[len(bd)-1])
	}
	return &ValueShape{DType: importer.Float, Dims: out, Known: true}
}

// inferReshape resolves the target: fixed entries as given, 0 copies the
// input dim (symbol included), one -1 is the fixed remainder when the rest
// is fixed, or the input's only symbol when the fixed parts cancel out.
func inferReshape(n *importer.Node, x, s *ValueShape) *ValueShape {
	o := &ValueShape{DType: x.DType}
	if s.Vals == nil {
		if s.Known && len(s.Dims) == 1 && s.Dims[0].Param == "" && !IsUnknownDim(s.Dims[0]) {
			o.Known, o.Dims = true, unknownDims(int(s.Dims[0].Value))
		}
		return o
	}
	az, _ := n.AttrInt("allowzero", 0)
	o.Known = true
	o.Dims = make([]importer.Dim, len(s.Vals))
	neg := -1
	for i, v := range s.Vals {
		switch {
		case v.Param != "" || IsUnknownDim(v):
			o.Dims[i] = v
		case v.Value == -1:
			neg = i
		case v.Value == 0 && az == 0:
			if x.Known && i < len(x.Dims) {
				o.Dims[i] = x.Dims[i]
			} else {
				o.Dims[i] = unknownDim
			}
		default:
			o.Dims[i] = v
		}
	}
	if x.Vals != nil {
		o.Vals = x.Vals
	}
	if neg < 0 {
		return o
	}
	o.Dims[neg] = unknownDim
	if !x.Known {
		return o
	}
	// Cancel matching symbols and divide fixed sizes.
	inFixed, outFixed := int64(1), int64(1)
	var inSym, outSym []string
	for _, d := range x.Dims {
		switch {
		case IsUnknownDim(d):
			return o
		case d.Param != "":
			inSym = append(inSym, d.Param)
		default:
			inFixed *= d.Value
		}
	}
	for i, d := range o.Dims {
		if i == neg {
			continue
		}
		switch {
		case IsUnknownDim(d):
			return o
		case d.Param != "":
			outSym = append(outSym, d.Param)
		default:
			outFixed *= d.Value
		}
	}
	for _, s := range outSym {
		found := false
		for j, t := range inSym {
			if t == s {
				inSym = append(inSym[:j], inSym[j+1:]...)
				found = true
				break
			}
		}
		if !found {
			return o
		}
	}
	if outFixed == 0 || inFixed%outFixed != 0 {
		return o
	}
	rest := inFixed / outFixed
	switch {
	case len(inSym) == 0:
		o.Dims[neg] = importer.Dim{Value: rest}
	case len(inSym) == 1 && rest == 1:
		o.Dims[neg] = importer.Dim{Param: inSym[0]}
	}
	return o
}

func inferConcat(n *importer.Node, ins []*ValueShape) *ValueShape {
	if len(ins) == 0 || ins[0] == nil || !ins[0].Known {
		return &ValueShape{}
	}
	x0 := ins[0]
	axis, _ := n.AttrInt("axis", 0)
	r := len(x0.Dims)
	a, err := normAxis(axis, r)
	if err != nil {
		return &ValueShape{DType: x0.DType}
	}
	dims := append([]importer.Dim(nil), x0.Dims...)
	total := int64(0)
	var vals []importer.Dim
	valsOK := r == 1
	for _, s := range ins {
		if s == nil || !s.Known || len(s.Dims) != r {
			return &ValueShape{DType: x0.DType}
		}
		d := s.Dims[a]
		if d.Param != "" || IsUnknownDim(d) {
			total = -1
		} else if total >= 0 {
			total += d.Value
		}
		if s.Vals == nil {
			valsOK = false
		} else {
			vals = append(vals, s.Vals...)
		}
	}
	if total >= 0 {
		dims[a] = importer.Dim{Value: total}
	} else {
		dims[a] = unknownDim
	}
	o := &ValueShape{DType: x0.DType, Dims: dims, Known: true}
	if valsOK {
		o.Vals = vals
	}
	return o
}

func inferSqueeze(unsqueeze bool, x *ValueShape, axes []int64) *ValueShape {
	if !x.Known {
		return &ValueShape{DType: x.DType}
	}
	o := &ValueShape{DType: x.DType, Known: true}
	if unsqueeze {
		r := len(x.Dims) + len(axes)
		ins := make([]bool, r)
		for _, a := range axes {
			ax, err := normAxis(a, r)
			if err != nil {
				return &ValueShape{DType: x.DType}
			}
			ins[ax] = true
		}
		j := 0
		for i := 0; i < r; i++ {
			if ins[i] {
				o.Dims = append(o.Dims, fixed(1))
			} else if j < len(x.Dims) {
				o.Dims = append(o.Dims, x.Dims[j])
				j++
			}
		}
		if len(o.Dims) != r {
			return &ValueShape{DType: x.DType}
		}
		if x.Vals != nil && len(x.Dims) <= 1 && r <= 1 {
			o.Vals = x.Vals
		}
		return o
	}
	drop := make([]bool, len(x.Dims))
	if axes == nil {
		for i, d := range x.Dims {
			if d.Param != "" || IsUnknownDim(d) {
				return &ValueShape{DType: x.DType}
			}
			drop[i] = d.Value == 1
		}
	}
	for _, a := range axes {
		ax, err := normAxis(a, len(x.Dims))
		if err != nil {
			return &ValueShape{DType: x.DType}
		}
		drop[ax] = true
	}
	o.Dims = []importer.Dim{}
	for i, d := range x.Dims {
		if !drop[i] {
			o.Dims = append(o.Dims, d)
		}
	}
	if x.Vals != nil && len(o.Dims) == 0 {
		o.Vals = x.Vals
	}
	return o
}

func inferPad(n *importer.Node, x *ValueShape, cst func(int) *importer.Tensor) *ValueShape {
	if !x.Known {
		return &ValueShape{DType: x.DType}
	}
	var pads []int64
	if len(n.Inputs) > 1 {
		t := cst(1)
		if t == nil || (len(n.Inputs) > 3 && n.Inputs[3] != "") {
			return &ValueShape{DType: x.DType, Dims: unknownDims(len(x.Dims)), Known: true}
		}
		pads = t.Ints()
	} else {
		pads, _ = n.AttrInts("pads")
	}
	r := len(x.Dims)
	if len(pads) != 2*r {
		return &ValueShape{DType: x.DType}
	}
	d := make([]importer.Dim, r)
	for i, v := range x.Dims {
		p := pads[i] + pads[r+i]
		switch {
		case p == 0:
			d[i] = v
		case v.Param != "" || IsUnknownDim(v):
			d[i] = unknownDim
		default:
			d[i] = importer.Dim{Value: v.Value + p}
		}
	}
	return &ValueShape{DType: x.DType, Dims: d, Known: true}
}

func inferGather(n *importer.Node, x, idx *ValueShape, ind *importer.Tensor) *ValueShape {
	if !x.Known || !idx.Known {
		return &ValueShape{DType: x.DType}
	}
	axis, _ := n.AttrInt("axis", 0)
	a, err := normAxis(axis, len(x.Dims))
	if err != nil {
		return &ValueShape{DType: x.DType}
	}
	d := append(append(append([]importer.Dim(nil), x.Dims[:a]...), idx.Dims...), x.Dims[a+1:]...)
	o := &ValueShape{DType: x.DType, Dims: d, Known: true}
	if x.Vals != nil && a == 0 && ind != nil && len(ind.Shape) <= 1 {
		for _, i := range ind.Int {
			if i < 0 {
				i += int64(len(x.Vals))
			}
			if i < 0 || i >= int64(len(x.Vals)) {
				return o
			}
			o.Vals = append(o.Vals, x.Vals[i])
		}
	}
	return o
}

func inferSlice(n *importer.Node, x *ValueShape, cst func(int) *importer.Tensor) *ValueShape {
	if !x.Known {
		return &ValueShape{DType: x.DType}
	}
	var starts, ends, axes, steps []int64
	if len(n.Inputs) >= 3 {
		s, e := cst(1), cst(2)
		if s == nil || e == nil {
			return &ValueShape{DType: x.DType, Dims: unknownDims(len(x.Dims)), Known: true}
		}
		starts, ends = s.Ints(), e.Ints()
		if len(n.Inputs) > 3 && n.Inputs[3] != "" {
			t := cst(3)
			if t == nil {
				return &ValueShape{DType: x.DType, Dims: unknownDims(len(x.Dims)), Known: true}
			}
			axes = t.Ints()
		}
		if len(n.Inputs) > 4 && n.Inputs[4] != "" {
			t := cst(4)
			if t == nil {
				return &ValueShape{DType: x.DType, Dims: unknownDims(len(x.Dims)), Known: true}
			}
			steps = t.Ints()
		}
	} else {
		starts, _ = n.AttrInts("starts")
		ends, _ = n.AttrInts("ends")
		axes, _ = n.AttrInts("axes")
	}
	// Resolve on a stand-in shape where symbols are huge; axes touched on a
	// symbolic dim become unknown unless the slice keeps the whole dim.
	stand := make([]int, len(x.Dims))
	for i, d := range x.Dims {
		if d.Param != "" || IsUnknownDim(d) {
			stand[i] = 1 << 30
		} else {
			stand[i] = int(d.Value)
		}
	}
	shape, begin, step, err := sliceGeometry(stand, starts, ends, axes, steps)
	if err != nil {
		return &ValueShape{DType: x.DType}
	}
	d := make([]importer.Dim, len(x.Dims))
	for i := range d {
		switch {
		case shape[i] == stand[i] && begin[i] == 0 && step[i] == 1:
			d[i] = x.Dims[i]
		case stand[i] == 1<<30:
			d[i] = unknownDim
		default:
			d[i] = fixed(shape[i])
		}
	}
	o := &ValueShape{DType: x.DType, Dims: d, Known: true}
	if x.Vals != nil && len(x.Dims) == 1 && d[0].Param == "" && !IsUnknownDim(d[0]) {
		for i := 0; i < shape[0]; i++ {
			j := begin[0] + i*step[0]
			if j < 0 || j >= len(x.Vals) {
				return o
			}
			o.Vals = append(o.Vals, x.Vals[j])
		}
	}
	return o
}

// shapeSame is the rule of ops whose output has the input's type and shape
// (elementwise unary ops, Softmax, BatchNormalization).
func shapeSame(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	return []*ValueShape{same(x)}, nil
}
