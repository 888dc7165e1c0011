package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

func init() {
	register("Flatten", 1, 1, compileFlatten, shapeFlatten)
	register("Reshape", 2, 2, compileReshape, shapeReshape)
	register("Transpose", 1, 1, compileTranspose, shapeTranspose)
	register("Concat", 1, -1, compileConcat, shapeConcat)
	register("Squeeze", 1, 2, compileSqueeze, shapeSqueeze)
	register("Unsqueeze", 1, 2, compileUnsqueeze, shapeSqueeze)
	register("Pad", 1, 4, compilePad, shapePad)
	register("Shape", 1, 1, compileShape, shapeShape)
	register("Gather", 2, 2, compileGather, shapeGather)
	register("Constant", 0, 0, compileConstant, shapeConstant)
	register("ConstantOfShape", 1, 1, compileConstantOfShape, shapeConstantOfShape)
	register("Slice", 1, 5, compileSlice, shapeSlice)
	register("Expand", 2, 2, compileExpand, shapeExpand)
}

// Tensors are never modified after a kernel returns them, so shape-only
// operators (Reshape, Flatten, Squeeze, Unsqueeze, Identity) share the
// input's data slice.

func withShape(x *importer.Tensor, shape []int) *importer.Tensor {
	return &importer.Tensor{DType: x.DType, Shape: shape, Float: x.Float, Int: x.Int}
}

// gatherTensor builds a tensor of the given shape whose element i is x's
// element src[i], or fill when src[i] < 0.
func gatherTensor(x *importer.Tensor, shape []int, src []int, fill float64) *importer.Tensor {
	out := &importer.Tensor{DType: x.DType, Shape: shape}
	if x.IsFloat() {
		out.Float = make([]float32, len(src))
		f := float32(fill)
		for i, s := range src {
			if s < 0 {
				out.Float[i] = f
			} else {
				out.Float[i] = x.Float[s]
			}
		}
		return out
	}
	out.Int = make([]int64, len(src))
	f := int64(fill)
	for i, s := range src {
		if s < 0 {
			out.Int[i] = f
		} else {
			out.Int[i] = x.Int[s]
		}
	}
	return out
}

// forEachIndex calls fn with every multi-index of shape in row-major order.
func forEachIndex(shape []int, fn func(idx []int)) {
	n := importer.NumElements(shape)
	idx := make([]int, len(shape))
	for i := 0; i < n; i++ {
		fn(idx)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

func compileFlatten(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		r := len(x.Shape)
		a := axis
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a > int64(r) {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
		}
		return one(withShape(x, []int{importer.NumElements(x.Shape[:a]), importer.NumElements(x.Shape[a:])})), nil
	}, nil
}

// reshapeTarget resolves a Reshape shape input against the input shape.
func reshapeTarget(in []int, spec []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(spec))
	neg := -1
	known := 1
	for i, v := range spec {
		switch {
		case v == -1:
			if neg >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			neg = i
			continue
		case v == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dim %d of a rank-%d input", spec, i, len(in))
			}
			out[i] = in[i]
		case v < 0:
			return nil, fmt.Errorf("shape %v has negative dim %d", spec, v)
		case v > importer.MaxTensorElements:
			return nil, fmt.Errorf("shape %v has dim %d too large", spec, v)
		default:
			out[i] = int(v)
		}
		if out[i] != 0 && known > importer.MaxTensorElements/out[i] {
			return nil, fmt.Errorf("shape %v too large", spec)
		}
		known *= out[i]
	}
	total := importer.NumElements(in)
	if neg >= 0 {
		if known == 0 {
			if total != 0 {
				return nil, fmt.Errorf("cannot infer -1 in shape %v for %d elements", spec, total)
			}
			out[neg] = 0
		} else {
			if total%known != 0 {
				return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, spec)
			}
			out[neg] = total / known
		}
	} else if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, total, spec, known)
	}
	return out, nil
}

