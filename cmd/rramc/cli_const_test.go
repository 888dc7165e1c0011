package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
)

// TestConstFlag freezes the indices input of the ONNX node test case
// test_gather_1 (a Gather along axis 1) with --const: run equals the case's
// expected output, quantize (whose QDQ export run on the case's input is
// within SQNR ≥ 30 dB of it) and map succeed where without --const the
// model is refused; a --const naming no input, of another type or shape, or
// without NAME= is exit 2 naming the input and the file. It skips when the
// package is absent.
func TestConstFlag(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("/usr/share/libonnx-testdata/data/node", "test_gather_1")
	if d := os.Getenv("RRAMC_ONNX_NODE_TESTS"); d != "" {
		dir = filepath.Join(d, "test_gather_1")
	}
	model := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata)")
	}
	x, indices, want := filepath.Join(dir, "test_data_set_0", "input_0.pb"), filepath.Join(dir, "test_data_set_0", "input_1.pb"), filepath.Join(dir, "test_data_set_0", "output_0.pb")
	expected, err := onnx.ReadTensorPB(want)
	if err != nil {
		t.Fatal(err)
	}
	xt, err := onnx.ReadTensorPB(x)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	xNPY := writeNPY(t, tmp, "x.npy", xt)
	constIndices := "indices=" + indices

	out := filepath.Join(tmp, "y.npy")
	mustRun(t, exitOK, "run", model, "--const", constIndices, "--input", x, "--output", out)
	got := readNPY(t, out)
	if got.Len() != expected.Len() {
		t.Fatalf("run: shape %v, expected %v", got.Shape, expected.Shape)
	}
	for i := range expected.Float {
		if got.Float[i] != expected.Float[i] {
			t.Fatalf("run: element %d = %v, expected %v", i, got.Float[i], expected.Float[i])
		}
	}

	_, stderr := mustRun(t, exitBadInput, "quantize", model, "--data", "data="+xNPY, "-o", filepath.Join(tmp, "refused.onnx"))
	if !strings.Contains(stderr, "indices") {
		t.Errorf("quantize without --const: %s", stderr)
	}
	qdq := filepath.Join(tmp, "q.onnx")
	mustRun(t, exitOK, "quantize", model, "--data", "data="+xNPY, "--const", constIndices, "-o", qdq)
	qout := filepath.Join(tmp, "q.npy")
	mustRun(t, exitOK, "run", qdq, "--input", x, "--output", qout)
	q := readNPY(t, qout)
	if q.Len() != expected.Len() {
		t.Fatalf("QDQ run: shape %v, expected %v", q.Shape, expected.Shape)
	}
	var sig, noise float64
	for i, w := range expected.Float {
		sig += float64(w) * float64(w)
		noise += float64(q.Float[i]-w) * float64(q.Float[i]-w)
	}
	if s := 10 * math.Log10(sig/noise); !(s >= 30) {
		t.Errorf("QDQ export with --const: SQNR %.1f dB against the expected output, want ≥ 30", s)
	}
	mp := filepath.Join(tmp, "m.rmap")
	mustRun(t, exitOK, "map", model, "--data", "data="+xNPY, "--const", constIndices, "-o", mp)
	if in := runJSON(t, "inspect", model, "--const", constIndices, "--json"); !strings.HasPrefix(in["verdict"].(string), "runs end to end") {
		t.Errorf("inspect --const: verdict %q", in["verdict"])
	}

	floatIndices := writeNPY(t, tmp, "float_indices.npy", importer.NewFloat([]int{3}, []float32{0, 1, 3}))
	shortIndices := writeNPY(t, tmp, "short_indices.npy", importer.NewInt([]int{2}, []int64{0, 1}))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown input", []string{"run", model, "--input", x, "--const", "index=" + indices}, []string{`--const index=` + indices, `input "index": the model has no such input`}},
		{"type", []string{"quantize", model, "--data", xNPY, "-o", filepath.Join(tmp, "t.onnx"), "--const", "indices=" + floatIndices}, []string{"--const indices=" + floatIndices, `input "indices" is int64, the constant is float`}},
		{"shape", []string{"map", model, "--data", xNPY, "-o", filepath.Join(tmp, "s.rmap"), "--const", "indices=" + shortIndices}, []string{"--const indices=" + shortIndices, `the constant has shape [2]`}},
		{"no name", []string{"run", model, "--input", x, "--const", indices}, []string{"--const " + indices + ": want NAME=FILE"}},
		{"twice", []string{"run", model, "--input", x, "--const", constIndices, "--const", constIndices}, []string{`input "indices" already has --const`}},
		{"missing file", []string{"run", model, "--input", x, "--const", "indices=" + filepath.Join(tmp, "none.npy")}, []string{"none.npy"}},
		{"mapping file", []string{"sim", mp, "--data", xNPY, "--const", constIndices}, []string{"is a mapping file"}},
		{"inspect", []string{"inspect", model, "--const", "indices=" + shortIndices}, []string{"--const indices=" + shortIndices, `the constant has shape [2]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr := mustRun(t, exitBadInput, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
			if _, err := os.Stat(filepath.Join(tmp, "t.onnx")); err == nil {
				t.Errorf("a refused quantize wrote its output")
			}
		})
	}
}

// TestSweepConst sweeps testmodels/paraminput/resize_scales.onnx (a Resize
// whose scales are a graph input) with --const scales=scales.npy: the
// points run, record the constant's file and hash, and are bit-exact;
// without --const (two inputs) or with a constant of the wrong shape (named
// with its file) the sweep is exit 2.
func TestSweepConst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	model := filepath.Join("..", "..", "testmodels", "paraminput", "resize_scales.onnx")
	scales := filepath.Join("..", "..", "testmodels", "paraminput", "scales.npy")
	grid := []string{"sweep", model, "--limit", "8", "--prune", "0", "--schemes", "colsim"}
	mustRun(t, exitOK, append(grid, "-o", filepath.Join(dir, "ok"), "--const", "scales="+scales)...)
	results, err := os.ReadFile(filepath.Join(dir, "ok", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	res := parseObject(t, string(results), grid)
	points, _ := res["points"].([]any)
	if len(points) == 0 {
		t.Fatal("no point")
	}
	for _, p := range points {
		if p := p.(map[string]any); num(t, p, "bit_exact") != 1 {
			t.Errorf("point %v: bit_exact %v", p["scheme"], num(t, p, "bit_exact"))
		}
	}
	stored, err := filepath.Glob(filepath.Join(dir, "ok", "points", "*.json"))
	if err != nil || len(stored) != len(points) {
		t.Fatalf("stored points %v (%v)", stored, err)
	}
	for _, f := range stored {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"input":"scales"`) || !strings.Contains(string(b), `"sha256"`) {
			t.Errorf("the stored point does not record the constant: %.400s", b)
		}
	}
	short := writeNPY(t, dir, "short.npy", importer.NewFloat([]int{3}, []float32{1, 1, 2}))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no const", nil, []string{"the sweep takes models with one input"}},
		{"shape", []string{"--const", "scales=" + short}, []string{"scales=" + short, "the constant has shape [3]"}},
	} {
		_, stderr := mustRun(t, exitBadInput, append(append(grid, "-o", filepath.Join(dir, tc.name)), tc.args...)...)
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not say %q", tc.name, stderr, w)
			}
		}
	}
}
