//go:build amd64 && !purego

package importer

// sgemmKernel6x16 is the AVX2/FMA micro-kernel (kernels_amd64.s):
// C[6×16] (leading dimension ldc floats) += Ap (kc×6) · Bp (kc×16), kc ≥ 1.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int)

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
