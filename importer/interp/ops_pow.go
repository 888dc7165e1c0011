package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Pow(X, Y) = X^Y elementwise with numpy broadcasting; the exponent may be
// a float or an integer tensor (opset 12+), the base is float. Computed in
// float64 and rounded once.
func init() {
	register("Pow", 2, 2, compilePow, shapePow)
}

func compilePow(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, y := ins[0], ins[1]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		shape, st, err := broadcastOperands(x.Shape, y.Shape)
		if err != nil {
			return nil, err
		}
		if y.IsFloat() && len(y.Float) != y.Len() || !y.IsFloat() && len(y.Int) != y.Len() {
			return nil, fmt.Errorf("input Y %s holds no values", y)
		}
		out := ar.newFloat(shape)
		forEachBroadcast(shape, st, func(o int, offs []int) {
			var e float64
			if y.IsFloat() {
				e = float64(y.Float[offs[1]])
			} else {
				e = float64(y.Int[offs[1]])
			}
			out.Float[o] = float32(math.Pow(float64(x.Float[offs[0]]), e))
		})
		return one(out), nil
	}, nil
}

// shapePow is the shape rule of Pow: the broadcast shape, X's type.
func shapePow(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{broadcastShapeOf(sc, 0, 2, sc.in(0).DType)}, nil
}
