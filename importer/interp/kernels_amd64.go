//go:build amd64 && !purego

package interp

import "golang.org/x/sys/cpu"

// sgemmKernel6x16 is the AVX2/FMA micro-kernel (kernels_amd64.s):
// C[6×16] (leading dimension ldc floats) += Ap (kc×6) · Bp (kc×16), kc ≥ 1.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int)

// sgemmKernel12x16 is the AVX-512 micro-kernel over two consecutive packed
// A panels (a0, a1): C[12×16] += [Ap0; Ap1] · Bp over kc ≥ 1.
//
//go:noescape
func sgemmKernel12x16(kc int, a0, a1, b, c *float32, ldc int)

// hasAVX2FMA reports CPU and OS support for AVX2 and FMA3 (YMM state saved):
// the AVX, AVX2 and FMA CPUID bits, OSXSAVE and XCR0 XMM|YMM, as checked by
// x/sys/cpu (HasAVX and HasAVX2 include the OSXSAVE/XCR0 test).
func hasAVX2FMA() bool {
	return cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasFMA
}

// hasAVX512F reports CPU and OS support for AVX-512F (ZMM and opmask state
// saved) on top of hasAVX2FMA; x/sys/cpu sets HasAVX512F only when XCR0
// enables opmask, ZMM_Hi256 and Hi16_ZMM.
func hasAVX512F() bool {
	return hasAVX2FMA() && cpu.X86.HasAVX512F
}

// useAVX512 selects the 12-row kernel for pairs of full row panels.
var useAVX512 = hasAVX512F()

// microKernel2 computes two vertically adjacent full 6×16 blocks (A panels
// a0 and a1, C rows 0..11) when the AVX-512 kernel is available; it
// reports false otherwise and the caller uses microKernel twice.
func microKernel2(kc int, a0, a1, b, c []float32, ldc int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 {
		return false
	}
	_ = a0[kc*gemmMR-1]
	_ = a1[kc*gemmMR-1]
	_ = b[kc*gemmNR-1]
	_ = c[(2*gemmMR-1)*ldc+gemmNR-1]
	sgemmKernel12x16(kc, &a0[0], &a1[0], &b[0], &c[0], ldc)
	return true
}

// useAsmKernel selects the assembly micro-kernel; tests switch it off to
// check the portable one.
var useAsmKernel = hasAVX2FMA()

func microKernel(kc int, a, b, c []float32, ldc int) {
	if useAsmKernel && kc > 0 {
		// Bounds were established by the caller's slicing; check the
		// extremes once so the assembly never reads or writes outside.
		_ = a[kc*gemmMR-1]
		_ = b[kc*gemmNR-1]
		_ = c[(gemmMR-1)*ldc+gemmNR-1]
		sgemmKernel6x16(kc, &a[0], &b[0], &c[0], ldc)
		return
	}
	microKernelGo(kc, a, b, c, ldc)
}

// sgemmIndirect6x16 is sgemmKernel6x16 with row kk of B at b + offs[kk]
// floats (kernels_conv.go).
//
//go:noescape
func sgemmIndirect6x16(kc int, a, b *float32, offs *int, c *float32, ldc int)

// sgemmIndirect12x16 is sgemmKernel12x16 with row kk of B at b + offs[kk].
//
//go:noescape
func sgemmIndirect12x16(kc int, a0, a1, b *float32, offs *int, c *float32, ldc int)

// checkIndirect establishes, once per call, that every read and write of
// an indirect kernel stays inside the slices: maxOff is at least every
// offset in off (the shift plan's largest, which the plan computes; all
// are non-negative by construction).
func checkIndirect(kc int, b []float32, off []int, maxOff int, c []float32, ldc, rows int) {
	_ = off[kc-1]
	_ = b[maxOff+gemmNR-1]
	_ = c[(rows-1)*ldc+gemmNR-1]
}

func microKernelIndirect(kc int, a, b []float32, off []int, maxOff int, c []float32, ldc int) {
	if useAsmKernel && kc > 0 {
		_ = a[kc*gemmMR-1]
		checkIndirect(kc, b, off, maxOff, c, ldc, gemmMR)
		sgemmIndirect6x16(kc, &a[0], &b[0], &off[0], &c[0], ldc)
		return
	}
	microKernelIndirectGo(kc, a, b, off, c, ldc)
}

