package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Pointwise activations: elementwise functions of one value whose only
// parameters are attributes (Sigmoid, Tanh, HardSwish, Elu, Erf, ...). Each
// is defined once, in float64, by registerPointwise in its op's file; the
// float kernel rounds f(x) to float32 once, and the quantizer builds its
// lookup table of 8-bit codes from the same function (PointwiseFunc), so the
// two paths can never disagree on what an activation computes.

// pointwiseSpec is one registered activation.
type pointwiseSpec struct {
	// bind reads the node's attributes and returns the function.
	bind func(n *importer.Node) (func(float64) float64, error)
	// nonNegative: f(x) ≥ 0 for every x (the integer output may be unsigned).
	nonNegative bool
	// bindSlice, when set, returns the float kernel over whole slices:
	// dst[i] = float32(f(float64(src[i]))) with the same bits as bind's
	// function, but as one loop the compiler inlines f into instead of a
	// call through a closure per value (the activations that run over
	// every value of a MobileNet).
	bindSlice func(n *importer.Node) (func(dst, src []float32), error)
}

var pointwiseTable = map[string]*pointwiseSpec{}

// registerPointwise registers op as a one-input activation: its kernel,
// its shape rule (the input's) and its function for other stages.
func registerPointwise(op string, nonNegative bool, bind func(n *importer.Node) (func(float64) float64, error)) {
	registerPointwiseSlice(op, nonNegative, bind, nil)
}

// registerPointwiseSlice is registerPointwise with a slice kernel
// (pointwiseSpec.bindSlice) for the float interpreter.
func registerPointwiseSlice(op string, nonNegative bool, bind func(n *importer.Node) (func(float64) float64, error), bindSlice func(n *importer.Node) (func(dst, src []float32), error)) {
	spec := &pointwiseSpec{bind: bind, nonNegative: nonNegative, bindSlice: bindSlice}
	pointwiseTable[op] = spec
	register(op, 1, 1, spec.compile, shapeSame)
	registerEpilogue(op, spec.epilogue)
}

// epilogue is the activation fused into a producer (fuse.go): the float
// kernel's own loop over each block of values, in place; nil when an
// attribute is invalid (the unfused kernel then reports it).
func (spec *pointwiseSpec) epilogue(c *compileCtx, n *importer.Node) epilogue {
	if spec.bindSlice != nil {
		fs, err := spec.bindSlice(n)
		if err != nil {
			return nil
		}
		return func(v []float32) { fs(v, v) }
	}
	f, err := spec.bind(n)
	if err != nil {
		return nil
	}
	return func(v []float32) {
		for i, x := range v {
			v[i] = float32(f(float64(x)))
		}
	}
}

// fixedPointwise is the bind function of an activation without attributes.
func fixedPointwise(f func(float64) float64) func(n *importer.Node) (func(float64) float64, error) {
	return func(*importer.Node) (func(float64) float64, error) { return f, nil }
}

// PointwiseFunc returns the function node n applies to each element when
// its op is a pointwise activation (ok false otherwise), with n's
// attributes bound, and whether its values are never negative. An invalid
// attribute is an error naming it.
func PointwiseFunc(n *importer.Node) (f func(float64) float64, nonNegative, ok bool, err error) {
	spec := pointwiseTable[n.OpType]
	if spec == nil || !n.InDefaultDomain() {
		return nil, false, false, nil
	}
	f, err = spec.bind(n)
	if err != nil {
		return nil, false, true, importer.NodeError(n, err)
	}
	return f, spec.nonNegative, true, nil
}

func (spec *pointwiseSpec) compile(c *compileCtx, n *importer.Node) (kernel, error) {
	f, err := spec.bind(n)
	if err != nil {
		return nil, err
	}
	if spec.bindSlice == nil {
		return compileUnary(func(x float32) float32 { return float32(f(float64(x))) })(c, n)
	}
	fs, err := spec.bindSlice(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input"); err != nil {
			return nil, err
		}
		out := ar.newFloat(x.Shape)
		dst := out.Float
		parallelElementwise(len(x.Float), numWorkers(), func(lo, hi int) { fs(dst[lo:hi], x.Float[lo:hi]) })
		return one(out), nil
	}, nil
}

// floatAttrs reads float attributes with defaults, in order.
func floatAttrs(n *importer.Node, names []string, defs ...float32) ([]float64, error) {
	out := make([]float64, len(names))
	for i, name := range names {
		v, err := n.AttrFloat(name, defs[i])
		if err != nil {
			return nil, err
		}
		if math.IsNaN(float64(v)) {
			return nil, fmt.Errorf("attribute %s is NaN", name)
		}
		out[i] = float64(v)
	}
	return out, nil
}
