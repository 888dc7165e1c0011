package interp

import (
	"math"
	"testing"

	"github.com/rramc/rramc/importer"
)

// The activations against values computed independently (Python's math
// module, float64, from the ONNX operator definitions) at the same inputs.
func TestPointwiseActivations(t *testing.T) {
	xs := []float32{-3, -1, -0.5, 0, 0.25, 1, 2.5}
	nan := math.NaN()
	tests := []struct {
		op    string
		attrs []*importer.Attr
		want  []float64
	}{
		{"Elu", nil, []float64{-0.950212932, -0.632120559, -0.39346934, 0, 0.25, 1, 2.5}},
		{"Elu", []*importer.Attr{aFloat("alpha", 2)}, []float64{-1.90042586, -1.26424112, -0.786938681, 0, 0.25, 1, 2.5}},
		{"HardSigmoid", nil, []float64{0, 0.3, 0.4, 0.5, 0.55, 0.7, 1}},
		{"HardSigmoid", []*importer.Attr{aFloat("alpha", 0.5), aFloat("beta", 0.6)}, []float64{0, 0.1, 0.35, 0.6, 0.725, 1, 1}},
		{"Selu", nil, []float64{-1.67056873, -1.11133074, -0.69175819, 0, 0.262675256, 1.05070102, 2.62675256}},
		{"Softplus", nil, []float64{0.0485873516, 0.313261688, 0.474076984, 0.693147181, 0.82593942, 1.31326169, 2.57888973}},
		{"Softsign", nil, []float64{-0.75, -0.5, -0.333333333, 0, 0.2, 0.5, 0.714285714}},
		{"Gelu", nil, []float64{-0.00404969409, -0.158655254, -0.154268769, 0, 0.149676581, 0.841344746, 2.48447584}},
		{"Gelu", []*importer.Attr{aStr("approximate", "tanh")}, []float64{-0.00363739208, -0.158808009, -0.15428599, 0, 0.149675351, 0.841191991, 2.48491573}},
		{"Log", nil, []float64{nan, nan, nan, math.Inf(-1), -1.38629436, 0, 0.916290732}},
	}
	for _, tc := range tests {
		got, err := runOp(t, 20, tc.op, attrMap(tc.attrs...), importer.NewFloat([]int{len(xs)}, append([]float32(nil), xs...)))
		if err != nil {
			t.Fatalf("%s %v: %v", tc.op, tc.attrs, err)
		}
		for i, w := range tc.want {
			g := float64(got.Float[i])
			if math.IsNaN(w) != math.IsNaN(g) || !math.IsNaN(w) && math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w)) {
				t.Errorf("%s %v at %g = %g, want %g", tc.op, tc.attrs, xs[i], g, w)
			}
		}
	}
	// A bad attribute is refused at compile time, naming it.
	if _, err := runOp(t, 20, "Gelu", attrMap(aStr("approximate", "fast")), importer.NewFloat([]int{1}, []float32{1})); err == nil {
		t.Error("Gelu approximate=fast accepted")
	}
}

// InstanceNormalization per (sample, channel) plane, against values from
// Python (float64) for x = [[1 2 3] [0 4 -4]], scale [2 1], B [0.5 0].
func TestInstanceNormalization(t *testing.T) {
	x := importer.NewFloat([]int{1, 2, 3}, []float32{1, 2, 3, 0, 4, -4})
	got, err := runOp(t, 13, "InstanceNormalization", nil, x, importer.NewFloat([]int{2}, []float32{2, 1}), importer.NewFloat([]int{2}, []float32{0.5, 0}))
	if err != nil {
		t.Fatal(err)
	}
	want := importer.NewFloat([]int{1, 2, 3}, []float32{-1.9494714, 0.5, 2.9494714, 0, 1.2247443, -1.2247443})
	if err := tensorsClose(got, want, 1e-6); err != nil {
		t.Fatal(err)
	}
}
