package main

// Data sources and bad input: every data format through the commands, and
// each malformed input refused with exit 2 and a message naming the file.

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim/sweep"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
)

// cifarData is the shared CIFAR-10 excerpt (first 846 test images) and the
// trained ResNet-20 whose onnxruntime top-1 on it is published with it.
const (
	cifarBin    = "../../../shared/data/cifar10_test_first846.bin"
	cifarImages = "../../../shared/data/cifar10_test_first846_images_u8.npy"
	cifarLabels = "../../../shared/data/cifar10_test_first846_labels.npy"
	resnet20    = "../../../shared/models/cifar10/resnet20_cifar10.onnx"
)

// TestEvalCIFARResNet20 evaluates the trained CIFAR-10 ResNet-20 on the 846
// images with its stated per-channel preprocessing, from the official
// binary format and from the .npy copy: both must give onnxruntime's
// float32 top-1, 765 of 846 (0.9043).
func TestEvalCIFARResNet20(t *testing.T) {
	if testing.Short() {
		t.Skip("846 ResNet-20 inferences: not in -short")
	}
	for _, p := range []string{cifarBin, cifarImages, resnet20} {
		if _, err := os.Stat(p); err != nil {
			t.Skip("shared CIFAR-10 data or model absent")
		}
	}
	t.Parallel()
	norm := []string{"--mean", "0.4914,0.4822,0.4465", "--std", "0.2023,0.1994,0.2010"}
	for _, data := range [][]string{{"--data", cifarBin}, {"--data", cifarImages, "--labels", cifarLabels}} {
		obj := runJSON(t, append(append([]string{"eval", resnet20, "--json"}, data...), norm...)...)
		if n := num(t, obj, "images"); n != 846 {
			t.Fatalf("%v: %v images", data, n)
		}
		if a := num(t, obj, "accuracy_float"); math.Abs(a*846-765) > 0.01 {
			t.Errorf("%v: float top-1 %.4f (%.0f of 846), onnxruntime 765 of 846 (0.9043)", data, a, a*846)
		}
	}
}

