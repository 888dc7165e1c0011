package testmodels_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/testmodels"
)

// TestSparseModels holds the fine-tuned sparse models to their manifest
// entries: the file is the one recorded, the sparsity rramc reads from the
// weights is the one train.py measured, and (without -short) rramc's float32
// top-1 over the MNIST test set is PyTorch's within one image.
func TestSparseModels(t *testing.T) {
	m, err := testmodels.LoadManifest(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.SparseModels) == 0 {
		t.Fatal("manifest has no sparse_models")
	}
	for name, sm := range m.SparseModels {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := m.Path(name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != sm.SHA256 || int64(len(b)) != sm.Bytes {
				t.Fatalf("%s: sha256 %s (%d bytes), manifest %s (%d bytes)", p, got, len(b), sm.SHA256, sm.Bytes)
			}
			model, err := hwsim.LoadModel(p)
			if err != nil {
				t.Fatal(err)
			}
			zeros, total := 0, 0
			for _, w := range linearWeights(model) {
				total += len(w)
				for _, v := range w {
					if v == 0 {
						zeros++
					}
				}
			}
			sp := float64(zeros) / float64(total)
			if math.Abs(sp-sm.WeightSparsity) > 1e-9 || sp < sm.TargetSparsity-0.5/float64(total) {
				t.Errorf("weight sparsity %.6f read from the file, manifest %.6f (target %g)", sp, sm.WeightSparsity, sm.TargetSparsity)
			}
			dense := m.Models[sm.Family]
			if sm.Top1 < dense.Top1-0.01 {
				t.Errorf("fine-tuned top-1 %.4f more than a point below the dense model's %.4f", sm.Top1, dense.Top1)
			}
			if testing.Short() {
				return
			}
			src, err := dataset.Open(dataset.Spec{Data: "mnist"})
			if err != nil {
				t.Fatal(err)
			}
			outs, err := hwsim.Run(context.Background(), hwsim.OneInput(src, model.Inputs[0]), hwsim.RunOptions{}, model.Stage())
			if err != nil {
				t.Fatal(err)
			}
			correct := int(math.Round(outs[0].Accuracy(src.Labels()) * float64(src.Len())))
			if src.Len() != sm.TestImages || abs(correct-sm.Top1Correct) > 1 {
				t.Errorf("float32 top-1 %d/%d, PyTorch %d/%d", correct, src.Len(), sm.Top1Correct, sm.TestImages)
			}
		})
	}
}

// TestFamily checks the order of a model family: the dense model first,
// then its sparse versions by increasing sparsity.
func TestFamily(t *testing.T) {
	m, err := testmodels.LoadManifest(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, dense := range []string{"lenet5", "vgg_bn", "resnet_small"} {
		fam, err := m.Family(dense)
		if err != nil {
			t.Fatal(err)
		}
		if len(fam) != 5 || fam[0] != dense {
			t.Fatalf("family of %s: %v, want the dense model and four sparse versions", dense, fam)
		}
		prev := 0.0
		for _, n := range fam[1:] {
			sm := m.SparseModels[n]
			if sm.Family != dense || sm.TargetSparsity <= prev {
				t.Errorf("family of %s: %s (family %s, sparsity %g) out of order after %g", dense, n, sm.Family, sm.TargetSparsity, prev)
			}
			prev = sm.TargetSparsity
		}
	}
	if _, err := m.Family("no_such_model"); err == nil {
		t.Error("Family of an unknown model: no error")
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// linearWeights returns the weight tensors of the model's Conv, Gemm and
// MatMul nodes (their second input, when it is a constant): the weights
// rramc maps onto crossbars.
func linearWeights(m *hwsim.Model) [][]float32 {
	g := m.Program.Graph()
	var ws [][]float32
	for _, n := range g.Nodes {
		switch n.OpType {
		case "Conv", "Gemm", "MatMul":
			if len(n.Inputs) > 1 {
				if w := g.Initializers[n.Inputs[1]]; w != nil {
					ws = append(ws, w.Float)
				}
			}
		}
	}
	return ws
}