// microKernelIndirect2 is microKernel2 for the indirect kernels.
func microKernelIndirect2(kc int, a0, a1, b []float32, off []int, maxOff int, c []float32, ldc int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 {
		return false
	}
	_ = a0[kc*gemmMR-1]
	_ = a1[kc*gemmMR-1]
	checkIndirect(kc, b, off, maxOff, c, ldc, 2*gemmMR)
	sgemmIndirect12x16(kc, &a0[0], &a1[0], &b[0], &off[0], &c[0], ldc)
	return true
}

//go:noescape
func dwIndirectAVX512(k int, w, b *float32, offs *int, out *float32, pairs int, bias float32)

// depthwiseRow computes one output channel of a depthwise convolution on
// the shifted-plane grid: out[j] = bias + Σ_kk w[kk·gemmMR]·b[offs[kk]+j]
// for j < len(out) (a multiple of 2·gemmNR), with the FMA order of the
// GEMM path's row 0. maxOff bounds offs as in checkIndirect.
func depthwiseRow(w, b []float32, offs []int, maxOff int, out []float32, bias float32) {
	k, n := len(offs), len(out)
	if !useAsmKernel || !useAVX512 || k == 0 {
		depthwiseRowGo(w, b, offs, out, bias)
		return
	}
	_ = w[(k-1)*gemmMR]
	_ = b[maxOff+n-1]
	dwIndirectAVX512(k, &w[0], &b[0], &offs[0], &out[0], n/(2*gemmNR), bias)
}

// sgemmIndirect18x16 is sgemmIndirect12x16 over three A panels (18 rows).
//
//go:noescape
func sgemmIndirect18x16(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc int)

// microKernelIndirect3 is microKernelIndirect2 for three row panels.
func microKernelIndirect3(kc int, a0, a1, a2, b []float32, off []int, maxOff int, c []float32, ldc int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 {
		return false
	}
	_ = a0[kc*gemmMR-1]
	_ = a1[kc*gemmMR-1]
	_ = a2[kc*gemmMR-1]
	checkIndirect(kc, b, off, maxOff, c, ldc, 3*gemmMR)
	sgemmIndirect18x16(kc, &a0[0], &a1[0], &a2[0], &b[0], &off[0], &c[0], ldc)
	return true
}

// sgemmIndirect16x16 and sgemmIndirect14x16 are sgemmIndirect18x16 for
// outputs of 16 and 14 rows (the third panel's rows past them are A's
// zero padding): 11% fewer FMAs for 16 or 32 output channels.
//
//go:noescape
func sgemmIndirect16x16(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc int)

//go:noescape
func sgemmIndirect14x16(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc int)

// microKernelIndirect3Rows is microKernelIndirect3 computing only the
// first rows (13..18) of the 18: rows 14 and 16 take the shorter kernels,
// others all 18 rows (C must hold them).
func microKernelIndirect3Rows(kc int, a0, a1, a2, b []float32, off []int, maxOff int, c []float32, ldc, rows int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 {
		return false
	}
	if rows != 14 && rows != 16 {
		return microKernelIndirect3(kc, a0, a1, a2, b, off, maxOff, c, ldc)
	}
	_ = a0[kc*gemmMR-1]
	_ = a1[kc*gemmMR-1]
	_ = a2[kc*gemmMR-1]
	checkIndirect(kc, b, off, maxOff, c, ldc, rows)
	if rows == 16 {
		sgemmIndirect16x16(kc, &a0[0], &a1[0], &a2[0], &b[0], &off[0], &c[0], ldc)
	} else {
		sgemmIndirect14x16(kc, &a0[0], &a1[0], &a2[0], &b[0], &off[0], &c[0], ldc)
	}
	return true
}

// sgemmKernel18x16 is sgemmKernel12x16 over three A panels (18 rows).
//
//go:noescape
func sgemmKernel18x16(kc int, a0, a1, a2, b, c *float32, ldc int)

// microKernel3 is microKernel2 for three row panels (C rows 0..17).
func microKernel3(kc int, a0, a1, a2, b, c []float32, ldc int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 {
		return false
	}
	_ = a0[kc*gemmMR-1]
	_ = a1[kc*gemmMR-1]
	_ = a2[kc*gemmMR-1]
	_ = b[kc*gemmNR-1]
	_ = c[(3*gemmMR-1)*ldc+gemmNR-1]
	sgemmKernel18x16(kc, &a0[0], &a1[0], &a2[0], &b[0], &c[0], ldc)
	return true
}

