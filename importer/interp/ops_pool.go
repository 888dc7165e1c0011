package interp

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

func init() {
	register("MaxPool", 1, 1, compileMaxPoolAnyType, shapeWindow)
	register("AveragePool", 1, 1, compilePool, shapeWindow)
	register("GlobalAveragePool", 1, 1, compileGlobalPool, shapeGlobalPool)
	register("GlobalMaxPool", 1, 1, compileGlobalPool, shapeGlobalPool)
}

// compileMaxPoolAnyType is MaxPool for float and integer inputs (opset 12
// adds int8 and uint8): integer values are pooled as float32, which holds
// every integer up to 2^24 exactly (a max only picks one of its inputs), and
// the result (and Indices) keep the input's type.
func compileMaxPoolAnyType(c *compileCtx, n *importer.Node) (kernel, error) {
	k, err := compilePool(c, n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if x == nil || x.IsFloat() || !x.DType.IsInteger() {
			return k(ar, ins)
		}
		for i, v := range x.Int {
			if v > 1<<24 || v < -(1<<24) {
				return nil, fmt.Errorf("integer input X: value %d at index %d is beyond 2^24, which float32 pooling cannot hold exactly", v, i)
			}
		}
		outs, err := k(ar, []*importer.Tensor{castTensor(x, importer.Float)})
		if err != nil {
			return nil, err
		}
		outs[0] = castTensor(outs[0], x.DType)
		return outs, nil
	}, nil
}

func compilePool(c *compileCtx, n *importer.Node) (kernel, error) {
	at, err := readConvAttrs(n, true)
	if err != nil {
		return nil, err
	}
	isMax := n.OpType == "MaxPool"
	ceil, err := n.AttrInt("ceil_mode", 0)
	if err != nil {
		return nil, err
	}
	cip, err := n.AttrInt("count_include_pad", 0)
	if err != nil {
		return nil, err
	}
	wantIdx := false
	var colMajor bool
	if isMax {
		so, err := n.AttrInt("storage_order", 0)
		if err != nil {
			return nil, err
		}
		colMajor = so != 0
		wantIdx = len(n.Outputs) > 1 && n.Outputs[1] != ""
	}
	if len(at.kernel) > 2 {
		if wantIdx && colMajor {
			return nil, fmt.Errorf("storage_order=1 (column-major Indices) is defined for 2-D pooling only")
		}
		return compilePoolND(n, isMax, cip != 0, wantIdx)
	}
	if _, err := at.params(len(at.kernel), nil, ceil != 0); err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		if len(x.Shape) != len(at.kernel)+2 {
			return nil, fmt.Errorf("input %v does not match kernel_shape %v", x.Shape, at.kernel)
		}
		p, err := at.params(len(at.kernel), nil, ceil != 0)
		if err != nil {
			return nil, err
		}
		N, C := x.Shape[0], x.Shape[1]
		H, W := spatialHW(x.Shape)
		if N == 0 || C == 0 {
			return nil, fmt.Errorf("input %v is empty", x.Shape)
		}
		g, err := NewConvGeometry(C, H, W, 1, p)
		if err != nil {
			return nil, err
		}
		outShape := []int{N, C, g.OutH, g.OutW}
		if len(x.Shape) == 3 {
			outShape = []int{N, C, g.OutW}
		}
		if _, err := importer.CheckNumElements(outShape); err != nil {
			return nil, err
		}
		out := ar.newFloat(outShape)
		planes := N * C
		pp := newPoolPlan(&g)
		workers := numWorkers()
		if planes*g.OutH*g.OutW*g.KH*g.KW < 1<<15 {
			workers = 1
		}
		parallelFor(planes, workers, func(lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				in := x.Float[pl*H*W : (pl+1)*H*W]
				o := out.Float[pl*g.OutH*g.OutW : (pl+1)*g.OutH*g.OutW]
				if isMax {
					pp.maxPlane(in, o)
				} else {
					pp.avgPlane(in, o, cip != 0)
				}
			}
		})
		if wantIdx {
			return []*importer.Tensor{out, maxPoolIndices(x.Float, &g, N*C, colMajor, outShape)}, nil
		}
		return one(out), nil
	}, nil
}

