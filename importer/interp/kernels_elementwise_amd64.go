//go:build amd64 && !purego

package interp

//go:noescape
func reluAVX512(dst, src *float32, n int)

//go:noescape
func clampAVX512(dst, src *float32, n int, lo, hi float32)

// vectorHead is how many leading values of an n-value slice the AVX-512
// elementwise kernels take (a multiple of 16; 0 without AVX-512).
func vectorHead(n int) int {
	if !useAsmKernel || !useAVX512 {
		return 0
	}
	return n &^ 15
}

func reluVector(dst, src []float32) int {
	v := vectorHead(len(src))
	if v > 0 {
		_ = dst[v-1]
		reluAVX512(&dst[0], &src[0], v)
	}
	return v
}

func clampVector(dst, src []float32, lo, hi float32) int {
	v := vectorHead(len(src))
	if v > 0 {
		_ = dst[v-1]
		clampAVX512(&dst[0], &src[0], v, lo, hi)
	}
	return v
}