// sgemmIndirectBias6x16, 12x16 and 18x16 are sgemmIndirect6x16 (on
// AVX-512), 12x16 and 18x16 for the first k-block of a 1×1 convolution
// (conv1x1.go): row i of C is stored as acc + bias[i] rather than updated
// to acc + C.
//
//go:noescape
func sgemmIndirectBias6x16(kc int, a0, b *float32, offs *int, bias, c *float32, ldc int)

//go:noescape
func sgemmIndirectBias12x16(kc int, a0, a1, b *float32, offs *int, bias, c *float32, ldc int)

//go:noescape
func sgemmIndirectBias18x16(kc int, a0, a1, a2, b *float32, offs *int, bias, c *float32, ldc int)

// microKernelIndirectBias computes panels (1..3) full 6-row panels of C
// over a first k-block: C[i][j] = acc[i][j] + bias[i], with the FMAs of
// microKernelIndirect. It reports false without the AVX-512 kernels.
func microKernelIndirectBias(kc int, ap *[3][]float32, panels int, b []float32, off []int, maxOff int, bias, c []float32, ldc int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 {
		return false
	}
	rows := panels * gemmMR
	for i := range panels {
		_ = ap[i][kc*gemmMR-1]
	}
	_ = bias[rows-1]
	checkIndirect(kc, b, off, maxOff, c, ldc, rows)
	switch panels {
	case 1:
		sgemmIndirectBias6x16(kc, &ap[0][0], &b[0], &off[0], &bias[0], &c[0], ldc)
	case 2:
		sgemmIndirectBias12x16(kc, &ap[0][0], &ap[1][0], &b[0], &off[0], &bias[0], &c[0], ldc)
	case 3:
		sgemmIndirectBias18x16(kc, &ap[0][0], &ap[1][0], &ap[2][0], &b[0], &off[0], &bias[0], &c[0], ldc)
	default:
		return false
	}
	return true
}

// sgemmIndirectBias18x16Rows and sgemmIndirectAcc18x16Rows are
// sgemmIndirectBias18x16 and sgemmIndirect18x16 over groups consecutive
// 18-row blocks of C, A's panels astride floats apart.
//
//go:noescape
func sgemmIndirectBias18x16Rows(kc int, a *float32, astride, groups int, b *float32, offs *int, bias, c *float32, ldc int)

//go:noescape
func sgemmIndirectAcc18x16Rows(kc int, a *float32, astride, groups int, b *float32, offs *int, c *float32, ldc int)

// microKernelIndirectRows computes groups·18 rows of one column panel of C
// from the A panels at a, a+astride, …: C = acc + bias per row (the first
// k-block), or C += acc when bias is nil. It reports false without the
// AVX-512 kernels.
func microKernelIndirectRows(kc int, a []float32, astride, groups int, b []float32, off []int, maxOff int, bias, c []float32, ldc int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 || groups <= 0 || astride < kc*gemmMR {
		return false
	}
	rows := groups * 3 * gemmMR
	_ = a[(3*groups-1)*astride+kc*gemmMR-1]
	checkIndirect(kc, b, off, maxOff, c, ldc, rows)
	if bias != nil {
		_ = bias[rows-1]
		sgemmIndirectBias18x16Rows(kc, &a[0], astride, groups, &b[0], &off[0], &bias[0], &c[0], ldc)
	} else {
		sgemmIndirectAcc18x16Rows(kc, &a[0], astride, groups, &b[0], &off[0], &c[0], ldc)
	}
	return true
}

// useAVX512VL selects the kernels on YMM registers with AVX-512 encodings
// (masked loads, broadcasts).
var useAVX512VL = hasAVX512F() && cpu.X86.HasAVX512VL

// sgemmIndirect{Bias,Acc}{6,12,18}x16Part compute the last rows (1..6·n,
// the n-th panel partial) of a column panel of a 1×1 convolution:
// sgemmIndirectBias*'s and sgemmIndirect*'s FMAs, writing only rows rows
// of C, the last panel's as gemmBlock adds a partial tile.
//
//go:noescape
func sgemmIndirectBias6x16Part(kc int, a0, b *float32, offs *int, bias, c *float32, ldc, rows int)

//go:noescape
func sgemmIndirectBias12x16Part(kc int, a0, a1, b *float32, offs *int, bias, c *float32, ldc, rows int)

//go:noescape
func sgemmIndirectBias18x16Part(kc int, a0, a1, a2, b *float32, offs *int, bias, c *float32, ldc, rows int)

//go:noescape
func sgemmIndirectAcc6x16Part(kc int, a0, b *float32, offs *int, c *float32, ldc, rows int)

//go:noescape
func sgemmIndirectAcc12x16Part(kc int, a0, a1, b *float32, offs *int, c *float32, ldc, rows int)