// compilePoolND is MaxPool and AveragePool over three spatial axes (the
// rank the 2-D kernels above do not take), from the same window geometry.
func compilePoolND(n *importer.Node, isMax, includePad, wantIdx bool) (kernel, error) {
	at, err := readConvAttrs(n, true)
	if err != nil {
		return nil, err
	}
	if _, err := at.axes(len(at.kernel), nil); err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		if len(x.Shape) != len(at.kernel)+2 {
			return nil, fmt.Errorf("input %v does not match kernel_shape %v", x.Shape, at.kernel)
		}
		N, C := x.Shape[0], x.Shape[1]
		if N == 0 || C == 0 {
			return nil, fmt.Errorf("input %v is empty", x.Shape)
		}
		g, err := NodeWindowND(n, C, x.Shape[2:], nil, 1)
		if err != nil {
			return nil, err
		}
		outShape := append([]int{N, C}, g.OutShape()...)
		if _, err := importer.CheckNumElements(outShape); err != nil {
			return nil, err
		}
		out := ar.newFloat(outShape)
		var idx *importer.Tensor
		if wantIdx {
			idx = &importer.Tensor{DType: importer.Int64, Shape: slices.Clone(outShape), Int: make([]int64, out.Len())}
		}
		poolND(&g, x.Float, out.Float, idx, N*C, isMax, includePad)
		if wantIdx {
			return []*importer.Tensor{out, idx}, nil
		}
		return one(out), nil
	}, nil
}

// poolND pools planes of g.InSize() values over three spatial axes. As in
// the 2-D kernels: taps outside the input are ignored (padding never wins a
// max; a window with no tap inside gives the lowest float); the average
// divides by the taps inside the input, or with includePad by the taps
// inside the padded input, never counting taps past the end padding
// (ceil_mode). A window is a box, so both counts are products over the
// axes. idx, when not nil, receives MaxPool's Indices (flat row-major index
// into X of the first maximum).
func poolND(g *WindowGeometry, x, out []float32, idx *importer.Tensor, planes int, isMax, includePad bool) {
	if len(g.Axes) != 3 {
		panic(fmt.Sprintf("interp.poolND: %d axes", len(g.Axes)))
	}
	var taps [3]axisTaps
	for i, a := range g.Axes {
		taps[i] = makeAxisTaps(a.Out, a.In, a.Kernel, a.Stride, a.Dil, a.PadBegin, a.PadEnd)
	}
	d, h, w := g.Axes[0], g.Axes[1], g.Axes[2]
	in, p := g.InSize(), g.P()
	for pl := 0; pl < planes; pl++ {
		plane := x[pl*in : (pl+1)*in]
		o := out[pl*p : (pl+1)*p]
		i := 0
		for od := 0; od < d.Out; od++ {
			for oh := 0; oh < h.Out; oh++ {
				for ow := 0; ow < w.Out; ow++ {
					m, best := float32(-math.MaxFloat32), -1
					var s float32
					for kd := taps[0].lo[od]; kd < taps[0].hi[od]; kd++ {
						z := od*d.Stride - d.PadBegin + kd*d.Dil
						for kh := taps[1].lo[oh]; kh < taps[1].hi[oh]; kh++ {
							y := oh*h.Stride - h.PadBegin + kh*h.Dil
							row := (z*h.In + y) * w.In
							for kw := taps[2].lo[ow]; kw < taps[2].hi[ow]; kw++ {
								xi := row + ow*w.Stride - w.PadBegin + kw*w.Dil
								v := plane[xi]
								if best < 0 || v > m {
									m, best = v, xi
								}
								s += v
							}
						}
					}
					if isMax {
						o[i] = m
						if idx != nil {
							idx.Int[pl*p+i] = int64(pl*in + max(best, 0))
						}
					} else {
						cnt := 1
						for a, o := range [3]int{od, oh, ow} {
							if includePad {
								cnt *= taps[a].padded[o]
							} else {
								cnt *= taps[a].hi[o] - taps[a].lo[o]
							}
						}
						if cnt > 0 {
							o[i] = s / float32(cnt)
						} else {
							o[i] = 0
						}
					}
					i++
				}
			}
		}
	}
}

// axisTaps lists, per output position along one axis, the first and
// one-past-last kernel tap that land inside the input, and how many taps
// land inside the padded input (for count_include_pad).
type axisTaps struct {
	lo, hi, padded []int
}

