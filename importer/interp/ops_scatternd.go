package interp

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// ScatterND(data, indices, updates): a copy of data in which the slices
// addressed by the last axis of indices (each row a prefix index of length
// k ≤ rank(data)) are replaced by, or combined with (reduction add, mul,
// max, min; opsets 16 and 18), the matching slices of updates, whose shape
// must be indices.shape[:-1] ++ data.shape[k:]. Negative indices count from
// the end. Rows are applied in order, so with duplicate rows and no
// reduction the last one wins (ONNX leaves that case unspecified). Swin
// Transformer's attention mask is built with it.
func init() {
	register("ScatterND", 3, 3, compileScatterND, shapeScatterND)
}

func compileScatterND(c *compileCtx, n *importer.Node) (kernel, error) {
	reduction, err := n.AttrString("reduction", "none")
	if err != nil {
		return nil, err
	}
	var combineF func(a, b float32) float32
	var combineI func(a, b int64) int64
	switch reduction {
	case "none":
	case "add":
		combineF = func(a, b float32) float32 { return a + b }
		combineI = func(a, b int64) int64 { return a + b }
	case "mul":
		combineF = func(a, b float32) float32 { return a * b }
		combineI = func(a, b int64) int64 { return a * b }
	case "max":
		combineF = func(a, b float32) float32 { return float32(math.Max(float64(a), float64(b))) }
		combineI = func(a, b int64) int64 { return max(a, b) }
	case "min":
		combineF = func(a, b float32) float32 { return float32(math.Min(float64(a), float64(b))) }
		combineI = func(a, b int64) int64 { return min(a, b) }
	default:
		return nil, fmt.Errorf("%w: reduction %q (want none, add, mul, max or min)", importer.ErrInvalidModel, reduction)
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		data, ind, upd := ins[0], ins[1], ins[2]
		if ind.IsFloat() {
			return nil, fmt.Errorf("indices must be an integer tensor, have %s", ind)
		}
		if data.IsFloat() != upd.IsFloat() {
			return nil, fmt.Errorf("data %s and updates %s have different element types", data, upd)
		}
		if len(ind.Shape) == 0 {
			return nil, fmt.Errorf("indices must have rank ≥ 1, have a scalar")
		}
		k := ind.Shape[len(ind.Shape)-1]
		if k < 1 || k > len(data.Shape) {
			return nil, fmt.Errorf("index rows of length %d for data of rank %d", k, len(data.Shape))
		}
		// updates must be indices.shape[:-1] ++ data.shape[k:]
		want := append(append([]int{}, ind.Shape[:len(ind.Shape)-1]...), data.Shape[k:]...)
		if !slices.Equal(upd.Shape, want) {
			return nil, fmt.Errorf("updates %v, want %v for indices %v and data %v", upd.Shape, want, ind.Shape, data.Shape)
		}
		st := importer.Strides(data.Shape)
		slice := 1
		for _, d := range data.Shape[k:] {
			slice *= d
		}
		rows := ind.Len() / k
		out := data.Clone()
		for r := 0; r < rows; r++ {
			off := 0
			for j := 0; j < k; j++ {
				v := ind.Int[r*k+j]
				d := int64(data.Shape[j])
				if v < 0 {
					v += d
				}
				if v < 0 || v >= d {
					return nil, fmt.Errorf("index %d out of range for axis %d of size %d", ind.Int[r*k+j], j, d)
				}
				off += int(v) * st[j]
			}
			src, dst := r*slice, off
			if data.IsFloat() {
				for i := 0; i < slice; i++ {
					if combineF == nil {
						out.Float[dst+i] = upd.Float[src+i]
					} else {
						out.Float[dst+i] = combineF(out.Float[dst+i], upd.Float[src+i])
					}
				}
				continue
			}
			for i := 0; i < slice; i++ {
				if combineI == nil {
					out.Int[dst+i] = upd.Int[src+i]
				} else {
					out.Int[dst+i] = combineI(out.Int[dst+i], upd.Int[src+i])
				}
			}
		}
		return one(out), nil
	}, nil
}

// shapeScatterND is the shape rule of ScatterND: the data's shape and type.
func shapeScatterND(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{same(sc.in(0))}, nil
}
