package interp

import (
	"fmt"
	"math"
	"sort"

	"github.com/rramc/rramc/importer"
)

// TopK returns the K largest (largest=1, default) or smallest values along
// axis (default -1) and their int64 indices; sorted=1 orders them (the
// only order rramc gives; equal values keep the lower index first, as
// ONNX's reference does). K is input 1 (opset 10+) or attribute k (before).
func init() {
	register("TopK", 1, 2, compileTopK, shapeTopK)
}

func compileTopK(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	lg, err := n.AttrInt("largest", 1)
	if err != nil {
		return nil, err
	}
	kAttr, err := n.AttrInt("k", -1)
	if err != nil {
		return nil, err
	}
	largest := lg != 0
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		k := kAttr
		if len(ins) > 1 && ins[1] != nil {
			v, err := intList(ins[1], "input K")
			if err != nil {
				return nil, err
			}
			if len(v) != 1 {
				return nil, fmt.Errorf("K must hold one value, has %d", len(v))
			}
			k = v[0]
		}
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		d := x.Shape[ax]
		if k < 0 || k > int64(d) {
			return nil, fmt.Errorf("K %d out of range for axis of size %d", k, d)
		}
		outer, inner := importer.NumElements(x.Shape[:ax]), importer.NumElements(x.Shape[ax+1:])
		shape := append([]int(nil), x.Shape...)
		shape[ax] = int(k)
		vals := importer.NewFloat(shape, nil)
		idxs := &importer.Tensor{DType: importer.Int64, Shape: append([]int(nil), shape...), Int: make([]int64, importer.NumElements(shape))}
		order := make([]int, d)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				at := func(j int) float64 { return float64(x.Float[(o*d+j)*inner+i]) }
				for j := range order {
					order[j] = j
				}
				sort.SliceStable(order, func(p, q int) bool {
					a, b := at(order[p]), at(order[q])
					// NaN counts as the largest value, as numpy sorts it.
					switch an, bn := math.IsNaN(a), math.IsNaN(b); {
					case an && bn:
						return false
					case an:
						return largest
					case bn:
						return !largest
					}
					if largest {
						return a > b
					}
					return a < b
				})
				for j := 0; j < int(k); j++ {
					vals.Float[(o*int(k)+j)*inner+i] = float32(at(order[j]))
					idxs.Int[(o*int(k)+j)*inner+i] = int64(order[j])
				}
			}
		}
		return []*importer.Tensor{vals, idxs}, nil
	}, nil
}

// shapeTopK is the shape rule of TopK: X's shape with K on the axis.
func shapeTopK(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	outs := []*ValueShape{{DType: x.DType}, {DType: importer.Int64}}
	if !x.Known {
		return outs, nil
	}
	axis, err := sc.n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	ax, err := normAxis(axis, len(x.Dims))
	if err != nil {
		return nil, err
	}
	dims := append([]importer.Dim(nil), x.Dims...)
	dims[ax] = unknownDim
	if t := sc.cst(1); t != nil && !t.IsFloat() && len(t.Int) == 1 {
		dims[ax] = importer.Dim{Value: t.Int[0]}
	} else if k, _ := sc.n.AttrInt("k", -1); k >= 0 && len(sc.n.Inputs) < 2 {
		dims[ax] = importer.Dim{Value: k}
	}
	return []*ValueShape{{DType: x.DType, Dims: dims, Known: true}, {DType: importer.Int64, Dims: dims, Known: true}}, nil
}
