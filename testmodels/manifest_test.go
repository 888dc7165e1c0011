package testmodels

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// MNIST test labels 0..15, read independently from the original idx file
// with NumPy.
var wantLabels = []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5}

var wantModels = []string{"lenet5", "mlp", "resnet_small", "vgg_bn"}

func TestManifestMatchesFiles(t *testing.T) {
	m, err := LoadManifest(".")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Names(); !equal(got, wantModels) {
		t.Fatalf("models %v, want %v", got, wantModels)
	}
	if m.Preprocessing.Mean != 0.1307 || m.Preprocessing.Std != 0.3081 || m.Preprocessing.Layout != "NCHW" {
		t.Errorf("preprocessing %+v", m.Preprocessing)
	}
	emb, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range m.Names() {
		t.Run(name, func(t *testing.T) {
			md := m.Models[name]
			p, err := m.Path(name)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != md.SHA256 || int64(len(data)) != md.Bytes {
				t.Errorf("%s: sha256/size differ from manifest: the file was regenerated without its manifest", p)
			}
			// ModelProto field 1 (ir_version) is written first by the
			// exporter: tag byte 0x08.
			if len(data) == 0 || data[0] != 0x08 {
				t.Errorf("%s does not start like an ONNX ModelProto", p)
			}
			if e, err := ReadModel(name); err != nil || !bytes.Equal(e, data) {
				t.Errorf("embedded copy differs from %s: %v", p, err)
			}
			if emb.Models[name] == nil || emb.Models[name].SHA256 != md.SHA256 {
				t.Errorf("embedded manifest differs for %s", name)
			}
			if md.Input.Name != "input" || len(md.Input.Shape) != 4 || md.Input.Shape[0] != "batch" || md.Output.Name != "logits" {
				t.Errorf("input %+v output %+v", md.Input, md.Output)
			}
			if md.TestImages != 10000 || md.Top1 != float64(md.Top1Correct)/float64(md.TestImages) || md.Top1 < 0.97 {
				t.Errorf("top-1 %v = %d/%d", md.Top1, md.Top1Correct, md.TestImages)
			}
			if !equal(md.LabelsFirst16, wantLabels) || len(md.LogitsFirst16) != 16 {
				t.Fatalf("labels %v, %d logit rows", md.LabelsFirst16, len(md.LogitsFirst16))
			}
			right := 0
			for i, row := range md.LogitsFirst16 {
				if len(row) != 10 {
					t.Fatalf("logits row %d has %d values", i, len(row))
				}
				if argmax(row) == wantLabels[i] {
					right++
				}
			}
			// At >= 97 % accuracy, missing more than two of 16 easy
			// leading images would mean rows and labels are misaligned.
			if right < 14 {
				t.Errorf("logits predict %d/16 of the first labels", right)
			}
			if md.NumPyImages < 1000 || md.NumPySamePrediction < md.NumPyImages-1 || md.NumPyMaxAbsDiff > 1e-4 {
				t.Errorf("NumPy reference check: %d/%d same, max diff %g", md.NumPySamePrediction, md.NumPyImages, md.NumPyMaxAbsDiff)
			}
		})
	}
	if !m.Models["vgg_bn"].BatchNormInGraph || m.Models["vgg_bn"].Ops["BatchNormalization"] == 0 {
		t.Error("vgg_bn must keep BatchNormalization nodes")
	}
	if m.Models["resnet_small"].Ops["Add"] == 0 || m.Models["resnet_small"].Ops["GlobalAveragePool"] != 1 {
		t.Errorf("resnet_small ops %v", m.Models["resnet_small"].Ops)
	}
}

func TestPathErrors(t *testing.T) {
	m, err := LoadManifest(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Path("nope"); err == nil {
		t.Error("unknown model: no error")
	}
	emb, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emb.Path("lenet5"); err == nil {
		t.Error("embedded manifest has no directory: no error")
	}
	if _, err := ReadModel("resnet18"); err == nil {
		t.Error("resnet18 is not embedded: no error")
	}
	if _, err := LoadManifest(t.TempDir()); err == nil {
		t.Error("missing manifest: no error")
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "manifest.json"), []byte(`{"models": {"x": {"logits_first16": [[1]], "labels_first16": []}}}`), 0o644)
	if _, err := LoadManifest(bad); err == nil {
		t.Error("inconsistent manifest: no error")
	}
}

func TestReferenceInput(t *testing.T) {
	// From NumPy: ((np.arange(n) % 251).astype(np.float32)/np.float32(250)
	// - np.float32(0.5))*np.float32(2) at these indices.
	x := ReferenceInput(3 * 224 * 224)
	for _, c := range []struct {
		i    int
		bits uint32 // float32 bit pattern NumPy produced
	}{{0, 3212836864}, {1, 3212702646}, {125, 0}, {250, 1065353216}, {251, 3212836864}, {1000, 1064950562}} {
		if got := math.Float32bits(x[c.i]); got != c.bits {
			t.Errorf("x[%d] = %v (bits %d), want bits %d", c.i, x[c.i], got, c.bits)
		}
	}
	m, err := LoadManifest(".")
	if err != nil {
		t.Fatal(err)
	}
	r := m.BenchmarkModels["resnet18"]
	if r == nil {
		t.Skip("manifest has no resnet18 entry")
	}
	if len(r.ReferenceLogitsFirst10) != 10 || r.Input.Shape[1] != float64(3) {
		t.Errorf("resnet18 entry %+v", r)
	}
}

func argmax(v []float32) int {
	b := 0
	for i := range v {
		if v[i] > v[b] {
			b = i
		}
	}
	return b
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
