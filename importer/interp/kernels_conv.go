package interp

import "slices"

import "github.com/rramc/rramc/importer"

// Convolution without im2col ("shifted planes").
//
// Pad each input channel once into a plane of width Wp = InW+PadL+PadR and
// height Hp = InH+PadT+PadB, and compute the output on a grid of the same
// width Wp: output column q = oh·Wp + ow. For a stride-1 kernel tap
// (c, kh, kw) the input value under output q is then
// plane_c[kh·DilH·Wp + kw·DilW + q], so the im2col row of that tap is a
// contiguous window of the padded input, shifted by a fixed offset. The
// GEMM micro-kernel reads its B operand straight from those windows through
// a table of K offsets instead of from a packed copy; no im2col matrix is
// built. The columns past each output row are computed on wrapped-around
// input and dropped.
//
// A stride s splits each padded plane into s_h·s_w phase planes (rows
// ≡ ph mod s_h, columns ≡ pw mod s_w), each Hq×Wq with Hq = ⌈Hp/s_h⌉ and
// Wq = ⌈Wp/s_w⌉: tap (kh, kw) reads phase ((kh·DilH) mod s_h, (kw·DilW)
// mod s_w) at row oh + ⌊kh·DilH/s_h⌋ and column ow + ⌊kw·DilW/s_w⌋, a
// stride-1 window again, over an output grid of width Wq.
//
// Each output element sees the same products in the same order (k-blocks of
// gemmKC ascending, k ascending within a block, bias first) as with im2col
// and gemmBlock, so the result is bit-identical to that path.

// useShiftConv selects the shifted-plane path for the convolutions it
// applies to; tests switch it off to compare with im2col.
var useShiftConv = true

// shiftPlan is the shifted-plane layout of one convolution geometry.
type shiftPlan struct {
	hp, wp int   // padded plane height and width
	hq, wq int   // phase plane height and width (= hp, wp at stride 1)
	offs   []int // per im2col row k = (c·KH+kh)·KW+kw: offset of its window
	maxOff int   // the largest of offs
	cols   int   // output grid columns OutH·Wq, rounded up to gemmNR (2·gemmNR depthwise)
	input  int   // floats of the phase planes incl. slack for the last panel
	// dw is the direct depthwise kernel's plan when it applies to the
	// geometry (kernels_dw.go), nil otherwise.
	dw *dwPlan
}

// shiftApplies reports whether the shifted-plane path computes g: any
// convolution whose phase planes do not multiply the input more than
// im2col would (s_h·s_w ≤ KH·KW, so not a strided 1×1).
func shiftApplies(g *ConvGeometry) bool {
	return g.StrideH*g.StrideW <= g.KH*g.KW
}

func newShiftPlan(g *ConvGeometry) shiftPlan {
	s := shiftPlan{hp: g.InH + g.PadT + g.PadB, wp: g.InW + g.PadL + g.PadR}
	s.hq = (s.hp + g.StrideH - 1) / g.StrideH
	s.wq = (s.wp + g.StrideW - 1) / g.StrideW
	phase := s.hq * s.wq
	channel := g.StrideH * g.StrideW * phase
	s.offs = make([]int, 0, g.K())
	for c := 0; c < g.GroupC(); c++ {
		for kh := 0; kh < g.KH; kh++ {
			dh := kh * g.DilH
			for kw := 0; kw < g.KW; kw++ {
				dw := kw * g.DilW
				ph := (dh%g.StrideH)*g.StrideW + dw%g.StrideW
				s.offs = append(s.offs, c*channel+ph*phase+(dh/g.StrideH)*s.wq+dw/g.StrideW)
			}
		}
	}
	// Whole column panels; for one input channel per group (depthwise)
	// pairs of them, as the one-row kernel takes 32 columns a step.
	step := gemmNR
	if g.Groups > 1 && g.GroupC() == 1 {
		step = 2 * gemmNR
	}
	s.cols = (g.OutH*s.wq + step - 1) / step * step
	// Offsets do not ascend across phases: the slack covers the largest.
	s.maxOff = slices.Max(s.offs)
	s.input = max(s.maxOff+s.cols, g.GroupC()*channel)
	if useDirectDepthwise && dwApplies(g) {
		s.dw = newDWPlan(g)
	}
	return s
}

// pad writes the group's GroupC channels of src (InH×InW each) into dst as
// zero-padded phase planes, zeroing the slack after them.
func (s *shiftPlan) pad(g *ConvGeometry, src, dst []float32) {
	dst = dst[:s.input]
	clear(dst)
	s.scatter(g, src, dst)
}

