package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// naiveGemm is the textbook triple loop in float64, the reference for Gemm.
func naiveGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := float64(c[i*ldc+j])
			for kk := 0; kk < k; kk++ {
				var av, bv float32
				if transA {
					av = a[kk*lda+i]
				} else {
					av = a[i*lda+kk]
				}
				if transB {
					bv = b[j*ldb+kk]
				} else {
					bv = b[kk*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = float32(s)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// firstBitDiff is the index of the first element whose bits differ
// between got and want (−0 against +0 counts), or -1 when none does.
func firstBitDiff(got, want []float32) int {
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}

// underflowToNegZero sets every a and b so that each product a·b
// underflows to −0, and every c to −0: sums of them are ±0 by the order
// of the additions alone, which is what a bit-for-bit comparison of two
// kernels on them checks.
func underflowToNegZero(a, b, c []float32) {
	for i := range a {
		a[i] = 1e-30
	}
	for i := range b {
		b[i] = -1e-30
	}
	for i := range c {
		c[i] = float32(math.Copysign(0, -1))
	}
}

// conv1x1Geometry is the geometry of a 1×1, stride-1 convolution over a
// c×h×w input.
func conv1x1Geometry(t *testing.T, c, h, w int) ConvGeometry {
	t.Helper()
	g, err := NewConvGeometry(c, h, w, 1, ConvParams{KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGemmAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {6, 16, 1}, {7, 17, 3}, {5, 15, 300}, {13, 40, 257}, {64, 120, 400}, {1, 10, 500}, {100, 3, 20}, {12, 200, 513}}
	for _, asm := range []bool{true, false} {
		for _, sz := range sizes {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, workers := range []int{1, 2, 3} {
						m, n, k := sz[0], sz[1], sz[2]
						name := fmt.Sprintf("asm=%v/%dx%dx%d/ta=%v/tb=%v/w=%d", asm, m, n, k, ta, tb, workers)
						t.Run(name, func(t *testing.T) {
							saved := useAsmKernel
							useAsmKernel = asm && saved
							defer func() { useAsmKernel = saved }()
							a := randSlice(r, m*k)
							b := randSlice(r, k*n)
							lda, ldb := k, n
							if ta {
								lda = m
							}
							if tb {
								ldb = k
							}
							ldc := n + 3 // C embedded in a wider buffer
							c := randSlice(r, m*ldc)
							want := append([]float32(nil), c...)
							naiveGemm(ta, tb, m, n, k, a, lda, b, ldb, want, ldc)
							Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, workers)
							if d := maxAbsDiff(c, want); d > 1e-4*math.Sqrt(float64(k)) {
								t.Fatalf("max diff %g", d)
							}
						})
					}
				}
			}
		}
	}
}

// Results must not depend on the number of goroutines.
func TestGemmDeterministicAcrossWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{64, 784, 75}, {512, 49, 4608}, {7, 1000, 300}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		ref := make([]float32, m*n)
		Gemm(false, false, m, n, k, a, k, b, n, ref, n, 1)
		for _, w := range []int{2, 3, 4, 7} {
			c := make([]float32, m*n)
			Gemm(false, false, m, n, k, a, k, b, n, c, n, w)
			for i := range c {
				if c[i] != ref[i] {
					t.Fatalf("%v workers=%d: element %d = %v, single-thread %v", sz, w, i, c[i], ref[i])
				}
			}
		}
	}
}

// GEMM shapes from the benchmarks: a ResNet-18 3×3 conv at 14×14 (M=256,
// K=2304, N=196) and LeNet-5's first conv over a batch image (M=6, K=25,
// N=784). Compared with gonum's float32 BLAS (pure Go, SSE axpy kernels).
var gemmBenchShapes = [][3]int{{256, 196, 2304}, {6, 784, 25}, {64, 120, 400}}

func BenchmarkGemm(b *testing.B) {
	for _, sz := range gemmBenchShapes {
		m, n, k := sz[0], sz[1], sz[2]
		r := rand.New(rand.NewPCG(1, 1))
		a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("rramc/%dx%dx%d/w%d", m, n, k, w), func(b *testing.B) {
				for b.Loop() {
					Gemm(false, false, m, n, k, a, k, bm, n, c, n, w)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
		b.Run(fmt.Sprintf("gonum/%dx%dx%d", m, n, k), func(b *testing.B) {
			impl := gonum.Implementation{}
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bm, n, 1, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// The AVX-512 12-row kernel performs, per element of C, the same FMAs in
// the same order as the AVX2 6-row kernel: results must be bit-identical.
func TestGemmKernelsBitIdentical(t *testing.T) {
	if !useAsmKernel || !useAVX512 {
		t.Skip("needs AVX2 and AVX-512")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{24, 32, 300}, {30, 50, 77}, {64, 784, 75}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		c512 := make([]float32, m*n)
		Gemm(false, false, m, n, k, a, k, b, n, c512, n, 1)
		useAVX512 = false
		c256 := make([]float32, m*n)
		Gemm(false, false, m, n, k, a, k, b, n, c256, n, 1)
		useAVX512 = true
		for i := range c512 {
			if c512[i] != c256[i] {
				t.Fatalf("%v: element %d: AVX-512 %v, AVX2 %v", sz, i, c512[i], c256[i])
			}
		}
	}
}
