package interp

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
)

// PRelu(X, slope) = X for X ≥ 0, slope·X otherwise; slope broadcasts to X
// (unidirectionally: the output has X's shape).
func init() {
	register("PRelu", 2, 2, compilePRelu, shapeSame)
}

func compilePRelu(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, slope := ins[0], ins[1]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		if err := needFloat(slope, "input slope"); err != nil {
			return nil, err
		}
		shape, st, err := broadcastOperands(x.Shape, slope.Shape)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(shape, x.Shape) {
			return nil, fmt.Errorf("slope %v does not broadcast to X %v", slope.Shape, x.Shape)
		}
		out := ar.newFloat(shape)
		forEachBroadcast(shape, st, func(o int, offs []int) {
			v := x.Float[offs[0]]
			if v < 0 {
				v *= slope.Float[offs[1]]
			}
			out.Float[o] = v
		})
		return one(out), nil
	}, nil
}
