package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Gelu(x) (opset 20) = x·Φ(x) = x/2·(1 + erf(x/√2)); with approximate =
// "tanh", x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func init() {
	registerPointwise("Gelu", false, func(n *importer.Node) (func(float64) float64, error) {
		approx, err := n.AttrString("approximate", "none")
		if err != nil {
			return nil, err
		}
		switch approx {
		case "none":
			return func(x float64) float64 { return x / 2 * (1 + math.Erf(x/math.Sqrt2)) }, nil
		case "tanh":
			k := math.Sqrt(2 / math.Pi)
			return func(x float64) float64 { return x / 2 * (1 + math.Tanh(k*(x+0.044715*x*x*x))) }, nil
		}
		return nil, fmt.Errorf("attribute approximate is %q, want \"none\" or \"tanh\"", approx)
	})
}
