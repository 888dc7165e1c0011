package importer

import (
	"fmt"
	"math"
)

// Shape inference with symbolic dims.
//
// Every value gets a symShape: its element type, its rank when known, and
// per dim a fixed size or a symbol (the batch "N" of an input declared
// [N,1,28,28] flows through as the same symbol). Small integer tensors that
// hold shapes (outputs of Shape, Gather, Concat, Unsqueeze... on shapes) also
// carry their element values, each fixed or symbolic, so that a PyTorch
// Shape→Gather→Unsqueeze→Concat→Reshape chain can be resolved to a constant
// Reshape target once the shapes are known (see foldShapeChains).

// symShape is what inference knows about one value.
type symShape struct {
	dtype DataType
	dims  []Dim // nil: rank unknown
	known bool  // rank known (dims valid)
	vals  []Dim // values of a small int tensor (rank ≤ 1), nil when unknown
}

func (s *symShape) static() bool {
	if !s.known {
		return false
	}
	for _, d := range s.dims {
		if d.Param != "" || d.Value < 0 {
			return false
		}
	}
	return true
}

func intsOf(dims []Dim) ([]int, bool) {
	out := make([]int, len(dims))
	for i, d := range dims {
		if d.Param != "" || d.Value < 0 {
			return nil, false
		}
		out[i] = int(d.Value)
	}
	return out, true
}

func dimsOf(shape []int) []Dim {
	out := make([]Dim, len(shape))
	for i, v := range shape {
		out[i] = Dim{Value: int64(v)}
	}
	return out
}

// unknownDim marks a dim or shape value inference cannot express (e.g. a
// product with a symbol). It is not -1, which is a legitimate shape value
// (Reshape's "infer this dim").
var unknownDim = Dim{Value: math.MinInt64}

func isUnknown(d Dim) bool { return d.Param == "" && d.Value == math.MinInt64 }

func fixed(v int) Dim { return Dim{Value: int64(v)} }

func dimEq(a, b Dim) bool {
	if isUnknown(a) || isUnknown(b) {
		return false
	}
	return a == b
}

// toValueInfo converts for storage in Graph.ValueInfo (unknown dims become
// the zero Dim, ONNX's "unknown").
func (s *symShape) toValueInfo(name string) ValueInfo {
	vi := ValueInfo{Name: name, DType: s.dtype}
	if s.known {
		vi.Shape = make([]Dim, len(s.dims))
		for i, d := range s.dims {
			if !isUnknown(d) {
				vi.Shape[i] = d
			}
		}
	}
	return vi
}

func fromValueInfo(vi ValueInfo) *symShape {
	s := &symShape{dtype: vi.DType}
	if vi.Shape != nil {
		s.known = true
		s.dims = make([]Dim, len(vi.Shape))
		for i, d := range vi.Shape {
			if d.Value <= 0 && d.Param == "" {
				s.dims[i] = unknownDim
			} else {
				s.dims[i] = d
			}
		}
	}
	return s
}

func fromTensor(t *Tensor) *symShape {
	s := &symShape{dtype: t.DType, dims: dimsOf(t.Shape), known: true}
	if !t.IsFloat() && len(t.Shape) <= 1 && len(t.Int) <= 64 {
		s.vals = make([]Dim, len(t.Int))
		for i, v := range t.Int {
			s.vals[i] = Dim{Value: v}
		}
	}
	return s
}

// valsTensor turns fully fixed values into a constant int64 tensor.
func valsTensor(s *symShape) *Tensor {
	if s.vals == nil || !s.known || len(s.dims) > 1 {
		return nil
	}
	v := make([]int64, len(s.vals))
	for i, d := range s.vals {
		if d.Param != "" || isUnknown(d) {
			return nil
		}
		v[i] = d.Value
	}
	shape, _ := intsOf(s.dims)
	if shapeLen(shape) != len(v) {
		return nil
	}
	return &Tensor{DType: s.dtype, Shape: shape, Int: v}
}

// inferCtx holds shapes of all values during a pass.
type inferCtx struct {
	opset  int64
	shapes map[string]*symShape
	consts map[string]*Tensor
}

