package interp

import "math"

// Round(x), to the nearest integer with halves to even (as numpy.round).
func init() {
	registerPointwise("Round", false, fixedPointwise(math.RoundToEven))
}
