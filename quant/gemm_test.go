package quant

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/rramc/rramc/importer/interp"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// naiveGEMM is the independent truth: the textbook triple loop in int64.
func naiveGEMM(x []int32, m, k int, w []int32, n int) []int64 {
	out := make([]int64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s int64
			for t := 0; t < k; t++ {
				s += int64(x[i*k+t]) * int64(w[t*n+j])
			}
			out[i*n+j] = s
		}
	}
	return out
}

func randCodes(r *rand.Rand, n int, lo, hi int32) []int32 {
	v := make([]int32, n)
	for i := range v {
		v[i] = lo + r.Int31n(hi-lo+1)
	}
	return v
}

func TestGEMMMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	type tc struct {
		m, k, n      int
		xlo, xhi     int32
		wlo, whi     int32
		zeroFraction float64
	}
	cases := []tc{
		{1, 1, 1, 0, 255, -128, 127, 0},
		{3, 7, 5, 0, 255, -128, 127, 0},
		{17, 13, 11, -128, 127, -128, 127, 0},
		{64, 4608, 37, 0, 255, -128, 127, 0},  // extreme codes, long K
		{5, 4609, 3, -128, 127, -128, 127, 0}, // K not a multiple of anything
		{33, 97, 65, 0, 15, -8, 7, 0.5},       // 4-bit, sparse weights
		{9, 25, 6, -128, 127, -128, 127, 0},   // LeNet conv1 shape
		{100, 150, 16, 0, 255, -2, 1, 0.9},    // 2-bit weights, 90 % zero
		{7, 301, 129, 0, 3, -128, 127, 0},     // 2-bit unsigned codes
	}
	for i := 0; i < 6; i++ {
		cases = append(cases, tc{1 + r.Intn(70), 1 + r.Intn(700), 1 + r.Intn(90), -128, 255, -128, 127, r.Float64()})
	}
	// worst case magnitudes: every product 255·(-128)
	cases = append(cases, tc{8, 4099, 19, 255, 255, -128, -128, 0})
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d", c.m, c.k, c.n), func(t *testing.T) {
			x := randCodes(r, c.m*c.k, c.xlo, c.xhi)
			w := randCodes(r, c.k*c.n, c.wlo, c.whi)
			for i := range w {
				if r.Float64() < c.zeroFraction {
					w[i] = 0
				}
			}
			want := naiveGEMM(x, c.m, c.k, w, c.n)
			got := make([]int32, c.m*c.n)
			if err := GEMM(x, c.m, c.k, w, c.n, got); err != nil {
				t.Fatal(err)
			}
			p, _ := PackWeights(w, c.k, c.n)
			got2 := make([]int32, c.m*c.n)
			if err := p.MulParallel(x, c.m, got2, 2); err != nil {
				t.Fatal(err)
			}
			got3 := make([]int32, c.m*c.n)
			gemmPortable(x, c.m, c.k, p.t, c.n, got3)
			for i := range want {
				if int64(got[i]) != want[i] || int64(got2[i]) != want[i] || int64(got3[i]) != want[i] {
					t.Fatalf("element %d: got %d / parallel %d / portable %d, want %d", i, got[i], got2[i], got3[i], want[i])
				}
			}
		})
	}
}

func TestGEMMSizeErrors(t *testing.T) {
	if err := GEMM(make([]int32, 5), 2, 3, make([]int32, 6), 2, make([]int32, 4)); err == nil {
		t.Fatal("short x accepted")
	}
	if _, err := PackWeights(make([]int32, 5), 2, 3); err == nil {
		t.Fatal("short w accepted")
	}
}

var gemmShapes = []struct{ m, k, n int }{
	{196, 4608, 512}, // M=196 output pixels, K=3·3·512, N=512 (VGG-like conv)
	{512, 4608, 196},
	{576, 150, 16}, // LeNet conv2 per image (24·24 … typical)
	{64, 800, 500}, // MLP-ish
}

func BenchmarkGEMMInt(b *testing.B) {
	for _, s := range gemmShapes {
		r := rand.New(rand.NewSource(2))
		x := randCodes(r, s.m*s.k, 0, 255)
		w := randCodes(r, s.k*s.n, -128, 127)
		out := make([]int32, s.m*s.n)
		p, _ := PackWeights(w, s.k, s.n)
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/w%d", s.m, s.k, s.n, workers), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := p.MulParallel(x, s.m, out, workers); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
			})
		}
		b.Run(fmt.Sprintf("%dx%dx%d/portable", s.m, s.k, s.n), func(b *testing.B) {
			for b.Loop() {
				gemmPortable(x, s.m, s.k, p.t, s.n, out)
			}
			b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}

// BenchmarkSgemmImporter is the importer's float32 GEMM (AVX2 6×16 kernel,
// 2 workers), the one the float interpreter uses, on the same shapes.
func BenchmarkSgemmImporter(b *testing.B) {
	for _, s := range gemmShapes {
		r := rand.New(rand.NewSource(2))
		a := make([]float32, s.m*s.k)
		w := make([]float32, s.k*s.n)
		c := make([]float32, s.m*s.n)
		for i := range a {
			a[i] = r.Float32()
		}
		for i := range w {
			w[i] = r.Float32()
		}
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				interp.Gemm(false, false, s.m, s.n, s.k, a, s.k, w, s.n, c, s.n, 2)
			}
			b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}

// BenchmarkSgemm is gonum's float32 GEMM on the same shapes (gonum uses
// every core by itself).
func BenchmarkSgemm(b *testing.B) {
	for _, s := range gemmShapes {
		r := rand.New(rand.NewSource(2))
		a := blas32.General{Rows: s.m, Cols: s.k, Stride: s.k, Data: make([]float32, s.m*s.k)}
		w := blas32.General{Rows: s.k, Cols: s.n, Stride: s.n, Data: make([]float32, s.k*s.n)}
		c := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: make([]float32, s.m*s.n)}
		for i := range a.Data {
			a.Data[i] = r.Float32()
		}
		for i := range w.Data {
			w.Data[i] = r.Float32()
		}
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, w, 0, c)
			}
			b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}
