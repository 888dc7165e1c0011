package interp

import "math"

// Log(x), the natural logarithm (NaN below 0, -Inf at 0, as numpy).
func init() {
	registerPointwise("Log", false, fixedPointwise(math.Log))
}
