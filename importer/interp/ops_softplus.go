package interp

import (
	"math"
)

// Softplus(x) = ln(1 + exp(x)).
func init() {
	registerPointwise("Softplus", true, fixedPointwise(func(x float64) float64 { return math.Log1p(math.Exp(x)) }))
}
