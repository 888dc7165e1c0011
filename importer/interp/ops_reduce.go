package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// The Reduce family: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp. The
// axes are an attribute (opsets before 18; ReduceSum before 13) or the
// optional second input; no axes reduces over all of them unless
// noop_with_empty_axes is set, which makes the op the identity. keepdims
// (default 1) keeps reduced axes as size 1. Values are accumulated in
// float64 and rounded once; an empty reduction gives the operation's
// identity (0 for sums, 1 for the product, -∞ for Max, +∞ for Min, NaN for
// the mean of nothing), as ONNX's reference does.

// reduction is one member of the family: the accumulator's start value,
// how an element is folded in, and how the result is finished from the
// accumulator and the element count.
type reduction struct {
	start  float64
	fold   func(acc, x float64) float64
	finish func(acc float64, n int) float64
}

var reductions = map[string]reduction{
	"ReduceSum":       {0, func(a, x float64) float64 { return a + x }, nil},
	"ReduceMean":      {0, func(a, x float64) float64 { return a + x }, func(a float64, n int) float64 { return a / float64(n) }},
	"ReduceMax":       {math.Inf(-1), reduceMax, nil},
	"ReduceMin":       {math.Inf(1), reduceMin, nil},
	"ReduceProd":      {1, func(a, x float64) float64 { return a * x }, nil},
	"ReduceL1":        {0, func(a, x float64) float64 { return a + math.Abs(x) }, nil},
	"ReduceL2":        {0, func(a, x float64) float64 { return a + x*x }, func(a float64, _ int) float64 { return math.Sqrt(a) }},
	"ReduceSumSquare": {0, func(a, x float64) float64 { return a + x*x }, nil},
	"ReduceLogSum":    {0, func(a, x float64) float64 { return a + x }, func(a float64, _ int) float64 { return math.Log(a) }},
	"ReduceLogSumExp": {0, func(a, x float64) float64 { return a + math.Exp(x) }, func(a float64, _ int) float64 { return math.Log(a) }},
}

// reduceMax and reduceMin propagate NaN, as numpy's max and min do.
func reduceMax(a, x float64) float64 {
	if math.IsNaN(a) || math.IsNaN(x) {
		return math.NaN()
	}
	return math.Max(a, x)
}

func reduceMin(a, x float64) float64 {
	if math.IsNaN(a) || math.IsNaN(x) {
		return math.NaN()
	}
	return math.Min(a, x)
}

func init() {
	for name := range reductions {
		register(name, 1, 2, compileReduce, shapeReduce)
	}
}

// reduceAttrs are a Reduce node's settings; axes nil means "from input 1
// at run time" when axesInput is set.
type reduceAttrs struct {
	keep, noop bool
	axes       []int64
	axesInput  bool
}

func readReduceAttrs(n *importer.Node) (reduceAttrs, error) {
	var r reduceAttrs
	k, err := n.AttrInt("keepdims", 1)
	if err != nil {
		return r, err
	}
	noop, err := n.AttrInt("noop_with_empty_axes", 0)
	if err != nil {
		return r, err
	}
	r.keep, r.noop = k != 0, noop != 0
	if r.axes, err = n.AttrInts("axes"); err != nil {
		return r, err
	}
	r.axesInput = len(n.Inputs) > 1 && n.Inputs[1] != ""
	if r.axesInput && r.axes != nil {
		return r, fmt.Errorf("axes given both as attribute and as input")
	}
	return r, nil
}

// reducedShape normalizes axes for rank and returns the output shape and a
// per-dim flag of reduced axes. identity reports the noop case.
func (r reduceAttrs) reducedShape(in []int, axes []int64) (out []int, reduced []bool, identity bool, err error) {
	if len(axes) == 0 && r.noop {
		return in, nil, true, nil
	}
	reduced = make([]bool, len(in))
	if len(axes) == 0 {
		for i := range reduced {
			reduced[i] = true
		}
	}
	for _, a := range axes {
		ax, err := normAxis(a, len(in))
		if err != nil {
			return nil, nil, false, err
		}
		if reduced[ax] {
			return nil, nil, false, fmt.Errorf("axis %d repeated in axes %v", a, axes)
		}
		reduced[ax] = true
	}
	for i, d := range in {
		switch {
		case !reduced[i]:
			out = append(out, d)
		case r.keep:
			out = append(out, 1)
		}
	}
	return out, reduced, false, nil
}

func compileReduce(c *compileCtx, n *importer.Node) (kernel, error) {
	r, err := readReduceAttrs(n)
	if err != nil {
		return nil, err
	}
	red := reductions[n.OpType]
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input data"); err != nil {
			return nil, err
		}
		axes := r.axes
		if r.axesInput && len(ins) > 1 && ins[1] != nil {
			if axes, err = intList(ins[1], "input axes"); err != nil {
				return nil, err
			}
		}
		outShape, reduced, identity, err := r.reducedShape(x.Shape, axes)
		if err != nil {
			return nil, err
		}
		if identity {
			return one(x), nil
		}
		// Output index of every input element: the input strides of the
		// kept dims, in order.
		outStrides := make([]int, len(x.Shape))
		acc := 1
		for i := len(x.Shape) - 1; i >= 0; i-- {
			if !reduced[i] {
				outStrides[i] = acc
				acc *= x.Shape[i]
			}
		}
		nOut := acc
		count := 1
		for i, d := range x.Shape {
			if reduced[i] {
				count *= d
			}
		}
		sums := make([]float64, nOut)
		for i := range sums {
			sums[i] = red.start
		}
		idx := make([]int, len(x.Shape))
		o := 0
		for _, v := range x.Float {
			sums[o] = red.fold(sums[o], float64(v))
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d]++
				o += outStrides[d]
				if idx[d] < x.Shape[d] {
					break
				}
				o -= idx[d] * outStrides[d]
				idx[d] = 0
			}
		}
		out := ar.newFloat(outShape)
		for i, s := range sums {
			if red.finish != nil {
				s = red.finish(s, count)
			}
			out.Float[i] = float32(s)
		}
		return one(out), nil
	}, nil
}

// shapeReduce is the shape rule of the Reduce family.
func shapeReduce(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	r, err := readReduceAttrs(sc.n)
	if err != nil {
		return nil, err
	}
	axes := r.axes
	if r.axesInput {
		t := sc.cst(1)
		if t == nil || t.IsFloat() {
			return []*ValueShape{{DType: x.DType}}, nil
		}
		axes = t.Int
	}
	if !x.Known {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	if len(axes) == 0 && r.noop {
		return []*ValueShape{same(x)}, nil
	}
	reduced := make([]bool, len(x.Dims))
	for _, a := range axes {
		ax, err := normAxis(a, len(x.Dims))
		if err != nil {
			return nil, err
		}
		reduced[ax] = true
	}
	dims := []importer.Dim{} // a scalar when everything is reduced away
	for i, d := range x.Dims {
		switch {
		case len(axes) > 0 && !reduced[i]:
			dims = append(dims, d)
		case r.keep:
			dims = append(dims, fixed(1))
		}
	}
	return []*ValueShape{{DType: x.DType, Dims: dims, Known: true}}, nil
}
