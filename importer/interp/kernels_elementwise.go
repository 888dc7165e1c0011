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

// elementwiseGrain is the fewest values worth handing to another
// goroutine: below it starting the goroutine costs more than the loop.
// MobileNet activations at batch 1 (112×112×32 = 401k values down to
// 7×7×960 = 47k) are above it, so HardSwish, ReLU6 and the rest use every
// core instead of leaving one idle between the parallel convolutions.
const elementwiseGrain = 1 << 14

// parallelElementwise runs fn over [0,n) split in contiguous ranges across
// up to workers goroutines (one when n is under two grains). fn must read
// and write only its own range, so the values do not depend on the split.
func parallelElementwise(n, workers int, fn func(lo, hi int)) {
	chunks := n / elementwiseGrain
	if workers <= 1 || chunks < 2 {
		fn(0, n)
		return
	}
	parallelFor(chunks, workers, func(c0, c1 int) { fn(c0*n/chunks, c1*n/chunks) })
}

// reluParallel, clampParallel and mapParallel are reluSlice, clampSlice and
// dst[i] = f(src[i]) split over workers goroutines.
func reluParallel(dst, src []float32, workers int) {
	dst = dst[:len(src)]
	parallelElementwise(len(src), workers, func(lo, hi int) { reluSlice(dst[lo:hi], src[lo:hi]) })
}

func clampParallel(dst, src []float32, lo, hi float32, workers int) {
	dst = dst[:len(src)]
	parallelElementwise(len(src), workers, func(i0, i1 int) { clampSlice(dst[i0:i1], src[i0:i1], lo, hi) })
}

func mapParallel(dst, src []float32, f func(float32) float32, workers int) {
	dst = dst[:len(src)]
	parallelElementwise(len(src), workers, func(lo, hi int) {
		for i, v := range src[lo:hi] {
			dst[lo+i] = f(v)
		}
	})
}
