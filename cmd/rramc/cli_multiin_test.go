package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/quant"
)

// multiin is a file of the two-input model of testmodels/multiin
// (make_model.py: inputs "image" and "mask", PyTorch's reference output).
func multiin(name string) string { return filepath.Join("..", "..", "testmodels", "multiin", name) }

// TestSeveralInputs runs the two-input model through every command with
// one --data NAME=FILE (--input NAME=FILE for run) per input: run equals
// PyTorch; eval's float accuracy is the reference's and its integer
// accuracy the library's golden model's; the simulation of the model and
// of its mapping file is bit-identical to the golden model; the QDQ export
// runs with the same inputs.
func TestSeveralInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	model, image, mask, labels := multiin("two_towers.onnx"), multiin("image.npy"), multiin("mask.npy"), multiin("labels.npy")
	data := []string{"--data", "image=" + image, "--data", "mask=" + mask}
	ref := readNPY(t, multiin("ref.npy"))

	// run, the inputs given in either order.
	for _, order := range [][]string{{"image=" + image, "mask=" + mask}, {"mask=" + mask, "image=" + image}} {
		out := filepath.Join(dir, "y.npy")
		mustRun(t, exitOK, "run", model, "--input", order[0], "--input", order[1], "--output", out)
		got := readNPY(t, out)
		if got.Len() != ref.Len() {
			t.Fatalf("run: shape %v, reference %v", got.Shape, ref.Shape)
		}
		for i := range ref.Float {
			if d := math.Abs(float64(got.Float[i] - ref.Float[i])); d > 1e-5*math.Max(1, math.Abs(float64(ref.Float[i]))) {
				t.Fatalf("run %v: element %d = %v, PyTorch %v", order, i, got.Float[i], ref.Float[i])
			}
		}
	}

	// The library's golden model on the same data, calibrated on all 64
	// samples as eval does with --calib 64.
	m, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	xs := []*importer.Tensor{readNPY(t, image), readNPY(t, mask)}
	cfg := quant.DefaultConfig()
	cfg.Calib = 64
	net, err := quant.QuantizeInputs(m, xs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := net.RunInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}

	ev := runJSON(t, append([]string{"eval", model, "--labels", labels, "--calib", "64", "--mode", "all", "--json"}, data...)...)
	if got, want := num(t, ev, "accuracy_float"), accuracyOf(t, ref, labels); got != want {
		t.Errorf("eval: accuracy_float %v, PyTorch's output scores %v", got, want)
	}
	accInt := num(t, ev, "accuracy_int")
	if want := accuracyOf(t, golden, labels); accInt != want {
		t.Errorf("eval: accuracy_int %v, the library's golden model scores %v", accInt, want)
	}
	if num(t, ev, "bit_exact") != 1 {
		t.Errorf("eval: bit_exact %v", num(t, ev, "bit_exact"))
	}

	mp := filepath.Join(dir, "m.rmap")
	mustRun(t, exitOK, append([]string{"map", model, "--calib", "64", "-o", mp}, data...)...)
	for _, args := range [][]string{{mp}, {model, "--calib", "64"}} {
		target := args[0]
		sim := runJSON(t, append(append([]string{"sim", "--labels", labels, "--json"}, args...), data...)...)
		if num(t, sim, "bit_exact") != 1 || num(t, sim, "accuracy_sim") != accInt {
			t.Errorf("sim %s: bit_exact %v, accuracy_sim %v (eval's accuracy_int %v)", target, num(t, sim, "bit_exact"), num(t, sim, "accuracy_sim"), accInt)
		}
	}

	// Three outputs: scored on the first, bit_exact over all of them.
	sim := runJSON(t, append([]string{"sim", multiin("two_outputs.onnx"), "--labels", labels, "--calib", "64", "--json"}, data...)...)
	if num(t, sim, "bit_exact") != 1 || num(t, sim, "accuracy_int") != accInt {
		t.Errorf("sim of the three-output model: bit_exact %v, accuracy_int %v (the one-output model's %v)", num(t, sim, "bit_exact"), num(t, sim, "accuracy_int"), accInt)
	}

	q := filepath.Join(dir, "q.onnx")
	mustRun(t, exitOK, append([]string{"quantize", model, "--calib", "64", "-o", q}, data...)...)
	qe := runJSON(t, append([]string{"eval", q, "--labels", labels, "--mode", "int", "--json"}, data...)...)
	if got := num(t, qe, "accuracy_int"); got != accInt {
		t.Errorf("eval of the QDQ export: accuracy_int %v, the model's %v", got, accInt)
	}

	in := runJSON(t, "inspect", "--json", model)
	if in["runs_end_to_end"] != true {
		t.Errorf("inspect: %v", in["verdict"])
	}
}

