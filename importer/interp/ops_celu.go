package interp

import (
	"math"

	"github.com/rramc/rramc/importer"
)

// Celu(x) = max(0, x) + min(0, alpha·(exp(x/alpha) - 1)), alpha 1.
func init() {
	registerPointwise("Celu", false, func(n *importer.Node) (func(float64) float64, error) {
		a, err := floatAttrs(n, []string{"alpha"}, 1)
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return func(x float64) float64 {
			return math.Max(0, x) + math.Min(0, alpha*(math.Exp(x/alpha)-1))
		}, nil
	})
}
