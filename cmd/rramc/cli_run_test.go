package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/onnx"
)

// checkLogits compares a [16, 10] output with PyTorch's logits from the
// manifest.
func checkLogits(t *testing.T, name string, y *importer.Tensor) {
	t.Helper()
	md := manifest(t).Models[name]
	want := md.LogitsFirst16
	if !y.DType.IsFloat() || len(y.Shape) != 2 || y.Shape[0] != len(want) || y.Shape[1] != len(want[0]) || len(y.Float) != y.Shape[0]*y.Shape[1] {
		t.Fatalf("%s output: dtype %v shape %v with %d values, want float [%d %d]", name, y.DType, y.Shape, len(y.Float), len(want), len(want[0]))
	}
	worst := 0.0
	for i, row := range want {
		for j, w := range row {
			d := math.Abs(float64(y.Float[i*len(row)+j] - w))
			if d > worst {
				worst = d
			}
			if d > 1e-4 || math.IsNaN(d) {
				t.Errorf("%s logit [%d][%d] = %v, PyTorch %v", name, i, j, y.Float[i*len(row)+j], w)
			}
		}
	}
	t.Logf("%s: largest logit difference from PyTorch %.3g", name, worst)
}

// TestRunRoundTrip runs each model on the first 16 test images given as .npy
// and .pb and compares the written output with the manifest's logits.
func TestRunRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	xnpy, _, x := writeMNISTNPY(t, dir, 16)
	for _, name := range manifest(t).Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			md := manifest(t).Models[name]
			model := modelPath(t, name)
			sub := t.TempDir()
			xpb := filepath.Join(sub, "x.pb")
			if err := onnx.WriteTensorPBNamed(xpb, md.Input.Name, x); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ in, out string }{
				{xnpy, "y.npy"}, {xpb, "y.pb"}, {xnpy, "y2.pb"}, {xpb, "y2.npy"}, {xpb, "Y3.PB"},
			} {
				out := filepath.Join(sub, c.out)
				stdout, _ := mustRun(t, exitOK, "run", model, "--input", c.in, "--output", out)
				if stdout != "" {
					t.Errorf("run --output printed %q", stdout)
				}
				var y *importer.Tensor
				var err error
				if strings.EqualFold(filepath.Ext(out), ".npy") {
					y, err = dataset.ReadNPY(out)
				} else {
					var b []byte
					if b, err = os.ReadFile(out); err == nil {
						var tname string
						tname, y, err = onnx.DecodeTensorPB(b)
						if err == nil && tname != md.Output.Name {
							t.Errorf("%s holds tensor %q, want the graph output's name %q", out, tname, md.Output.Name)
						}
					}
				}
				if err != nil {
					t.Fatalf("reading %s: %v", out, err)
				}
				checkLogits(t, name, y)
			}

			// Without --output the tensor is printed: "NAME [shape]" then the values.
			stdout, _ := mustRun(t, exitOK, "run", model, "--input", xnpy)
			head, body, ok := strings.Cut(stdout, "\n")
			if !ok || head != md.Output.Name+" [16 10]" {
				t.Fatalf("printed header %q, want %q", head, md.Output.Name+" [16 10]")
			}
			y := &importer.Tensor{DType: importer.Float, Shape: []int{16, 10}}
			for _, f := range strings.Fields(body) {
				v, err := strconv.ParseFloat(f, 32)
				if err != nil {
					t.Fatalf("printed value %q: %v", f, err)
				}
				y.Float = append(y.Float, float32(v))
			}
			checkLogits(t, name, y)
		})
	}
}

