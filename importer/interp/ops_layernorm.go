package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// LayerNormalization (opset 17) normalizes over the axes [axis, rank):
// Y = (X - mean) / sqrt(var + epsilon) · Scale + B, with Scale and B
// broadcast over the normalized axes; the optional Mean and InvStdDev
// outputs keep X's leading axes and have size 1 on the normalized ones.
// InstanceNormalization normalizes each (sample, channel) plane of
// [N, C, ...] with per-channel scale and B. Statistics are accumulated in
// float64.
func init() {
	register("LayerNormalization", 2, 3, compileLayerNorm, shapeLayerNorm)
	register("InstanceNormalization", 3, 3, compileInstanceNorm, shapeSame)
}

func compileLayerNorm(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, scale := ins[0], ins[1]
		var bias *importer.Tensor
		if len(ins) > 2 {
			bias = ins[2]
		}
		for _, t := range []*importer.Tensor{x, scale, bias} {
			if t != nil && !t.IsFloat() {
				return nil, fmt.Errorf("inputs must be float tensors, have %s", t)
			}
		}
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		rows := importer.NumElements(x.Shape[:ax])
		cols := importer.NumElements(x.Shape[ax:])
		norm := x.Shape[ax:]
		_, sst, err := broadcastOperands(norm, scale.Shape)
		if err != nil || importer.NumElements(scale.Shape) > cols {
			return nil, fmt.Errorf("scale %v does not broadcast to the normalized shape %v", scale.Shape, norm)
		}
		var bst [][]int
		if bias != nil {
			if _, bst, err = broadcastOperands(norm, bias.Shape); err != nil || importer.NumElements(bias.Shape) > cols {
				return nil, fmt.Errorf("B %v does not broadcast to the normalized shape %v", bias.Shape, norm)
			}
		}
		// Per normalized element, the offsets into scale and B.
		sOff := make([]int, cols)
		bOff := make([]int, cols)
		forEachBroadcast(norm, [][]int{sst[1]}, func(o int, offs []int) { sOff[o] = offs[0] })
		if bias != nil {
			forEachBroadcast(norm, [][]int{bst[1]}, func(o int, offs []int) { bOff[o] = offs[0] })
		}
		y := ar.newFloat(x.Shape)
		statShape := append([]int(nil), x.Shape[:ax]...)
		for range norm {
			statShape = append(statShape, 1)
		}
		mean := importer.NewFloat(statShape, nil)
		inv := importer.NewFloat(statShape, nil)
		for r := 0; r < rows; r++ {
			row := x.Float[r*cols : (r+1)*cols]
			m, v := meanVar(row)
			is := 1 / math.Sqrt(v+float64(eps))
			mean.Float[r], inv.Float[r] = float32(m), float32(is)
			dst := y.Float[r*cols : (r+1)*cols]
			for i, xv := range row {
				o := (float64(xv) - m) * is * float64(scale.Float[sOff[i]])
				if bias != nil {
					o += float64(bias.Float[bOff[i]])
				}
				dst[i] = float32(o)
			}
		}
		return []*importer.Tensor{y, mean, inv}, nil
	}, nil
}

// meanVar returns the mean and the (population) variance of v in float64.
func meanVar(v []float32) (mean, variance float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	mean = s / float64(len(v))
	for _, x := range v {
		d := float64(x) - mean
		variance += d * d
	}
	return mean, variance / float64(len(v))
}

// shapeLayerNorm is the shape rule of LayerNormalization.
func shapeLayerNorm(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	outs := []*ValueShape{same(x), {DType: importer.Float}, {DType: importer.Float}}
	axis, err := sc.n.AttrInt("axis", -1)
	if err != nil || !x.Known {
		return outs, err
	}
	ax, err := normAxis(axis, len(x.Dims))
	if err != nil {
		return nil, err
	}
	st := append([]importer.Dim(nil), x.Dims[:ax]...)
	for range x.Dims[ax:] {
		st = append(st, fixed(1))
	}
	outs[1] = &ValueShape{DType: importer.Float, Dims: st, Known: true}
	outs[2] = &ValueShape{DType: importer.Float, Dims: st, Known: true}
	return outs, nil
}

func compileInstanceNorm(c *compileCtx, n *importer.Node) (kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, scale, bias := ins[0], ins[1], ins[2]
		for _, t := range ins {
			if err := needFloat(t, "input"); err != nil {
				return nil, err
			}
		}
		if len(x.Shape) < 3 {
			return nil, fmt.Errorf("input %v must be [N, C, ...]", x.Shape)
		}
		C := x.Shape[1]
		if scale.Len() != C || bias.Len() != C {
			return nil, fmt.Errorf("scale %v and B %v must hold %d values", scale.Shape, bias.Shape, C)
		}
		plane := importer.NumElements(x.Shape[2:])
		y := ar.newFloat(x.Shape)
		for p := 0; p < x.Shape[0]*C; p++ {
			c := p % C
			row := x.Float[p*plane : (p+1)*plane]
			m, v := meanVar(row)
			is := 1 / math.Sqrt(v+float64(eps))
			dst := y.Float[p*plane : (p+1)*plane]
			for i, xv := range row {
				dst[i] = float32((float64(xv)-m)*is*float64(scale.Float[c]) + float64(bias.Float[c]))
			}
		}
		return one(y), nil
	}, nil
}
