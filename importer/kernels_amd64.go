//go:build amd64 && !purego

package importer

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

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports CPU and OS support for AVX2 and FMA3 (YMM state saved).
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

// hasAVX512F reports CPU and OS support for AVX-512F (ZMM and opmask state
// saved).
func hasAVX512F() bool {
	if !hasAVX2FMA() {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0xE6 != 0xE6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0
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
