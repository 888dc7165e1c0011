package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// MeanVarianceNormalization normalizes X over the axes (default [0, 2, 3]:
// per channel over the batch and the spatial axes) as ONNX's function body
// defines it: Y = (X − E[X]) / (√(E[X²] − E[X]²) + 1e-9). Statistics are
// accumulated in float64 (the variance as the mean squared deviation,
// which equals E[X²] − E[X]² without its cancellation).
func init() {
	register("MeanVarianceNormalization", 1, 1, compileMVN, shapeSame)
}

// MVNEpsilon is what MeanVarianceNormalization adds to the standard
// deviation.
const MVNEpsilon = 1e-9

// MVNAxes reads MeanVarianceNormalization's axes for an input of rank r,
// normalized to [0, r) and checked.
func MVNAxes(n *importer.Node, r int) ([]int, error) {
	axes := []int{0, 2, 3}
	if a, ok := n.Attrs["axes"]; ok {
		axes = axes[:0]
		for _, v := range a.Ints {
			axes = append(axes, int(v))
		}
	}
	seen := make([]bool, r)
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r || seen[a] {
			return nil, fmt.Errorf("%w: node %q (MeanVarianceNormalization): axes %v for rank %d", importer.ErrInvalidModel, n.Name, axes, r)
		}
		seen[a] = true
		out = append(out, a)
	}
	return out, nil
}

// MVNGroups gives every element of a tensor of the given shape the index
// of its group: the elements that share their coordinates on every axis
// not in axes. It returns the group of each element and the group count.
func MVNGroups(shape, axes []int) ([]int, int) {
	reduced := make([]bool, len(shape))
	for _, a := range axes {
		reduced[a] = true
	}
	groups := 1
	for a, d := range shape {
		if !reduced[a] {
			groups *= d
		}
	}
	size := importer.NumElements(shape)
	of := make([]int, size)
	idx := make([]int, len(shape))
	for e := 0; e < size; e++ {
		g := 0
		for a, d := range shape {
			if !reduced[a] {
				g = g*d + idx[a]
			}
		}
		of[e] = g
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return of, groups
}

func compileMVN(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input"); err != nil {
			return nil, err
		}
		axes, err := MVNAxes(n, len(x.Shape))
		if err != nil {
			return nil, err
		}
		of, groups := MVNGroups(x.Shape, axes)
		sum := make([]float64, groups)
		count := make([]float64, groups)
		for e, v := range x.Float {
			sum[of[e]] += float64(v)
			count[of[e]]++
		}
		for g := range sum {
			sum[g] /= count[g] // the mean
		}
		dev := make([]float64, groups)
		for e, v := range x.Float {
			d := float64(v) - sum[of[e]]
			dev[of[e]] += d * d
		}
		y := ar.newFloat(x.Shape)
		for e, v := range x.Float {
			g := of[e]
			y.Float[e] = float32((float64(v) - sum[g]) / (math.Sqrt(dev[g]/count[g]) + MVNEpsilon))
		}
		return one(y), nil
	}, nil
}
