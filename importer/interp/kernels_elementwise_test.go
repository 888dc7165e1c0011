package interp

import (
	"math"
	"math/rand/v2"
	"testing"
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
