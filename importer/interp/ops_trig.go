package interp

import "math"

// Trigonometric and hyperbolic functions, elementwise, in float64 rounded
// once (NaN outside their domain, as numpy).
func init() {
	for op, f := range map[string]func(float64) float64{
		"Sin": math.Sin, "Cos": math.Cos, "Tan": math.Tan,
		"Asin": math.Asin, "Acos": math.Acos, "Atan": math.Atan,
		"Sinh": math.Sinh, "Cosh": math.Cosh,
		"Asinh": math.Asinh, "Acosh": math.Acosh, "Atanh": math.Atanh,
	} {
		registerPointwise(op, op == "Cosh", fixedPointwise(f))
	}
}
