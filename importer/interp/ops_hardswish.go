package interp

// HardSwish(x) = x·max(0, min(1, x/6 + 1/2)) (opset 14). The built-in
// min and max treat NaN and signed zeros as math.Min and math.Max do, and
// compile to a few instructions instead of calls.
func init() {
	registerPointwise("HardSwish", false, fixedPointwise(func(x float64) float64 { return x * max(0, min(1, x/6+0.5)) }))
}
