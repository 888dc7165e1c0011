package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
)

// TestBoolInputData runs the ONNX node test case test_where_example (a
// bool condition input and two float inputs) from .npy files, the
// condition of NumPy dtype bool: run gives the expected output; map
// quantizes on them and sim of the mapping file is bit-identical to the
// golden model; a condition holding a 2 (as int8) is refused naming the
// file. It skips when the package is absent.
func TestBoolInputData(t *testing.T) {
	t.Parallel()
	root := "/usr/share/libonnx-testdata/data/node"
	if d := os.Getenv("RRAMC_ONNX_NODE_TESTS"); d != "" {
		root = d
	}
	dir := filepath.Join(root, "test_where_example")
	model := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata)")
	}
	tmp := t.TempDir()
	var files []string
	for i, name := range []string{"condition", "x", "y"} {
		x, err := onnx.ReadTensorPB(filepath.Join(dir, "test_data_set_0", "input_"+string(rune('0'+i))+".pb"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, name+"="+writeNPY(t, tmp, name+".npy", x))
	}
	want, err := onnx.ReadTensorPB(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out.npy")
	mustRun(t, exitOK, "run", model, "--input", files[0], "--input", files[1], "--input", files[2], "--output", out)
	got := readNPY(t, out)
	for i, w := range want.Float {
		if got.Float[i] != w {
			t.Fatalf("run: element %d = %v, expected %v", i, got.Float[i], w)
		}
	}

	data := []string{"--data", files[0], "--data", files[1], "--data", files[2]}
	mp := filepath.Join(tmp, "m.rmap")
	mustRun(t, exitOK, append([]string{"map", model, "-o", mp}, data...)...)
	labels := writeNPY(t, tmp, "labels.npy", importer.NewInt([]int{2}, []int64{0, 1}))
	sim := runJSON(t, append([]string{"sim", mp, "--labels", labels, "--json"}, data...)...)
	if num(t, sim, "bit_exact") != 1 || num(t, sim, "images") != 2 {
		t.Errorf("sim: bit_exact %v over %v images, want 1 over 2", num(t, sim, "bit_exact"), num(t, sim, "images"))
	}

	bad := writeNPY(t, tmp, "two.npy", &importer.Tensor{DType: importer.Int8, Shape: []int{2, 2}, Int: []int64{1, 0, 2, 1}})
	_, stderr := mustRun(t, exitBadInput, "map", model, "-o", filepath.Join(tmp, "bad.rmap"), "--data", "condition="+bad, "--data", files[1], "--data", files[2])
	for _, w := range []string{bad, `"condition"`, "index 2"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("a condition holding 2: stderr %q does not say %q", stderr, w)
		}
	}
}
