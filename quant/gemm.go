package quant

import (
	"fmt"
	"runtime"
	"sync"
)

// PackedWeights is a K×N integer weight matrix laid out for the GEMM
// kernels. Packing costs O(K·N) and is done once per layer group.
type PackedWeights struct {
	K, N int
	// t is W transposed (N×K row-major) for the portable kernel.
	t []int32
	// vnni holds the layout of the AVX-512 VNNI kernel (nil when that kernel
	// cannot be used: no CPU support or weights outside int8).
	vnni *vnniPacked
}

// PackWeights packs the K×N row-major matrix w. Values must fit in int8 for
// the fast kernel; wider values fall back to the portable kernel, which is
// exact for any int32 inputs whose products and sums fit in int32.
func PackWeights(w []int32, k, n int) (*PackedWeights, error) {
	if k <= 0 || n <= 0 || len(w) != k*n {
		return nil, fmt.Errorf("quant: pack weights: have %d values for K=%d N=%d", len(w), k, n)
	}
	p := &PackedWeights{K: k, N: n, t: make([]int32, k*n)}
	for r := 0; r < k; r++ {
		row := w[r*n : (r+1)*n]
		for c, v := range row {
			p.t[c*k+r] = v
		}
	}
	p.vnni = packVNNI(w, k, n)
	return p, nil
}

// Mul computes out = x·W for the M×K row-major x, out M×N. Input codes with
// |x| ≤ 255 use the VNNI kernel when available; the result is exact either
// way (int32 accumulation, no overflow for 8-bit codes while K < 2^16).
func (p *PackedWeights) Mul(x []int32, m int, out []int32) error {
	if m < 0 || len(x) != m*p.K || len(out) != m*p.N {
		return fmt.Errorf("quant: gemm: x has %d values, out %d, for M=%d K=%d N=%d", len(x), len(out), m, p.K, p.N)
	}
	if m == 0 {
		return nil
	}
	if p.vnni != nil && p.vnni.mul(x, m, out) {
		return nil
	}
	gemmPortable(x, m, p.K, p.t, p.N, out)
	return nil
}

// mulCodes is Mul for x known to hold bits-wide codes (signed or not), as
// the golden model guarantees by clamping: the VNNI path skips its range scan.
func (p *PackedWeights) mulCodes(x []int32, m int, out []int32, bits int, signed bool) error {
	if p.vnni != nil && bits <= 8 && m >= 0 && len(x) == m*p.K && len(out) == m*p.N {
		if m == 0 {
			return nil
		}
		var off int32
		if signed {
			off = 128
		}
		p.vnni.mulOffset(x, m, out, off)
		return nil
	}
	return p.Mul(x, m, out)
}

// MulParallel is Mul with the rows of x split over workers goroutines
// (0 = GOMAXPROCS). The result does not depend on workers: every output
// element is computed by exactly one goroutine in the same order.
func (p *PackedWeights) MulParallel(x []int32, m int, out []int32, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 || m < 2*workers {
		return p.Mul(x, m, out)
	}
	if len(x) != m*p.K || len(out) != m*p.N {
		return p.Mul(x, m, out) // reports the size error
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	step := (m + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*step, min((w+1)*step, m)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			errs[w] = p.Mul(x[lo*p.K:hi*p.K], hi-lo, out[lo*p.N:hi*p.N])
		}(w, lo, hi)
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// GEMM computes out = x·w (x M×K, w K×N, out M×N, all row-major) exactly in
// int32. It packs w on every call; use PackWeights for repeated products.
func GEMM(x []int32, m, k int, w []int32, n int, out []int32) error {
	p, err := PackWeights(w, k, n)
	if err != nil {
		return err
	}
	return p.Mul(x, m, out)
}

// gemmPortable is the pure-Go kernel: out[i][j] = Σ_k x[i][k]·wt[j][k] with
// wt the transposed weights, in 4×2 register tiles so that each loaded value
// feeds several multiply-adds.
func gemmPortable(x []int32, m, k int, wt []int32, n int, out []int32) {
	i := 0
	for ; i+4 <= m; i += 4 {
		x0 := x[i*k : i*k+k]
		x1 := x[(i+1)*k : (i+1)*k+k]
		x2 := x[(i+2)*k : (i+2)*k+k]
		x3 := x[(i+3)*k : (i+3)*k+k]
		j := 0
		for ; j+2 <= n; j += 2 {
			w0 := wt[j*k : j*k+k]
			w1 := wt[(j+1)*k : (j+1)*k+k]
			var s00, s01, s10, s11, s20, s21, s30, s31 int32
			for t := range w0 {
				a, b := w0[t], w1[t]
				v0, v1, v2, v3 := x0[t], x1[t], x2[t], x3[t]
				s00 += v0 * a
				s01 += v0 * b
				s10 += v1 * a
				s11 += v1 * b
				s20 += v2 * a
				s21 += v2 * b
				s30 += v3 * a
				s31 += v3 * b
			}
			out[i*n+j], out[i*n+j+1] = s00, s01
			out[(i+1)*n+j], out[(i+1)*n+j+1] = s10, s11
			out[(i+2)*n+j], out[(i+2)*n+j+1] = s20, s21
			out[(i+3)*n+j], out[(i+3)*n+j+1] = s30, s31
		}
		for ; j < n; j++ {
			w0 := wt[j*k : j*k+k]
			var s0, s1, s2, s3 int32
			for t, a := range w0 {
				s0 += x0[t] * a
				s1 += x1[t] * a
				s2 += x2[t] * a
				s3 += x3[t] * a
			}
			out[i*n+j], out[(i+1)*n+j], out[(i+2)*n+j], out[(i+3)*n+j] = s0, s1, s2, s3
		}
	}
	for ; i < m; i++ {
		xi := x[i*k : i*k+k]
		for j := 0; j < n; j++ {
			wj := wt[j*k : j*k+k]
			var s int32
			for t, a := range wj {
				s += xi[t] * a
			}
			out[i*n+j] = s
		}
	}
}
