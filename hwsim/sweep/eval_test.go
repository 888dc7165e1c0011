package sweep

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/quant"
)

// thirdParty returns the path of a third-party model, skipping when absent.
func thirdParty(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "models", "third_party", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("third-party model %s absent", name)
	}
	return p
}

// TestEvaluatorRealPipeline runs the real evaluator on a real model with
// lossless default hardware: the simulator must agree with the golden model
// on every image, and the schemes must only change the cost.
func TestEvaluatorRealPipeline(t *testing.T) {
	model := thirdParty(t, "mnist-8_modelzoo_cntk.onnx")
	limit := 200
	if testing.Short() {
		limit = 50
	}
	cfg := Config{Models: []string{model}, Names: []string{"mnist8"}, Prune: []float64{0, 0.7},
		Schemes: []string{"dense", "zerocol", "sre", "colsim"}, MaxShare: []int{2, 0}, Limit: limit,
		Dir: t.TempDir(), Report: DefaultReportOptions()}
	if d := os.Getenv("SWEEP_KEEP_DIR"); d != "" {
		cfg.Dir = d
	}
	cfg.Quant.WBits, cfg.Quant.ABits, cfg.Quant.Calib = 8, 8, 64
	var n int
	cfg.Progress = func(p Progress) { n = p.Done }
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 || len(r.Points) != 10 {
		t.Fatalf("%d points, progress %d", len(r.Points), n)
	}
	for _, p := range r.Points {
		t.Logf("%s prune %.1f %-9s acc f/i/s %.3f/%.3f/%.3f agree %.3f sparsity %.3f bits %.3f cycles %d energy %.4g pJ index %d bits",
			p.ModelName, p.Prune, p.Label(), p.AccFloat, p.AccInt, p.AccSim, p.Agreement, p.Sparsity, p.BitSparsity, p.Cycles, p.EnergyPJ, p.IndexBits)
		if p.Images != limit {
			t.Errorf("%s: %d images", p.Label(), p.Images)
		}
		if p.Agreement != 1 || p.AccSim != p.AccInt {
			t.Errorf("%s prune %g: lossless simulation disagrees with the golden model (agreement %g)", p.Label(), p.Prune, p.Agreement)
		}
		if p.Cycles <= 0 || p.EnergyPJ <= 0 || len(p.Layers) == 0 {
			t.Errorf("%s: empty cost", p.Label())
		}
		if p.AccFloat < 0.9 {
			t.Errorf("float accuracy %g", p.AccFloat)
		}
	}
	for _, pr := range []float64{0, 0.7} {
		d := r.Find("mnist8", pr, "dense", 0)
		c := r.Find("mnist8", pr, "colsim", 0)
		if d == nil || c == nil {
			t.Fatal("missing points")
		}
		if c.Cycles > d.Cycles {
			t.Errorf("prune %g: colsim %d cycles > dense %d", pr, c.Cycles, d.Cycles)
		}
		if d.IndexBits != 0 {
			t.Errorf("dense index bits %d", d.IndexBits)
		}
	}
	// Pruning raises weight sparsity.
	if a, b := r.Find("mnist8", 0, "dense", 0), r.Find("mnist8", 0.7, "dense", 0); b.Sparsity <= a.Sparsity+0.3 {
		t.Errorf("sparsity %g at 0.7 vs %g at 0", b.Sparsity, a.Sparsity)
	}
}

// BenchmarkRun compares points in parallel (workers=2, one goroutine inside
// each) with one point at a time using both cores inside.
func BenchmarkRun(b *testing.B) {
	model := thirdParty(b, "mnist-8_modelzoo_cntk.onnx")
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "inner-parallel", 2: "points-parallel"}[w], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cfg := Config{Models: []string{model}, Prune: []float64{0, 0.5}, Schemes: []string{"dense", "zerocol", "sre", "colsim"},
					MaxShare: []int{2, 0}, Limit: 2000, Dir: b.TempDir(), Workers: w, Report: DefaultReportOptions()}
				cfg.Quant = quantDefault()
				if _, err := Run(context.Background(), cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func quantDefault() quant.Config { return quant.DefaultConfig() }

// TestEvaluatorLossyHardware runs 16×16 OUs with a 2-bit ADC: conversions
// saturate, the simulator counts them, and the hardware is part of the key.
func TestEvaluatorLossyHardware(t *testing.T) {
	model := thirdParty(t, "mnist-8_modelzoo_cntk.onnx")
	hw := hwsim.Defaults()
	hw.OURows, hw.OUCols, hw.ADCBits = 16, 16, 2
	data, err := hw.JSON()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Models: []string{model}, Prune: []float64{0.5}, Schemes: []string{"dense", "colsim"},
		MaxShare: []int{0}, Limit: 50, HW: data, HWFile: "lossy.json", Dir: t.TempDir(), Report: DefaultReportOptions()}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Points {
		t.Logf("%s: acc int %.3f sim %.3f agreement %.3f saturations %d", p.Label(), p.AccInt, p.AccSim, p.Agreement, p.Saturations)
		if p.OURows != 16 || p.ADCBits != 2 {
			t.Errorf("%s: OU %d rows ADC %d bits", p.Label(), p.OURows, p.ADCBits)
		}
		if p.Saturations == 0 {
			t.Errorf("%s: a 2-bit ADC on 16-row OUs never saturated", p.Label())
		}
		if p.Agreement >= 1 {
			t.Errorf("%s: clipping every sum above 3 changed no prediction", p.Label())
		}
	}
	if r.Info.HWFile != "lossy.json" || !strings.Contains(string(r.Info.HW), `"adc_bits":2`) {
		t.Errorf("hardware not recorded: %s %s", r.Info.HWFile, r.Info.HW)
	}
}

func TestEvaluatorRejectsBadConfig(t *testing.T) {
	model := thirdParty(t, "mnist-8_modelzoo_cntk.onnx")
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"scheme", func(c *Config) { c.Schemes = []string{"nosuch"} }, "nosuch"},
		{"hw field", func(c *Config) { c.HW = []byte(`{"ou_rowz": 9}`) }, "ou_rowz"},
		{"quant", func(c *Config) { c.Quant = quant.DefaultConfig(); c.Quant.WBits = 1 }, "wbits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Models: []string{model}, Prune: []float64{0}, Schemes: []string{"dense"}, Limit: 10, Dir: t.TempDir()}
			tc.mod(&cfg)
			_, err := Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}
