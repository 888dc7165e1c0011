package interp

import "math"

// Erf(x), the Gauss error function.
func init() {
	registerPointwise("Erf", false, fixedPointwise(math.Erf))
}