func makeAxisTaps(out, in, k, s, d, padB, padE int) axisTaps {
	a := axisTaps{lo: make([]int, out), hi: make([]int, out), padded: make([]int, out)}
	for o := 0; o < out; o++ {
		lo, hi, pc := k, 0, 0
		for t := 0; t < k; t++ {
			i := o*s - padB + t*d
			if i >= 0 && i < in {
				lo = min(lo, t)
				hi = t + 1
			}
			if i >= -padB && i < in+padE {
				pc++
			}
		}
		if hi == 0 {
			lo = 0
		}
		a.lo[o], a.hi[o], a.padded[o] = lo, hi, pc
	}
	return a
}

// poolPlan holds the tap ranges of a pooling geometry, shared by all planes.
type poolPlan struct {
	g    *ConvGeometry
	rows axisTaps
	cols axisTaps
}

func newPoolPlan(g *ConvGeometry) *poolPlan {
	return &poolPlan{g: g,
		rows: makeAxisTaps(g.OutH, g.InH, g.KH, g.StrideH, g.DilH, g.PadT, g.PadB),
		cols: makeAxisTaps(g.OutW, g.InW, g.KW, g.StrideW, g.DilW, g.PadL, g.PadR)}
}

// maxPlane: taps outside the image are ignored (padding never wins), as in
// onnxruntime; a window with no tap inside gives the lowest float.
func (pp *poolPlan) maxPlane(in, out []float32) {
	g := pp.g
	// The 2×2/2 windows wholly inside the image (all of them without
	// padding) have a vector kernel giving the same bits.
	pair := g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.DilH == 1 && g.DilW == 1 && g.PadT == 0 && g.PadL == 0
	for oh := 0; oh < g.OutH; oh++ {
		r0, r1 := pp.rows.lo[oh], pp.rows.hi[oh]
		ihBase := oh*g.StrideH - g.PadT
		o := out[oh*g.OutW : (oh+1)*g.OutW]
		done := 0
		if pair && 2*oh+1 < g.InH {
			full := min(g.OutW, g.InW/2)
			done = maxPool2x2Vector(o[:full], in[2*oh*g.InW:(2*oh+1)*g.InW], in[(2*oh+1)*g.InW:(2*oh+2)*g.InW])
		}
		for ow := done; ow < len(o); ow++ {
			c0, c1 := pp.cols.lo[ow], pp.cols.hi[ow]
			iwBase := ow*g.StrideW - g.PadL
			m := float32(-math.MaxFloat32)
			for kh := r0; kh < r1; kh++ {
				row := in[(ihBase+kh*g.DilH)*g.InW:]
				for kw := c0; kw < c1; kw++ {
					if v := row[iwBase+kw*g.DilW]; v > m {
						m = v
					}
				}
			}
			o[ow] = m
		}
	}
}

// avgPlane averages each window. The divisor counts the taps inside the
// image (count_include_pad=0) or inside the padded image (=1); taps beyond
// the end padding, which only ceil_mode creates, never count, as in
// PyTorch and onnxruntime. Pooling has no dilation gaps inside the image
// only when dilation is 1; with dilation the tap ranges still step by it.
func (pp *poolPlan) avgPlane(in, out []float32, includePad bool) {
	g := pp.g
	// Unpadded 2×2/2 windows wholly inside the image: a vector kernel with
	// the same additions in the same order and the same divisor (4).
	pair := g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.DilH == 1 && g.DilW == 1 && g.PadT == 0 && g.PadL == 0
	for oh := 0; oh < g.OutH; oh++ {
		r0, r1 := pp.rows.lo[oh], pp.rows.hi[oh]
		ihBase := oh*g.StrideH - g.PadT
		o := out[oh*g.OutW : (oh+1)*g.OutW]
		done := 0
		if pair && 2*oh+1 < g.InH {
			full := min(g.OutW, g.InW/2)
			done = avgPool2x2Vector(o[:full], in[2*oh*g.InW:(2*oh+1)*g.InW], in[(2*oh+1)*g.InW:(2*oh+2)*g.InW], 4)
		}
		for ow := done; ow < len(o); ow++ {
			c0, c1 := pp.cols.lo[ow], pp.cols.hi[ow]
			iwBase := ow*g.StrideW - g.PadL
			if r1-r0 == 2 && c1-c0 == 2 && g.DilH == 1 && g.DilW == 1 {
				// Full 2×2 window (the common LeNet/VGG case), same
				// summation order as the general loop.
				i0 := (ihBase+r0)*g.InW + iwBase + c0
				i1 := i0 + g.InW
				s := in[i0] + in[i0+1] + in[i1] + in[i1+1]
				cnt := 4
				if includePad {
					cnt = pp.rows.padded[oh] * pp.cols.padded[ow]
				}
				o[ow] = s / float32(cnt)
				continue
			}
			var s float32
			for kh := r0; kh < r1; kh++ {
				row := in[(ihBase+kh*g.DilH)*g.InW:]
				for kw := c0; kw < c1; kw++ {
					s += row[iwBase+kw*g.DilW]
				}
			}
			cnt := (r1 - r0) * (c1 - c0)
			if includePad {
				cnt = pp.rows.padded[oh] * pp.cols.padded[ow]
			}
			if cnt == 0 {
				o[ow] = 0
				continue
			}
			o[ow] = s / float32(cnt)
		}
	}
}