func compileReshape(c *compileCtx, n *importer.Node) (kernel, error) {
	az, err := n.AttrInt("allowzero", 0)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		spec, err := intList(ins[1], "shape input")
		if err != nil {
			return nil, err
		}
		shape, err := reshapeTarget(ins[0].Shape, spec, az != 0)
		if err != nil {
			return nil, err
		}
		return one(withShape(ins[0], shape)), nil
	}, nil
}

func compileTranspose(c *compileCtx, n *importer.Node) (kernel, error) {
	perm, err := n.AttrSmallInts("perm")
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		r := len(x.Shape)
		p := perm
		if p == nil {
			p = make([]int, r)
			for i := range p {
				p[i] = r - 1 - i
			}
		}
		if len(p) != r {
			return nil, fmt.Errorf("perm %v for rank %d", p, r)
		}
		seen := make([]bool, r)
		for _, v := range p {
			if v < 0 || v >= r || seen[v] {
				return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", p, r-1)
			}
			seen[v] = true
		}
		shape := make([]int, r)
		for i, v := range p {
			shape[i] = x.Shape[v]
		}
		st := importer.Strides(x.Shape)
		src := make([]int, 0, x.Len())
		forEachIndex(shape, func(idx []int) {
			o := 0
			for i, v := range idx {
				o += v * st[p[i]]
			}
			src = append(src, o)
		})
		return one(gatherTensor(x, shape, src, 0)), nil
	}, nil
}

func compileConcat(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", math.MinInt64)
	if err != nil {
		return nil, err
	}
	if axis == math.MinInt64 {
		return nil, fmt.Errorf("attribute axis is required")
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		var parts []*importer.Tensor
		for i, t := range ins {
			if t == nil {
				return nil, fmt.Errorf("input %d is missing", i)
			}
			parts = append(parts, t)
		}
		x0 := parts[0]
		r := len(x0.Shape)
		a, err := normAxis(axis, r)
		if err != nil {
			return nil, err
		}
		shape := append([]int(nil), x0.Shape...)
		shape[a] = 0
		for i, t := range parts {
			if t.IsFloat() != x0.IsFloat() {
				return nil, fmt.Errorf("input %d is %s, input 0 is %s", i, t, x0)
			}
			if len(t.Shape) != r {
				return nil, fmt.Errorf("input %d has shape %v, input 0 %v", i, t.Shape, x0.Shape)
			}
			for d := range t.Shape {
				if d != a && t.Shape[d] != x0.Shape[d] {
					return nil, fmt.Errorf("input %d has shape %v, input 0 %v (only axis %d may differ)", i, t.Shape, x0.Shape, a)
				}
			}
			shape[a] += t.Shape[a]
		}
		if _, err := importer.CheckNumElements(shape); err != nil {
			return nil, err
		}
		outer := importer.NumElements(shape[:a])
		inner := importer.NumElements(shape[a+1:])
		out := &importer.Tensor{DType: x0.DType, Shape: shape}
		if x0.IsFloat() {
			out.Float = make([]float32, 0, importer.NumElements(shape))
			for o := 0; o < outer; o++ {
				for _, t := range parts {
					blk := t.Shape[a] * inner
					out.Float = append(out.Float, t.Float[o*blk:(o+1)*blk]...)
				}
			}
		} else {
			out.Int = make([]int64, 0, importer.NumElements(shape))
			for o := 0; o < outer; o++ {
				for _, t := range parts {
					blk := t.Shape[a] * inner
					out.Int = append(out.Int, t.Int[o*blk:(o+1)*blk]...)
				}
			}
		}
		return one(out), nil
	}, nil
}

// axesArg returns the axes of Squeeze/Unsqueeze/ReduceX: the attribute
// before opset 13 (or when the node has one input), the optional second input
// from 13.
func axesArg(n *importer.Node, ins []*importer.Tensor) ([]int64, bool, error) {
	if len(ins) > 1 && ins[1] != nil {
		v, err := intList(ins[1], "axes input")
		return v, true, err
	}
	v, err := n.AttrInts("axes")
	return v, v != nil, err
}

