package interp

import "github.com/rramc/rramc/importer"

// Direct depthwise convolution: one input and one output channel per
// group, read in place and written in place.
//
// The shifted-plane path (kernels_conv.go) copies each channel into a
// zero-padded (and, at stride 2, de-interleaved) plane, computes a grid
// wider than the output and crops it back: three passes over memory for a
// kernel of 9 or 25 multiply-adds per output. Here each output row is
// computed straight from the unpadded input into the output tensor: for
// output row oh only the kernel rows that fall inside the input are
// visited, and along x each vector of dwLanes outputs loads its taps with
// a lane mask that zeroes the columns outside the row (the values the
// padded plane would hold there). At stride 2 a tap's dwLanes inputs are
// the even lanes of two consecutive vectors, gathered by a permutation.
//
// Every output sees the products of the shifted-plane kernel in the same
// order (taps (kh, kw) ascending, from a zero accumulator, then bias plus
// the sum), less the products of padding taps; those add a zero, which
// changes nothing but possibly the sign of an exact zero sum. So the
// result equals that path's bit for bit (and im2col's), with either the
// assembly or the portable kernel on both sides.

// useDirectDepthwise selects the direct depthwise kernel for the
// geometries it applies to; tests switch it off to compare with the
// shifted-plane path.
var useDirectDepthwise = true

// dwLanes is the number of outputs per vector of the direct kernel.
const dwLanes = 16

// dwPlan is the direct depthwise layout of one convolution geometry.
type dwPlan struct {
	vecs int // vectors per output row, ⌈OutW/dwLanes⌉
	// masks holds, per output vector, dwMaskStride(KW) lane masks: the
	// store mask (lanes < OutW), then per kernel column kw the masks of
	// its two loads (the second used at stride 2 only) selecting the
	// lanes whose input column lies inside the row.
	masks []uint16
	runs  []dwRun
	// quads selects the four-channel kernels (a square kernel on an
	// output too short for blocks of four rows to do most of it).
	quads bool
	// desc describes each run to the assembly kernels in dwRunDesc ints:
	// the byte offsets in the channel of its first row's first kernel
	// row's input (at the first vector's leftmost tap, possibly left of
	// the row), of its output and of its first kernel row's weights, then
	// the kernel rows and the output rows.
	desc []int
}

// dwRunDesc is the number of ints per run in dwPlan.desc.
const dwRunDesc = 5

// dwRun is a run of output rows [oh0, oh1) that all see the kernel rows
// [kh0, kh1) inside the input.
type dwRun struct{ oh0, oh1, kh0, kh1 int }

// dwMaskStride is the number of masks per output vector.
func dwMaskStride(kw int) int { return 1 + 2*kw }

// dwApplies reports whether the direct kernel computes g (for weights of
// one output channel per group, checked by the caller): a 3×3, 5×5, 3×5
// or 5×3 kernel, stride 1 or 2 on both axes, no dilation, and each pad
// smaller than the kernel along its axis (so every output row and column
// sees at least one input tap).
func dwApplies(g *ConvGeometry) bool {
	okK := func(k int) bool { return k == 3 || k == 5 }
	return g.Groups == g.InC && g.Groups > 1 && okK(g.KH) && okK(g.KW) &&
		g.StrideH == g.StrideW && (g.StrideH == 1 || g.StrideH == 2) &&
		g.DilH == 1 && g.DilW == 1 &&
		g.PadT < g.KH && g.PadB < g.KH && g.PadL < g.KW && g.PadR < g.KW
}