func (c *inferCtx) get(name string) *symShape {
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

// inferShapes infers shapes for every value of g; declared ValueInfo of
// intermediate values is used when inference cannot tell. It returns the
// shapes by value name. Errors name the node (a model whose declared shapes
// contradict the operators is invalid).
func inferShapes(g *Graph, opset int64) (map[string]*symShape, error) {
	c := &inferCtx{opset: opset, shapes: map[string]*symShape{}, consts: g.Initializers}
	for _, in := range g.Inputs {
		c.shapes[in.Name] = fromValueInfo(in)
	}
	for _, n := range g.Nodes {
		ins := make([]*symShape, len(n.Inputs))
		for i, name := range n.Inputs {
			ins[i] = c.get(name)
		}
		outs, err := inferNode(c, n, ins)
		if err != nil {
			return nil, nodeErr(n, err)
		}
		for i, name := range n.Outputs {
			if name == "" {
				continue
			}
			var s *symShape
			if i < len(outs) {
				s = outs[i]
			}
			if s == nil || !s.known {
				if vi, ok := g.ValueInfo[name]; ok && vi.Shape != nil {
					d := fromValueInfo(vi)
					if s != nil && s.dtype != Undefined {
						d.dtype = s.dtype
					}
					s = d
				}
			}
			if s == nil {
				s = &symShape{}
			}
			c.shapes[name] = s
		}
	}
	return c.shapes, nil
}

func same(x *symShape) *symShape {
	if x == nil {
		return &symShape{}
	}
	return &symShape{dtype: x.dtype, dims: x.dims, known: x.known}
}

// inferNode returns the output shapes of one node (nil entries: unknown).
func inferNode(c *inferCtx, n *Node, ins []*symShape) ([]*symShape, error) {
	in := func(i int) *symShape {
		if i < len(ins) && ins[i] != nil {
			return ins[i]
		}
		return &symShape{}
	}
	cst := func(i int) *Tensor {
		if i >= len(n.Inputs) || n.Inputs[i] == "" {
			return nil
		}
		if t, ok := c.consts[n.Inputs[i]]; ok {
			return t
		}
		if s := in(i); s.vals != nil {
			return valsTensor(s)
		}
		return nil
	}
	x := in(0)
	switch n.OpType {
	case "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "Neg", "Abs", "Exp", "Sqrt", "Reciprocal",
		"Softmax", "LogSoftmax", "BatchNormalization":
		return []*symShape{same(x)}, nil
	case "Identity":
		return []*symShape{x}, nil
	case "Dropout":
		m := same(x)
		m.dtype = Bool
		return []*symShape{x, m}, nil
	case "Cast":
		to, _ := attrInt(n, "to", 0)
		o := same(x)
		o.dtype = DataType(to)
		if x.vals != nil && DataType(to) == Int64 && !x.dtype.IsFloat() {
			o.vals = x.vals
		}
		return []*symShape{o}, nil
	case "Add", "Sub", "Mul", "Div":
		return []*symShape{inferBinary(n.OpType, x, in(1))}, nil
	case "QuantizeLinear":
		o := same(x)
		o.dtype = Uint8
		if zp := in(2); len(n.Inputs) > 2 && n.Inputs[2] != "" && zp.dtype != Undefined {
			o.dtype = zp.dtype
		}
		return []*symShape{o}, nil
	case "DequantizeLinear":
		o := same(x)
		o.dtype = Float
		return []*symShape{o}, nil
	case "Conv", "MaxPool", "AveragePool":
		return inferWindow(n, x, in(1))
	case "GlobalAveragePool", "GlobalMaxPool":
		if !x.known || len(x.dims) < 3 {
			return []*symShape{{dtype: x.dtype}}, nil
		}
		d := append([]Dim(nil), x.dims[:2]...)
		for range x.dims[2:] {
			d = append(d, fixed(1))
		}
		return []*symShape{{dtype: x.dtype, dims: d, known: true}}, nil
	case "Gemm":
		a, b := x, in(1)
		if !a.known || !b.known || len(a.dims) != 2 || len(b.dims) != 2 {
			return []*symShape{{dtype: Float}}, nil
		}
		ta, _ := attrInt(n, "transA", 0)
		tb, _ := attrInt(n, "transB", 0)
		m, nn := a.dims[0], b.dims[1]
		if ta != 0 {
			m = a.dims[1]
		}
		if tb != 0 {
			nn = b.dims[0]
		}
		return []*symShape{{dtype: Float, dims: []Dim{m, nn}, known: true}}, nil
	case "MatMul":
		return []*symShape{inferMatMul(x, in(1))}, nil
	case "Flatten":
		if !x.known {
			return []*symShape{{dtype: x.dtype}}, nil
		}
		axis, _ := attrInt(n, "axis", 1)
		if axis < 0 {
			axis += int64(len(x.dims))
		}
		if axis < 0 || axis > int64(len(x.dims)) {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axis, len(x.dims))
		}
		return []*symShape{{dtype: x.dtype, dims: []Dim{dimProd(x.dims[:axis]), dimProd(x.dims[axis:])}, known: true}}, nil
	case "Reshape":
		return []*symShape{inferReshape(n, x, in(1))}, nil
	case "Transpose":
		if !x.known {
			return []*symShape{{dtype: x.dtype}}, nil
		}
		perm, _ := intsAttr(n, "perm")
		r := len(x.dims)
		if perm == nil {
			for i := r - 1; i >= 0; i-- {
				perm = append(perm, i)
			}
		}
		if len(perm) != r {
			return nil, fmt.Errorf("perm %v for rank %d", perm, r)
		}
		d := make([]Dim, r)
		for i, p := range perm {
			if p < 0 || p >= r {
				return nil, fmt.Errorf("perm %v out of range", perm)
			}
			d[i] = x.dims[p]
		}
		return []*symShape{{dtype: x.dtype, dims: d, known: true}}, nil
	case "Concat":
		return []*symShape{inferConcat(n, ins)}, nil
	case "Squeeze", "Unsqueeze":
		var axes []int64
		if len(n.Inputs) > 1 && n.Inputs[1] != "" {
			t := cst(1)
			if t == nil {
				return []*symShape{{dtype: x.dtype}}, nil
			}
			axes = t.Ints()
		} else {
			axes, _ = attrInts(n, "axes")
		}
		return []*symShape{inferSqueeze(n.OpType == "Unsqueeze", x, axes)}, nil
	case "Pad":
		return []*symShape{inferPad(n, x, cst)}, nil
	case "Shape":
		if !x.known {
			return []*symShape{{dtype: Int64, dims: []Dim{unknownDim}, known: true}}, nil
		}
		start, _ := attrInt(n, "start", 0)
		end, _ := attrInt(n, "end", math.MaxInt64)
		s, e := shapeRange(len(x.dims), start, end)
		v := append([]Dim(nil), x.dims[s:e]...)
		return []*symShape{{dtype: Int64, dims: []Dim{fixed(e - s)}, known: true, vals: v}}, nil
	case "Gather":
		return []*symShape{inferGather(n, x, in(1), cst(1))}, nil
	case "Constant":
		t, err := constantValue(n)
		if err != nil {
			return nil, err
		}
		return []*symShape{fromTensor(t)}, nil
	case "ConstantOfShape":
		dt := Float
		if v, _ := attrTensor(n, "value"); v != nil {
			dt = v.DType
		}
		s := in(0)
		if s.vals == nil {
			if s.known && len(s.dims) == 1 && s.dims[0].Param == "" && s.dims[0].Value >= 0 {
				d := make([]Dim, s.dims[0].Value)
				for i := range d {
					d[i] = unknownDim
				}
				return []*symShape{{dtype: dt, dims: d, known: true}}, nil
			}
			return []*symShape{{dtype: dt}}, nil
		}
		return []*symShape{{dtype: dt, dims: append([]Dim(nil), s.vals...), known: true}}, nil
	case "Slice":
		return []*symShape{inferSlice(n, x, cst)}, nil
	case "Expand":
		s := in(1)
		if s.vals == nil || !x.known {
			return []*symShape{{dtype: x.dtype}}, nil
		}
		return []*symShape{{dtype: x.dtype, dims: broadcastDims(x.dims, s.vals), known: true}}, nil
	}
	return []*symShape{{}}, nil
}

