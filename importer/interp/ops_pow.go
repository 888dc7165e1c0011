package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Pow(X, Y) = X^Y elementwise with numpy broadcasting; base and exponent
// may each be float or integer (opset 12+); the output has the base's type.
// Float results are computed in float64 and rounded once; an integer base
// gives the integer part of the float64 power (as numpy's cast), wrapped
// to the type.
func init() {
	register("Pow", 2, 2, compilePow, shapePow)
}

func compilePow(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, y := ins[0], ins[1]
		shape, st, err := broadcastOperands(x.Shape, y.Shape)
		if err != nil {
			return nil, err
		}
		if y.IsFloat() && len(y.Float) != y.Len() || !y.IsFloat() && len(y.Int) != y.Len() {
			return nil, fmt.Errorf("input Y %s holds no values", y)
		}
		at := func(t *importer.Tensor, i int) float64 {
			if t.IsFloat() {
				return float64(t.Float[i])
			}
			return float64(t.Int[i])
		}
		if !x.IsFloat() {
			out := &importer.Tensor{DType: x.DType, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
			forEachBroadcast(shape, st, func(o int, offs []int) {
				out.Int[o] = wrapInt(int64(math.Pow(at(x, offs[0]), at(y, offs[1]))), x.DType)
			})
			return one(out), nil
		}
		out := ar.newFloat(shape)
		out.DType = x.DType
		forEachBroadcast(shape, st, func(o int, offs []int) {
			out.Float[o] = float32(math.Pow(at(x, offs[0]), at(y, offs[1])))
		})
		return one(out), nil
	}, nil
}

// shapePow is the shape rule of Pow: the broadcast shape, X's type.
func shapePow(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{broadcastShapeOf(sc, 0, 2, sc.in(0).DType)}, nil
}
