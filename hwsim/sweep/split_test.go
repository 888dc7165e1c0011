package sweep

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/quant"
)

// TestSplitByImagesIsExact runs the real evaluator (MLP test model and a
// cost-only network) once whole and once split into image ranges of 30 over
// two shards: the merged outputs must equal the whole run's byte for byte,
// with lossless hardware and with a lossy ADC (saturations add up).
func TestSplitByImagesIsExact(t *testing.T) {
	dir := t.TempDir()
	models := []string{filepath.Join("..", "..", "testmodels", "mlp.onnx"), writeRGBNet(t, dir, 1)}
	for _, hw := range []string{"", `{"adc_bits": 3, "ou_rows": 16, "ou_cols": 16}`} {
		cfg := Config{Models: models, Prune: []float64{0, 0.5}, Schemes: []string{"dense", "colsim"}, MaxShare: []int{2},
			Limit: 100, Report: DefaultReportOptions(), Workers: 2}
		if hw != "" {
			d, err := parseHWWithDefaults(hw)
			if err != nil {
				t.Fatal(err)
			}
			cfg.HW = d
		}
		cfg.Quant = quant.DefaultConfig()
		cfg.Quant.Calib = 32
		whole := cfg
		whole.Dir = filepath.Join(t.TempDir(), "whole")
		res, err := Run(context.Background(), whole)
		if err != nil {
			t.Fatal(err)
		}
		if hw != "" && res.Points[0].Saturations == 0 {
			t.Fatalf("lossy hardware without saturations: the test would not check their sum")
		}
		want := readOutputs(t, whole.Dir)
		split := cfg
		split.Dir, split.ImagesPerTask = filepath.Join(t.TempDir(), "split"), 30
		for i := range 2 {
			split.Shard = Shard{Index: i, Count: 2}
			if _, err := Run(context.Background(), split); err != nil {
				t.Fatal(err)
			}
		}
		// 2 models × 2 ratios × 2 methods × 4 ranges (30, 30, 30, 10)
		if parts, _ := filepath.Glob(filepath.Join(split.Dir, partsDir, "*.json")); len(parts) != 2*2*2*4 {
			t.Errorf("%d part files, want 32", len(parts))
		}
		out := t.TempDir()
		if _, err := Merge([]string{split.Dir}, out, DefaultReportOptions()); err != nil {
			t.Fatal(err)
		}
		got := readOutputs(t, out)
		for _, f := range outputFiles {
			if !bytes.Equal(got[f], want[f]) {
				t.Errorf("hw %q: %s of the split run differs from the whole run", hw, f)
			}
		}
	}
	// ADC noise is drawn per vector of a run: splitting is refused.
	cfg := Config{Models: models[:1], Prune: []float64{0}, Schemes: []string{"dense"}, Limit: 100, ImagesPerTask: 30, Dir: t.TempDir()}
	d, err := parseHWWithDefaults(`{"adc_noise_sigma_lsb": 0.5}`)
	if err != nil {
		t.Fatal(err)
	}
	cfg.HW = d
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "adc_noise_sigma_lsb") {
		t.Errorf("split with ADC noise: err %v", err)
	}
	cfg.HW, cfg.Limit = nil, 0
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("split without a limit: err %v", err)
	}
}

// parseHWWithDefaults is the complete hardware description of a partial
// one, as the CLI passes it.
func parseHWWithDefaults(partial string) ([]byte, error) {
	h, err := hwsim.ParseHW([]byte(partial))
	if err != nil {
		return nil, err
	}
	return h.JSON()
}
