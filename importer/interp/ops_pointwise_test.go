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

// TestPointwiseSliceKernelsMatchFunc checks every slice kernel
// (pointwiseSpec.bindSlice) bit for bit against float32(f(float64(x))) of
// the op's function, the definition the quantizer's tables also use, over
// ordinary values, clamp edges, signed zeros, infinities and NaN.
func TestPointwiseSliceKernelsMatchFunc(t *testing.T) {
	xs := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), -3, 3, -2.5, 2.5, 1e-38, -1e-38, 7.25, -7.25, 0.1, math.MaxFloat32, -math.MaxFloat32}
	for i := -1000; i <= 1000; i++ {
		xs = append(xs, float32(i)/97)
	}
	tests := []struct {
		op    string
		attrs []*importer.Attr
	}{
		{"HardSwish", nil},
		{"HardSigmoid", nil},
		{"HardSigmoid", []*importer.Attr{aFloat("alpha", 0.5), aFloat("beta", 0.6)}},
		{"HardSigmoid", []*importer.Attr{aFloat("alpha", 1.0/6), aFloat("beta", 0.5)}},
	}
	for _, tc := range tests {
		n := &importer.Node{OpType: tc.op, Attrs: attrMap(tc.attrs...)}
		spec := pointwiseTable[tc.op]
		if spec.bindSlice == nil {
			t.Fatalf("%s has no slice kernel", tc.op)
		}
		f, _, _, err := PointwiseFunc(n)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := spec.bindSlice(n)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(xs))
		fs(got, xs)
		for i, x := range xs {
			want := float32(f(float64(x)))
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Errorf("%s %v at %g: slice kernel %g, function %g", tc.op, tc.attrs, x, got[i], want)
			}
		}
	}
}
