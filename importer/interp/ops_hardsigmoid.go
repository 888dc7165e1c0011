package interp

import (
	"github.com/rramc/rramc/importer"
)

// HardSigmoid(x) = max(0, min(1, alpha·x + beta)), alpha 0.2, beta 0.5.
func init() {
	registerPointwise("HardSigmoid", true, func(n *importer.Node) (func(float64) float64, error) {
		ab, err := floatAttrs(n, []string{"alpha", "beta"}, 0.2, 0.5)
		if err != nil {
			return nil, err
		}
		a, b := ab[0], ab[1]
		// Built-in min and max: math.Min and math.Max semantics, inlined.
		return func(x float64) float64 { return max(0, min(1, a*x+b)) }, nil
	})
}
