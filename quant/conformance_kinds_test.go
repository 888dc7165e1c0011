package quant

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
)

// onnxNodeTests is where Debian's libonnx-testdata puts the ONNX node test
// cases (RRAMC_ONNX_NODE_TESTS overrides it).
func onnxNodeTests() string {
	if d := os.Getenv("RRAMC_ONNX_NODE_TESTS"); d != "" {
		return d
	}
	return "/usr/share/libonnx-testdata/data/node"
}

// TestConformanceCasesQuantized quantizes single-input ONNX node test
// cases of the kinds of indices, one-hot outputs, comparisons, casts and
// normalization, calibrated on the case's own input, and holds the golden
// model's output against the case's expected output: exactly for
// comparisons and indices of inputs whose distinct values stay distinct
// codes (the "example" cases), within SQNR ≥ 30 dB for LRN and casts
// between float types. It skips when the package is absent.
func TestConformanceCasesQuantized(t *testing.T) {
	root := onnxNodeTests()
	if _, err := os.Stat(filepath.Join(root, "test_abs", "model.onnx")); err != nil {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata)")
	}
	for _, tc := range []struct {
		name  string
		exact bool // else SQNR ≥ 30 dB
	}{
		{"test_argmin_keepdims_example", true},
		{"test_argmin_no_keepdims_example_select_last_index", true},
		{"test_argmax_negative_axis_keepdims_example_select_last_index", true},
		{"test_hardmax_example", true},
		{"test_hardmax_one_hot", true},
		{"test_hardmax_negative_axis", true},
		{"test_lrn", false},
		{"test_lrn_default", false},
		{"test_cast_FLOAT_to_DOUBLE", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, tc.name)
			data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Decode(data, dir)
			if err != nil {
				t.Fatal(err)
			}
			read := func(name string) *importer.Tensor {
				raw, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", name))
				if err != nil {
					t.Fatal(err)
				}
				_, x, err := onnx.DecodeTensorPB(raw)
				if err != nil {
					t.Fatal(err)
				}
				return x
			}
			x, want := read("input_0.pb"), read("output_0.pb")
			if x.DType != importer.Float {
				x = &importer.Tensor{DType: importer.Float, Shape: x.Shape, Float: x.Floats()}
			}
			got, err := quantizeRun(t, m, x)
			if err != nil {
				t.Fatal(err)
			}
			g, w := realValues(got), realValues(want)
			if len(g) != len(w) {
				t.Fatalf("%d outputs, expected %d", len(g), len(w))
			}
			if tc.exact {
				for i := range g {
					if g[i] != w[i] {
						t.Fatalf("output %d: %g, expected %g", i, g[i], w[i])
					}
				}
				return
			}
			s := sqnr64(w, g)
			if !(s >= 30) {
				t.Errorf("SQNR %.1f dB < 30 dB", s)
			}
			t.Logf("SQNR %.1f dB against the expected output", s)
		})
	}
}
