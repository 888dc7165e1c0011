package interp

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestGemvBits holds the one-row GEMM kernels against the 6-row path they
// replace, bit for bit, and against the naive loop: widths with and
// without a partial column panel and around the four-panel step, one to
// three k-blocks, B plain and transposed, 1 to 3 workers, on a C that
// already holds values; and on −0 sums (every product underflows to −0,
// C is −0), where only the order of the additions shows.
func TestGemvBits(t *testing.T) {
	if !gemvKernels() {
		t.Skip("the one-row kernels need AVX-512")
	}
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 15, 16, 17, 64, 65, 100, 1000} {
		for _, k := range []int{1, 7, 256, 257, 600} {
			for _, transB := range []bool{false, true} {
				for _, zeros := range []bool{false, true} {
					a, b := randSlice(r, k), randSlice(r, k*n)
					c0 := randSlice(r, n)
					if zeros {
						underflowToNegZero(a, b, c0)
					}
					ldb := n
					if transB {
						ldb = k
					}
					for workers := 1; workers <= 3; workers++ {
						name := fmt.Sprintf("n%d_k%d_transB=%v_zeros=%v/w=%d", n, k, transB, zeros, workers)
						t.Run(name, func(t *testing.T) {
							run := func(one bool) []float32 {
								useGemv = one
								defer func() { useGemv = true }()
								c := slices.Clone(c0)
								Gemm(false, transB, 1, n, k, a, k, b, ldb, c, n, workers)
								return c
							}
							got, want := run(true), run(false)
							if i := firstBitDiff(got, want); i >= 0 {
								t.Fatalf("column %d: %g, the 6-row path's %g", i, got[i], want[i])
							}
							ref := slices.Clone(c0)
							naiveGemm(false, transB, 1, n, k, a, k, b, ldb, ref, n)
							if d := maxAbsDiff(got, ref); !(d < 1e-3) {
								t.Errorf("differs from the naive loop by %g", d)
							}
						})
					}
				}
			}
		}
	}
}
