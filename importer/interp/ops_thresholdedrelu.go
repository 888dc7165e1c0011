package interp

import "github.com/rramc/rramc/importer"

// ThresholdedRelu(x) = x for x > alpha, 0 otherwise, alpha 1.
func init() {
	registerPointwise("ThresholdedRelu", false, func(n *importer.Node) (func(float64) float64, error) {
		a, err := floatAttrs(n, []string{"alpha"}, 1)
		if err != nil {
			return nil, err
		}
		alpha := a[0]
		return func(x float64) float64 {
			if x > alpha {
				return x
			}
			return 0
		}, nil
	})
}