// writeNPY writes t to dir/name and returns the path.
func writeNPY(t *testing.T, dir, name string, x *importer.Tensor) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := dataset.WriteNPY(p, x); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadData: each malformed data input is refused with exit 2 and a
// message naming the file and, where there is one, the first bad index.
func TestBadData(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	dir := t.TempDir()
	images, labels, x := writeMNISTNPY(t, dir, 16)
	bad := x.Clone()
	bad.Float[3*784+5*28+7] = float32(math.Inf(1))
	nanX := x.Clone()
	nanX.Float[2*784] = float32(math.NaN())
	infFile := writeNPY(t, dir, "inf.npy", bad)
	nanFile := writeNPY(t, dir, "nan.npy", nanX)
	lt := &importer.Tensor{DType: importer.Int64, Shape: []int{16}, Int: make([]int64, 16)}
	lt.Int[9] = 10 // LeNet-5 has classes 0..9
	badLabels := writeNPY(t, dir, "labels10.npy", lt)
	folder := filepath.Join("..", "..", "importer", "dataset", "testdata", "folder", "images")
	dirNPY, dirPB := filepath.Join(dir, "in.npy"), filepath.Join(dir, "in.pb")
	for _, d := range []string{dirNPY, dirPB} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	notADir := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(notADir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"Inf in --data", []string{"eval", lenet, "--data", infFile, "--labels", labels}, []string{infFile, "[3 0 5 7]", "+Inf"}},
		{"NaN in calibration data", []string{"quantize", lenet, "--data", nanFile, "-o", filepath.Join(dir, "q.onnx")}, []string{nanFile, "[2 0 0 0]", "NaN"}},
		{"NaN in sim data", []string{"sim", lenet, "--data", nanFile, "--labels", labels}, []string{nanFile, "NaN"}},
		{"label outside the classes", []string{"eval", lenet, "--data", images, "--labels", badLabels}, []string{images, "label 10 of sample 9", "10 classes"}},
		{"label outside the classes, sim", []string{"sim", lenet, "--data", images, "--labels", badLabels, "--limit", "16"}, []string{"label 10 of sample 9"}},
		{"model is a directory", []string{"eval", dir}, []string{dir, "directory"}},
		{"labels is a directory", []string{"eval", lenet, "--data", images, "--labels", dir}, []string{dir, "directory"}},
		{"run .npy input is a directory", []string{"run", lenet, "--input", dirNPY}, []string{dirNPY, "directory"}},
		{"run .pb input is a directory", []string{"run", lenet, "--input", dirPB}, []string{dirPB}},
		{"run output is a directory", []string{"run", lenet, "--input", images, "--output", dirNPY}, []string{dirNPY, "directory"}},
		{"map output is a directory", []string{"map", lenet, "-o", dir}, []string{dir, "directory"}},
		{"quantize output unwritable", []string{"quantize", lenet, "-o", filepath.Join(notADir, "q.onnx")}, []string{filepath.Join(notADir, "q.onnx")}},
		{"quantize output is a directory", []string{"quantize", lenet, "-o", dir}, []string{dir, "directory"}},
		{"map output unwritable", []string{"map", lenet, "-o", filepath.Join(notADir, "m.rmap")}, []string{filepath.Join(notADir, "m.rmap")}},
		{"run output unwritable", []string{"run", lenet, "--input", images, "--output", filepath.Join(notADir, "y.npy")}, []string{filepath.Join(notADir, "y.npy")}},
		{"mean per channel on one channel", []string{"eval", lenet, "--mean", "0.1,0.2,0.3"}, []string{"mean has 3 values", "1 channel"}},
		{"mean not a number", []string{"eval", lenet, "--mean", "a,b"}, []string{"--mean"}},
		{"image folder for a one-channel model", []string{"eval", lenet, "--data", folder}, []string{folder, "3 channels"}},
		{"labels with an image folder", []string{"eval", lenet, "--data", folder, "--labels", labels}, []string{labels, "carries its own labels"}},
		{"mean on float data", []string{"eval", lenet, "--data", images, "--labels", labels, "--mean", "0.5"}, []string{images, "8-bit images only"}},
	} {
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
	// Nothing was written by the refused commands.
	if _, err := os.Stat(filepath.Join(dir, "q.onnx")); !os.IsNotExist(err) {
		t.Errorf("refused quantize left q.onnx (%v)", err)
	}
}

// TestQuantizeMapWithoutLabels: calibration needs inputs only, so quantize
// and map take unlabelled data; eval still asks for labels.
func TestQuantizeMapWithoutLabels(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	dir := t.TempDir()
	images, _, _ := writeMNISTNPY(t, dir, 32)
	out := filepath.Join(dir, "q.onnx")
	mustRun(t, exitOK, "quantize", lenet, "--data", images, "--calib", "32", "-o", out)
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	obj := runJSON(t, "map", lenet, "--data", images, "--calib", "32", "--json")
	if num(t, obj, "total", "crossbars") <= 0 {
		t.Error("map of unlabelled data: no crossbars")
	}
	mustRun(t, exitBadInput, "eval", lenet, "--data", images)
}

// TestStaticBatchRun: a model whose input has a fixed batch of 2 runs a
// [2,4] input and refuses a [3,4] one with a message about the input file.
func TestStaticBatchRun(t *testing.T) {
	t.Parallel()
	model := filepath.Join("testdata", "static_batch2.onnx")
	dir := t.TempDir()
	ok := writeNPY(t, dir, "ok.npy", &importer.Tensor{DType: importer.Float, Shape: []int{2, 4}, Float: []float32{1, 2, 3, 4, 5, 6, 7, 8}})
	stdout, _ := mustRun(t, exitOK, "run", model, "--input", ok)
	// y = x·W + B with W[k][n] = (3k+n)/10: row 0 = 1·0+2·0.3+3·0.6+4·0.9 + 0.5 = 6.5.
	if !strings.Contains(stdout, "y [2 3]") || !strings.HasPrefix(strings.Fields(strings.SplitN(stdout, "\n", 2)[1])[0], "6.5") {
		t.Errorf("run output: %s", stdout)
	}
	three := writeNPY(t, dir, "three.npy", &importer.Tensor{DType: importer.Float, Shape: []int{3, 4}, Float: make([]float32, 12)})
	_, stderr := mustRun(t, exitBadInput, "run", model, "--input", three)
	for _, w := range []string{three, "batch of 3", "exactly 2"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q: %s", w, stderr)
		}
	}
}

