package interp_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
)

// Accuracy against independent truth: the third-party models must reach the
// top-1 that onnxruntime gives (README of ../shared/models/third_party), and
// every testmodel the top-1 and logits PyTorch recorded in its manifest.

const thirdPartyDir = "../../shared/models/third_party"

// testmodelsDir is the repository's testmodels (../../testmodels), or $RRAMC_TESTMODELS when set.
func testmodelsDir() string {
	if d := os.Getenv("RRAMC_TESTMODELS"); d != "" {
		return d
	}
	return "../../testmodels"
}

// evalResult is what one pass over the test set gives.
type evalResult struct {
	correct int
	images  int
	first   [][]float32 // logits of the first 16 images
}

// evalMNIST runs prog over the first limit MNIST test images.
func evalMNIST(t testing.TB, prog *interp.Program, mean, std float32, limit int) evalResult {
	t.Helper()
	set, err := dataset.MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	in := prog.Inputs()
	if len(in) != 1 {
		t.Fatalf("model has %d inputs, want 1", len(in))
	}
	batch := 100
	if len(in[0].Shape) > 0 && in[0].Shape[0].Value > 0 {
		batch = int(in[0].Shape[0].Value) // fixed batch (CNTK's [1,1,28,28])
	}
	outName := prog.Graph().Outputs[0].Name
	res := evalResult{images: min(limit, set.N)}
	for start := 0; start < res.images; start += batch {
		n := min(batch, res.images-start)
		x, err := set.BatchFor(in[0], start, n, mean, std)
		if err != nil {
			t.Fatal(err)
		}
		out, err := prog.Run(map[string]*importer.Tensor{in[0].Name: x})
		if err != nil {
			t.Fatalf("images %d..%d: %v", start, start+n, err)
		}
		y := out[outName]
		if len(y.Shape) != 2 || y.Shape[0] != n {
			t.Fatalf("output %q has shape %v for a batch of %d", outName, y.Shape, n)
		}
		classes := y.Shape[1]
		for i := 0; i < n; i++ {
			row := y.Float[i*classes : (i+1)*classes]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			if best == int(set.Labels[start+i]) {
				res.correct++
			}
			if start+i < 16 {
				res.first = append(res.first, append([]float32(nil), row...))
			}
		}
	}
	return res
}

