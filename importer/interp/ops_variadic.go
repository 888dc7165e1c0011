package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// Max, Min, Sum and Mean of one or more inputs, elementwise with numpy
// broadcasting over all of them. Float inputs: Max and Min propagate NaN as
// numpy's maximum and minimum do; Mean is the float64 sum divided by the
// input count, rounded once. Integer inputs (Max and Min, opset 12+) of one
// element type are compared exactly.
func init() {
	for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
		register(op, 1, -1, compileVariadic, shapeBroadcast)
	}
}

func compileVariadic(c *compileCtx, n *importer.Node) (kernel, error) {
	fold := func(acc, v float64) float64 { return acc + v }
	var intFold func(a, b int64) int64
	switch n.OpType {
	case "Max":
		fold, intFold = reduceMax, func(a, b int64) int64 { return max(a, b) }
	case "Min":
		fold, intFold = reduceMin, func(a, b int64) int64 { return min(a, b) }
	}
	mean := n.OpType == "Mean"
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		shapes := make([][]int, len(ins))
		for i, t := range ins {
			if t == nil {
				return nil, fmt.Errorf("input %d is missing", i)
			}
			if t.IsFloat() != ins[0].IsFloat() || !t.IsFloat() && t.DType != ins[0].DType {
				return nil, fmt.Errorf("inputs %s and %s have different element types", ins[0], t)
			}
			shapes[i] = t.Shape
		}
		shape, st, err := broadcastOperands(shapes...)
		if err != nil {
			return nil, err
		}
		if !ins[0].IsFloat() {
			if intFold == nil {
				return nil, fmt.Errorf("%s of integer tensors is not supported (float only)", n.OpType)
			}
			out := &importer.Tensor{DType: ins[0].DType, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
			forEachBroadcast(shape, st, func(o int, offs []int) {
				acc := ins[0].Int[offs[0]]
				for k := 1; k < len(ins); k++ {
					acc = intFold(acc, ins[k].Int[offs[k]])
				}
				out.Int[o] = acc
			})
			return one(out), nil
		}
		out := ar.newFloat(shape)
		forEachBroadcast(shape, st, func(o int, offs []int) {
			acc := float64(ins[0].Float[offs[0]])
			for k := 1; k < len(ins); k++ {
				acc = fold(acc, float64(ins[k].Float[offs[k]]))
			}
			if mean {
				acc /= float64(len(ins))
			}
			out.Float[o] = float32(acc)
		})
		return one(out), nil
	}, nil
}
