//go:build !amd64 || purego

package interp

var useAsmKernel = false

// useAVX512 exists for tests; there is no AVX-512 kernel off amd64.
var useAVX512 = false

func microKernel(kc int, a, b, c []float32, ldc int) { microKernelGo(kc, a, b, c, ldc) }

func microKernel2(kc int, a0, a1, b, c []float32, ldc int) bool { return false }

func microKernelIndirect(kc int, a, b []float32, off []int, maxOff int, c []float32, ldc int) {
	microKernelIndirectGo(kc, a, b, off, c, ldc)
}

func microKernelIndirect2(kc int, a0, a1, b []float32, off []int, maxOff int, c []float32, ldc int) bool {
	return false
}

func depthwiseRow(w, b []float32, offs []int, maxOff int, out []float32, bias float32) {
	depthwiseRowGo(w, b, offs, out, bias)
}

func microKernelIndirect3(kc int, a0, a1, a2, b []float32, off []int, maxOff int, c []float32, ldc int) bool {
	return false
}

func microKernel3(kc int, a0, a1, a2, b, c []float32, ldc int) bool { return false }

func microKernelIndirect3Rows(kc int, a0, a1, a2, b []float32, off []int, maxOff int, c []float32, ldc, rows int) bool {
	return false
}

func microKernelIndirectBias(kc int, ap *[3][]float32, panels int, b []float32, off []int, maxOff int, bias, c []float32, ldc int) bool {
	return false
}

func microKernelIndirectRows(kc int, a []float32, astride, groups int, b []float32, off []int, maxOff int, bias, c []float32, ldc int) bool {
	return false
}

var useAVX512VL = false

func microKernelIndirectPart(kc int, ap *[3][]float32, panels int, b []float32, off []int, maxOff int, bias, c []float32, ldc, rows int) bool {
	return false
}

func gemvKernels() bool { return false }

func microKernelGemv(kc int, a, b []float32, bstride, panels int, c []float32) {
	panic("interp: no one-row GEMM kernel on this platform")
}

func microKernelCol(kc int, a []float32, astride, panels int, x []float32, xstride int, out []float32) bool {
	return false
}