func compileSqueeze(c *compileCtx, n *importer.Node) (kernel, error) {
	if _, err := n.AttrInts("axes"); err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		axes, given, err := axesArg(n, ins)
		if err != nil {
			return nil, err
		}
		r := len(x.Shape)
		drop := make([]bool, r)
		if !given {
			for i, d := range x.Shape {
				drop[i] = d == 1
			}
		}
		for _, a := range axes {
			ax, err := normAxis(a, r)
			if err != nil {
				return nil, err
			}
			if x.Shape[ax] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %v (size %d)", a, x.Shape, x.Shape[ax])
			}
			drop[ax] = true
		}
		shape := []int{}
		for i, d := range x.Shape {
			if !drop[i] {
				shape = append(shape, d)
			}
		}
		return one(withShape(x, shape)), nil
	}, nil
}

func compileUnsqueeze(c *compileCtx, n *importer.Node) (kernel, error) {
	if _, err := n.AttrInts("axes"); err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		axes, given, err := axesArg(n, ins)
		if err != nil {
			return nil, err
		}
		if !given {
			return nil, fmt.Errorf("axes are required")
		}
		shape, err := unsqueezeShape(x.Shape, axes)
		if err != nil {
			return nil, err
		}
		return one(withShape(x, shape)), nil
	}, nil
}

func unsqueezeShape(in []int, axes []int64) ([]int, error) {
	r := len(in) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		if ins[ax] {
			return nil, fmt.Errorf("axis %d repeated in %v", a, axes)
		}
		ins[ax] = true
	}
	shape := make([]int, r)
	j := 0
	for i := range shape {
		if ins[i] {
			shape[i] = 1
		} else {
			shape[i] = in[j]
			j++
		}
	}
	return shape, nil
}

// Pad (constant mode; edge and reflect too, they are cheap). Before opset
// 11 pads and value are attributes; from 11 inputs; from 18 optional axes.
func compilePad(c *compileCtx, n *importer.Node) (kernel, error) {
	mode, err := n.AttrString("mode", "constant")
	if err != nil {
		return nil, err
	}
	if mode != "constant" && mode != "edge" && mode != "reflect" {
		return nil, fmt.Errorf("pad mode %q is not supported", mode)
	}
	attrPads, err := n.AttrInts("pads")
	if err != nil {
		return nil, err
	}
	attrVal, err := n.AttrFloat("value", 0)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		r := len(x.Shape)
		pads := attrPads
		val := float64(attrVal)
		if len(ins) > 1 && ins[1] != nil {
			if pads, err = intList(ins[1], "pads input"); err != nil {
				return nil, err
			}
		} else if pads == nil {
			return nil, fmt.Errorf("pads are required")
		}
		if len(ins) > 2 && ins[2] != nil {
			v := ins[2]
			if v.Len() != 1 {
				return nil, fmt.Errorf("constant_value must be a scalar, have %v", v.Shape)
			}
			if v.IsFloat() {
				val = float64(v.Float[0])
			} else {
				val = float64(v.Int[0])
			}
		}
		full := make([]int64, 2*r)
		if len(ins) > 3 && ins[3] != nil {
			axes, err := intList(ins[3], "axes input")
			if err != nil {
				return nil, err
			}
			if len(pads) != 2*len(axes) {
				return nil, fmt.Errorf("%d pads for %d axes", len(pads), len(axes))
			}
			for i, a := range axes {
				ax, err := normAxis(a, r)
				if err != nil {
					return nil, err
				}
				full[ax], full[r+ax] = pads[i], pads[len(axes)+i]
			}
		} else {
			if len(pads) != 2*r {
				return nil, fmt.Errorf("%d pads for rank %d", len(pads), r)
			}
			copy(full, pads)
		}
		shape := make([]int, r)
		begin := make([]int, r)
		for i := range shape {
			b, e := full[i], full[r+i]
			if b > importer.MaxTensorElements || e > importer.MaxTensorElements || b < -importer.MaxTensorElements || e < -importer.MaxTensorElements {
				return nil, fmt.Errorf("pads %v out of range", full)
			}
			d := int64(x.Shape[i]) + b + e
			if d < 0 {
				return nil, fmt.Errorf("pads %v make dim %d negative", full, i)
			}
			shape[i], begin[i] = int(d), int(b)
		}
		if _, err := importer.CheckNumElements(shape); err != nil {
			return nil, err
		}
		if mode != "constant" {
			for i := range shape {
				if x.Shape[i] == 0 && shape[i] > 0 {
					return nil, fmt.Errorf("%s padding of an empty axis", mode)
				}
			}
		}
		st := importer.Strides(x.Shape)
		src := make([]int, 0, importer.NumElements(shape))
		forEachIndex(shape, func(idx []int) {
			o := 0
			for d, v := range idx {
				s := v - begin[d]
				if s < 0 || s >= x.Shape[d] {
					switch mode {
					case "constant":
						o = -1
					case "edge":
						s = min(max(s, 0), x.Shape[d]-1)
					case "reflect":
						s = reflectIndex(s, x.Shape[d])
					}
				}
				if o < 0 {
					break
				}
				o += s * st[d]
			}
			src = append(src, o)
		})
		return one(gatherTensor(x, shape, src, val)), nil
	}, nil
}