// accuracyOf is the top-1 accuracy of outputs y (logits, or an integer
// output of one label per sample) against a labels file.
func accuracyOf(t *testing.T, y *importer.Tensor, labelsFile string) float64 {
	t.Helper()
	labels, err := dataset.ReadLabelsNPY(labelsFile)
	if err != nil {
		t.Fatal(err)
	}
	top := make([]int, len(y.Int))
	if y.IsFloat() {
		if top, err = importer.ArgMaxRows(y); err != nil {
			t.Fatal(err)
		}
	} else {
		for i, v := range y.Int {
			top[i] = int(v)
		}
	}
	if len(top) != len(labels) {
		t.Fatalf("%d outputs for %d labels", len(top), len(labels))
	}
	hits := 0
	for i, l := range labels {
		if top[i] == l {
			hits++
		}
	}
	return float64(hits) / float64(len(labels))
}

// TestSeveralInputsErrors: every way to get the inputs' data wrong is exit
// 2 with a message naming the input and the file.
func TestSeveralInputsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	model, image, mask, labels := multiin("two_towers.onnx"), multiin("image.npy"), multiin("mask.npy"), multiin("labels.npy")
	m := readNPY(t, mask)
	per := m.Len() / m.Shape[0]
	short := writeNPY(t, dir, "mask10.npy", importer.NewFloat(append([]int{10}, m.Shape[1:]...), m.Float[:10*per]))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"plain --data for two inputs", []string{"eval", model, "--data", image, "--labels", labels},
			[]string{"--data " + image, `2 inputs ("image", "mask")`, "NAME=FILE"}},
		{"missing input", []string{"sim", model, "--data", "image=" + image, "--labels", labels},
			[]string{`input "mask" has no --data`, "--data mask=FILE"}},
		{"unknown input", []string{"map", model, "--data", "image=" + image, "--data", "mask=" + mask, "--data", "masc=" + mask, "--stats"},
			[]string{`no input "masc"`, "masc=" + mask}},
		{"input given twice", []string{"quantize", model, "--data", "image=" + image, "--data", "image=" + mask, "-o", filepath.Join(dir, "q.onnx")},
			[]string{`input "image" already has --data image=` + image}},
		{"batch sizes differ", []string{"eval", model, "--data", "image=" + image, "--data", "mask=" + short, "--labels", labels},
			[]string{`input "mask" (` + short + `) has 10 samples`, `input "image" (` + image + `) 64`}},
		{"batch sizes differ in calibration", []string{"quantize", model, "--data", "image=" + image, "--data", "mask=" + short, "-o", filepath.Join(dir, "q.onnx")},
			[]string{`input "mask" (` + short + `) has 10 samples`}},
		{"shape mismatch", []string{"eval", model, "--data", "image=" + image, "--data", "mask=" + image, "--labels", labels},
			[]string{`input "mask"`, image, "[batch,2,8,8]"}},
		{"run: missing input", []string{"run", model, "--input", "image=" + image},
			[]string{`input "mask" has no --input`}},
		{"run: batch sizes differ", []string{"run", model, "--input", "image=" + image, "--input", "mask=" + short},
			[]string{short, "10 samples", `"mask"`, image}},
		{"run: shape mismatch", []string{"run", model, "--input", "image=" + image, "--input", "mask=" + image},
			[]string{"--input " + image, `input "mask"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr := mustRun(t, exitBadInput, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
	// A one-input model takes NAME=FILE too, and a path holding "=" as it is.
	lenet := filepath.Join("..", "..", "testmodels", "lenet5.onnx")
	x := readNPY(t, intio("images_f32.npy"))
	odd := writeNPY(t, dir, "a=b.npy", x)
	for _, input := range []string{"input=" + intio("images_f32.npy"), odd} {
		mustRun(t, exitOK, "run", lenet, "--input", input, "--output", filepath.Join(dir, "y.npy"))
	}
}

// TestRunSeveralOutputs runs the three-output model (logits, probs,
// joined) with --output NAME=FILE per output, streamed in batches and
// whole, as .npy and .pb, and printed: every output equals the float
// interpreter's run of the whole input and PyTorch's output. Ambiguous or
// wrong --output values are refused (exit 2) naming the flag and the
// outputs, and leave the files they name untouched.
func TestRunSeveralOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	model, image, mask := multiin("two_outputs.onnx"), multiin("image.npy"), multiin("mask.npy")
	in := []string{"run", model, "--input", "image=" + image, "--input", "mask=" + mask}
	names := []string{"logits", "probs", "joined"}

	m, err := hwsim.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Program.Run(map[string]*importer.Tensor{"image": readNPY(t, image), "mask": readNPY(t, mask)})
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, how, name string, got *importer.Tensor) {
		t.Helper()
		want, ref := res[name], readNPY(t, multiin("two_outputs_ref_"+name+".npy"))
		if !slices.Equal(got.Shape, want.Shape) || !slices.Equal(got.Shape, ref.Shape) || len(got.Float) != len(want.Float) {
			t.Fatalf("%s: output %q has shape %v with %d values; the interpreter's %v, PyTorch's %v", how, name, got.Shape, len(got.Float), want.Shape, ref.Shape)
		}
		for i, w := range want.Float {
			if got.Float[i] != w {
				t.Fatalf("%s: output %q element %d = %v, the interpreter's %v", how, name, i, got.Float[i], w)
			}
			if d := math.Abs(float64(w - ref.Float[i])); d > 1e-4*math.Max(1, math.Abs(float64(ref.Float[i]))) {
				t.Fatalf("%s: output %q element %d = %v, PyTorch's %v", how, name, i, w, ref.Float[i])
			}
		}
	}
	readPB := func(t *testing.T, path, name string) *importer.Tensor {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tname, y, err := onnx.DecodeTensorPB(b)
		if err != nil {
			t.Fatal(err)
		}
		if tname != name {
			t.Errorf("%s holds tensor %q, want the output's name %q", path, tname, name)
		}
		return y
	}

	for _, batch := range []string{"16", "64", "5"} {
		sub := filepath.Join(dir, "b"+batch)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		// Every output as .npy (streamed batch by batch), then the first
		// as .pb and the third as .npy with the second not asked for.
		args := slices.Concat(in, []string{"--batch", batch})
		for _, name := range names {
			args = append(args, "--output", name+"="+filepath.Join(sub, name+".npy"))
		}
		if stdout, _ := mustRun(t, exitOK, args...); stdout != "" {
			t.Errorf("run --output printed %q", stdout)
		}
		for _, name := range names {
			check(t, "--batch "+batch+" .npy", name, readNPY(t, filepath.Join(sub, name+".npy")))
		}
		pb, npy := filepath.Join(sub, "l.pb"), filepath.Join(sub, "j.npy")
		mustRun(t, exitOK, slices.Concat(in, []string{"--batch", batch, "--output", "joined=" + npy, "--output", "logits=" + pb})...)
		check(t, "--batch "+batch+" .pb", "logits", readPB(t, pb, "logits"))
		check(t, "--batch "+batch+" .npy beside a .pb", "joined", readNPY(t, npy))
		entries, _ := os.ReadDir(sub)
		if len(entries) != 5 {
			t.Errorf("--batch %s: %d files written, want 5 (the output not asked for is not written)", batch, len(entries))
		}
	}

	// Printed: a line "NAME [shape]" and a line of values per output, in
	// the graph's order.
	stdout, _ := mustRun(t, exitOK, slices.Concat(in, []string{"--batch", "16"})...)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2*len(names) {
		t.Fatalf("printed %d lines, want two per output (%d)", len(lines), 2*len(names))
	}
	for k := range names {
		head, body := lines[2*k], lines[2*k+1]
		want := res[names[k]]
		if wantHead := fmt.Sprintf("%s %v", names[k], want.Shape); head != wantHead {
			t.Fatalf("printed header %q, want %q", head, wantHead)
		}
		y := &importer.Tensor{DType: importer.Float, Shape: want.Shape}
		for _, f := range strings.Fields(body) {
			v, err := strconv.ParseFloat(f, 32)
			if err != nil {
				t.Fatalf("printed value %q: %v", f, err)
			}
			y.Float = append(y.Float, float32(v))
		}
		check(t, "printed", names[k], y)
	}

	keep := writeFile(t, dir, "keep.npy", []byte("previous content"))
	other := writeFile(t, dir, "other.npy", []byte("other content"))
	list := `"logits", "probs", "joined"`
	for _, tc := range []struct {
		name    string
		outputs []string
		wantMsg string
	}{
		{"bare file", []string{keep}, "--output " + keep + ": the model has 3 outputs (" + list + ")"},
		{"bare file beside a named one", []string{"probs=" + other, keep}, "--output " + keep + ": the model has 3 outputs (" + list + ")"},
		{"no such output", []string{"logits=" + keep, "score=" + other}, `--output score=` + other + `: the model has no output "score" (its outputs: ` + list + ")"},
		{"output twice", []string{"probs=" + keep, "probs=" + other}, `output "probs" already has --output probs=` + keep},
		{"no file", []string{"logits=" + keep, "probs="}, `--output probs=: no file for output "probs"`},
		{"same file twice", []string{"logits=" + keep, "probs=" + keep}, `outputs "logits" and "probs" would both be written to it`},
		{"unknown file type", []string{"logits=" + keep, "probs=" + filepath.Join(dir, "p.txt")}, "p.txt: want a .pb or .npy file"},
		{"missing directory", []string{"logits=" + keep, "probs=" + filepath.Join(dir, "no", "p.pb"), "joined=" + other}, filepath.Join(dir, "no", "p.pb")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := slices.Clone(in)
			for _, o := range tc.outputs {
				args = append(args, "--output", o)
			}
			_, stderr := mustRun(t, exitBadInput, args...)
			if !strings.Contains(stderr, tc.wantMsg) {
				t.Errorf("error lacks %q: %s", tc.wantMsg, stderr)
			}
			for path, want := range map[string]string{keep: "previous content", other: "other content"} {
				if got, err := os.ReadFile(path); err != nil || string(got) != want {
					t.Errorf("%s after a refused run: %q, %v", path, got, err)
				}
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestBatchMovedExports: the sequence-first model (quantized at batch 1)
// exported by quantize runs with the model's own input files, on 16 samples
// and on 1, within 30 dB SQNR of PyTorch's output; its mapping file takes
// the same files and simulates bit-identically to the golden model.
func TestBatchMovedExports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	model, x, y := multiin("seq_first.onnx"), multiin("seq_first_x.npy"), multiin("seq_first_y.npy")
	data := []string{"--data", "x=" + x, "--data", "y=" + y, "--calib", "16"}
	ref := readNPY(t, multiin("seq_first_ref.npy"))
	qdq := filepath.Join(dir, "q.onnx")
	mustRun(t, exitOK, append([]string{"quantize", model, "-o", qdq}, data...)...)

	first := func(name string, src *importer.Tensor) string {
		one := &importer.Tensor{DType: src.DType, Shape: append([]int{1}, src.Shape[1:]...), Float: src.Float[:src.Len()/src.Shape[0]]}
		return writeNPY(t, dir, name, one)
	}
	x1, y1 := first("x1.npy", readNPY(t, x)), first("y1.npy", readNPY(t, y))
	for _, tc := range []struct {
		name string
		x, y string
		n    int
	}{{"16 samples", x, y, 16}, {"1 sample", x1, y1, 1}} {
		out := filepath.Join(dir, "out.npy")
		mustRun(t, exitOK, "run", qdq, "--input", "x="+tc.x, "--input", "y="+tc.y, "--output", out)
		got := readNPY(t, out)
		if !slices.Equal(got.Shape, []int{tc.n, ref.Shape[1]}) {
			t.Fatalf("%s: the QDQ export outputs %v, want [%d %d]", tc.name, got.Shape, tc.n, ref.Shape[1])
		}
		var sig, noise float64
		for i, g := range got.Float {
			w := float64(ref.Float[i])
			sig += w * w
			noise += (float64(g) - w) * (float64(g) - w)
		}
		if s := 10 * math.Log10(sig/noise); !(s >= 30) {
			t.Errorf("%s: the QDQ export's output has SQNR %.1f dB against PyTorch's, want ≥ 30", tc.name, s)
		}
	}

	mp := filepath.Join(dir, "m.rmap")
	mustRun(t, exitOK, append([]string{"map", model, "-o", mp}, data...)...)
	labels := writeNPY(t, dir, "labels.npy", &importer.Tensor{DType: importer.Int64, Shape: []int{16}, Int: make([]int64, 16)})
	sim := runJSON(t, "sim", mp, "--data", "x="+x, "--data", "y="+y, "--labels", labels, "--json")
	if num(t, sim, "bit_exact") != 1 {
		t.Errorf("sim of the mapping file: bit_exact %v", num(t, sim, "bit_exact"))
	}
}
