package quant

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
)

// realModel is a trained MNIST model with its preprocessing and the
// accuracy its producer measured (PyTorch for testmodels, onnxruntime for
// third-party files).
type realModel struct {
	name, path string
	mean, std  float32
	refTop1    float64
	testmodel  bool // covered by the 0.3-point requirement
}

func realModels(t testing.TB) []realModel {
	var ms []realModel
	if data, err := os.ReadFile("../testmodels/manifest.json"); err == nil {
		var man struct {
			Models map[string]struct {
				File          string `json:"file"`
				Top1          float64
				Preprocessing struct{ Mean, Std float32 }
			}
		}
		if err := json.Unmarshal(data, &man); err != nil {
			t.Fatalf("testmodels/manifest.json: %v", err)
		}
		for name, m := range man.Models {
			p := filepath.Join("../testmodels", m.File)
			if _, err := os.Stat(p); err == nil {
				ms = append(ms, realModel{name, p, m.Preprocessing.Mean, m.Preprocessing.Std, m.Top1, true})
			}
		}
	}
	tp := "../../shared/models/third_party"
	for _, m := range []realModel{
		{"cntk-mnist8", tp + "/mnist-8_modelzoo_cntk.onnx", 0.1307, 0.3081, 0.9893, false},
		{"pytorch2.5", tp + "/mnist_cnn_pytorch2.5_opset11.onnx", 0.5, 0.5, 0.9877, false},
		{"pytorch2.9-extdata", tp + "/pytorch2.9_external_data/mnist.onnx", 0.5, 0.5, 0.9737, false},
	} {
		if _, err := os.Stat(m.path); err == nil {
			ms = append(ms, m)
		}
	}
	// RRAMC_EXTRA_MODELS=name=path,... adds MNIST models (mean 0.1307, std
	// 0.3081) to these tests, e.g. freshly exported ones.
	for _, kv := range strings.Split(os.Getenv("RRAMC_EXTRA_MODELS"), ",") {
		if name, path, ok := strings.Cut(kv, "="); ok {
			ms = append(ms, realModel{name, path, 0.1307, 0.3081, 0, false})
		}
	}
	return ms
}

// mnistFor builds test (first n images) and calibration batches for m.
// forEachRealModel runs f as a subtest for every real model with its first
// n MNIST test images and ncal calibration images (all 10,000 and 512; 500
// and 128 under -short).
func forEachRealModel(t *testing.T, f func(t *testing.T, rm realModel, m *importer.Model, x, calib *importer.Tensor, labels []int, n, ncal int)) {
	ms := realModels(t)
	if len(ms) == 0 {
		t.Skip("no trained models in testmodels/ or ../shared/models/third_party")
	}
	n, ncal := 10000, 512
	if testing.Short() {
		n, ncal = 500, 128
	}
	for _, rm := range ms {
		t.Run(rm.name, func(t *testing.T) {
			m, err := onnx.Load(rm.path)
			if err != nil {
				t.Fatal(err)
			}
			x, calib, labels := mnistFor(t, m, rm, n, ncal)
			f(t, rm, m, x, calib, labels, n, ncal)
		})
	}
}

func mnistFor(t testing.TB, m *importer.Model, rm realModel, n, ncal int) (x, calib *importer.Tensor, labels []int) {
	t.Helper()
	test, err := dataset.MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := dataset.MNISTCalib()
	if err != nil {
		t.Fatal(err)
	}
	in := m.Graph.Inputs[0]
	if x, err = test.BatchFor(in, 0, n, rm.mean, rm.std); err != nil {
		t.Fatal(err)
	}
	if calib, err = cs.BatchFor(in, 0, ncal, rm.mean, rm.std); err != nil {
		t.Fatal(err)
	}
	if labels, err = test.LabelInts(0, n); err != nil {
		t.Fatal(err)
	}
	return x, calib, labels
}

// TestRealModelsW8A8 checks the acceptance criterion: 8-bit weights and
// activations without pruning lose at most 0.3 points of top-1 against the
// float model on the full 10k test set (every testmodel; third-party models
// are reported). Under -short only 500 images run and only the pipeline is
// checked.
func TestRealModelsW8A8(t *testing.T) {
	forEachRealModel(t, func(t *testing.T, rm realModel, m *importer.Model, x, calib *importer.Tensor, labels []int, n, ncal int) {
		t0 := time.Now()
		ft, fpred, err := FloatTop1(m.Graph, x, labels)
		t.Logf("float eval %v", time.Since(t0))
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range []bool{false, true} {
			cfg := DefaultConfig()
			cfg.Calib = ncal
			cfg.PerChannel = pc
			t0 := time.Now()
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t1 := time.Now()
			it, ipred, err := net.Top1(x, labels, nil)
			t.Logf("quantize %v, int eval %v", t1.Sub(t0), time.Since(t1))
			if err != nil {
				t.Fatal(err)
			}
			agree := 0
			for i := range ipred {
				if ipred[i] == fpred[i] {
					agree++
				}
			}
			t.Logf("%s perchannel=%v: float %.4f (reference %.4f), int %.4f, drop %.2f points, agreement %.4f",
				rm.name, pc, ft, rm.refTop1, it, 100*(ft-it), float64(agree)/float64(n))
			if n == 10000 && rm.testmodel && ft-it > 0.003 {
				t.Errorf("%s perchannel=%v: top-1 drop %.2f points > 0.3", rm.name, pc, 100*(ft-it))
			}
		}
	})
}