// dimProd multiplies dims; a product involving a symbol is unknown unless
// it is a single symbol times ones.
func dimProd(ds []Dim) Dim {
	p := int64(1)
	var sym Dim
	nsym := 0
	for _, d := range ds {
		switch {
		case isUnknown(d):
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
		return Dim{Value: p}
	case nsym == 1 && p == 1:
		return sym
	}
	return unknownDim
}

// broadcastDims is BroadcastShapes over symbolic dims.
func broadcastDims(a, b []Dim) []Dim {
	r := max(len(a), len(b))
	out := make([]Dim, r)
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
		case da.Param == "" && !isUnknown(da):
			out[i] = da // a symbol broadcast against a fixed size must be 1 or equal
		case db.Param == "" && !isUnknown(db):
			out[i] = db
		default:
			out[i] = unknownDim
		}
	}
	return out
}

func inferBinary(op string, a, b *symShape) *symShape {
	if !a.known || !b.known {
		return &symShape{dtype: a.dtype}
	}
	o := &symShape{dtype: a.dtype, dims: broadcastDims(a.dims, b.dims), known: true}
	// Arithmetic on shape values (e.g. batch·C computed in the graph).
	if a.vals != nil && b.vals != nil && !a.dtype.IsFloat() {
		n := max(len(a.vals), len(b.vals))
		if (len(a.vals) == n || len(a.vals) == 1) && (len(b.vals) == n || len(b.vals) == 1) {
			v := make([]Dim, n)
			for i := range v {
				x, y := a.vals[min(i, len(a.vals)-1)], b.vals[min(i, len(b.vals)-1)]
				v[i] = unknownDim
				if x.Param != "" || y.Param != "" || isUnknown(x) || isUnknown(y) {
					if op == "Mul" && y == fixed(1) {
						v[i] = x
					} else if op == "Mul" && x == fixed(1) {
						v[i] = y
					}
					continue
				}
				switch op {
				case "Add":
					v[i] = Dim{Value: x.Value + y.Value}
				case "Sub":
					v[i] = Dim{Value: x.Value - y.Value}
				case "Mul":
					v[i] = Dim{Value: x.Value * y.Value}
				case "Div":
					if y.Value != 0 {
						v[i] = Dim{Value: x.Value / y.Value}
					}
				}
			}
			o.vals = v
		}
	}
	return o
}

