package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
)

// The integer-IO models of testmodels/intio (make_models.py, with reference
// outputs NumPy computed from the operator definitions): one takes uint8
// image bytes and normalizes them in the graph, one ends in ArgMax and
// outputs int64 labels. Every command takes both.
func intio(name string) string { return filepath.Join("..", "..", "testmodels", "intio", name) }

func readNPY(t *testing.T, path string) *importer.Tensor {
	t.Helper()
	x, err := dataset.ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// refAccuracy is the top-1 accuracy of a reference output (logits or
// labels) against labels.npy.
func refAccuracy(t *testing.T, ref *importer.Tensor) float64 {
	t.Helper()
	return accuracyOf(t, ref, intio("labels.npy"))
}

func TestIntegerIO(t *testing.T) {
	t.Parallel()
	models := []struct {
		name, model, data, ref string
	}{
		{"uint8 input", "uint8_input.onnx", "images_u8.npy", "uint8_input_ref.npy"},
		{"int64 ArgMax output", "argmax_output.onnx", "images_f32.npy", "argmax_output_ref.npy"},
	}
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			model, data, labels := intio(m.model), intio(m.data), intio("labels.npy")
			ref := readNPY(t, intio(m.ref))

			// run: the float interpreter against NumPy's reference.
			out := filepath.Join(dir, "y.npy")
			mustRun(t, exitOK, "run", model, "--input", data, "--output", out)
			got := readNPY(t, out)
			if got.DType != ref.DType || got.Len() != ref.Len() {
				t.Fatalf("run: %v %v, reference %v %v", got.DType, got.Shape, ref.DType, ref.Shape)
			}
			for i := range ref.Len() {
				if ref.IsFloat() {
					if d := math.Abs(float64(got.Float[i] - ref.Float[i])); d > 1e-4*math.Max(1, math.Abs(float64(ref.Float[i]))) {
						t.Fatalf("run: element %d = %v, reference %v", i, got.Float[i], ref.Float[i])
					}
				} else if got.Int[i] != ref.Int[i] {
					t.Fatalf("run: label %d = %d, reference %d", i, got.Int[i], ref.Int[i])
				}
			}

			// eval: float accuracy is the reference's; golden and simulated
			// models agree bit for bit.
			ev := runJSON(t, "eval", model, "--data", data, "--labels", labels, "--calib", "16", "--mode", "all", "--json")
			if got, want := num(t, ev, "accuracy_float"), refAccuracy(t, ref); got != want {
				t.Errorf("eval: accuracy_float %v, the reference output scores %v", got, want)
			}
			accInt := num(t, ev, "accuracy_int")
			if !(accInt >= 0 && accInt <= 1) {
				t.Errorf("eval: accuracy_int %v", accInt)
			}

			// quantize writes a QDQ model that run takes with the same
			// input and output types.
			q := filepath.Join(dir, "q.onnx")
			mustRun(t, exitOK, "quantize", model, "--data", data, "--calib", "16", "-o", q)
			mustRun(t, exitOK, "run", q, "--input", data, "--output", out)
			if qo := readNPY(t, out); qo.DType != ref.DType || qo.Len() != ref.Len() {
				t.Errorf("run of the QDQ model: %v %v, want %v %v", qo.DType, qo.Shape, ref.DType, ref.Shape)
			}

			// map, then sim of the mapping file: the mapped network keeps
			// its input and output types, and the simulation is the golden
			// model's.
			mp := filepath.Join(dir, "m.map")
			mustRun(t, exitOK, "map", model, "--data", data, "--calib", "16", "-o", mp)
			sim := runJSON(t, "sim", mp, "--data", data, "--labels", labels, "--json")
			if num(t, sim, "bit_exact") != 1 || num(t, sim, "accuracy_sim") != accInt {
				t.Errorf("sim of the mapping: bit_exact %v, accuracy_sim %v (eval's accuracy_int %v)", num(t, sim, "bit_exact"), num(t, sim, "accuracy_sim"), accInt)
			}
			sim = runJSON(t, "sim", model, "--data", data, "--labels", labels, "--calib", "16", "--json")
			if num(t, sim, "bit_exact") != 1 || num(t, sim, "accuracy_int") != accInt {
				t.Errorf("sim of the model: bit_exact %v, accuracy_int %v (eval's %v)", num(t, sim, "bit_exact"), num(t, sim, "accuracy_int"), accInt)
			}

			// inspect: the model runs end to end.
			in := runJSON(t, "inspect", "--json", model)
			if in["runs_end_to_end"] != true {
				t.Errorf("inspect: %v", in["verdict"])
			}
		})
	}

	// Whole numbers saved as float32 feed the uint8 input as they are.
	t.Run("run whole floats into uint8 input", func(t *testing.T) {
		t.Parallel()
		u8 := readNPY(t, intio("images_u8.npy"))
		f := importer.NewFloat(u8.Shape, make([]float32, u8.Len()))
		for i, v := range u8.Int {
			f.Float[i] = float32(v)
		}
		dir := t.TempDir()
		in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
		if err := dataset.WriteNPY(in, f); err != nil {
			t.Fatal(err)
		}
		mustRun(t, exitOK, "run", intio("uint8_input.onnx"), "--input", in, "--output", out)
		got, ref := readNPY(t, out), readNPY(t, intio("uint8_input_ref.npy"))
		for i := range ref.Float {
			if d := math.Abs(float64(got.Float[i] - ref.Float[i])); d > 1e-4*math.Max(1, math.Abs(float64(ref.Float[i]))) {
				t.Fatalf("element %d = %v, reference %v", i, got.Float[i], ref.Float[i])
			}
		}
	})

	// Data the input's type cannot take is refused, naming the input and
	// its type, in every command that feeds it.
	refusals := []struct {
		name string
		args []string
		want []string
	}{
		{"run float data into uint8 input", []string{"run", intio("uint8_input.onnx"), "--input", intio("images_f32.npy"), "--output", filepath.Join(t.TempDir(), "y.npy")},
			[]string{`--input`, "images_f32.npy", `model's input "image" is uint8`, "0.1254902 at index 0"}},
		{"eval float data into uint8 input", []string{"eval", intio("uint8_input.onnx"), "--data", intio("images_f32.npy"), "--labels", intio("labels.npy")},
			[]string{`model input "image"`, "uint8", "images_f32.npy", "index 0"}},
		{"quantize float data into uint8 input", []string{"quantize", intio("uint8_input.onnx"), "--data", intio("images_f32.npy"), "-o", filepath.Join(t.TempDir(), "q.onnx")},
			[]string{`model input "image"`, "uint8", "images_f32.npy"}},
		{"sim float data into uint8 input", []string{"sim", intio("uint8_input.onnx"), "--data", intio("images_f32.npy"), "--labels", intio("labels.npy")},
			[]string{`model input "image"`, "uint8", "images_f32.npy"}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr := mustRun(t, exitBadInput, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, stderr)
				}
			}
		})
	}
}