func reflectIndex(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

func compileShape(c *compileCtx, n *importer.Node) (kernel, error) {
	start, err := n.AttrInt("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := n.AttrInt("end", math.MaxInt64)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		s, e := shapeRange(len(ins[0].Shape), start, end)
		v := make([]int64, 0, e-s)
		for _, d := range ins[0].Shape[s:e] {
			v = append(v, int64(d))
		}
		return one(importer.NewInt([]int{len(v)}, v)), nil
	}, nil
}

// shapeRange clamps Shape's start/end (negative counts from the back).
func shapeRange(r int, start, end int64) (int, int) {
	cl := func(v int64) int {
		if v < 0 {
			v += int64(r)
		}
		return int(min(max(v, 0), int64(r)))
	}
	s, e := cl(start), cl(end)
	if e < s {
		e = s
	}
	return s, e
}

func compileGather(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, ind := ins[0], ins[1]
		if ind.IsFloat() {
			return nil, fmt.Errorf("indices must be integers, have %s", ind)
		}
		r := len(x.Shape)
		a, err := normAxis(axis, r)
		if err != nil {
			return nil, err
		}
		shape := append(append(append([]int(nil), x.Shape[:a]...), ind.Shape...), x.Shape[a+1:]...)
		if _, err := importer.CheckNumElements(shape); err != nil {
			return nil, err
		}
		outer, dim, inner := importer.NumElements(x.Shape[:a]), x.Shape[a], importer.NumElements(x.Shape[a+1:])
		src := make([]int, 0, importer.NumElements(shape))
		for o := 0; o < outer; o++ {
			for _, iv := range ind.Int {
				if iv < 0 {
					iv += int64(dim)
				}
				if iv < 0 || iv >= int64(dim) {
					return nil, fmt.Errorf("index %d out of range for axis %d of size %d", iv, a, dim)
				}
				base := (o*dim + int(iv)) * inner
				for i := 0; i < inner; i++ {
					src = append(src, base+i)
				}
			}
		}
		return one(gatherTensor(x, shape, src, 0)), nil
	}, nil
}

func compileConstant(c *compileCtx, n *importer.Node) (kernel, error) {
	t, err := constantValue(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) { return one(t), nil }, nil
}

