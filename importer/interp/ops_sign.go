package interp

import "math"

// Sign(x) = -1, 0 or 1 (NaN stays NaN).
func init() {
	registerPointwise("Sign", false, fixedPointwise(func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		case x == 0:
			return 0
		}
		return math.NaN()
	}))
}
