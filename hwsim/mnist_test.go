package hwsim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// testmodelsDir holds the committed test models; RRAMC_TESTMODELS
// overrides it (e.g. a fresh train.py output directory).
var testmodelsDir = func() string {
	if d := os.Getenv("RRAMC_TESTMODELS"); d != "" {
		return d
	}
	return "../testmodels"
}()

// testModels lists the committed test models (manifest.json).
func testModels(t testing.TB) []string {
	b, err := os.ReadFile(filepath.Join(testmodelsDir, "manifest.json"))
	if err != nil {
		t.Skipf("no test models: %v", err)
	}
	var man struct {
		Models map[string]struct {
			File string `json:"file"`
		} `json:"models"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, m := range man.Models {
		p := filepath.Join(testmodelsDir, m.File)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Skip("no test model files")
	}
	return files
}

// lenet5Path returns the path of the committed lenet5 model, skipping the test
// when it is not present.
func lenet5Path(t *testing.T) string {
	path := filepath.Join(testmodelsDir, "lenet5.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skip("lenet5.onnx not present")
	}
	return path
}

// quantizedModel loads and quantizes a test model (8-bit, defaults, with
// the given pruning) and returns it with a source over the MNIST test set.
func quantizedModel(t testing.TB, path string, prune float64) (*quant.Network, dataset.Source) {
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	calibSet, err := dataset.MNISTCalib()
	if err != nil {
		t.Fatal(err)
	}
	in := m.Graph.Inputs[0]
	cfg := quant.DefaultConfig()
	cfg.Prune = prune
	cfg.Calib = min(cfg.Calib, calibSet.N)
	calib, err := calibSet.BatchFor(in, 0, cfg.Calib, 0.1307, 0.3081)
	if err != nil {
		t.Fatal(err)
	}
	net, err := quant.Quantize(m, calib, cfg)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dataset.Open(dataset.Spec{Data: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	return net, src
}

// Ideal lossless settings: for every test model and every mapper scheme the
// simulated output codes equal the golden model's on the full 10k MNIST test
// set (the fast path), and on the first images also on the pure bit-serial
// path.
func TestMNISTBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("full MNIST check skipped in -short mode")
	}
	for _, path := range testModels(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			checkMNISTBitIdentical(t, path, Defaults(), 100, false)
		})
	}
}

// checkMNISTBitIdentical quantizes the model at path (50 % pruned) and maps
// it with every scheme of the mapper for hw: the simulated output codes
// equal the golden model's on the full MNIST test set (the fast path), and
// on the first serial images also on the pure bit-serial path. With logf
// it logs the mapping totals.
func checkMNISTBitIdentical(t *testing.T, path string, hw HW, serial int, logf bool) {
	t.Helper()
	net, src := quantizedModel(t, path, 0.5)
	n := src.Len()
	x, err := src.Batch(NetInputs(net)[0], 0, n)
	if err != nil {
		t.Fatal(err)
	}
	gold, _, err := net.RunCodes(x, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	xs, err := src.Batch(NetInputs(net)[0], 0, serial)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range mapperSchemes {
		mp, err := mapper.Map(net, geoOf2(hw), o)
		if err != nil {
			t.Fatal(err)
		}
		_, tot, err := mp.Stats()
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{ModeAuto, ModeBitSerial} {
			s, err := Simulate(net, mp, hw, Options{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			in, want := x, gold
			if mode == ModeBitSerial {
				in, want = xs, gold[:len(gold)/n*serial]
			}
			got, _, err := net.RunCodes(in, s.MatMul, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				bad := 0
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						bad++
					}
				}
				t.Fatalf("%s/%d %s: %d of %d output codes differ from the golden model (%d outputs)", o.Scheme, o.MaxShare, mode, bad, len(want), len(got))
			}
			if logf && mode == ModeAuto {
				t.Logf("%s/%d: %d images bit-identical; %d cells, %d OU activations per input bit", o.Scheme, o.MaxShare, n, tot.Cells, tot.OUActivations)
			}
		}
	}
}

// Lossy configurations on 16×16 OUs: a 3-bit saturating ADC and a 4-bit
// truncating one lose information, Evaluate counts the lossy conversions
// and the results differ from the golden model; a 5-bit ADC is lossless
// and agrees exactly. The 4-bit saturating ADC is reported (whether it
// clips depends on the model: a sum of 16 needs 16 active rows on 16 '1'
// cells).
func TestEvaluateLossyLeNet(t *testing.T) {
	path := lenet5Path(t)
	limit := 1000
	if testing.Short() {
		limit = 100
	}
	net, src := quantizedModel(t, path, 0)
	for _, c := range []struct {
		bits  int
		mode  string
		lossy int // 1 = must lose, 0 = must be exact, -1 = report only
	}{{3, ADCSaturate, 1}, {4, ADCTruncate, 1}, {4, ADCSaturate, -1}, {5, ADCSaturate, 0}} {
		hw := Defaults()
		hw.OURows, hw.OUCols, hw.ADCBits, hw.ADCMode = 16, 16, c.bits, c.mode
		r := evaluateMapped(t, net, src, hw, mapper.Options{Scheme: "colsim"}, limit)
		t.Logf("16x16 OU, %d-bit %s ADC: int %.4f sim %.4f bit-exact %.4f top-1 agreement %.4f clipped %d truncated %d of %d conversions",
			c.bits, c.mode, r.AccuracyInt, r.AccuracySim, r.BitExact, r.Top1Agreement, r.ADCClipped, r.ADCTruncated, r.ADCConversions)
		if r.Images != limit {
			t.Fatalf("%d images evaluated, want %d", r.Images, limit)
		}
		if r.ADCSaturations != r.ADCClipped+r.ADCTruncated {
			t.Fatal("adc_saturations is not clipped + truncated")
		}
		switch c.lossy {
		case 1:
			if r.ADCSaturations == 0 || r.BitExact == 1 {
				t.Fatalf("%d-bit %s: %d lossy conversions, agreement %v", c.bits, c.mode, r.ADCSaturations, r.BitExact)
			}
		case 0:
			if r.ADCSaturations != 0 || r.BitExact != 1 || r.AccuracySim != r.AccuracyInt {
				t.Fatalf("lossless ADC: %d lossy conversions, agreement %v, accuracy %v vs %v", r.ADCSaturations, r.BitExact, r.AccuracySim, r.AccuracyInt)
			}
		}
		if r.Cycles <= 0 || r.EnergyPJ.Total <= 0 || r.AreaUM2.Total <= 0 || len(r.Layers) != len(net.Linears) {
			t.Fatalf("empty cost in the report: %+v", r)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"accuracy_sim", "accuracy_int", "bit_exact", "top1_agreement", "cycles", "energy_pj", "area_um2", "layers", "adc_saturations"} {
			if _, ok := m[k]; !ok {
				t.Errorf("report JSON lacks %q", k)
			}
		}
	}
}

// evaluateMapped maps net with o for hw and evaluates the first limit
// images of src (batches of 250).
func evaluateMapped(t *testing.T, net *quant.Network, src dataset.Source, hw HW, o mapper.Options, limit int) *Report {
	t.Helper()
	s, err := Simulate(net, mapOrFail(t, net, geoOf2(hw), o), hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(context.Background(), s, OneInput(src, NetInputs(net)[0]), EvalOptions{RunOptions: RunOptions{Limit: limit, BatchSize: 250}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Per-inference costs from a run equal the analytic costs from the mapping
// with the run's vectors per image.
func TestEvaluateCostsMatchAnalytic(t *testing.T) {
	path := lenet5Path(t)
	net, src := quantizedModel(t, path, 0.5)
	hw := Defaults()
	for _, o := range mapperSchemes {
		mp, err := mapper.Map(net, geoOf(hw), o)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Simulate(net, mp, hw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		in := NetInputs(net)[0]
		r, err := Evaluate(context.Background(), s, OneInput(src, in), EvalOptions{RunOptions: RunOptions{Limit: 20, BatchSize: 7}})
		if err != nil {
			t.Fatal(err)
		}
		// Precomputed golden outputs give the same report.
		gold, err := Run(context.Background(), OneInput(src, in), RunOptions{Limit: 20, BatchSize: 20}, GoldenStage(net, 0))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Evaluate(context.Background(), s, OneInput(src, in), EvalOptions{RunOptions: RunOptions{Limit: 20, BatchSize: 6}, Golden: gold[0]})
		if err != nil {
			t.Fatal(err)
		}
		if r2.BitExact != r.BitExact || r2.AccuracyInt != r.AccuracyInt || r2.Cycles != r.Cycles || r2.EnergyPJ != r.EnergyPJ {
			t.Fatalf("%s: report with precomputed golden codes differs", o.Scheme)
		}
		vec := make([]int64, len(r.Layers))
		for i, l := range r.Layers {
			vec[i] = l.Vectors / int64(l.Groups)
		}
		want, err := AnalyticCounts(mp, hw, vec)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range r.Layers {
			c := l.Counts
			c.ADCClipped, c.ADCTruncated = 0, 0
			if c != want[i] {
				t.Fatalf("%s layer %d: report %+v, analytic %+v", o.Scheme, i, c, want[i])
			}
		}
	}
}