// constantValue reads the value of a Constant node from whichever attribute
// holds it.
func constantValue(n *importer.Node) (*importer.Tensor, error) {
	if len(n.Attrs) != 1 {
		return nil, fmt.Errorf("Constant needs exactly one value attribute, has %d", len(n.Attrs))
	}
	for name, a := range n.Attrs {
		switch name {
		case "value":
			if a.Kind != importer.AttrTensor || a.T == nil {
				return nil, fmt.Errorf("attribute value is not a tensor")
			}
			return a.T, nil
		case "value_float":
			if a.Kind != importer.AttrFloat {
				return nil, fmt.Errorf("attribute value_float is not a float")
			}
			return importer.ScalarFloat(a.F), nil
		case "value_floats":
			if a.Kind != importer.AttrFloats {
				return nil, fmt.Errorf("attribute value_floats is not a float list")
			}
			return importer.NewFloat([]int{len(a.Floats)}, append([]float32(nil), a.Floats...)), nil
		case "value_int":
			if a.Kind != importer.AttrInt {
				return nil, fmt.Errorf("attribute value_int is not an int")
			}
			return importer.ScalarInt(a.I), nil
		case "value_ints":
			if a.Kind != importer.AttrInts {
				return nil, fmt.Errorf("attribute value_ints is not an int list")
			}
			return importer.NewInt([]int{len(a.Ints)}, append([]int64(nil), a.Ints...)), nil
		default:
			return nil, fmt.Errorf("Constant attribute %s is not supported", name)
		}
	}
	return nil, nil
}

func compileConstantOfShape(c *compileCtx, n *importer.Node) (kernel, error) {
	val, err := n.AttrTensor("value")
	if err != nil {
		return nil, err
	}
	if val == nil {
		val = importer.NewFloat([]int{1}, []float32{0})
	}
	if val.Len() != 1 {
		return nil, fmt.Errorf("value must hold one element, has shape %v", val.Shape)
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		spec, err := intList(ins[0], "shape input")
		if err != nil {
			return nil, err
		}
		shape := make([]int, len(spec))
		for i, v := range spec {
			if v < 0 || v > importer.MaxTensorElements {
				return nil, fmt.Errorf("shape %v has invalid dim %d", spec, v)
			}
			shape[i] = int(v)
		}
		cnt, err := importer.CheckNumElements(shape)
		if err != nil {
			return nil, err
		}
		out := &importer.Tensor{DType: val.DType, Shape: shape}
		if val.IsFloat() {
			out.Float = make([]float32, cnt)
			for i := range out.Float {
				out.Float[i] = val.Float[0]
			}
		} else {
			out.Int = make([]int64, cnt)
			for i := range out.Int {
				out.Int[i] = val.Int[0]
			}
		}
		return one(out), nil
	}, nil
}

// Slice: opset < 10 takes starts/ends/axes attributes, from 10 inputs
// (starts, ends, optional axes and steps).
func compileSlice(c *compileCtx, n *importer.Node) (kernel, error) {
	aStarts, err := n.AttrInts("starts")
	if err != nil {
		return nil, err
	}
	aEnds, err := n.AttrInts("ends")
	if err != nil {
		return nil, err
	}
	aAxes, err := n.AttrInts("axes")
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		starts, ends, axes := aStarts, aEnds, aAxes
		var steps []int64
		if len(ins) >= 3 {
			if starts, err = intList(ins[1], "starts input"); err != nil {
				return nil, err
			}
			if ends, err = intList(ins[2], "ends input"); err != nil {
				return nil, err
			}
			axes = nil
			if len(ins) > 3 && ins[3] != nil {
				if axes, err = intList(ins[3], "axes input"); err != nil {
					return nil, err
				}
			}
			if len(ins) > 4 && ins[4] != nil {
				if steps, err = intList(ins[4], "steps input"); err != nil {
					return nil, err
				}
			}
		} else if starts == nil || ends == nil {
			return nil, fmt.Errorf("starts and ends are required")
		}
		shape, begin, step, err := sliceGeometry(x.Shape, starts, ends, axes, steps)
		if err != nil {
			return nil, err
		}
		st := importer.Strides(x.Shape)
		src := make([]int, 0, importer.NumElements(shape))
		forEachIndex(shape, func(idx []int) {
			o := 0
			for d, v := range idx {
				o += (begin[d] + v*step[d]) * st[d]
			}
			src = append(src, o)
		})
		return one(gatherTensor(x, shape, src, 0)), nil
	}, nil
}

