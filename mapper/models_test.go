package mapper

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/quant"
)

// trainedModels lists the ONNX files of testmodels/ (with the manifest's
// preprocessing when there is one) and the third-party MNIST models.
func trainedModels(t *testing.T) []struct {
	name, path string
	mean, std  float32
} {
	type model = struct {
		name, path string
		mean, std  float32
	}
	var ms []model
	pre := map[string][2]float32{}
	if data, err := os.ReadFile("../testmodels/manifest.json"); err == nil {
		var man struct {
			Models map[string]struct {
				File          string `json:"file"`
				Preprocessing struct{ Mean, Std float32 }
			}
		}
		if err := json.Unmarshal(data, &man); err != nil {
			t.Fatalf("testmodels/manifest.json: %v", err)
		}
		for _, m := range man.Models {
			pre[filepath.Base(m.File)] = [2]float32{m.Preprocessing.Mean, m.Preprocessing.Std}
		}
	}
	// Only the manifest's MNIST models: the benchmark-only ResNet-18 takes
	// ImageNet-size inputs and is mapped by the benchmarks instead.
	files, _ := filepath.Glob("../testmodels/*.onnx")
	for _, f := range files {
		p, ok := pre[filepath.Base(f)]
		if !ok {
			continue
		}
		ms = append(ms, model{filepath.Base(f), f, p[0], p[1]})
	}
	tp := "../../shared/models/third_party"
	for _, m := range []model{
		{"cntk-mnist8", tp + "/mnist-8_modelzoo_cntk.onnx", 0.1307, 0.3081},
		{"pytorch2.5", tp + "/mnist_cnn_pytorch2.5_opset11.onnx", 0.5, 0.5},
		{"pytorch2.9-extdata", tp + "/pytorch2.9_external_data/mnist.onnx", 0.5, 0.5},
	} {
		if _, err := os.Stat(m.path); err == nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// forTrainedNets quantizes every trained model (calibrated on 64 MNIST
// images) at each pruning ratio and calls fn, in a subtest per model; it
// skips when there are no trained models.
func forTrainedNets(t *testing.T, prunes []float64, fn func(t *testing.T, prune float64, net *quant.Network)) {
	ms := trainedModels(t)
	if len(ms) == 0 {
		t.Skip("no trained models in testmodels/ or ../shared/models/third_party")
	}
	calibSet, err := dataset.MNISTCalib()
	if err != nil {
		t.Fatal(err)
	}
	for _, rm := range ms {
		t.Run(rm.name, func(t *testing.T) {
			m, err := onnx.Load(rm.path)
			if err != nil {
				t.Fatal(err)
			}
			calib, err := calibSet.BatchFor(m.Graph.Inputs[0], 0, 64, rm.mean, rm.std)
			if err != nil {
				t.Fatal(err)
			}
			for _, prune := range prunes {
				cfg := quant.DefaultConfig()
				cfg.Prune = prune
				cfg.Calib = 64
				net, err := quant.Quantize(m, calib, cfg)
				if err != nil {
					t.Fatalf("quantize (prune %.1f): %v", prune, err)
				}
				fn(t, prune, net)
			}
		})
	}
}

// checkFileRoundTrip encodes mp, decodes it and verifies the result.
func checkFileRoundTrip(t *testing.T, mp *Mapping) {
	t.Helper()
	b, err := Encode(mp)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Fatal(err)
	}
}

// TestTrainedModels quantizes every trained model (unpruned and 50 %
// pruned), maps it with every scheme and checks exact reconstruction, the
// OU-activation invariants and a file round trip.
func TestTrainedModels(t *testing.T) {
	prunes := []float64{0, 0.5}
	if testing.Short() {
		prunes = prunes[:1]
	}
	forTrainedNets(t, prunes, func(t *testing.T, prune float64, net *quant.Network) {
		ou := map[string][]int64{}
		for _, name := range SchemeNames() {
			for _, share := range []int{0, 2} {
				if share > 0 && !UsesMaxShare(name) {
					continue
				}
				mp, err := Map(net, DefaultGeometry(), Options{Scheme: name, MaxShare: share})
				if err != nil {
					t.Fatal(err)
				}
				if err := mp.Verify(); err != nil {
					t.Fatalf("%s share %d prune %.1f: %v", name, share, prune, err)
				}
				per, tot, err := mp.Stats()
				if err != nil {
					t.Fatal(err)
				}
				key := name
				if share > 0 {
					key += "/2"
				}
				for _, s := range per {
					ou[key] = append(ou[key], s.OUActivations)
				}
				t.Logf("prune %.1f %-14s %s", prune, key, tot.String())
				if name == "colsim" && share == 2 {
					checkFileRoundTrip(t, mp)
				}
			}
		}
		for i := range ou["dense"] {
			if ou["colsim"][i] > ou["zerocol"][i] || ou["colsim/2"][i] > ou["zerocol"][i] || ou["colsim/2"][i] < ou["colsim"][i] {
				t.Errorf("prune %.1f layer %d: OU activations zerocol %d colsim %d colsim/2 %d break the invariants",
					prune, i, ou["zerocol"][i], ou["colsim"][i], ou["colsim/2"][i])
			}
		}
	})
}