// scatter writes the input values of src into their places in the phase
// planes of dst and nothing else: the padding and slack of a dst that pad
// filled once stay zero, so the depthwise path pads its buffer once and
// then only scatters each channel into it (the zeros are the same for
// every channel of a geometry).
func (s *shiftPlan) scatter(g *ConvGeometry, src, dst []float32) {
	sh, sw := g.StrideH, g.StrideW
	plane := s.hq * s.wq
	channel := sh * sw * plane
	for c := 0; c < g.GroupC(); c++ {
		in := src[c*g.InH*g.InW : (c+1)*g.InH*g.InW]
		out := dst[c*channel : (c+1)*channel]
		for h := range g.InH {
			row := in[h*g.InW : (h+1)*g.InW]
			ph := h + g.PadT // row in the padded plane
			base := (ph%sh)*sw*plane + (ph/sh)*s.wq
			switch sw {
			case 1:
				copy(out[base+g.PadL:], row)
			case 2:
				// The even input columns go to one phase, the odd
				// ones to the other.
				even := out[base+(g.PadL%2)*plane+g.PadL/2:]
				odd := out[base+((g.PadL+1)%2)*plane+(g.PadL+1)/2:]
				deinterleave2(even[:(len(row)+1)/2], odd[:len(row)/2], row)
			default:
				// Input column w goes to column phase (PadL+w) mod sw,
				// phase column (PadL+w)/sw.
				for w, v := range row {
					pw := g.PadL + w
					out[base+(pw%sw)*plane+pw/sw] = v
				}
			}
		}
	}
}

// deinterleave2 writes src's even-indexed values to even and its
// odd-indexed ones to odd, in order (len(even) = ⌈len(src)/2⌉,
// len(odd) = ⌊len(src)/2⌋).
func deinterleave2(even, odd, src []float32) {
	n := len(src) / 2
	even, odd = even[:(len(src)+1)/2], odd[:n]
	j := deinterleave2Vector(even[:n], odd, src)
	for ; j < n; j++ {
		p := (*[2]float32)(src[2*j:])
		even[j], odd[j] = p[0], p[1]
	}
	if len(src)%2 == 1 {
		even[n] = src[2*n]
	}
}

// shiftConvGroup computes one group of one image: out (mg×P, the group's
// output channels) = W_g ⊛ src (+ bias, mg values or nil). pad and grid
// are scratch of at least s.input and np·gemmMR·s.cols floats. workers > 1
// splits the column panels across goroutines.
func shiftConvGroup(g *ConvGeometry, s *shiftPlan, pa packedA, src []float32, bias []float32, out []float32, pad, grid []float32, workers int, ep epilogue) {
	s.pad(g, src, pad)
	np := (pa.m + gemmMR - 1) / gemmMR
	ldc := s.cols
	grid = grid[:np*gemmMR*ldc]
	splitRows(np*gemmMR, ldc, workers, func(m0, m1 int) {
		for m := m0; m < m1; m++ {
			row := grid[m*ldc : (m+1)*ldc]
			if bias != nil && m < pa.m {
				fill(row, bias[m])
			} else {
				clear(row)
			}
		}
	})
	nq := ldc / gemmNR
	if workers > 1 && pa.m*ldc*pa.k >= 1<<16 {
		parallelFor(nq, workers, func(q0, q1 int) { shiftBlock(pa, pad, s.offs, s.maxOff, grid, ldc, np, q0, q1) })
	} else {
		shiftBlock(pa, pad, s.offs, s.maxOff, grid, ldc, np, 0, nq)
	}
	P := g.P()
	splitRows(pa.m, P, workers, func(m0, m1 int) {
		for m := m0; m < m1; m++ {
			s.crop(g, grid[m*ldc:], out[m*P:(m+1)*P])
			ep.apply(out[m*P : (m+1)*P])
		}
	})
}

// shiftBlock runs the indirect micro-kernel over all np row panels and the
// column panels [q0,q1) of the output grid, k blocked by gemmKC.
func shiftBlock(pa packedA, in []float32, offs []int, maxOff int, grid []float32, ldc, np, q0, q1 int) {
	k := pa.k
	for k0 := 0; k0 < k; k0 += gemmKC {
		kc := min(gemmKC, k-k0)
		off := offs[k0 : k0+kc]
		for q := q0; q < q1; q++ {
			b := in[q*gemmNR:]
			for p := 0; p < np; p++ {
				ap := pa.data[p*gemmMR*k+k0*gemmMR : p*gemmMR*k+(k0+kc)*gemmMR]
				c := grid[p*gemmMR*ldc+q*gemmNR:]
				if p+1 < np {
					ap1 := pa.data[(p+1)*gemmMR*k+k0*gemmMR : (p+1)*gemmMR*k+(k0+kc)*gemmMR]
					if microKernelIndirect2(kc, ap, ap1, b, off, maxOff, c, ldc) {
						p++
						continue
					}
				}
				microKernelIndirect(kc, ap, b, off, maxOff, c, ldc)
			}
		}
	}
}

