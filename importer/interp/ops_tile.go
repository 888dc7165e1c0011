package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// Tile repeats the input repeats[i] times along each axis i.
func init() {
	register("Tile", 2, 2, compileTile, shapeTile)
}

func compileTile(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		reps, err := intList(ins[1], "input repeats")
		if err != nil {
			return nil, err
		}
		if len(reps) != len(x.Shape) {
			return nil, fmt.Errorf("repeats %v for input of rank %d", reps, len(x.Shape))
		}
		shape := make([]int, len(x.Shape))
		for i, r := range reps {
			if r < 0 || r > importer.MaxTensorElements {
				return nil, fmt.Errorf("repeats %v out of range", reps)
			}
			shape[i] = x.Shape[i] * int(r)
		}
		total, err := importer.CheckNumElements(shape)
		if err != nil {
			return nil, err
		}
		st := importer.Strides(x.Shape)
		src := make([]int, 0, total)
		forEachIndex(shape, func(idx []int) {
			o := 0
			for d, v := range idx {
				o += (v % x.Shape[d]) * st[d]
			}
			src = append(src, o)
		})
		return one(gatherTensor(x, shape, src, 0)), nil
	}, nil
}

// shapeTile is the shape rule of Tile: known when repeats are constant.
func shapeTile(sc *shapeCtx) ([]*ValueShape, error) {
	x, r := sc.in(0), sc.cst(1)
	if !x.Known || r == nil || r.IsFloat() || len(r.Int) != len(x.Dims) {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	dims := make([]importer.Dim, len(x.Dims))
	for i, d := range x.Dims {
		switch {
		case r.Int[i] == 1:
			dims[i] = d
		case d.Param == "" && !IsUnknownDim(d):
			dims[i] = importer.Dim{Value: d.Value * r.Int[i]}
		default:
			dims[i] = unknownDim
		}
	}
	return []*ValueShape{{DType: x.DType, Dims: dims, Known: true}}, nil
}
