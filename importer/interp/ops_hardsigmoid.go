package interp

import (
	"github.com/rramc/rramc/importer"
)

// HardSigmoid(x) = max(0, min(1, alpha·x + beta)), alpha 0.2, beta 0.5.
func init() {
	registerPointwiseSlice("HardSigmoid", true, func(n *importer.Node) (func(float64) float64, error) {
		a, b, err := hardSigmoidAttrs(n)
		if err != nil {
			return nil, err
		}
		return func(x float64) float64 { return hardSigmoid(x, a, b) }, nil
	}, func(n *importer.Node) (func(dst, src []float32), error) {
		a, b, err := hardSigmoidAttrs(n)
		if err != nil {
			return nil, err
		}
		return func(dst, src []float32) {
			dst = dst[:len(src)]
			for i, v := range src {
				dst[i] = float32(hardSigmoid(float64(v), a, b))
			}
		}, nil
	})
}

func hardSigmoidAttrs(n *importer.Node) (alpha, beta float64, err error) {
	ab, err := floatAttrs(n, []string{"alpha", "beta"}, 0.2, 0.5)
	if err != nil {
		return 0, 0, err
	}
	return ab[0], ab[1], nil
}

// hardSigmoid: built-in min and max have math.Min and math.Max semantics,
// inlined.
func hardSigmoid(x, alpha, beta float64) float64 { return max(0, min(1, alpha*x+beta)) }
