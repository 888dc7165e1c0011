package interp

import (
	"math"
)

// Softsign(x) = x / (1 + |x|).
func init() {
	registerPointwise("Softsign", false, fixedPointwise(func(x float64) float64 { return x / (1 + math.Abs(x)) }))
}