// loadVariants loads path and returns programs for the graph as loaded and
// after Optimize.
func loadVariants(t testing.TB, path string) map[string]*interp.Program {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := interp.NewModelProgram(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m2, err = passes.Optimize(m2); err != nil {
		t.Fatalf("Optimize: %v", err)
	}
	opt, err := interp.NewModelProgram(m2)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*interp.Program{"raw": raw, "optimized": opt}
}

func TestThirdPartyAccuracy(t *testing.T) {
	if _, err := os.Stat(thirdPartyDir); err != nil {
		t.Skipf("third-party models not present: %v", err)
	}
	cases := []struct {
		file      string
		mean, std float32
		correct   int // onnxruntime top-1 on the 10k test set (README)
	}{
		{"mnist-8_modelzoo_cntk.onnx", 0.1307, 0.3081, 9893},
		{"mnist-8_modelzoo_cntk.onnx", 0, 1, 9890},
		{"mnist_cnn_pytorch2.5_opset11.onnx", 0.5, 0.5, 9877},
		{"pytorch2.9_external_data/mnist.onnx", 0.5, 0.5, 9737},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/mean%g_std%g", tc.file, tc.mean, tc.std), func(t *testing.T) {
			limit := 10000
			if testing.Short() {
				limit = 1000
			}
			for variant, prog := range loadVariants(t, filepath.Join(thirdPartyDir, tc.file)) {
				r := evalMNIST(t, prog, tc.mean, tc.std, limit)
				t.Logf("%s: %d/%d correct", variant, r.correct, r.images)
				if limit == 10000 && abs(r.correct-tc.correct) > 1 {
					t.Errorf("%s: %d/10000 correct, onnxruntime gives %d", variant, r.correct, tc.correct)
				}
				// Short mode still checks against an independent bound:
				// ≥ 96% on the first 1000 images (all three models exceed
				// 97% on the full set).
				if limit < 10000 && r.correct < limit*96/100 {
					t.Errorf("%s: %d/%d correct", variant, r.correct, limit)
				}
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// manifest mirrors the parts of testmodels/manifest.json the tests read.
type manifest struct {
	Models map[string]struct {
		File          string `json:"file"`
		Preprocessing struct {
			Mean   float32 `json:"mean"`
			Std    float32 `json:"std"`
			Layout string  `json:"layout"`
		} `json:"preprocessing"`
		Top1Correct   int         `json:"top1_correct"`
		TestImages    int         `json:"test_images"`
		LogitsFirst16 [][]float64 `json:"logits_first16"`
		Ops           map[string]int
	} `json:"models"`
	BenchmarkModels map[string]struct {
		File                   string    `json:"file"`
		ReferenceLogitsFirst10 []float64 `json:"reference_logits_first10"`
		ReferenceArgmax        int       `json:"reference_argmax"`
	} `json:"benchmark_models"`
}

func readManifest(t testing.TB) *manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testmodelsDir(), "manifest.json"))
	if err != nil {
		t.Skipf("no testmodels manifest: %v", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return &m
}

func TestTestmodelsAccuracy(t *testing.T) {
	man := readManifest(t)
	if len(man.Models) == 0 {
		t.Skip("manifest lists no models")
	}
	for name, mm := range man.Models {
		t.Run(name, func(t *testing.T) {
			if mm.Preprocessing.Layout != "" && mm.Preprocessing.Layout != "NCHW" {
				t.Fatalf("layout %q", mm.Preprocessing.Layout)
			}
			limit := 10000
			if testing.Short() {
				limit = 16
			}
			for variant, prog := range loadVariants(t, filepath.Join(testmodelsDir(), mm.File)) {
				r := evalMNIST(t, prog, mm.Preprocessing.Mean, mm.Preprocessing.Std, limit)
				worst := 0.0
				for i, row := range mm.LogitsFirst16 {
					for j, want := range row {
						worst = math.Max(worst, math.Abs(float64(r.first[i][j])-want))
					}
				}
				t.Logf("%s: %d/%d correct (PyTorch %d/%d), first-16 logits max |diff| %.2e", variant, r.correct, r.images, mm.Top1Correct, mm.TestImages, worst)
				if worst > 1e-4 {
					t.Errorf("%s: logits of the first 16 images differ from PyTorch by %g (> 1e-4)", variant, worst)
				}
				if limit == 10000 && mm.TestImages == 10000 && abs(r.correct-mm.Top1Correct) > 1 {
					t.Errorf("%s: %d/10000 correct, PyTorch %d", variant, r.correct, mm.Top1Correct)
				}
			}
		})
	}
}

// resnet18Input rebuilds the manifest's reference input:
// x[i] = ((i mod 251)/250 - 0.5)*2 over the flat NCHW index of [1,3,224,224].
func resnet18Input() *importer.Tensor {
	x := importer.NewFloat([]int{1, 3, 224, 224}, nil)
	for i := range x.Float {
		x.Float[i] = (float32(i%251)/250 - 0.5) * 2
	}
	return x
}

func TestResNet18Reference(t *testing.T) {
	man := readManifest(t)
	bm, ok := man.BenchmarkModels["resnet18"]
	if !ok {
		t.Skip("no resnet18 in the manifest")
	}
	path := filepath.Join(testmodelsDir(), bm.File)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present (not committed; make it with testmodels/train.py --resnet18)", path)
	}
	for variant, prog := range loadVariants(t, path) {
		out, err := prog.Run(map[string]*importer.Tensor{prog.Inputs()[0].Name: resnet18Input()})
		if err != nil {
			t.Fatal(err)
		}
		y := out[prog.Graph().Outputs[0].Name]
		worst := 0.0
		for j, want := range bm.ReferenceLogitsFirst10 {
			worst = math.Max(worst, math.Abs(float64(y.Float[j])-want)/math.Max(1, math.Abs(want)))
		}
		best := 0
		for c, v := range y.Float {
			if v > y.Float[best] {
				best = c
			}
		}
		t.Logf("%s: argmax %d (PyTorch %d), first-10 logits max rel diff %.2e", variant, best, bm.ReferenceArgmax, worst)
		if worst > 1e-4 || best != bm.ReferenceArgmax {
			t.Errorf("%s: differs from PyTorch", variant)
		}
	}
}

// modelFiles lists the real models present: third-party and testmodels.
func modelFiles(t *testing.T) []struct {
	path      string
	mean, std float32
} {
	var out []struct {
		path      string
		mean, std float32
	}
	add := func(p string, mean, std float32) {
		if _, err := os.Stat(p); err == nil {
			out = append(out, struct {
				path      string
				mean, std float32
			}{p, mean, std})
		}
	}
	add(filepath.Join(thirdPartyDir, "mnist-8_modelzoo_cntk.onnx"), 0.1307, 0.3081)
	add(filepath.Join(thirdPartyDir, "mnist_cnn_pytorch2.5_opset11.onnx"), 0.5, 0.5)
	add(filepath.Join(thirdPartyDir, "pytorch2.9_external_data/mnist.onnx"), 0.5, 0.5)
	if data, err := os.ReadFile(filepath.Join(testmodelsDir(), "manifest.json")); err == nil {
		var m manifest
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for _, mm := range m.Models {
			add(filepath.Join(testmodelsDir(), mm.File), mm.Preprocessing.Mean, mm.Preprocessing.Std)
		}
	}
	if len(out) == 0 {
		t.Skip("no models present")
	}
	return out
}

// Optimize must not change outputs (1e-5), and the shapes it infers must be
// the shapes the interpreter produces for every intermediate value.
func TestOptimizeRealModels(t *testing.T) {
	set, err := dataset.MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range modelFiles(t) {
		t.Run(filepath.Base(mf.path), func(t *testing.T) {
			progs := loadVariants(t, mf.path)
			raw, opt := progs["raw"], progs["optimized"]
			in := raw.Inputs()[0]
			n := 8
			if in.Shape[0].Value > 0 {
				n = int(in.Shape[0].Value)
			}
			x, err := set.BatchFor(in, 100, n, mf.mean, mf.std)
			if err != nil {
				t.Fatal(err)
			}
			feed := map[string]*importer.Tensor{in.Name: x}
			want, err := raw.Run(feed)
			if err != nil {
				t.Fatal(err)
			}
			g := opt.Graph()
			checked := 0
			got, err := opt.RunObserved(feed, func(node *importer.Node, outs []*importer.Tensor) {
				for i, o := range outs {
					if o == nil {
						continue
					}
					vi, ok := g.ValueInfo[node.Outputs[i]]
					if !ok || vi.Shape == nil {
						t.Errorf("node %q output %q: no inferred shape", node.Name, node.Outputs[i])
						continue
					}
					if len(vi.Shape) != len(o.Shape) {
						t.Errorf("node %q: inferred %v, actual %v", node.Name, vi.Shape, o.Shape)
						continue
					}
					for d, dim := range vi.Shape {
						switch {
						case dim.Param != "" && o.Shape[d] != n:
							t.Errorf("node %q: symbolic dim %d (%s) is %d, batch is %d", node.Name, d, dim.Param, o.Shape[d], n)
						case dim.Param == "" && dim.Value > 0 && int(dim.Value) != o.Shape[d]:
							t.Errorf("node %q: inferred %v, actual %v", node.Name, vi.Shape, o.Shape)
						case dim.Param == "" && dim.Value <= 0:
							t.Errorf("node %q: dim %d not inferred (%v)", node.Name, d, vi.Shape)
						}
					}
					checked++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				gv := got[name]
				worst := 0.0
				for i := range w.Float {
					worst = math.Max(worst, math.Abs(float64(gv.Float[i]-w.Float[i]))/math.Max(1, math.Abs(float64(w.Float[i]))))
				}
				if worst > 1e-5 {
					t.Errorf("output %q changed by Optimize: max rel diff %g", name, worst)
				}
			}
			t.Logf("%d nodes loaded, %d after Optimize, %d shapes checked", len(raw.Graph().Nodes), len(g.Nodes), checked)
		})
	}
}

// TestTestmodelsFusedBits: on every testmodel, Run (with its fused
// Conv → Add → Relu and Conv → Relu chains) gives the same bits as
// RunVisited (node by node) on 40 MNIST images, a batch that takes the
// batch-lane convolutions, and on one image.
func TestTestmodelsFusedBits(t *testing.T) {
	man := readManifest(t)
	set, err := dataset.MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	for name, mm := range man.Models {
		t.Run(name, func(t *testing.T) {
			for variant, prog := range loadVariants(t, filepath.Join(testmodelsDir(), mm.File)) {
				in := prog.Inputs()[0]
				if len(in.Shape) > 0 && in.Shape[0].Value > 0 {
					continue // fixed batch
				}
				for _, n := range []int{40, 1} {
					x, err := set.BatchFor(in, 0, n, mm.Preprocessing.Mean, mm.Preprocessing.Std)
					if err != nil {
						t.Fatal(err)
					}
					feed := map[string]*importer.Tensor{in.Name: x}
					fused, err := prog.Run(feed)
					if err != nil {
						t.Fatal(err)
					}
					plain, err := prog.RunVisited(feed, func(*importer.Node, []*importer.Tensor) {})
					if err != nil {
						t.Fatal(err)
					}
					for out, want := range plain {
						got := fused[out].Float
						for i, v := range want.Float {
							if math.Float32bits(got[i]) != math.Float32bits(v) {
								t.Fatalf("%s, batch %d: %s[%d] fused %v, node by node %v", variant, n, out, i, got[i], v)
							}
						}
					}
				}
			}
		})
	}
}