// benchModel returns the named real model (or skips).
func benchModel(b *testing.B, name string) (realModel, *importer.Model) {
	for _, rm := range realModels(b) {
		if rm.name == name {
			m, err := onnx.Load(rm.path)
			if err != nil {
				b.Fatal(err)
			}
			return rm, m
		}
	}
	b.Skipf("model %s not available", name)
	return realModel{}, nil
}

// BenchmarkInference compares the integer golden model with the float32
// interpreter on the 10k MNIST test images (per model; one op = 10k images).
func BenchmarkInference(b *testing.B) {
	for _, name := range []string{"lenet5", "mlp", "vgg_bn", "resnet_small", "cntk-mnist8", "pytorch2.5"} {
		b.Run(name, func(b *testing.B) {
			rm, m := benchModel(b, name)
			x, calib, labels := mnistFor(b, m, rm, 10000, 512)
			net, err := Quantize(m, calib, DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			b.Run("int", func(b *testing.B) {
				b.ReportAllocs()
				c0 := cpuTime()
				for b.Loop() {
					if _, _, err := net.Top1(x, labels, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
			})
			b.Run("float", func(b *testing.B) {
				b.ReportAllocs()
				c0 := cpuTime()
				for b.Loop() {
					if _, _, err := FloatTop1(m.Graph, x, labels); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
			})
		})
	}
}

// TestSweepTable prints top-1 for wbits 8/6/4 × prune 0/0.5/0.7/0.9 on every
// available real model (10k test images). It takes minutes, so it runs only
// with RRAMC_SWEEP=1 (the CLI's sweep regenerates the same table).
func TestSweepTable(t *testing.T) {
	if os.Getenv("RRAMC_SWEEP") == "" {
		t.Skip("set RRAMC_SWEEP=1 to print the accuracy table")
	}
	only := os.Getenv("RRAMC_SWEEP_MODELS")
	for _, rm := range realModels(t) {
		if only != "" && !strings.Contains(","+only+",", ","+rm.name+",") {
			continue
		}
		m, err := onnx.Load(rm.path)
		if err != nil {
			t.Fatal(err)
		}
		x, calib, labels := mnistFor(t, m, rm, 10000, 512)
		cfg := DefaultConfig()
		cfg.PerChannel = os.Getenv("RRAMC_SWEEP_PERCHANNEL") != ""
		if sc := os.Getenv("RRAMC_SWEEP_SCOPE"); sc != "" {
			cfg.PruneScope = sc
		}
		rows, err := Sweep(m, calib, x, labels, cfg, []int{8, 6, 4}, []float64{0, 0.5, 0.7, 0.9})
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s (per-channel %v, scope %s): top-1 %% int (float after pruning), sparsity\n", rm.name, cfg.PerChannel, cfg.PruneScope)
		for _, r := range rows {
			fmt.Fprintf(&sb, "  w%d prune %.1f: %.2f (%.2f) sparsity %.3f\n", r.WBits, r.Prune, 100*r.Top1, 100*r.FloatTop1, r.Sparsity)
		}
		t.Log(sb.String())
	}
}

// TestRealModelsQDQExport exports each quantized real model as QDQ ONNX,
// loads it back and requires (a) the re-imported integer network to predict
// exactly as the original on every test image and (b), when the importer's
// interpreter runs Quantize/DequantizeLinear, its float predictions to agree
// with the integer model on at least 99.9 % of the images.
func TestRealModelsQDQExport(t *testing.T) {
	forEachRealModel(t, func(t *testing.T, rm realModel, m *importer.Model, x, calib *importer.Tensor, labels []int, n, ncal int) {
		cfg := DefaultConfig()
		cfg.Calib = ncal
		cfg.PerChannel, cfg.Prune = true, 0.5
		net, err := Quantize(m, calib, cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, ipred, err := net.Top1(x, labels, nil)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), rm.name+".qdq.onnx")
		if err := net.WriteQDQ(path); err != nil {
			t.Fatal(err)
		}
		lm, err := onnx.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		back, err := QuantizeQDQ(lm, nil, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		_, bpred, err := back.Top1(x, labels, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqual(ipred, bpred) {
			t.Fatal("re-imported QDQ network predicts differently from the exported one")
		}
		if !interp.Supported("QuantizeLinear") || !interp.Supported("DequantizeLinear") {
			t.Log("importer has no QuantizeLinear/DequantizeLinear: float check of the QDQ file skipped")
			return
		}
		_, fpred, err := FloatTop1(lm.Graph, x, labels)
		if err != nil {
			t.Fatal(err)
		}
		agree := 0
		for i := range fpred {
			if fpred[i] == ipred[i] {
				agree++
			}
		}
		t.Logf("QDQ float vs int agreement %d/%d", agree, n)
		if float64(agree) < 0.999*float64(n) {
			t.Fatalf("QDQ float predictions agree with the integer model on %d/%d images (< 99.9 %%)", agree, n)
		}
	})
}

func slicesEqual(a, b []int) bool {
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
