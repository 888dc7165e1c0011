//go:build !amd64 || purego

package interp

// transpose16 is transpose16Go where the AVX-512 kernel is not built.
func transpose16(src []float32, srcStride int, dst []float32, dstOff *[16]int) {
	transpose16Go(src, srcStride, dst, dstOff)
}
