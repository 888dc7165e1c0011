package interp

import (
	"math"

	"github.com/rramc/rramc/importer"
)

// Selu(x) = gamma·x for x > 0, gamma·(alpha·exp(x) - alpha) otherwise, with
// ONNX's float32 defaults alpha ≈ 1.6733 and gamma ≈ 1.0507.
func init() {
	registerPointwise("Selu", false, func(n *importer.Node) (func(float64) float64, error) {
		ag, err := floatAttrs(n, []string{"alpha", "gamma"}, 1.67326319217681884765625, 1.05070102214813232421875)
		if err != nil {
			return nil, err
		}
		a, g := ag[0], ag[1]
		return func(x float64) float64 {
			if x <= 0 {
				return g * (a*math.Exp(x) - a)
			}
			return g * x
		}, nil
	})
}
