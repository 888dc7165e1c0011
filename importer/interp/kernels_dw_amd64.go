//go:build amd64 && !purego

package interp

// dwChannels{1,2}K{3,5}AVX512 (kernels_dw_amd64.s) compute nch channels
// of a direct depthwise convolution at stride 1 or 2 with a kernel 3 or 5
// wide. Per channel (x, out, wt and bias advancing by chin, chout, wstep
// and bstep bytes), per run of output rows (nruns descriptors of dwRunDesc
// ints at runs, see dwPlan.desc), per output row and per vector of dwLanes
// outputs (vecs per row): the taps of the run's kernel rows × the kernel's
// columns from a zero accumulator, each a load under the vector's and
// column's masks (mstride bytes of dwPlan masks per vector), kernel row
// after kernel row, then bias + sum, stored under the vector's store mask.
// xstep, xrow and ostep are the byte distances between output rows'
// inputs, input rows and output rows.
//
//go:noescape
func dwChannels1K3AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

//go:noescape
func dwChannels1K5AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

//go:noescape
func dwChannels2K3AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

//go:noescape
func dwChannels2K5AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

// dwQuads{1,2}K{3,5}AVX512 are dwChannels* for a square kernel and nch a
// multiple of 4, computing four channels at a time, one output row of
// each: four independent accumulators where the single rows of a channel
// (all of a run shorter than four rows, as on 7×7 images) leave one.
//
//go:noescape
func dwQuads1K3AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

//go:noescape
func dwQuads1K5AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

//go:noescape
func dwQuads2K3AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

//go:noescape
func dwQuads2K5AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)

// dwZeroBias is the bias of four channels of a convolution without one
// (read with a step of 0 bytes).
var dwZeroBias [4]float32

// useDWQuads selects the four-channel kernels where they apply; tests
// switch it to check both.
var useDWQuads = hasDWQuads

// hasDWQuads reports whether there are four-channel kernels.
const hasDWQuads = true

// dwChannelsAsm computes channels [c0, c1) (w: each channel's KH×KW
// weights, bias nil or one per channel, x: InC×InH×InW, out:
// InC×OutH×OutW) with the AVX-512 kernels; it reports false when they are
// not available. Every load and store stays inside the channels' parts of
// x and out: the runs visit only input rows inside the channel and the
// masks only columns inside the row and outputs inside the output row.
func dwChannelsAsm(g *ConvGeometry, p *dwPlan, w, bias, x, out []float32, c0, c1 int) bool {
	if !useAsmKernel || !useAVX512 || c0 >= c1 {
		return false
	}
	in, P, kk := g.InH*g.InW, g.P(), g.KH*g.KW
	_ = x[c1*in-1]
	_ = out[c1*P-1]
	_ = w[c1*kk-1]
	_ = p.masks[p.vecs*dwMaskStride(g.KW)-1]
	_ = p.desc[len(p.runs)*dwRunDesc-1]
	bp, bstep := &dwZeroBias[0], 0
	if bias != nil {
		_ = bias[c1-1]
		bp, bstep = &bias[c0], 4
	}
	xp, op, wp, runs, ms := &x[c0*in], &out[c0*P], &w[c0*kk], &p.desc[0], &p.masks[0]
	mstride, xstep, xrow, ostep := 2*dwMaskStride(g.KW), 4*g.StrideH*g.InW, 4*g.InW, 4*g.OutW
	if quads := (c1 - c0) &^ 3; useDWQuads && p.quads && quads > 0 {
		switch {
		case g.StrideW == 1 && g.KW == 3:
			dwQuads1K3AVX512(xp, op, wp, bp, bstep, quads, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
		case g.StrideW == 1:
			dwQuads1K5AVX512(xp, op, wp, bp, bstep, quads, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
		case g.KW == 3:
			dwQuads2K3AVX512(xp, op, wp, bp, bstep, quads, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
		default:
			dwQuads2K5AVX512(xp, op, wp, bp, bstep, quads, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
		}
		if c0 += quads; c0 == c1 {
			return true
		}
		if bias != nil {
			bp = &bias[c0]
		}
		xp, op, wp = &x[c0*in], &out[c0*P], &w[c0*kk]
	}
	switch {
	case g.StrideW == 1 && g.KW == 3:
		dwChannels1K3AVX512(xp, op, wp, bp, bstep, c1-c0, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
	case g.StrideW == 1:
		dwChannels1K5AVX512(xp, op, wp, bp, bstep, c1-c0, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
	case g.KW == 3:
		dwChannels2K3AVX512(xp, op, wp, bp, bstep, c1-c0, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
	default:
		dwChannels2K5AVX512(xp, op, wp, bp, bstep, c1-c0, runs, len(p.runs), ms, mstride, p.vecs, xstep, xrow, ostep, 4*in, 4*P, 4*kk)
	}
	return true
}
