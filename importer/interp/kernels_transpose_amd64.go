//go:build amd64 && !purego

package interp

//go:noescape
func transpose16AVX512(src *float32, srcStride int, dst *float32, dstOff *int)

// transpose16 moves a 16×16 block: input row i is src[i·srcStride :
// i·srcStride+16], output row j (input column j) goes to dst[dstOff[j] :
// dstOff[j]+16]. The caller guarantees the ranges are inside src and dst.
func transpose16(src []float32, srcStride int, dst []float32, dstOff *[16]int) {
	if useAsmKernel && useAVX512 {
		// The kernel reads and writes through raw pointers: every row in
		// range first.
		_ = src[15*srcStride+15]
		for _, o := range dstOff {
			_ = dst[o : o+16]
		}
		transpose16AVX512(&src[0], srcStride, &dst[0], &dstOff[0])
		return
	}
	transpose16Go(src, srcStride, dst, dstOff)
}
