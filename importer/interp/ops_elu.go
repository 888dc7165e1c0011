package interp

import (
	"math"

	"github.com/rramc/rramc/importer"
)

// Elu(x) = x for x ≥ 0, alpha·(exp(x) - 1) otherwise, alpha 1.
func init() {
	registerPointwise("Elu", false, func(n *importer.Node) (func(float64) float64, error) {
		a, err := floatAttrs(n, []string{"alpha"}, 1)
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return func(x float64) float64 {
			if x < 0 {
				return alpha * (math.Exp(x) - 1)
			}
			return x
		}, nil
	})
}