// TestRunPropagatesNaN: run computes with NaN inputs as onnxruntime does
// (IEEE arithmetic, no refusal): a NaN input feature reaches every output
// of a Gemm.
func TestRunPropagatesNaN(t *testing.T) {
	t.Parallel()
	model := filepath.Join("testdata", "static_batch2.onnx")
	dir := t.TempDir()
	in := writeNPY(t, dir, "nan.npy", &importer.Tensor{DType: importer.Float, Shape: []int{2, 4},
		Float: []float32{1, float32(math.NaN()), 3, 4, 5, 6, 7, 8}})
	stdout, _ := mustRun(t, exitOK, "run", model, "--input", in)
	vals := strings.Fields(strings.SplitN(stdout, "\n", 2)[1])
	if len(vals) != 6 {
		t.Fatalf("run output: %s", stdout)
	}
	for i, v := range vals {
		if isNaN := v == "NaN"; isNaN != (i < 3) {
			t.Errorf("output %d = %s: row 0 must be NaN, row 1 finite", i, v)
		}
	}
}

// TestSweepNPYData: the sweep takes any data source (`rramc sweep --data
// X.npy --labels Y.npy`): its points' float accuracy equals eval's on the
// same 100 images from the embedded set, their golden accuracy eval's on
// the .npy with the same calibration, and ideal hardware is bit-exact.
func TestSweepNPYData(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	dir := t.TempDir()
	images, labels, _ := writeMNISTNPY(t, dir, 100)
	out := filepath.Join(dir, "out")
	mustRun(t, exitOK, "sweep", lenet, "--data", images, "--labels", labels, "--calib", "100", "--prune", "0",
		"--schemes", "dense,colsim", "--max-share", "2", "-o", out, "--json")
	res, err := sweep.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	float := num(t, runJSON(t, "eval", lenet, "--limit", "100", "--json"), "accuracy_float")
	golden := num(t, runJSON(t, "eval", lenet, "--mode", "int", "--data", images, "--labels", labels, "--calib", "100", "--json"), "accuracy_int")
	if len(res.Points) != 2 {
		t.Fatalf("%d points, want 2", len(res.Points))
	}
	for _, p := range res.Points {
		if p.Images != 100 || p.AccFloat != float || p.AccInt != golden || p.BitExact != 1 || p.AccSim != p.AccInt {
			t.Errorf("%s: images %d float %v (eval %v) int %v (eval %v) sim %v bit_exact %v",
				p.Label(), p.Images, p.AccFloat, float, p.AccInt, golden, p.AccSim, p.BitExact)
		}
	}
	if res.Info.Data != images {
		t.Errorf("results record data %q, want %q", res.Info.Data, images)
	}
}

// TestEvalIDXData: MNIST-format IDX files (gzipped images, plain labels) of
// the first 100 test images with MNIST's preprocessing give eval exactly the
// float accuracy of the embedded set's first 100.
func TestEvalIDXData(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	set, err := dataset.MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, x *dataset.IDX) string {
		var b bytes.Buffer
		if err := dataset.EncodeIDX(&b, x); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		if strings.HasSuffix(name, ".gz") {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const n = 100
	images := write("images-idx3-ubyte.gz", &dataset.IDX{Dims: []int{n, set.Rows, set.Cols}, Data: set.Pixels[:n*set.Rows*set.Cols]})
	labels := write("labels-idx1-ubyte", &dataset.IDX{Dims: []int{n}, Data: set.Labels[:n]})
	want := runJSON(t, "eval", lenet, "--mode", "float", "--limit", "100", "--json")
	got := runJSON(t, "eval", lenet, "--mode", "float", "--data", images, "--labels", labels, "--mean", "0.1307", "--std", "0.3081", "--json")
	for _, k := range []string{"images", "accuracy_float"} {
		if num(t, got, k) != num(t, want, k) {
			t.Errorf("%s: IDX %v, embedded %v", k, num(t, got, k), num(t, want, k))
		}
	}
}
