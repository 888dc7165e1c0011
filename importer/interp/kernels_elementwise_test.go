package interp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestReluClampBits checks the vector ReLU and clamp kernels against the
// scalar definitions bit for bit, over lengths around the 16-value vector
// width and values that include ±0, ±Inf, NaN of both signs and the bounds
// themselves.
func TestReluClampBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	nanNeg := math.Float32frombits(0xffc00001)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), nanNeg, -1, 6, 1e-40, -1e-40}
	bounds := [][2]float32{{0, 6}, {-1, 1}, {float32(math.Inf(-1)), float32(math.Inf(1))}, {2, 2}}
	for n := 0; n <= 70; n++ {
		for _, off := range []int{0, 3} {
			src := make([]float32, n+off)
			for i := range src {
				if r.IntN(4) == 0 {
					src[i] = special[r.IntN(len(special))]
				} else {
					src[i] = float32(r.NormFloat64() * 4)
				}
			}
			src = src[off:]
			dst := make([]float32, n)
			reluSlice(dst, src)
			for i, v := range src {
				b := math.Float32bits(v)
				if b>>31 == 1 {
					b = 0
				}
				if math.Float32bits(dst[i]) != b {
					t.Fatalf("relu n=%d: dst[%d] = %v (%#x) for %v, want %#x", n, i, dst[i], math.Float32bits(dst[i]), v, b)
				}
			}
			for _, bd := range bounds {
				clampSlice(dst, src, bd[0], bd[1])
				for i, v := range src {
					want := v
					if want < bd[0] {
						want = bd[0]
					}
					if want > bd[1] {
						want = bd[1]
					}
					if math.Float32bits(dst[i]) != math.Float32bits(want) {
						t.Fatalf("clamp [%v,%v] n=%d: dst[%d] = %v for %v, want %v", bd[0], bd[1], n, i, dst[i], v, want)
					}
				}
			}
		}
	}
}

// TestElementwiseParallelBits runs ReLU, clamp and a HardSwish-shaped map
// on one goroutine and split over several, at lengths around the
// elementwiseGrain split points, and requires the same bits (NaN payloads
// included) everywhere.
func TestElementwiseParallelBits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	hardSwish := func(x float32) float32 {
		return float32(float64(x) * math.Max(0, math.Min(1, float64(x)/6+0.5)))
	}
	kernels := []struct {
		name string
		run  func(dst, src []float32, workers int)
	}{
		{"relu", reluParallel},
		{"clamp", func(dst, src []float32, w int) { clampParallel(dst, src, 0, 6, w) }},
		{"hardswish", func(dst, src []float32, w int) { mapParallel(dst, src, hardSwish, w) }},
	}
	for _, n := range []int{0, 1, 2*elementwiseGrain - 1, 2 * elementwiseGrain, 3*elementwiseGrain + 17, 112 * 112 * 32} {
		src := make([]float32, n)
		for i := range src {
			switch r.IntN(50) {
			case 0:
				src[i] = float32(math.NaN())
			case 1:
				src[i] = math.Float32frombits(0xffc00001)
			default:
				src[i] = float32(r.NormFloat64() * 4)
			}
		}
		for _, k := range kernels {
			serial := make([]float32, n)
			k.run(serial, src, 1)
			for _, workers := range []int{2, 3, 8} {
				par := make([]float32, n)
				for i := range par {
					par[i] = -7 // a value no kernel writes for these inputs
				}
				k.run(par, src, workers)
				for i := range serial {
					if math.Float32bits(par[i]) != math.Float32bits(serial[i]) {
						t.Fatalf("%s n=%d workers=%d: [%d] = %#x, serial %#x", k.name, n, workers, i, math.Float32bits(par[i]), math.Float32bits(serial[i]))
					}
				}
			}
		}
	}
}

// TestBroadcastLoopParallel checks that the split broadcast walk visits
// every output element once with the operand offsets of the serial walk,
// for the shapes of a residual Add, a squeeze-excitation Mul, a per-channel
// bias and two-sided broadcasting, large enough to be split and with rows
// cut at range boundaries.
func TestBroadcastLoopParallel(t *testing.T) {
	cases := []struct{ a, b []int }{
		{[]int{1, 24, 56, 56}, []int{1, 24, 56, 56}},
		{[]int{1, 960, 7, 7}, []int{1, 960, 1, 1}},
		{[]int{1, 72, 28, 28}, []int{1, 72, 1, 1}},
		{[]int{3, 16, 37, 29}, []int{16, 1, 1}},
		{[]int{7, 1, 4099}, []int{1, 13, 1}},
		{[]int{5}, []int{1}},
		{[]int{2, 0, 3}, []int{1}},
	}
	type pair struct{ ia, ib int }
	walk := func(as, bs, out []int, workers int) []pair {
		got := make([]pair, importer.NumElements(out))
		for i := range got {
			got[i] = pair{-1, -1}
		}
		visits := make([]int32, len(got))
		fn := func(o, ia, sa, ib, sb, cnt int) {
			for i := 0; i < cnt; i++ {
				got[o+i] = pair{ia + i*sa, ib + i*sb}
				visits[o+i]++ // ranges are disjoint: no two goroutines touch one element
			}
		}
		if workers == 0 {
			broadcastLoop(as, bs, out, fn)
		} else {
			broadcastLoopParallel(as, bs, out, workers, fn)
		}
		for i, v := range visits {
			if v != 1 {
				t.Fatalf("%v %v workers=%d: element %d visited %d times", as, bs, workers, i, v)
			}
		}
		return got
	}
	for _, tc := range cases {
		out, err := importer.BroadcastShapes(tc.a, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		serial := walk(tc.a, tc.b, out, 0)
		for _, workers := range []int{1, 2, 3, 8} {
			if got := walk(tc.a, tc.b, out, workers); !slices.Equal(got, serial) {
				t.Errorf("%v %v workers=%d: offsets differ from the serial walk", tc.a, tc.b, workers)
			}
		}
	}
}
