package interp

import "math"

// ReLU and clamp over float32 slices: the activation functions that follow
// most convolutions, so they run over every activation of a network. The
// vector kernels (AVX-512, kernels_elementwise_amd64.s) take the leading
// multiple of 16 values, the portable loops the rest; both give the same
// bits.

// reluSlice sets dst[i] = max(src[i], 0) without branches (activation signs
// are random, so a branch mispredicts half the time): the sign bit, spread
// to a mask, clears negative values to +0. NaN keeps its payload when its
// sign bit is clear.
func reluSlice(dst, src []float32) {
	dst = dst[:len(src)]
	v := reluVector(dst, src)
	for i := v; i < len(src); i++ {
		b := math.Float32bits(src[i])
		dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// clampSlice sets dst[i] = min(max(src[i], lo), hi) as onnxruntime computes
// Clip: a NaN input stays NaN.
func clampSlice(dst, src []float32, lo, hi float32) {
	dst = dst[:len(src)]
	v := clampVector(dst, src, lo, hi)
	for i := v; i < len(src); i++ {
		x := src[i]
		if x < lo {
			x = lo
		}
		if x > hi {
			x = hi
		}
		dst[i] = x
	}
}