func compileGlobalPool(c *compileCtx, n *importer.Node) (kernel, error) {
	isMax := n.OpType == "GlobalMaxPool"
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		if len(x.Shape) < 3 {
			return nil, fmt.Errorf("input %v must have rank >= 3", x.Shape)
		}
		outShape := []int{x.Shape[0], x.Shape[1]}
		for range x.Shape[2:] {
			outShape = append(outShape, 1)
		}
		out := importer.NewFloat(outShape, nil)
		sp := importer.NumElements(x.Shape[2:])
		if sp == 0 {
			return nil, fmt.Errorf("input %v has empty spatial dims", x.Shape)
		}
		// The planes are independent: workers split them when the input
		// is worth it (a squeeze-excitation pool sees every activation).
		workers := numWorkers()
		if len(x.Float) < 2*elementwiseGrain {
			workers = 1
		}
		parallelFor(len(out.Float), workers, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				plane := x.Float[i*sp : (i+1)*sp]
				if isMax {
					m := plane[0]
					for _, v := range plane[1:] {
						if v > m {
							m = v
						}
					}
					out.Float[i] = m
					continue
				}
				// float64 sum: the mean of a large plane stays exact to
				// float32 rounding whatever the summation order of the
				// reference.
				var s float64
				for _, v := range plane {
					s += float64(v)
				}
				out.Float[i] = float32(s / float64(sp))
			}
		})
		return one(out), nil
	}, nil
}

// shapeGlobalPool is the shape rule of GlobalAveragePool, GlobalMaxPool.
func shapeGlobalPool(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	if !x.Known || len(x.Dims) < 3 {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	d := append([]importer.Dim(nil), x.Dims[:2]...)
	for range x.Dims[2:] {
		d = append(d, fixed(1))
	}
	return []*ValueShape{{DType: x.DType, Dims: d, Known: true}}, nil
}

// maxPoolIndices is MaxPool's optional Indices output: for every output
// element, the flat index into X of the value it took (the first one on
// ties; padding never wins), in row-major order of the plane or, with
// storage_order 1, column-major (h + w·H), plus the plane's offset. It is
// computed directly from the definition over the same geometry.
func maxPoolIndices(x []float32, g *ConvGeometry, planes int, colMajor bool, shape []int) *importer.Tensor {
	hw := g.InH * g.InW
	idx := &importer.Tensor{DType: importer.Int64, Shape: append([]int(nil), shape...), Int: make([]int64, planes*g.OutH*g.OutW)}
	o := 0
	for p := 0; p < planes; p++ {
		plane := x[p*hw : (p+1)*hw]
		for oh := 0; oh < g.OutH; oh++ {
			for ow := 0; ow < g.OutW; ow++ {
				best, bi := float32(0), -1
				for kh := 0; kh < g.KH; kh++ {
					y := oh*g.StrideH - g.PadT + kh*g.DilH
					if y < 0 || y >= g.InH {
						continue
					}
					for kw := 0; kw < g.KW; kw++ {
						z := ow*g.StrideW - g.PadL + kw*g.DilW
						if z < 0 || z >= g.InW {
							continue
						}
						if v := plane[y*g.InW+z]; bi < 0 || v > best {
							best = v
							if colMajor {
								bi = y + z*g.InH
							} else {
								bi = y*g.InW + z
							}
						}
					}
				}
				idx.Int[o] = int64(p*hw + max(bi, 0))
				o++
			}
		}
	}
	return idx
}
