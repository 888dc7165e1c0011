package quant

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestBoolInputsConformance quantizes ONNX node test cases whose operands
// are bool or integer graph inputs (And, Or, Xor, Where's condition, Where's
// int64 operands, Equal of int32), calibrated on the case's own inputs, and holds the integer
// golden model's output to the case's expected output exactly (Where's
// float operands within SQNR ≥ 40 dB): a bool input enters as 0/1 codes at
// scale 1, an integer one as its values at scale 1. The network read back from its
// serialized form (input and output element types kept) gives the same.
// (test_not_* are opset 1, which rramc does not read.) It skips when the
// package is absent.
func TestBoolInputsConformance(t *testing.T) {
	root := onnxNodeTests()
	if _, err := os.Stat(filepath.Join(root, "test_abs", "model.onnx")); err != nil {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata)")
	}
	for _, tc := range []struct {
		name  string
		exact bool
	}{
		{"test_and2d", true}, {"test_and3d", true}, {"test_and4d", true},
		{"test_or2d", true}, {"test_or3d", true}, {"test_or4d", true},
		{"test_xor2d", true}, {"test_xor3d", true}, {"test_xor4d", true},
		{"test_where_example", false}, {"test_where_long_example", true},
		{"test_equal", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ins, outs := readNodeCase(t, filepath.Join(root, tc.name))
			cfg := DefaultConfig()
			cfg.Calib = ins[0].Shape[0]
			net, err := QuantizeInputs(m, ins, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, in := range net.Inputs {
				want := m.Graph.Inputs[i].DType
				v := net.Values[in.Value]
				if want.IsWhole() && (in.DType != want || v.Scale != 1 || want == importer.Bool && v.Signed) {
					t.Fatalf("input %q: type %v, scale %g, signed %v; want %v codes at scale 1", in.Name, in.DType, v.Scale, v.Signed, want)
				}
			}
			back := decoded(t, net)
			for _, n := range []*Network{net, back} {
				got, err := n.RunInputs(ins, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got.DType != outs[0].DType {
					t.Errorf("output type %v, expected %v", got.DType, outs[0].DType)
				}
				g, w := realValues(got), realValues(outs[0])
				if len(g) != len(w) {
					t.Fatalf("%d outputs, expected %d", len(g), len(w))
				}
				if !tc.exact {
					if s := sqnr64(w, g); !(s >= 40) {
						t.Errorf("SQNR %.1f dB < 40 dB against the expected output", s)
					}
					continue
				}
				for i := range g {
					if g[i] != w[i] {
						t.Fatalf("output %d: %g, expected %g", i, g[i], w[i])
					}
				}
			}
		})
	}
}

// sqnr64 is the SQNR of got against ref in dB.
func sqnr64(ref, got []float64) float64 {
	var sig, noise float64
	for i := range ref {
		sig += ref[i] * ref[i]
		noise += (got[i] - ref[i]) * (got[i] - ref[i])
	}
	return 10 * math.Log10(sig/noise)
}
