//go:build amd64 && !purego

package interp

// dwRows{1,2}K{3,5}AVX512 (kernels_dw_amd64.s) compute rows output rows
// of one channel of a direct depthwise convolution at stride 1 or 2 with a
// kernel 3 or 5 wide: for each row and each of its vecs vectors of dwLanes
// outputs, the taps of nkh kernel rows × the kernel's columns from a zero
// accumulator (weights at wt, gemmMR floats apart, kernel row after kernel
// row), then bias + sum, stored under the vector's store mask. The first
// row's first kernel row starts at x + xoff floats (at the column of the
// first vector's leftmost tap, possibly left of the row: those lanes are
// masked); xstep, xrow and ostep are the byte distances between output
// rows' inputs, input rows and output rows; masks holds mstride bytes of
// dwPlan masks per vector.
//
//go:noescape
func dwRows1K3AVX512(x *float32, xoff, xstep, xrow, nkh int, wt *float32, masks *uint16, mstride, vecs int, out *float32, ostep, rows int, bias float32)

//go:noescape
func dwRows1K5AVX512(x *float32, xoff, xstep, xrow, nkh int, wt *float32, masks *uint16, mstride, vecs int, out *float32, ostep, rows int, bias float32)

//go:noescape
func dwRows2K3AVX512(x *float32, xoff, xstep, xrow, nkh int, wt *float32, masks *uint16, mstride, vecs int, out *float32, ostep, rows int, bias float32)

//go:noescape
func dwRows2K5AVX512(x *float32, xoff, xstep, xrow, nkh int, wt *float32, masks *uint16, mstride, vecs int, out *float32, ostep, rows int, bias float32)

// dwChannelAsm computes one channel (x: InH×InW, out: OutH×OutW) with the
// AVX-512 kernels, run of output rows by run; it reports false when they
// are not available. Every load and store stays inside x and out: the
// runs visit only input rows inside x and the masks only columns inside
// the row and outputs inside the output row.
func dwChannelAsm(g *ConvGeometry, p *dwPlan, w, x, out []float32, bias float32) bool {
	if !useAsmKernel || !useAVX512 {
		return false
	}
	_ = x[g.InH*g.InW-1]
	_ = out[g.OutH*g.OutW-1]
	_ = w[(g.KH*g.KW-1)*gemmMR]
	_ = p.masks[p.vecs*dwMaskStride(g.KW)-1]
	for _, r := range p.runs {
		xoff := (r.oh0*g.StrideH-g.PadT+r.kh0)*g.InW - g.PadL
		xstep, xrow, nkh := 4*g.StrideH*g.InW, 4*g.InW, r.kh1-r.kh0
		wt, ms, o, ostep := &w[r.kh0*g.KW*gemmMR], 2*dwMaskStride(g.KW), &out[r.oh0*g.OutW], 4*g.OutW
		switch {
		case g.StrideW == 1 && g.KW == 3:
			dwRows1K3AVX512(&x[0], xoff, xstep, xrow, nkh, wt, &p.masks[0], ms, p.vecs, o, ostep, r.oh1-r.oh0, bias)
		case g.StrideW == 1:
			dwRows1K5AVX512(&x[0], xoff, xstep, xrow, nkh, wt, &p.masks[0], ms, p.vecs, o, ostep, r.oh1-r.oh0, bias)
		case g.KW == 3:
			dwRows2K3AVX512(&x[0], xoff, xstep, xrow, nkh, wt, &p.masks[0], ms, p.vecs, o, ostep, r.oh1-r.oh0, bias)
		default:
			dwRows2K5AVX512(&x[0], xoff, xstep, xrow, nkh, wt, &p.masks[0], ms, p.vecs, o, ostep, r.oh1-r.oh0, bias)
		}
	}
	return true
}
