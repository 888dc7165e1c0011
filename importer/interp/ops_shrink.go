package interp

import "github.com/rramc/rramc/importer"

// Shrink(x) = x + bias for x < -lambd, x - bias for x > lambd, else 0
// (lambd 0.5, bias 0).
func init() {
	registerPointwise("Shrink", false, func(n *importer.Node) (func(float64) float64, error) {
		lb, err := floatAttrs(n, []string{"lambd", "bias"}, 0.5, 0)
		if err != nil {
			return nil, err
		}
		l, b := lb[0], lb[1]
		return func(x float64) float64 {
			switch {
			case x < -l:
				return x + b
			case x > l:
				return x - b
			}
			return 0
		}, nil
	})
}
