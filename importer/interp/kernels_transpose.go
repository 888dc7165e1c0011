package interp

// transpose16Go is the portable transpose16: dst[dstOff[j]+i] =
// src[i·srcStride+j] for i, j in 0..15.
func transpose16Go(src []float32, srcStride int, dst []float32, dstOff *[16]int) {
	for j, o := range dstOff {
		row := (*[16]float32)(dst[o : o+16])
		for i := range row {
			row[i] = src[i*srcStride+j]
		}
	}
}