// microKernelIndirectGo is the portable indirect micro-kernel:
// C[6×16] += Ap · B where row kk of B is b[off[kk] : off[kk]+16].
func microKernelIndirectGo(kc int, a, b []float32, off []int, c []float32, ldc int) {
	var acc [gemmMR][gemmNR]float32
	for kk := 0; kk < kc; kk++ {
		bk := (*[gemmNR]float32)(b[off[kk] : off[kk]+gemmNR])
		ak := a[kk*gemmMR : kk*gemmMR+gemmMR]
		for i := 0; i < gemmMR; i++ {
			av := ak[i]
			r := &acc[i]
			for j := 0; j < gemmNR; j++ {
				r[j] += av * bk[j]
			}
		}
	}
	for i := 0; i < gemmMR; i++ {
		row := c[i*ldc : i*ldc+gemmNR]
		for j := range row {
			row[j] += acc[i][j]
		}
	}
}

// shiftConvImage computes all groups of one image (x: InC×InH×InW, out:
// M×P) with the shifted-plane kernel; b is the bias tensor or nil.
func shiftConvImage(g *ConvGeometry, s *shiftPlan, groups []packedA, x []float32, b *importer.Tensor, out []float32, sc *gemmScratch, workers int, ep epilogue) {
	gc, P := g.GroupC(), g.P()
	if s.dw != nil && groups[0].m == 1 {
		dwConvImage(g, s.dw, groups, x, b, out, sc, workers, ep)
		return
	}
	if depthwise(g, s, groups) {
		// One output channel per group: a 6-row GEMM panel would be 5/6
		// zeros, so each channel gets a one-row kernel and the workers
		// split the channels.
		if len(groups)*s.cols*g.K() < 1<<16 {
			workers = 1
		}
		parallelFor(len(groups), workers, func(g0, g1 int) {
			ws := sc
			if workers > 1 {
				ws = gemmPool.Get().(*gemmScratch)
				defer gemmPool.Put(ws)
			}
			ws.pad = grow(ws.pad, s.input)
			ws.grid = grow(ws.grid, s.cols)
			clear(ws.pad)
			for gi := g0; gi < g1; gi++ {
				var bias float32
				if b != nil {
					bias = b.Float[gi]
				}
				s.scatter(g, x[gi*gc*g.InH*g.InW:(gi+1)*gc*g.InH*g.InW], ws.pad)
				depthwiseRow(groups[gi].data, ws.pad, s.offs, s.maxOff, ws.grid, bias)
				s.crop(g, ws.grid, out[gi*P:(gi+1)*P])
				ep.apply(out[gi*P : (gi+1)*P])
			}
		})
		return
	}
	sc.pad = grow(sc.pad, s.input)
	for gi, pa := range groups {
		np := (pa.m + gemmMR - 1) / gemmMR
		sc.grid = grow(sc.grid, np*gemmMR*s.cols)
		var bias []float32
		if b != nil {
			bias = b.Float[gi*pa.m : (gi+1)*pa.m]
		}
		src := x[gi*gc*g.InH*g.InW : (gi+1)*gc*g.InH*g.InW]
		shiftConvGroup(g, s, pa, src, bias, out[gi*pa.m*P:(gi+1)*pa.m*P], sc.pad, sc.grid, workers, ep)
	}
}

// grow returns buf resliced to n values, reallocated when too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// crop copies one output channel from its grid row to out (P values),
// dropping the wrapped-around columns past each output row.
func (s *shiftPlan) crop(g *ConvGeometry, grid, out []float32) {
	for oh := 0; oh < g.OutH; oh++ {
		copy(out[oh*g.OutW:(oh+1)*g.OutW], grid[oh*s.wq:oh*s.wq+g.OutW])
	}
}

// depthwise reports whether every group has one output channel and one
// k-block, over a grid of whole column pairs (the one-row kernel's case).
func depthwise(g *ConvGeometry, s *shiftPlan, groups []packedA) bool {
	return len(groups) > 1 && groups[0].m == 1 && g.K() <= gemmKC && s.cols%(2*gemmNR) == 0
}

// depthwiseRowGo is the portable depthwiseRow, with the products and sums
// of microKernelIndirectGo's row 0.
func depthwiseRowGo(w, b []float32, offs []int, out []float32, bias float32) {
	for j0 := 0; j0 < len(out); j0 += gemmNR {
		var acc [gemmNR]float32
		for kk, o := range offs {
			wv := w[kk*gemmMR]
			bk := (*[gemmNR]float32)(b[o+j0 : o+j0+gemmNR])
			for j := range acc {
				acc[j] += wv * bk[j]
			}
		}
		for j := range acc {
			out[j0+j] = bias + acc[j]
		}
	}
}
