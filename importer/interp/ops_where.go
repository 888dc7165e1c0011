package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// Where(C, X, Y) = C ? X : Y elementwise, with all three broadcast (numpy
// rules); C is bool, X and Y of one element type, which the output keeps.
func init() {
	register("Where", 3, 3, compileWhere, shapeWhere)
}

func compileWhere(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		cond, x, y := ins[0], ins[1], ins[2]
		if err := needBool(cond, "input condition"); err != nil {
			return nil, err
		}
		if x.IsFloat() != y.IsFloat() {
			return nil, fmt.Errorf("X %s and Y %s have different element types", x, y)
		}
		shape, st, err := broadcastOperands(cond.Shape, x.Shape, y.Shape)
		if err != nil {
			return nil, err
		}
		if x.IsFloat() {
			out := ar.newFloat(shape)
			forEachBroadcast(shape, st, func(o int, offs []int) {
				if cond.Int[offs[0]] != 0 {
					out.Float[o] = x.Float[offs[1]]
				} else {
					out.Float[o] = y.Float[offs[2]]
				}
			})
			out.DType = x.DType
			return one(out), nil
		}
		out := &importer.Tensor{DType: x.DType, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
		forEachBroadcast(shape, st, func(o int, offs []int) {
			if cond.Int[offs[0]] != 0 {
				out.Int[o] = x.Int[offs[1]]
			} else {
				out.Int[o] = y.Int[offs[2]]
			}
		})
		return one(out), nil
	}, nil
}

// shapeWhere is the shape rule of Where: the broadcast of all three, X's
// type.
func shapeWhere(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{broadcastShapeOf(sc, 0, 3, sc.in(1).DType)}, nil
}