func newDWPlan(g *ConvGeometry) *dwPlan {
	s := g.StrideW
	p := &dwPlan{vecs: (g.OutW + dwLanes - 1) / dwLanes}
	// inRow is the mask of the lanes l with column c0+l inside the row.
	inRow := func(c0 int) uint16 {
		var m uint16
		for l := range dwLanes {
			if c := c0 + l; c >= 0 && c < g.InW {
				m |= 1 << l
			}
		}
		return m
	}
	ms := dwMaskStride(g.KW)
	p.masks = make([]uint16, p.vecs*ms)
	for j := range p.vecs {
		e := p.masks[j*ms : (j+1)*ms]
		for l := range dwLanes {
			if j*dwLanes+l < g.OutW {
				e[0] |= 1 << l
			}
		}
		for kw := range g.KW {
			c0 := j*dwLanes*s - g.PadL + kw
			e[1+2*kw] = inRow(c0)
			if s == 2 {
				e[2+2*kw] = inRow(c0 + dwLanes)
			}
		}
	}
	for oh := range g.OutH {
		ih := oh*g.StrideH - g.PadT
		kh0, kh1 := max(0, -ih), min(g.KH, g.InH-ih)
		if n := len(p.runs); n > 0 && p.runs[n-1].kh0 == kh0 && p.runs[n-1].kh1 == kh1 {
			p.runs[n-1].oh1 = oh + 1
			continue
		}
		p.runs = append(p.runs, dwRun{oh, oh + 1, kh0, kh1})
	}
	// A run's rows past its last block of four are computed one by one,
	// each a chain of dependent FMAs; when more than half the rows would
	// be (a 5×5 kernel on a 7×7 output: all of them), four channels at a
	// time is faster (BenchmarkDepthwise: 960×7×7 5×5 135 vs 178 µs),
	// otherwise four rows are (3×3 on 7×7: 3 rows of 7 single, 54 vs 58 µs).
	single := 0
	for _, r := range p.runs {
		single += (r.oh1 - r.oh0) % 4
	}
	p.quads = g.KH == g.KW && 2*single > g.OutH
	for _, r := range p.runs {
		xoff := (r.oh0*g.StrideH-g.PadT+r.kh0)*g.InW - g.PadL
		p.desc = append(p.desc, 4*xoff, 4*r.oh0*g.OutW, 4*r.kh0*g.KW, r.kh1-r.kh0, r.oh1-r.oh0)
	}
	return p
}

// dwChunk is how many output values the direct kernel computes per call
// (whole channels, at least one) before the epilogue runs over them: few
// enough to be still in L1, enough to spread the call's cost over many
// channels of a small image.
const dwChunk = 4096

// dwConvImage computes a depthwise convolution of one image (x:
// InC×InH×InW, out: InC×OutH×OutW) with the direct kernel, the workers
// splitting the channels into contiguous ranges; groups holds each
// channel's packed weights (row 0 of a gemmMR-row panel), b the bias or
// nil, and ep is applied to the outputs as soon as a chunk of channels is
// written. sc.a holds the weights gathered channel after channel.
func dwConvImage(g *ConvGeometry, p *dwPlan, groups []packedA, x []float32, b *importer.Tensor, out []float32, sc *gemmScratch, workers int, ep epilogue) {
	P, kk := g.P(), g.KH*g.KW
	sc.a = grow(sc.a, len(groups)*kk)
	w := sc.a
	for c, pa := range groups {
		for k := range kk {
			w[c*kk+k] = pa.data[k*gemmMR]
		}
	}
	var bias []float32
	if b != nil {
		bias = b.Float
	}
	if len(groups)*P*kk < 1<<16 {
		workers = 1
	}
	step := max(1, dwChunk/P)
	parallelFor(len(groups), workers, func(c0, c1 int) {
		for lo := c0; lo < c1; lo += step {
			hi := min(lo+step, c1)
			if !dwChannelsAsm(g, p, w, bias, x, out, lo, hi) {
				dwChannelsGo(g, p, w, bias, x, out, lo, hi)
			}
			ep.apply(out[lo*P : hi*P])
		}
	})
}

// dwChannelsGo is the portable direct kernel for channels [c0, c1) (w:
// each channel's KH×KW weights, bias nil or one per channel), with the
// products and sums of depthwiseRowGo.
func dwChannelsGo(g *ConvGeometry, p *dwPlan, w, bias, x, out []float32, c0, c1 int) {
	in, P, kk := g.InH*g.InW, g.P(), g.KH*g.KW
	for c := c0; c < c1; c++ {
		var bv float32
		if bias != nil {
			bv = bias[c]
		}
		dwChannelGo(g, p, w[c*kk:(c+1)*kk], x[c*in:(c+1)*in], out[c*P:(c+1)*P], bv)
	}
}

// dwChannelGo computes one channel (w: its KH×KW weights, x: InH×InW,
// out: OutH×OutW).
func dwChannelGo(g *ConvGeometry, p *dwPlan, w, x, out []float32, bias float32) {
	s := g.StrideW
	for _, r := range p.runs {
		for oh := r.oh0; r.oh1 > oh; oh++ {
			ih0 := oh*g.StrideH - g.PadT
			row := out[oh*g.OutW : (oh+1)*g.OutW]
			for ow := range row {
				iw0 := ow*s - g.PadL
				kw0, kw1 := max(0, -iw0), min(g.KW, g.InW-iw0)
				var acc float32
				for kh := r.kh0; kh < r.kh1; kh++ {
					in := x[(ih0+kh)*g.InW : (ih0+kh+1)*g.InW]
					wk := w[kh*g.KW : (kh+1)*g.KW]
					for kw := kw0; kw < kw1; kw++ {
						acc += wk[kw] * in[iw0+kw]
					}
				}
				row[ow] = bias + acc
			}
		}
	}
}
