package interp

import (
	"math"
)

// HardSwish(x) = x·max(0, min(1, x/6 + 1/2)) (opset 14).
func init() {
	registerPointwise("HardSwish", false, fixedPointwise(func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }))
}
