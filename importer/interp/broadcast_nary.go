package interp

import "github.com/rramc/rramc/importer"

// N-ary broadcasting (Where, variadic Max/Min/Sum/Mean, comparisons): an
// odometer over the output that keeps one offset per operand. The binary
// arithmetic kernels use the faster row-merging broadcastLoop instead.

// broadcastOperands returns the broadcast output shape of shapes (checked
// against MaxTensorElements) and each operand's strides into it.
func broadcastOperands(shapes ...[]int) (out []int, strides [][]int, err error) {
	out, err = importer.BroadcastShapes(shapes...)
	if err != nil {
		return nil, nil, err
	}
	if _, err := importer.CheckNumElements(out); err != nil {
		return nil, nil, err
	}
	strides = make([][]int, len(shapes))
	for i, s := range shapes {
		strides[i] = broadcastStrides(s, out)
	}
	return out, strides, nil
}

// forEachBroadcast calls fn for every output element in row-major order
// with its flat index and the flat index of every operand.
func forEachBroadcast(out []int, strides [][]int, fn func(o int, offs []int)) {
	total := importer.NumElements(out)
	offs := make([]int, len(strides))
	idx := make([]int, len(out))
	for o := 0; o < total; o++ {
		fn(o, offs)
		for d := len(out) - 1; d >= 0; d-- {
			idx[d]++
			for k := range offs {
				offs[k] += strides[k][d]
			}
			if idx[d] < out[d] {
				break
			}
			for k := range offs {
				offs[k] -= idx[d] * strides[k][d]
			}
			idx[d] = 0
		}
	}
}

// shapeBroadcast is the shape rule of ops whose output is the broadcast of
// all their inputs, with the first input's element type.
func shapeBroadcast(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{broadcastShapeOf(sc, 0, len(sc.n.Inputs), sc.in(0).DType)}, nil
}

// broadcastShapeOf broadcasts the shapes of inputs [from, to) symbolically.
func broadcastShapeOf(sc *shapeCtx, from, to int, dt importer.DataType) *ValueShape {
	var dims []importer.Dim
	for i := from; i < to; i++ {
		s := sc.in(i)
		if !s.Known {
			return &ValueShape{DType: dt}
		}
		if i == from {
			dims = s.Dims
			continue
		}
		dims = broadcastDims(dims, s.Dims)
	}
	return &ValueShape{DType: dt, Dims: dims, Known: true}
}
