package interp

import "math"

// Floor(x), rounding toward -∞.
func init() {
	registerPointwise("Floor", false, fixedPointwise(math.Floor))
}