//go:noescape
func sgemmIndirectAcc18x16Part(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc, rows int)

// microKernelIndirectPart computes the first rows rows of the panels
// (1..3, rows > 6·(panels-1), the last panel partial: rows not a multiple
// of 6) of one column panel: C = acc + bias per row in the first k-block,
// C += acc when bias is nil. It reports false without the AVX-512 kernels.
func microKernelIndirectPart(kc int, ap *[3][]float32, panels int, b []float32, off []int, maxOff int, bias, c []float32, ldc, rows int) bool {
	if !useAsmKernel || !useAVX512 || kc <= 0 || panels < 1 || panels > 3 || rows <= (panels-1)*gemmMR || rows >= panels*gemmMR {
		return false
	}
	for i := range panels {
		_ = ap[i][kc*gemmMR-1]
	}
	checkIndirect(kc, b, off, maxOff, c, ldc, rows)
	if bias != nil {
		_ = bias[rows-1]
		switch panels {
		case 1:
			sgemmIndirectBias6x16Part(kc, &ap[0][0], &b[0], &off[0], &bias[0], &c[0], ldc, rows)
		case 2:
			sgemmIndirectBias12x16Part(kc, &ap[0][0], &ap[1][0], &b[0], &off[0], &bias[0], &c[0], ldc, rows)
		default:
			sgemmIndirectBias18x16Part(kc, &ap[0][0], &ap[1][0], &ap[2][0], &b[0], &off[0], &bias[0], &c[0], ldc, rows)
		}
		return true
	}
	switch panels {
	case 1:
		sgemmIndirectAcc6x16Part(kc, &ap[0][0], &b[0], &off[0], &c[0], ldc, rows)
	case 2:
		sgemmIndirectAcc12x16Part(kc, &ap[0][0], &ap[1][0], &b[0], &off[0], &c[0], ldc, rows)
	default:
		sgemmIndirectAcc18x16Part(kc, &ap[0][0], &ap[1][0], &ap[2][0], &b[0], &off[0], &c[0], ldc, rows)
	}
	return true
}

// sgemv1x64 and sgemv1x16 add one row of A times four or one packed
// column panels of B to C (gemv.go).
//
//go:noescape
func sgemv1x64(kc int, a, b *float32, bstride int, c *float32)

//go:noescape
func sgemv1x16(kc int, a, b *float32, bstride int, c *float32)

// gemvKernels reports whether the one-row kernels can run.
func gemvKernels() bool { return useAsmKernel && useAVX512 }

// microKernelGemv adds row 0 of the packed A panel a times panels (4 or
// 1) packed B panels, bstride floats apart, to c[:16·panels] over kc
// values of k.
func microKernelGemv(kc int, a, b []float32, bstride, panels int, c []float32) {
	_ = a[(kc-1)*gemmMR]
	_ = b[(panels-1)*bstride+kc*gemmNR-1]
	_ = c[panels*gemmNR-1]
	if panels == 4 {
		sgemv1x64(kc, &a[0], &b[0], bstride, &c[0])
		return
	}
	sgemv1x16(kc, &a[0], &b[0], bstride, &c[0])
}

// sgemmCol48 and sgemmCol6 compute one output column of eight or one A
// panels of a 1×1 convolution with the rows as vector lanes (conv1x1.go).
//
//go:noescape
func sgemmCol48(kc int, a *float32, astride int, x *float32, xstride int, out *float32)

//go:noescape
func sgemmCol6(kc int, a *float32, astride int, x *float32, xstride int, out *float32)

// microKernelCol writes to out[8p+i] (p < panels, 8 or 1; i < 6, lanes 6
// and 7 zero) the sum over kc values of k of row i of the A panel at
// a + p·astride times x[kk·xstride], plus 0. It reports false without
// AVX-512VL.
func microKernelCol(kc int, a []float32, astride, panels int, x []float32, xstride int, out []float32) bool {
	if !useAsmKernel || !useAVX512VL || kc <= 0 || astride < kc*gemmMR {
		return false
	}
	_ = a[(panels-1)*astride+(kc-1)*gemmMR+gemmMR-1]
	_ = x[(kc-1)*xstride]
	_ = out[panels*8-1]
	switch panels {
	case 8:
		sgemmCol48(kc, &a[0], astride, &x[0], xstride, &out[0])
	case 1:
		sgemmCol6(kc, &a[0], astride, &x[0], xstride, &out[0])
	default:
		return false
	}
	return true
}
