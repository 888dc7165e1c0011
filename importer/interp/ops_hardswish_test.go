package interp

import (
	"math"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestHardActivationsMatchMath checks HardSwish and HardSigmoid (built-in
// min/max) bit for bit against the math.Min/math.Max formulas, NaN, signed
// zeros, infinities and the clamp edges included.
func TestHardActivationsMatchMath(t *testing.T) {
	vals := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -3, 3, -2.5, 2.5, 1e-300, -1e-300, 7.25, -7.25, 0.1}
	for i := -100; i <= 100; i++ {
		vals = append(vals, float64(i)/16)
	}
	swish, _, _, err := PointwiseFunc(&importer.Node{OpType: "HardSwish"})
	if err != nil {
		t.Fatal(err)
	}
	sigmoid, _, _, err := PointwiseFunc(&importer.Node{OpType: "HardSigmoid"})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range vals {
		if got, want := swish(x), x*math.Max(0, math.Min(1, x/6+0.5)); math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("HardSwish(%v) = %v, math formula %v", x, got, want)
		}
		// alpha is the float32 attribute default 0.2
		if got, want := sigmoid(x), math.Max(0, math.Min(1, float64(float32(0.2))*x+0.5)); math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("HardSigmoid(%v) = %v, math formula %v", x, got, want)
		}
	}
}
