package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Mod with numpy broadcasting: fmod = 1 gives C's fmod (the result has the
// dividend's sign; required for floats), fmod = 0 Python's % on integers
// (the divisor's sign). An integer division by zero is an error.
func init() {
	register("Mod", 2, 2, compileMod, shapePow)
}

func compileMod(c *compileCtx, n *importer.Node) (kernel, error) {
	f, err := n.AttrInt("fmod", 0)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		a, b := ins[0], ins[1]
		if a.IsFloat() != b.IsFloat() {
			return nil, fmt.Errorf("operands have different element types %s and %s", a, b)
		}
		shape, st, err := broadcastOperands(a.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		if a.IsFloat() {
			if f == 0 {
				return nil, fmt.Errorf("fmod=0 on float tensors (the specification requires fmod=1)")
			}
			out := ar.newFloat(shape)
			out.DType = a.DType
			forEachBroadcast(shape, st, func(o int, offs []int) {
				out.Float[o] = float32(math.Mod(float64(a.Float[offs[0]]), float64(b.Float[offs[1]])))
			})
			return one(out), nil
		}
		out := &importer.Tensor{DType: a.DType, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
		var divErr error
		forEachBroadcast(shape, st, func(o int, offs []int) {
			x, y := a.Int[offs[0]], b.Int[offs[1]]
			if y == 0 {
				divErr = fmt.Errorf("integer modulo by zero")
				return
			}
			r := x % y
			if f == 0 && r != 0 && (r < 0) != (y < 0) {
				r += y
			}
			out.Int[o] = r
		})
		if divErr != nil {
			return nil, divErr
		}
		return one(out), nil
	}, nil
}
