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
}

var pointwiseTable = map[string]*pointwiseSpec{}

// registerPointwise registers op as a one-input activation: its kernel,
// its shape rule (the input's) and its function for other stages.
func registerPointwise(op string, nonNegative bool, bind func(n *importer.Node) (func(float64) float64, error)) {
	pointwiseTable[op] = &pointwiseSpec{bind: bind, nonNegative: nonNegative}
	register(op, 1, 1, compilePointwise(bind), shapeSame)
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

func compilePointwise(bind func(n *importer.Node) (func(float64) float64, error)) func(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(c *compileCtx, n *importer.Node) (kernel, error) {
		f, err := bind(n)
		if err != nil {
			return nil, err
		}
		return compileUnary(func(x float32) float32 { return float32(f(float64(x))) })(c, n)
	}
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