// sliceGeometry resolves Slice arguments (numpy semantics, clamping) into
// the output shape and per-axis start and step.
func sliceGeometry(in []int, starts, ends, axes, steps []int64) (shape, begin, step []int, err error) {
	r := len(in)
	if len(starts) != len(ends) {
		return nil, nil, nil, fmt.Errorf("%d starts but %d ends", len(starts), len(ends))
	}
	if axes != nil && len(axes) != len(starts) {
		return nil, nil, nil, fmt.Errorf("%d axes for %d starts", len(axes), len(starts))
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, nil, nil, fmt.Errorf("%d steps for %d starts", len(steps), len(starts))
	}
	shape = append([]int(nil), in...)
	begin = make([]int, r)
	step = make([]int, r)
	for i := range step {
		step[i] = 1
	}
	seen := make([]bool, r)
	for i := range starts {
		ax := i
		if axes != nil {
			a, err := normAxis(axes[i], r)
			if err != nil {
				return nil, nil, nil, err
			}
			ax = a
		} else if i >= r {
			return nil, nil, nil, fmt.Errorf("%d starts for rank %d", len(starts), r)
		}
		if seen[ax] {
			return nil, nil, nil, fmt.Errorf("axis %d repeated", ax)
		}
		seen[ax] = true
		s := int64(1)
		if steps != nil {
			s = steps[i]
		}
		if s == 0 {
			return nil, nil, nil, fmt.Errorf("step 0 on axis %d", ax)
		}
		dim := int64(in[ax])
		b, e := starts[i], ends[i]
		if b < 0 {
			b += dim
		}
		if e < 0 {
			e += dim
		}
		var cnt int64
		if s > 0 {
			b = min(max(b, 0), dim)
			e = min(max(e, 0), dim)
			if e > b {
				cnt = (e - b + s - 1) / s
			}
		} else {
			b = min(max(b, -1), dim-1)
			e = min(max(e, -1), dim-1)
			if b > e {
				cnt = (b - e - s - 1) / -s
			}
		}
		shape[ax], begin[ax], step[ax] = int(cnt), int(b), int(s)
	}
	return shape, begin, step, nil
}

func compileExpand(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		spec, err := intList(ins[1], "shape input")
		if err != nil {
			return nil, err
		}
		want := make([]int, len(spec))
		for i, v := range spec {
			if v < 0 || v > importer.MaxTensorElements {
				return nil, fmt.Errorf("shape %v has invalid dim %d", spec, v)
			}
			want[i] = int(v)
		}
		shape, err := importer.BroadcastShapes(x.Shape, want)
		if err != nil {
			return nil, err
		}
		if _, err := importer.CheckNumElements(shape); err != nil {
			return nil, err
		}
		bst := broadcastStrides(x.Shape, shape)
		src := make([]int, 0, importer.NumElements(shape))
		forEachIndex(shape, func(idx []int) {
			o := 0
			for d, v := range idx {
				o += v * bst[d]
			}
			src = append(src, o)
		})
		return one(gatherTensor(x, shape, src, 0)), nil
	}, nil
}

// shapeFlatten is the shape rule of Flatten.
func shapeFlatten(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	if !x.Known {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	axis, _ := n.AttrInt("axis", 1)
	if axis < 0 {
		axis += int64(len(x.Dims))
	}
	if axis < 0 || axis > int64(len(x.Dims)) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, len(x.Dims))
	}
	return []*ValueShape{{DType: x.DType, Dims: []importer.Dim{dimProd(x.Dims[:axis]), dimProd(x.Dims[axis:])}, Known: true}}, nil
}

