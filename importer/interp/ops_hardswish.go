package interp

import "github.com/rramc/rramc/importer"

// HardSwish(x) = x·max(0, min(1, x/6 + 1/2)) (opset 14). The built-in
// min and max treat NaN and signed zeros as math.Min and math.Max do, and
// compile to a few instructions instead of calls.
func init() {
	registerPointwiseSlice("HardSwish", false, fixedPointwise(hardSwish), func(*importer.Node) (func(dst, src []float32), error) {
		return hardSwishSlice, nil
	})
}

func hardSwish(x float64) float64 { return x * max(0, min(1, x/6+0.5)) }

// hardSwishSlice is hardSwish over a slice, rounded to float32 (hardSwish
// inlines here: no call per value).
func hardSwishSlice(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(hardSwish(float64(v)))
	}
}