// TestRunBadInput checks run's handling of unusable input and output files.
func TestRunBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lenet := modelPath(t, "lenet5")
	xnpy, _, x := writeMNISTNPY(t, dir, 4)
	flat := writeNPY(t, dir, "flat.npy", &importer.Tensor{DType: importer.Float, Shape: []int{4, 784}, Float: x.Float})
	ints := writeNPY(t, dir, "ints.npy", &importer.Tensor{DType: importer.Int64, Shape: []int{4, 1, 28, 28}, Int: make([]int64, 4*784)})
	good, err := os.ReadFile(xnpy)
	if err != nil {
		t.Fatal(err)
	}
	truncNPY := writeFile(t, dir, "trunc.npy", good[:len(good)-7])
	junkPB := writeFile(t, dir, "junk.pb", []byte("definitely not a tensor"))
	emptyPB := writeFile(t, dir, "empty.pb", nil)
	txt := writeFile(t, dir, "x.txt", good)

	// An existing output must survive every failure untouched.
	keep := writeFile(t, dir, "keep.npy", []byte("previous content"))
	tests := []struct {
		name    string
		args    []string
		want    int
		wantMsg string
	}{
		{"wrong rank", []string{"--input", flat}, exitBadInput, "rank"},
		{"integer input", []string{"--input", ints}, exitBadInput, "int64"},
		{"truncated npy", []string{"--input", truncNPY}, exitBadInput, "trunc.npy"},
		{"junk pb", []string{"--input", junkPB}, exitBadInput, "junk.pb"},
		{"empty pb", []string{"--input", emptyPB}, exitBadInput, "empty.pb"},
		{"unknown input type", []string{"--input", txt}, exitBadInput, "x.txt"},
		{"missing input", []string{"--input", filepath.Join(dir, "missing.npy")}, exitBadInput, "missing.npy"},
		{"unknown output type", []string{"--input", xnpy, "--output", filepath.Join(dir, "y.txt")}, exitBadInput, "y.txt"},
		{"output dir missing", []string{"--input", xnpy, "--output", filepath.Join(dir, "no", "y.npy")}, exitBadInput, "y.npy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run", lenet}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "--output") {
				args = append(args, "--output", keep)
			}
			_, stderr := mustRun(t, tc.want, args...)
			if !strings.Contains(stderr, tc.wantMsg) {
				t.Errorf("error lacks %q: %s", tc.wantMsg, stderr)
			}
		})
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(keep); err != nil || !bytes.Equal(b, []byte("previous content")) {
			t.Errorf("a failing run changed the existing output: %q, %v", b, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "y.txt")); !os.IsNotExist(err) {
			t.Errorf("run with an unknown output type created it (stat: %v)", err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("temporary file %s left behind", e.Name())
			}
		}
	})
}

// TestRunBatched runs 16 images in batches of 5 (three full batches and a
// short one) into every kind of output and checks the result against
// PyTorch's logits and, bit for bit, against one whole-tensor pass: each
// sample's computation does not depend on its batch.
func TestRunBatched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	xnpy, _, _ := writeMNISTNPY(t, dir, 16)
	for _, name := range []string{"lenet5", "resnet_small"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			md := manifest(t).Models[name]
			model := modelPath(t, name)
			sub := t.TempDir()
			whole := filepath.Join(sub, "whole.npy")
			mustRun(t, exitOK, "run", model, "--input", xnpy, "--output", whole, "--batch", "16")
			want, err := dataset.ReadNPY(whole)
			if err != nil {
				t.Fatal(err)
			}
			checkLogits(t, name, want)
			same := func(kind string, y *importer.Tensor) {
				t.Helper()
				if !slices.Equal(y.Shape, want.Shape) || !slices.Equal(y.Float, want.Float) {
					t.Errorf("%s: batched output %v differs from the whole-tensor pass %v", kind, y.Shape, want.Shape)
				}
			}

			ynpy := filepath.Join(sub, "y.npy")
			mustRun(t, exitOK, "run", model, "--input", xnpy, "--output", ynpy, "--batch", "5")
			y, err := dataset.ReadNPY(ynpy)
			if err != nil {
				t.Fatal(err)
			}
			same(".npy", y)

			ypb := filepath.Join(sub, "y.pb")
			mustRun(t, exitOK, "run", model, "--input", xnpy, "--output", ypb, "--batch", "5")
			b, err := os.ReadFile(ypb)
			if err != nil {
				t.Fatal(err)
			}
			tname, y, err := onnx.DecodeTensorPB(b)
			if err != nil {
				t.Fatal(err)
			}
			if tname != md.Output.Name {
				t.Errorf("%s holds tensor %q, want %q", ypb, tname, md.Output.Name)
			}
			same(".pb", y)

			stdout, _ := mustRun(t, exitOK, "run", model, "--input", xnpy, "--batch", "5")
			head, body, _ := strings.Cut(stdout, "\n")
			if head != md.Output.Name+" [16 10]" {
				t.Fatalf("printed header %q, want %q", head, md.Output.Name+" [16 10]")
			}
			y = &importer.Tensor{DType: importer.Float, Shape: []int{16, 10}}
			for _, f := range strings.Fields(body) {
				v, err := strconv.ParseFloat(f, 32)
				if err != nil {
					t.Fatalf("printed value %q: %v", f, err)
				}
				y.Float = append(y.Float, float32(v))
			}
			same("printed", y)
		})
	}
	for _, bad := range []string{"0", "-3", "70000"} {
		_, stderr := mustRun(t, exitBadInput, "run", modelPath(t, "lenet5"), "--input", xnpy, "--batch", bad)
		if !strings.Contains(stderr, "--batch") {
			t.Errorf("--batch %s: error lacks the flag name: %s", bad, stderr)
		}
	}
}
