package interp

import "github.com/rramc/rramc/importer"

// Max, Min, Sum and Mean of one or more inputs, elementwise with numpy
// broadcasting over all of them (float inputs). Max and Min propagate NaN
// as numpy's maximum and minimum do; Mean is the float64 sum divided by the
// input count, rounded once.
func init() {
	for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
		register(op, 1, -1, compileVariadic, shapeBroadcast)
	}
}

func compileVariadic(c *compileCtx, n *importer.Node) (kernel, error) {
	fold := func(acc, v float64) float64 { return acc + v }
	switch n.OpType {
	case "Max":
		fold = reduceMax
	case "Min":
		fold = reduceMin
	}
	mean := n.OpType == "Mean"
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		shapes := make([][]int, len(ins))
		for i, t := range ins {
			if err := needFloat(t, "input"); err != nil {
				return nil, err
			}
			shapes[i] = t.Shape
		}
		shape, st, err := broadcastOperands(shapes...)
		if err != nil {
			return nil, err
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
