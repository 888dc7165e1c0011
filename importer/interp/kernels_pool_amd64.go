//go:build amd64 && !purego

package interp

import "golang.org/x/sys/cpu"

// hasBMI2: the pooling kernels need BMI2 (SHLX in the mask setup) besides
// AVX-512.
var hasBMI2 = cpu.X86.HasBMI2

//go:noescape
func maxPool2x2AVX512(dst, r0, r1 *float32, n int)

//go:noescape
func avgPool2x2AVX512(dst, r0, r1 *float32, n int, div float32)

// maxPool2x2Vector writes the len(dst) outputs of a 2×2, stride-2 max pool
// over input rows r0 and r1 (dst[j] from columns 2j and 2j+1) and returns
// len(dst), or 0 without AVX-512 (the caller's loop then does them).
func maxPool2x2Vector(dst, r0, r1 []float32) int {
	n := len(dst)
	if n == 0 || !useAsmKernel || !useAVX512 || !hasBMI2 {
		return 0
	}
	_ = r0[2*n-1]
	_ = r1[2*n-1]
	maxPool2x2AVX512(&dst[0], &r0[0], &r1[0], n)
	return n
}

// avgPool2x2Vector is maxPool2x2Vector for the average, every window
// divided by div.
func avgPool2x2Vector(dst, r0, r1 []float32, div float32) int {
	n := len(dst)
	if n == 0 || !useAsmKernel || !useAVX512 || !hasBMI2 {
		return 0
	}
	_ = r0[2*n-1]
	_ = r1[2*n-1]
	avgPool2x2AVX512(&dst[0], &r0[0], &r1[0], n, div)
	return n
}

//go:noescape
func deinterleave2AVX512(even, odd, src *float32, n int)

// deinterleave2Vector sets even[j] = src[2j] and odd[j] = src[2j+1] for
// the leading multiple of 16 of j < len(even) and returns how many it did
// (0 without AVX-512). len(odd) ≥ len(even), len(src) ≥ 2·len(even).
func deinterleave2Vector(even, odd, src []float32) int {
	n := len(even) &^ 15
	if n == 0 || !useAsmKernel || !useAVX512 {
		return 0
	}
	_ = odd[n-1]
	_ = src[2*n-1]
	deinterleave2AVX512(&even[0], &odd[0], &src[0], n)
	return n
}