// shapeReshape is the shape rule of Reshape.
func shapeReshape(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	return []*ValueShape{inferReshape(n, x, sc.in(1))}, nil
}

// shapeTranspose is the shape rule of Transpose.
func shapeTranspose(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	if !x.Known {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	perm, _ := n.AttrSmallInts("perm")
	r := len(x.Dims)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v for rank %d", perm, r)
	}
	d := make([]importer.Dim, r)
	for i, p := range perm {
		if p < 0 || p >= r {
			return nil, fmt.Errorf("perm %v out of range", perm)
		}
		d[i] = x.Dims[p]
	}
	return []*ValueShape{{DType: x.DType, Dims: d, Known: true}}, nil
}

// shapeConcat is the shape rule of Concat.
func shapeConcat(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	return []*ValueShape{inferConcat(n, sc.ins)}, nil
}

// shapeSqueeze is the shape rule of Squeeze, Unsqueeze.
func shapeSqueeze(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	var axes []int64
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		t := sc.cst(1)
		if t == nil {
			return []*ValueShape{{DType: x.DType}}, nil
		}
		axes = t.Ints()
	} else {
		axes, _ = n.AttrInts("axes")
	}
	return []*ValueShape{inferSqueeze(n.OpType == "Unsqueeze", x, axes)}, nil
}

// shapePad is the shape rule of Pad.
func shapePad(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	return []*ValueShape{inferPad(n, x, sc.cst)}, nil
}

// shapeShape is the shape rule of Shape.
func shapeShape(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	if !x.Known {
		return []*ValueShape{{DType: importer.Int64, Dims: []importer.Dim{unknownDim}, Known: true}}, nil
	}
	start, _ := n.AttrInt("start", 0)
	end, _ := n.AttrInt("end", math.MaxInt64)
	s, e := shapeRange(len(x.Dims), start, end)
	v := append([]importer.Dim(nil), x.Dims[s:e]...)
	return []*ValueShape{{DType: importer.Int64, Dims: []importer.Dim{fixed(e - s)}, Known: true, Vals: v}}, nil
}

// shapeGather is the shape rule of Gather.
func shapeGather(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	return []*ValueShape{inferGather(n, x, sc.in(1), sc.cst(1))}, nil
}

// shapeConstant is the shape rule of Constant.
func shapeConstant(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	t, err := constantValue(n)
	if err != nil {
		return nil, err
	}
	return []*ValueShape{fromTensor(t)}, nil
}

// shapeConstantOfShape is the shape rule of ConstantOfShape.
func shapeConstantOfShape(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	dt := importer.Float
	if v, _ := n.AttrTensor("value"); v != nil {
		dt = v.DType
	}
	s := sc.in(0)
	if s.Vals == nil {
		if s.Known && len(s.Dims) == 1 && s.Dims[0].Param == "" && s.Dims[0].Value >= 0 {
			d := make([]importer.Dim, s.Dims[0].Value)
			for i := range d {
				d[i] = unknownDim
			}
			return []*ValueShape{{DType: dt, Dims: d, Known: true}}, nil
		}
		return []*ValueShape{{DType: dt}}, nil
	}
	return []*ValueShape{{DType: dt, Dims: append([]importer.Dim(nil), s.Vals...), Known: true}}, nil
}

// shapeSlice is the shape rule of Slice.
func shapeSlice(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	return []*ValueShape{inferSlice(n, x, sc.cst)}, nil
}

// shapeExpand is the shape rule of Expand.
func shapeExpand(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	s := sc.in(1)
	if s.Vals == nil || !x.Known {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	return []*ValueShape{{DType: x.DType, Dims: broadcastDims(x.Dims, s.Vals), Known: true}}, nil
}