func inferWindow(n *Node, x, w *symShape) ([]*symShape, error) {
	isConv := n.OpType == "Conv"
	if !x.known || len(x.dims) < 3 {
		return []*symShape{{dtype: Float}}, nil
	}
	at, err := readConvAttrs(n, !isConv)
	if err != nil {
		return nil, err
	}
	out := []Dim{x.dims[0], x.dims[1]}
	var kernel []int
	if isConv {
		if !w.known || len(w.dims) != len(x.dims) {
			return []*symShape{{dtype: Float}}, nil
		}
		out[1] = w.dims[0]
		if k, ok := intsOf(w.dims[2:]); ok {
			kernel = k
		}
	}
	ceil, _ := attrInt(n, "ceil_mode", 0)
	spatial := len(x.dims) - 2
	if kernel == nil && at.kernel == nil {
		return []*symShape{{dtype: Float, dims: append(out, unknownDims(spatial)...), known: true}}, nil
	}
	p, err := at.params(spatial, kernel, ceil != 0)
	if err != nil {
		return nil, err
	}
	sp, ok := intsOf(x.dims[2:])
	if !ok {
		return []*symShape{{dtype: Float, dims: append(out, unknownDims(spatial)...), known: true}}, nil
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
	return []*symShape{{dtype: Float, dims: out, known: true}}, nil
}

func unknownDims(n int) []Dim {
	d := make([]Dim, n)
	for i := range d {
		d[i] = unknownDim
	}
	return d
}

func inferMatMul(a, b *symShape) *symShape {
	if !a.known || !b.known || len(a.dims) == 0 || len(b.dims) == 0 {
		return &symShape{dtype: Float}
	}
	ad, bd := a.dims, b.dims
	if len(ad) == 1 {
		ad = []Dim{fixed(1), ad[0]}
	}
	if len(bd) == 1 {
		bd = []Dim{bd[0], fixed(1)}
	}
	out := broadcastDims(ad[:len(ad)-2], bd[:len(bd)-2])
	if len(a.dims) > 1 {
		out = append(out, ad[len(ad)-2])
	}
	if len(b.dims) > 1 {
		out = append(out, bd[len(bd)-1])
	}
	return &symShape{dtype: Float, dims: out, known: true}
}

// inferReshape resolves the target: fixed entries as given, 0 copies the
// input dim (symbol included), one -1 is the fixed remainder when the rest
// is fixed, or the input's only symbol when the fixed parts cancel out.
func inferReshape(n *Node, x, s *symShape) *symShape {
	o := &symShape{dtype: x.dtype}
	if s.vals == nil {
		if s.known && len(s.dims) == 1 && s.dims[0].Param == "" && !isUnknown(s.dims[0]) {
			o.known, o.dims = true, unknownDims(int(s.dims[0].Value))
		}
		return o
	}
	az, _ := attrInt(n, "allowzero", 0)
	o.known = true
	o.dims = make([]Dim, len(s.vals))
	neg := -1
	for i, v := range s.vals {
		switch {
		case v.Param != "" || isUnknown(v):
			o.dims[i] = v
		case v.Value == -1:
			neg = i
		case v.Value == 0 && az == 0:
			if x.known && i < len(x.dims) {
				o.dims[i] = x.dims[i]
			} else {
				o.dims[i] = unknownDim
			}
		default:
			o.dims[i] = v
		}
	}
	if x.vals != nil {
		o.vals = x.vals
	}
	if neg < 0 {
		return o
	}
	o.dims[neg] = unknownDim
	if !x.known {
		return o
	}
	// Cancel matching symbols and divide fixed sizes.
	inFixed, outFixed := int64(1), int64(1)
	var inSym, outSym []string
	for _, d := range x.dims {
		switch {
		case isUnknown(d):
			return o
		case d.Param != "":
			inSym = append(inSym, d.Param)
		default:
			inFixed *= d.Value
		}
	}
	for i, d := range o.dims {
		if i == neg {
			continue
		}
		switch {
		case isUnknown(d):
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
		o.dims[neg] = Dim{Value: rest}
	case len(inSym) == 1 && rest == 1:
		o.dims[neg] = Dim{Param: inSym[0]}
	}
	return o
}

func inferConcat(n *Node, ins []*symShape) *symShape {
	if len(ins) == 0 || ins[0] == nil || !ins[0].known {
		return &symShape{}
	}
	x0 := ins[0]
	axis, _ := attrInt(n, "axis", 0)
	r := len(x0.dims)
	a, err := normAxis(axis, r)
	if err != nil {
		return &symShape{dtype: x0.dtype}
	}
	dims := append([]Dim(nil), x0.dims...)
	total := int64(0)
	var vals []Dim
	valsOK := r == 1
	for _, s := range ins {
		if s == nil || !s.known || len(s.dims) != r {
			return &symShape{dtype: x0.dtype}
		}
		d := s.dims[a]
		if d.Param != "" || isUnknown(d) {
			total = -1
		} else if total >= 0 {
			total += d.Value
		}
		if s.vals == nil {
			valsOK = false
		} else {
			vals = append(vals, s.vals...)
		}
	}
	if total >= 0 {
		dims[a] = Dim{Value: total}
	} else {
		dims[a] = unknownDim
	}
	o := &symShape{dtype: x0.dtype, dims: dims, known: true}
	if valsOK {
		o.vals = vals
	}
	return o
}

func inferSqueeze(unsqueeze bool, x *symShape, axes []int64) *symShape {
	if !x.known {
		return &symShape{dtype: x.dtype}
	}
	o := &symShape{dtype: x.dtype, known: true}
	if unsqueeze {
		r := len(x.dims) + len(axes)
		ins := make([]bool, r)
		for _, a := range axes {
			ax, err := normAxis(a, r)
			if err != nil {
				return &symShape{dtype: x.dtype}
			}
			ins[ax] = true
		}
		j := 0
		for i := 0; i < r; i++ {
			if ins[i] {
				o.dims = append(o.dims, fixed(1))
			} else if j < len(x.dims) {
				o.dims = append(o.dims, x.dims[j])
				j++
			}
		}
		if len(o.dims) != r {
			return &symShape{dtype: x.dtype}
		}
		if x.vals != nil && len(x.dims) <= 1 && r <= 1 {
			o.vals = x.vals
		}
		return o
	}
	drop := make([]bool, len(x.dims))
	if axes == nil {
		for i, d := range x.dims {
			if d.Param != "" || isUnknown(d) {
				return &symShape{dtype: x.dtype}
			}
			drop[i] = d.Value == 1
		}
	}
	for _, a := range axes {
		ax, err := normAxis(a, len(x.dims))
		if err != nil {
			return &symShape{dtype: x.dtype}
		}
		drop[ax] = true
	}
	o.dims = []Dim{}
	for i, d := range x.dims {
		if !drop[i] {
			o.dims = append(o.dims, d)
		}
	}
	if x.vals != nil && len(o.dims) == 0 {
		o.vals = x.vals
	}
	return o
}

func inferPad(n *Node, x *symShape, cst func(int) *Tensor) *symShape {
	if !x.known {
		return &symShape{dtype: x.dtype}
	}
	var pads []int64
	if len(n.Inputs) > 1 {
		t := cst(1)
		if t == nil || (len(n.Inputs) > 3 && n.Inputs[3] != "") {
			return &symShape{dtype: x.dtype, dims: unknownDims(len(x.dims)), known: true}
		}
		pads = t.Ints()
	} else {
		pads, _ = attrInts(n, "pads")
	}
	r := len(x.dims)
	if len(pads) != 2*r {
		return &symShape{dtype: x.dtype}
	}
	d := make([]Dim, r)
	for i, v := range x.dims {
		p := pads[i] + pads[r+i]
		switch {
		case p == 0:
			d[i] = v
		case v.Param != "" || isUnknown(v):
			d[i] = unknownDim
		default:
			d[i] = Dim{Value: v.Value + p}
		}
	}
	return &symShape{dtype: x.dtype, dims: d, known: true}
}

func inferGather(n *Node, x, idx *symShape, ind *Tensor) *symShape {
	if !x.known || !idx.known {
		return &symShape{dtype: x.dtype}
	}
	axis, _ := attrInt(n, "axis", 0)
	a, err := normAxis(axis, len(x.dims))
	if err != nil {
		return &symShape{dtype: x.dtype}
	}
	d := append(append(append([]Dim(nil), x.dims[:a]...), idx.dims...), x.dims[a+1:]...)
	o := &symShape{dtype: x.dtype, dims: d, known: true}
	if x.vals != nil && a == 0 && ind != nil && len(ind.Shape) <= 1 {
		for _, i := range ind.Int {
			if i < 0 {
				i += int64(len(x.vals))
			}
			if i < 0 || i >= int64(len(x.vals)) {
				return o
			}
			o.vals = append(o.vals, x.vals[i])
		}
	}
	return o
}

func inferSlice(n *Node, x *symShape, cst func(int) *Tensor) *symShape {
	if !x.known {
		return &symShape{dtype: x.dtype}
	}
	var starts, ends, axes, steps []int64
	if len(n.Inputs) >= 3 {
		s, e := cst(1), cst(2)
		if s == nil || e == nil {
			return &symShape{dtype: x.dtype, dims: unknownDims(len(x.dims)), known: true}
		}
		starts, ends = s.Ints(), e.Ints()
		if len(n.Inputs) > 3 && n.Inputs[3] != "" {
			t := cst(3)
			if t == nil {
				return &symShape{dtype: x.dtype, dims: unknownDims(len(x.dims)), known: true}
			}
			axes = t.Ints()
		}
		if len(n.Inputs) > 4 && n.Inputs[4] != "" {
			t := cst(4)
			if t == nil {
				return &symShape{dtype: x.dtype, dims: unknownDims(len(x.dims)), known: true}
			}
			steps = t.Ints()
		}
	} else {
		starts, _ = attrInts(n, "starts")
		ends, _ = attrInts(n, "ends")
		axes, _ = attrInts(n, "axes")
	}
	// Resolve on a stand-in shape where symbols are huge; axes touched on a
	// symbolic dim become unknown unless the slice keeps the whole dim.
	stand := make([]int, len(x.dims))
	for i, d := range x.dims {
		if d.Param != "" || isUnknown(d) {
			stand[i] = 1 << 30
		} else {
			stand[i] = int(d.Value)
		}
	}
	shape, begin, step, err := sliceGeometry(stand, starts, ends, axes, steps)
	if err != nil {
		return &symShape{dtype: x.dtype}
	}
	d := make([]Dim, len(x.dims))
	for i := range d {
		switch {
		case shape[i] == stand[i] && begin[i] == 0 && step[i] == 1:
			d[i] = x.dims[i]
		case stand[i] == 1<<30:
			d[i] = unknownDim
		default:
			d[i] = fixed(shape[i])
		}
	}
	o := &symShape{dtype: x.dtype, dims: d, known: true}
	if x.vals != nil && len(x.dims) == 1 && d[0].Param == "" && !isUnknown(d[0]) {
		for i := 0; i < shape[0]; i++ {
			j := begin[0] + i*step[0]
			if j < 0 || j >= len(x.vals) {
				return o
			}
			o.vals = append(o.vals, x.vals[j])
		}
	}
	return o
}
