package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// Split cuts the input along axis (default 0) into the node's outputs: by
// the sizes in the split input (opset 13+) or attribute (before 13), or
// else into equal parts, the last one smaller when the size does not divide
// (num_outputs, opset 18).
func init() {
	register("Split", 1, 2, compileSplit, shapeSplit)
}

func splitSizes(n *importer.Node, dim int, given []int64) ([]int, error) {
	outs := len(n.Outputs)
	if given != nil {
		if len(given) != outs {
			return nil, fmt.Errorf("split %v has %d sizes for %d outputs", given, len(given), outs)
		}
		sizes := make([]int, outs)
		sum := int64(0)
		for i, v := range given {
			if v < 0 {
				return nil, fmt.Errorf("split %v has a negative size", given)
			}
			sizes[i] = int(v)
			sum += v
		}
		if sum != int64(dim) {
			return nil, fmt.Errorf("split %v sums to %d, the axis has %d", given, sum, dim)
		}
		return sizes, nil
	}
	chunk := (dim + outs - 1) / outs
	sizes := make([]int, outs)
	left := dim
	for i := range sizes {
		sizes[i] = min(chunk, left)
		left -= sizes[i]
	}
	return sizes, nil
}

func compileSplit(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	attrSplit, err := n.AttrInts("split")
	if err != nil {
		return nil, err
	}
	if no, err := n.AttrInt("num_outputs", 0); err != nil {
		return nil, err
	} else if no != 0 && no != int64(len(n.Outputs)) {
		return nil, fmt.Errorf("num_outputs %d but the node has %d outputs", no, len(n.Outputs))
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		given := attrSplit
		if len(ins) > 1 && ins[1] != nil {
			if given, err = intList(ins[1], "input split"); err != nil {
				return nil, err
			}
		}
		sizes, err := splitSizes(n, x.Shape[ax], given)
		if err != nil {
			return nil, err
		}
		outer := importer.NumElements(x.Shape[:ax])
		inner := importer.NumElements(x.Shape[ax+1:])
		d := x.Shape[ax]
		outs := make([]*importer.Tensor, len(sizes))
		start := 0
		for k, sz := range sizes {
			shape := append([]int(nil), x.Shape...)
			shape[ax] = sz
			src := make([]int, 0, outer*sz*inner)
			for o := 0; o < outer; o++ {
				for j := start; j < start+sz; j++ {
					for i := 0; i < inner; i++ {
						src = append(src, (o*d+j)*inner+i)
					}
				}
			}
			outs[k] = gatherTensor(x, shape, src, 0)
			start += sz
		}
		return outs, nil
	}, nil
}

// shapeSplit is the shape rule of Split: known when the sizes are.
func shapeSplit(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	outs := make([]*ValueShape, len(sc.n.Outputs))
	for i := range outs {
		outs[i] = &ValueShape{DType: x.DType}
	}
	axis, err := sc.n.AttrInt("axis", 0)
	if err != nil || !x.Known {
		return outs, err
	}
	ax, err := normAxis(axis, len(x.Dims))
	if err != nil {
		return nil, err
	}
	d := x.Dims[ax]
	if d.Param != "" || IsUnknownDim(d) {
		return outs, nil
	}
	given, _ := sc.n.AttrInts("split")
	if t := sc.cst(1); t != nil && !t.IsFloat() {
		given = t.Int
	}
	sizes, err := splitSizes(sc.n, int(d.Value), given)
	if err != nil {
		return nil, err
	}
	for i, sz := range sizes {
		dims := append([]importer.Dim(nil), x.Dims...)
		dims[ax] = fixed(sz)
		outs[i] = &ValueShape{DType: x.DType, Dims: dims, Known: true}
	}
	return outs, nil
}
