package interp

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
)

// GatherElements: output[i][j][k] = data[index[i][j][k]][j][k] for axis 0
// (likewise for other axes); the output has the indices' shape, negative
// indices count from the end.
func init() {
	register("GatherElements", 2, 2, compileGatherElements, shapeGatherElements)
}

func compileGatherElements(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, ind := ins[0], ins[1]
		if ind.IsFloat() {
			return nil, fmt.Errorf("indices must be an integer tensor, have %s", ind)
		}
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		if len(ind.Shape) != len(x.Shape) {
			return nil, fmt.Errorf("indices %v and data %v ranks differ", ind.Shape, x.Shape)
		}
		st := importer.Strides(x.Shape)
		src := make([]int, 0, ind.Len())
		var bad error
		k := 0
		forEachIndex(ind.Shape, func(idx []int) {
			v := ind.Int[k]
			k++
			d := int64(x.Shape[ax])
			if v < 0 {
				v += d
			}
			if v < 0 || v >= d {
				if bad == nil {
					bad = fmt.Errorf("index %d out of range for axis of size %d", ind.Int[k-1], d)
				}
				src = append(src, 0)
				return
			}
			o := 0
			for j, p := range idx {
				if j == ax {
					p = int(v)
				} else if p >= x.Shape[j] {
					bad = fmt.Errorf("indices %v exceed data %v outside the axis", ind.Shape, x.Shape)
					p = 0
				}
				o += p * st[j]
			}
			src = append(src, o)
		})
		if bad != nil {
			return nil, bad
		}
		return one(gatherTensor(x, slices.Clone(ind.Shape), src, 0)), nil
	}, nil
}

// shapeGatherElements is the shape rule of GatherElements: the indices'
// shape with the data's type.
func shapeGatherElements(sc *shapeCtx) ([]*ValueShape, error) {
	s := same(sc.in(1))
	s.DType = sc.in(0).DType
	return []*ValueShape{s}, nil
}
