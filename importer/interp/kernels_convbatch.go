package interp

import "slices"

// Convolution of image batches with the batch as the vector lanes.
//
// The per-image kernels (shifted planes, im2col) lay an image's output
// positions along the GEMM's 16-wide column panels; on the small feature
// maps of CIFAR/MNIST-sized networks (4×4, 7×7, 14×14) a third to a half
// of those columns are wrapped-around padding, and padding, bias fill and
// crop are paid per image. Here batchLanes images are interleaved
// instead: the padded input of channel c at row h, column w holds the
// batchLanes images' values side by side, so the B-operand row of tap
// (c, kh, kw) at output position (oh, ow) is the contiguous run of
// batchLanes floats at ((c·Hp + oh·s_h + kh·DilH)·Wp + ow·s_w + kw·DilW)·batchLanes.
// The indirect micro-kernel reads it through the same table of K offsets
// as the shifted-plane path, plus a per-position base; every column it
// computes is a wanted output, at any stride, with no phase planes.
//
// Each output element sees the same products in the same order (bias
// first, k-blocks of gemmKC ascending, k ascending within a block, the
// block's sum added to the running value) as on the per-image paths, so
// the result is bit-identical to them (TestBatchConv).

// batchLanes is the number of images computed together: one micro-kernel
// column panel.
const batchLanes = gemmNR

// The lane (de)interleaving moves 16×16 blocks (transpose16).
const _ = uint(batchLanes-16) + uint(16-batchLanes)

// useBatchConv selects the batch-lane path where it applies; tests switch it
// off to compare with the per-image paths.
var useBatchConv = true

// batchPlan is the lane-interleaved layout of one convolution geometry.
type batchPlan struct {
	hp, wp int   // padded plane height and width
	offs   []int // per im2col row k = (c·KH+kh)·KW+kw: float offset of its lane run
	maxOff int
	input  int   // floats of the interleaved padded input
	pos    []int // per input position h·InW+w: offset of its lanes in a padded channel
}

// batchApplies reports whether the batch-lane path computes g: dense
// convolutions (one group) with a spatial kernel (a 1×1 kernel reads each
// input once, so interleaving costs as much as it saves) whose output map
// is small enough that the lane-interleaved output of batchLanes images
// stays near the caches.
func batchApplies(g *ConvGeometry, m int) bool {
	return g.Groups == 1 && g.KH*g.KW > 1 && g.P()*m <= 1<<15 && g.InC*g.InH*g.InW <= 1<<16
}

func newBatchPlan(g *ConvGeometry) batchPlan {
	s := batchPlan{hp: g.InH + g.PadT + g.PadB, wp: g.InW + g.PadL + g.PadR}
	s.offs = make([]int, 0, g.K())
	for c := 0; c < g.InC; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				s.offs = append(s.offs, ((c*s.hp+kh*g.DilH)*s.wp+kw*g.DilW)*batchLanes)
			}
		}
	}
	s.maxOff = slices.Max(s.offs)
	s.input = g.InC * s.hp * s.wp * batchLanes
	s.pos = make([]int, 0, g.InH*g.InW)
	for h := 0; h < g.InH; h++ {
		for w := 0; w < g.InW; w++ {
			s.pos = append(s.pos, ((g.PadT+h)*s.wp+g.PadL+w)*batchLanes)
		}
	}
	return s
}

// interleave writes batchLanes images of x (InC×InH×InW each, consecutive)
// into dst as zero-padded planes with the images' values side by side:
// per channel, blocks of 16 positions of the batchLanes images are
// transposed at once (transpose16), the rest moved one by one.
func (s *batchPlan) interleave(g *ConvGeometry, x, dst []float32) {
	dst = dst[:s.input]
	plane := g.InH * g.InW
	img := g.InC * plane
	rowLen := s.wp * batchLanes
	whole := plane &^ 15
	for c := 0; c < g.InC; c++ {
		out := dst[c*s.hp*rowLen : (c+1)*s.hp*rowLen]
		clear(out[:g.PadT*rowLen])
		clear(out[(g.PadT+g.InH)*rowLen:])
		for h := 0; h < g.InH; h++ {
			row := out[(g.PadT+h)*rowLen : (g.PadT+h+1)*rowLen]
			clear(row[:g.PadL*batchLanes])
			clear(row[(g.PadL+g.InW)*batchLanes:])
		}
		xc := x[c*plane:]
		for q0 := 0; q0 < whole; q0 += 16 {
			transpose16(xc[q0:], img, out, (*[16]int)(s.pos[q0:q0+16]))
		}
		for q := whole; q < plane; q++ {
			lanes := out[s.pos[q] : s.pos[q]+batchLanes]
			for n := range lanes {
				lanes[n] = xc[n*img+q]
			}
		}
	}
}

