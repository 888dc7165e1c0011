package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// QuantizeLinear and DequantizeLinear, so that QDQ models (what quantization
// tools and rramc's own quant package export) run in the float interpreter.
//
//	QuantizeLinear:   y = saturate(roundHalfEven(x / scale) + zero_point)
//	DequantizeLinear: y = (x - zero_point) · scale
//
// scale and zero_point are scalars (per tensor) or 1-D along `axis`
// (per channel, opset ≥ 13; default axis 1). The quantized type is the
// zero point's (uint8 when it is omitted).
func init() {
	register("QuantizeLinear", 2, 3, compileQuantize, shapeQuantize)
	register("DequantizeLinear", 2, 3, compileDequantize, shapeDequantize)
}

// qParams resolves per-element scale/zero point indexing for x: index i
// of x uses parameter entry (i / inner) % n.
func qParams(x, scale, zp *importer.Tensor, axis int64) (n, inner int, err error) {
	if scale == nil || !scale.IsFloat() {
		return 0, 0, fmt.Errorf("scale must be a float tensor, have %s", scale)
	}
	n = scale.Len()
	if n == 0 {
		return 0, 0, fmt.Errorf("scale is empty")
	}
	if zp != nil && (zp.IsFloat() || zp.Len() != n) {
		return 0, 0, fmt.Errorf("zero point %s does not match scale %s", zp, scale)
	}
	if len(scale.Shape) == 0 || n == 1 && len(scale.Shape) <= 1 {
		return 1, 1, nil
	}
	if len(scale.Shape) != 1 {
		return 0, 0, fmt.Errorf("scale must be a scalar or 1-D, have shape %v", scale.Shape)
	}
	a, err := normAxis(axis, len(x.Shape))
	if err != nil {
		return 0, 0, err
	}
	if x.Shape[a] != n {
		return 0, 0, fmt.Errorf("scale has %d entries, input %v has %d along axis %d", n, x.Shape, x.Shape[a], a)
	}
	return n, importer.NumElements(x.Shape[a+1:]), nil
}

func qRange(dt importer.DataType) (lo, hi int64, ok bool) {
	switch dt {
	case importer.Uint8:
		return 0, 255, true
	case importer.Int8:
		return -128, 127, true
	case importer.Uint16:
		return 0, 65535, true
	case importer.Int16:
		return -32768, 32767, true
	case importer.Int32:
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}

// qAxis reads the per-axis attribute of QuantizeLinear/DequantizeLinear,
// refusing blocked quantization (opset 21), which rramc does not run.
func qAxis(n *importer.Node) (int64, error) {
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return 0, err
	}
	if bs, _ := n.AttrInt("block_size", 0); bs != 0 {
		return 0, fmt.Errorf("blocked quantization (block_size %d) is not supported", bs)
	}
	return axis, nil
}

// qInputs splits the inputs x, scale and the optional zero point.
func qInputs(ins []*importer.Tensor) (x, scale, zp *importer.Tensor) {
	if len(ins) > 2 {
		zp = ins[2]
	}
	return ins[0], ins[1], zp
}

func compileQuantize(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := qAxis(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, scale, zp := qInputs(ins)
		if err := needFloat(x, "input x"); err != nil {
			return nil, err
		}
		np, inner, err := qParams(x, scale, zp, axis)
		if err != nil {
			return nil, err
		}
		dt := importer.Uint8
		if zp != nil {
			dt = zp.DType
		}
		lo, hi, ok := qRange(dt)
		if !ok {
			return nil, fmt.Errorf("quantized type %s is not supported", dt)
		}
		out := &importer.Tensor{DType: dt, Shape: append([]int(nil), x.Shape...), Int: make([]int64, len(x.Float))}
		for i, v := range x.Float {
			p := (i / inner) % np
			q := math.RoundToEven(float64(v / scale.Float[p]))
			if zp != nil {
				q += float64(zp.Int[p])
			}
			switch {
			case q != q:
				q = 0
			case q < float64(lo):
				q = float64(lo)
			case q > float64(hi):
				q = float64(hi)
			}
			out.Int[i] = int64(q)
		}
		return one(out), nil
	}, nil
}

func compileDequantize(c *compileCtx, n *importer.Node) (kernel, error) {
	axis, err := qAxis(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, scale, zp := qInputs(ins)
		if x.IsFloat() {
			return nil, fmt.Errorf("input x must be an integer tensor, have %s", x)
		}
		if zp != nil && zp.DType != x.DType {
			return nil, fmt.Errorf("zero point %s and input %s types differ", zp, x)
		}
		np, inner, err := qParams(x, scale, zp, axis)
		if err != nil {
			return nil, err
		}
		out := ar.newFloat(x.Shape)
		for i, v := range x.Int {
			p := (i / inner) % np
			if zp != nil {
				v -= zp.Int[p]
			}
			out.Float[i] = float32(v) * scale.Float[p]
		}
		return one(out), nil
	}, nil
}

// shapeQuantize is the shape rule of QuantizeLinear.
func shapeQuantize(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	o := same(x)
	o.DType = importer.Uint8
	if zp := sc.in(2); len(n.Inputs) > 2 && n.Inputs[2] != "" && zp.DType != importer.Undefined {
		o.DType = zp.DType
	}
	return []*ValueShape{o}, nil
}

// shapeDequantize is the shape rule of DequantizeLinear.
func shapeDequantize(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	o := same(x)
	o.DType = importer.Float
	return []*ValueShape{o}, nil
}
