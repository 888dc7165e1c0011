package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Range(start, limit, delta) = start, start+delta, ... up to (excluding)
// limit: max(ceil((limit-start)/delta), 0) values of start's type.
func init() {
	register("Range", 3, 3, compileRange, shapeRange1D)
}

func compileRange(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		for i, t := range ins {
			if t == nil || t.Len() != 1 {
				return nil, fmt.Errorf("input %d must be a scalar, have %v", i, t)
			}
			if t.IsFloat() != ins[0].IsFloat() {
				return nil, fmt.Errorf("inputs have different element types")
			}
		}
		if ins[0].IsFloat() {
			s, l, d := float64(ins[0].Float[0]), float64(ins[1].Float[0]), float64(ins[2].Float[0])
			cnt := math.Ceil((l - s) / d)
			if d == 0 || math.IsNaN(cnt) || cnt > importer.MaxTensorElements {
				return nil, fmt.Errorf("range(%g, %g, %g) has no finite length", s, l, d)
			}
			k := max(int(cnt), 0)
			out := importer.NewFloat([]int{k}, nil)
			out.DType = ins[0].DType
			st, dt := ins[0].Float[0], ins[2].Float[0]
			for i := range out.Float {
				out.Float[i] = st + float32(i)*dt
			}
			return one(out), nil
		}
		s, l, d := ins[0].Int[0], ins[1].Int[0], ins[2].Int[0]
		if d == 0 {
			return nil, fmt.Errorf("delta is 0")
		}
		cnt := (l - s + d - sign64(d)) / d
		if cnt > importer.MaxTensorElements {
			return nil, fmt.Errorf("range(%d, %d, %d) has %d values", s, l, d, cnt)
		}
		k := max(int(cnt), 0)
		out := &importer.Tensor{DType: ins[0].DType, Shape: []int{k}, Int: make([]int64, k)}
		for i := range out.Int {
			out.Int[i] = s + int64(i)*d
		}
		return one(out), nil
	}, nil
}

func sign64(v int64) int64 {
	if v < 0 {
		return -1
	}
	return 1
}

// shapeRange1D is the shape rule of Range: a vector of unknown length.
func shapeRange1D(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{{DType: sc.in(0).DType, Dims: []importer.Dim{unknownDim}, Known: true}}, nil
}