// convLanes computes batchLanes images (x: consecutive InC×InH×InW images,
// out: consecutive M×P outputs) with the batch-lane kernel; bias is M values
// or nil; rs (nil: none) finishes each output row, out[0] being its output
// value rsOff. sc provides the interleaved input (pad) and the lane-interleaved
// output (grid, Mpad × P × batchLanes).
func convLanes(g *ConvGeometry, s *batchPlan, pa packedA, x, bias, out []float32, sc *gemmScratch, rs *residual, rsOff int) {
	sc.pad = grow(sc.pad, s.input)
	s.interleave(g, x, sc.pad)
	P := g.P()
	np := (pa.m + gemmMR - 1) / gemmMR
	ldc := P * batchLanes
	sc.grid = grow(sc.grid, np*gemmMR*ldc)
	grid := sc.grid
	for m := 0; m < np*gemmMR; m++ {
		row := grid[m*ldc : (m+1)*ldc]
		if bias != nil && m < pa.m {
			fill(row, bias[m])
		} else {
			clear(row)
		}
	}
	k := pa.k
	for k0 := 0; k0 < k; k0 += gemmKC {
		kc := min(gemmKC, k-k0)
		off := s.offs[k0 : k0+kc]
		for oh := 0; oh < g.OutH; oh++ {
			for ow := 0; ow < g.OutW; ow++ {
				base := (oh*g.StrideH*s.wp + ow*g.StrideW) * batchLanes
				b := sc.pad[base:]
				col := (oh*g.OutW + ow) * batchLanes
				indirectPanels(pa, k0, kc, np, b, off, s.maxOff, grid[col:], ldc)
			}
		}
	}
	// De-interleave: out[n][m][p] = grid[m][p][n], then the residual and
	// activation on the row while it is in cache. One grid row
	// (P·batchLanes values) serves all batchLanes images before the next
	// is read.
	// Blocks of 16 positions are transposed at once (transpose16).
	M := pa.m
	var imgOff [16]int
	for n := range imgOff {
		imgOff[n] = n * M * P
	}
	whole := P &^ 15
	for m := 0; m < M; m++ {
		gm := grid[m*ldc : (m+1)*ldc]
		for p0 := 0; p0 < whole; p0 += 16 {
			transpose16(gm[p0*batchLanes:], batchLanes, out[m*P+p0:], &imgOff)
		}
		for n := 0; n < batchLanes; n++ {
			dst := out[(n*M+m)*P : (n*M+m+1)*P]
			for p := whole; p < P; p++ {
				dst[p] = gm[p*batchLanes+n]
			}
			rs.apply(dst, rsOff+(n*M+m)*P)
		}
	}
}

// fill sets every value of row to v, doubling copies after the first.
func fill(row []float32, v float32) {
	if len(row) == 0 {
		return
	}
	row[0] = v
	for i := 1; i < len(row); i *= 2 {
		copy(row[i:], row[:i])
	}
}

// indirectPanels runs the indirect micro-kernels over all np row panels of
// pa for the k-block [k0, k0+kc) and one column panel: B rows at b+off[kk],
// C rows c[r·ldc:] (the rows past pa.m are padding, not always
// written). Panels go three, two or one at a time, whichever kernels the
// CPU has; every element sees the same FMA sequence.
func indirectPanels(pa packedA, k0, kc, np int, b []float32, off []int, maxOff int, c []float32, ldc int) {
	k := pa.k
	panel := func(p int) []float32 { return pa.data[p*gemmMR*k+k0*gemmMR : p*gemmMR*k+(k0+kc)*gemmMR] }
	for p := 0; p < np; p++ {
		cp := c[p*gemmMR*ldc:]
		// The last three panels may hold fewer than 18 rows of A (16 or
		// 32 output channels): the rows past pa.m are not computed.
		if p+2 < np && microKernelIndirect3Rows(kc, panel(p), panel(p+1), panel(p+2), b, off, maxOff, cp, ldc, min(3*gemmMR, pa.m-p*gemmMR)) {
			p += 2
			continue
		}
		if p+1 < np && microKernelIndirect2(kc, panel(p), panel(p+1), b, off, maxOff, cp, ldc) {
			p++
			continue
		}
		microKernelIndirect(kc, panel(p), b, off, maxOff, cp, ldc)
	}
}
