package interp

import "math"

// Ceil(x), rounding toward +∞.
func init() {
	registerPointwise("Ceil", false, fixedPointwise(math.Ceil))
}
