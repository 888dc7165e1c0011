package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMinMax checks minMax against the math.Min/math.Max loop it replaced,
// NaN skipped, over lengths around its 4-wide unrolling and values with
// NaN, ±Inf and signed zeros.
func TestMinMax(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := []float32{nan, inf, -inf, 0, float32(math.Copysign(0, -1)), 1e-38, -3.5}
	for n := 0; n < 23; n++ {
		for trial := 0; trial < 20; trial++ {
			v := make([]float32, n)
			for i := range v {
				if r.IntN(3) == 0 {
					v[i] = special[r.IntN(len(special))]
				} else {
					v[i] = float32(r.NormFloat64())
				}
			}
			wantMin, wantMax := math.Inf(1), math.Inf(-1)
			for _, f := range v {
				if x := float64(f); !math.IsNaN(x) {
					wantMin, wantMax = math.Min(wantMin, x), math.Max(wantMax, x)
				}
			}
			mn, mx := minMax(v)
			// Equal as numbers (a zero extreme may carry either sign).
			if float64(mn) != wantMin || float64(mx) != wantMax {
				t.Fatalf("minMax(%v) = %v, %v; want %v, %v", v, mn, mx, wantMin, wantMax)
			}
		}
	}
}
