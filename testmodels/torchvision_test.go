package testmodels_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// The torchvision tests check rramc against PyTorch on real architectures
// exported by torchvision_export.py (random weights, PyTorch's output on a
// fixed input as reference). The exports are hundreds of MB and not
// committed: without them the tests skip. Each model that uses an op rramc
// lacks is skipped with the missing ops named, so the summary table is the
// to-do list of architectures.

const (
	// torchvisionTol bounds max|rramc − PyTorch| / max|PyTorch| over the
	// output.
	torchvisionTol = 1e-4
	// minSQNR is the lowest acceptable signal-to-quantization-noise ratio
	// of the int8 golden model's output against the float output.
	minSQNR = 20.0
	// pipelineOpset is the export the quantize/map/simulate test uses.
	pipelineOpset = 13
	// mapWeightLimit bounds the weights of the networks mapped with every
	// scheme and simulated by default: the bit-level schemes on a 60M-weight
	// network take long on a small machine. RRAMC_TORCHVISION_MAP_ALL=1
	// maps every network.
	mapWeightLimit = 12_000_000
)

func torchvisionDir(t *testing.T) string {
	dir := os.Getenv("RRAMC_TORCHVISION_DIR")
	if dir == "" {
		dir = "torchvision"
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Skipf("no torchvision exports in %s (run /usr/bin/python3 testmodels/torchvision_export.py)", dir)
	}
	return dir
}

// tvModel is one exported architecture.
type tvModel struct {
	name    string
	dir     string
	opsets  []int
	errors  map[string]string // export failures by opset
	input   *importer.Tensor
	want    *importer.Tensor
	loadErr error
}

func loadTorchvisionIndex(t *testing.T) []*tvModel {
	dir := torchvisionDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Models map[string]struct {
			Opsets []int             `json:"opsets"`
			Errors map[string]string `json:"errors"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatalf("%s: %v", filepath.Join(dir, "index.json"), err)
	}
	var models []*tvModel
	for name, e := range index.Models {
		m := &tvModel{name: name, dir: filepath.Join(dir, name), opsets: e.Opsets, errors: e.Errors}
		if len(m.opsets) > 0 {
			if m.input, err = dataset.ReadNPY(filepath.Join(m.dir, "input.npy")); err == nil {
				m.want, err = dataset.ReadNPY(filepath.Join(m.dir, "output.npy"))
			}
			m.loadErr = err
		}
		models = append(models, m)
	}
	sort.Slice(models, func(i, j int) bool { return models[i].name < models[j].name })
	return models
}

func (m *tvModel) path(opset int) string {
	return filepath.Join(m.dir, fmt.Sprintf("opset%d.onnx", opset))
}

// loadRunnable loads and optimizes an export; blocked lists the op types
// the interpreter lacks (then the model cannot run).
func loadRunnable(path string) (model *importer.Model, blocked []string, err error) {
	loaded, err := onnx.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if model, err = passes.Optimize(loaded); err != nil {
		return nil, nil, err
	}
	for _, n := range importer.Summarize(model, interp.Supported).Unsupported {
		if !slices.Contains(blocked, n.Op) {
			blocked = append(blocked, n.Op)
		}
	}
	sort.Strings(blocked)
	return model, blocked, nil
}

// relErr is max|got − want| / max|want|; an all-zero reference proves
// nothing and is an error.
func relErr(got, want []float32) (float64, error) {
	var maxDiff, maxRef float64
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
	}
	if !(maxRef > 0) || math.IsInf(maxRef, 0) {
		return 0, fmt.Errorf("PyTorch's output has max |value| %v: not a usable reference (re-export with the current torchvision_export.py)", maxRef)
	}
	return maxDiff / maxRef, nil
}

// sqnrDB is 10·log10(Σ ref² / Σ (ref − x)²); NaN (failing every bound)
// for an all-zero reference.
func sqnrDB(ref, x []float32) float64 {
	var sig, noise float64
	for i := range ref {
		d := float64(ref[i]) - float64(x[i])
		sig += float64(ref[i]) * float64(ref[i])
		noise += d * d
	}
	if sig == 0 {
		return math.NaN()
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// tvTable collects one summary line per subtest, printed at the end.
type tvTable struct {
	mu   sync.Mutex
	rows []string
}

func (tb *tvTable) add(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.rows = append(tb.rows, fmt.Sprintf(format, args...))
}

func (tb *tvTable) String() string { return strings.Join(tb.rows, "\n") }

// TestTorchvisionFloat runs every export in float32 and compares it with
// PyTorch's output.
func TestTorchvisionFloat(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size networks; not with -short")
	}
	models := loadTorchvisionIndex(t)
	var table tvTable
	table.add("%-30s %5s  %s", "model", "opset", "float32 vs PyTorch")
	for _, m := range models {
		for opset, msg := range m.errors {
			table.add("%-30s %5s  export failed: %s", m.name, opset, msg)
		}
		for _, opset := range m.opsets {
			t.Run(fmt.Sprintf("%s/opset%d", m.name, opset), func(t *testing.T) {
				if m.loadErr != nil {
					t.Fatal(m.loadErr)
				}
				model, blocked, err := loadRunnable(m.path(opset))
				if err != nil {
					table.add("%-30s %5d  import error: %v", m.name, opset, err)
					t.Fatal(err)
				}
				if len(blocked) > 0 {
					table.add("%-30s %5d  blocked: %s", m.name, opset, strings.Join(blocked, ", "))
					t.Skipf("ops rramc lacks: %s", strings.Join(blocked, ", "))
				}
				got, err := runFloat(model, m.input)
				if err != nil {
					table.add("%-30s %5d  run error: %v", m.name, opset, err)
					t.Fatal(err)
				}
				if !slices.Equal(got.Shape, m.want.Shape) {
					table.add("%-30s %5d  FAIL shape %v, want %v", m.name, opset, got.Shape, m.want.Shape)
					t.Fatalf("output shape %v, want %v", got.Shape, m.want.Shape)
				}
				e, err := relErr(got.Float, m.want.Float)
				if err != nil {
					table.add("%-30s %5d  FAIL %v", m.name, opset, err)
					t.Fatal(err)
				}
				status := "ok"
				if !(e <= torchvisionTol) {
					status = "FAIL"
					t.Errorf("relative error %.3g > %g", e, torchvisionTol)
				}
				table.add("%-30s %5d  %s, relative error %.2g", m.name, opset, status, e)
			})
		}
	}
	t.Logf("torchvision float32 (tolerance %g relative, max over the output):\n%s", torchvisionTol, &table)
}

func runFloat(model *importer.Model, xs ...*importer.Tensor) (*importer.Tensor, error) {
	p, err := interp.NewModelProgram(model)
	if err != nil {
		return nil, err
	}
	feeds := map[string]*importer.Tensor{}
	for i, x := range xs {
		feeds[model.Graph.Inputs[i].Name] = x
	}
	outs, err := p.Run(feeds)
	if err != nil {
		return nil, err
	}
	out := outs[model.Graph.Outputs[0].Name]
	if out == nil {
		return nil, errors.New("no output")
	}
	return out, nil
}

// calibBatch is n seeded standard-normal images shaped like x (the
// reference input itself is not among them).
func calibBatch(x *importer.Tensor, n int) *importer.Tensor {
	shape := append([]int{n}, x.Shape[1:]...)
	per := x.Len() / x.Shape[0]
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, n*per)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	return importer.NewFloat(shape, data)
}

// TestTorchvisionPipeline quantizes every network that imports (8-bit
// weights per channel, 8-bit activations), checks the golden model against
// the float output (SQNR), maps it with every scheme and checks that the
// ideal simulation is bit-identical to the golden model.
func TestTorchvisionPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size networks; not with -short")
	}
	models := loadTorchvisionIndex(t)
	var table tvTable
	table.add("%-30s %9s  %s", "model", "SQNR", "schemes bit-identical to the golden model (ideal simulation)")
	for _, m := range models {
		if !slices.Contains(m.opsets, pipelineOpset) {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			if m.loadErr != nil {
				t.Fatal(m.loadErr)
			}
			model, blocked, err := loadRunnable(m.path(pipelineOpset))
			if err != nil {
				t.Fatal(err)
			}
			if len(blocked) > 0 {
				table.add("%-30s %9s  blocked at import: %s", m.name, "-", strings.Join(blocked, ", "))
				t.Skipf("ops rramc lacks: %s", strings.Join(blocked, ", "))
			}
			floatOut, err := runFloat(model, m.input)
			if err != nil {
				t.Fatal(err)
			}
			cfg := quant.DefaultConfig()
			cfg.WBits, cfg.ABits, cfg.PerChannel = 8, 8, true
			cfg.Calib = 4
			net, err := quant.Quantize(model, calibBatch(m.input, cfg.Calib), cfg)
			if err != nil {
				table.add("%-30s %9s  quantize refused: %s", m.name, "-", quantRootCauses(err))
				t.Skipf("quantize: %v", err)
			}
			golden, err := net.Run(m.input, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := sqnrDB(floatOut.Float, golden.Float)
			if !(s >= minSQNR) {
				t.Errorf("SQNR %.1f dB < %g dB", s, minSQNR)
			}
			weights := 0
			for _, l := range net.Linears {
				weights += l.Groups * l.K * l.N
			}
			if weights > mapWeightLimit && os.Getenv("RRAMC_TORCHVISION_MAP_ALL") == "" {
				table.add("%-30s %6.1f dB  not mapped: %d weights > %d (RRAMC_TORCHVISION_MAP_ALL=1 maps it)", m.name, s, weights, mapWeightLimit)
				return
			}
			identical := schemesBitIdentical(t, net, []*importer.Tensor{m.input})
			table.add("%-30s %6.1f dB  %s", m.name, s, strings.Join(identical, ", "))
		})
	}
	t.Logf("torchvision int8 pipeline (opset %d, 8-bit per-channel weights, SQNR >= %g dB):\n%s", pipelineOpset, minSQNR, &table)
}

// schemesBitIdentical maps net with every registered scheme onto the
// default hardware, simulates xs (a batch per input) on each mapping and
// returns the schemes whose codes equal the golden model's on every
// output; every other scheme is reported as a test error.
func schemesBitIdentical(t *testing.T, net *quant.Network, xs []*importer.Tensor) []string {
	t.Helper()
	want, _, err := net.RunCodesOutputs(xs, nil, 0)
	if err != nil {
		t.Errorf("golden model: %v", err)
		return nil
	}
	hw := hwsim.Defaults()
	var identical []string
	for _, scheme := range mapper.SchemeNames() {
		mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: scheme, MaxShare: 2})
		if err != nil {
			t.Errorf("map %s: %v", scheme, err)
			continue
		}
		sim, err := hwsim.Simulate(net, mp, hw, hwsim.Options{})
		if err != nil {
			t.Errorf("simulate %s: %v", scheme, err)
			continue
		}
		got, _, err := net.RunCodesOutputs(xs, sim.MatMul, 0)
		if err != nil {
			t.Errorf("simulate %s: %v", scheme, err)
			continue
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: simulated outputs differ from the golden model", scheme)
			continue
		}
		identical = append(identical, scheme)
	}
	return identical
}

// quantRefusal matches one refused node in quant's error: its op type and
// the reason, if given.
var quantRefusal = regexp.MustCompile(`node "[^"]*" \((\w+)\)(?:: ([^,]*))?`)

// quantRootCauses condenses quant's refusal (every node it cannot run) to
// the distinct op types refused for a reason of their own; nodes refused
// only because their input already is not an integer value follow from
// those.
func quantRootCauses(err error) string {
	var causes []string
	for _, m := range quantRefusal.FindAllStringSubmatch(err.Error(), -1) {
		if m[2] == "input is not an integer value" {
			continue
		}
		c := m[1]
		if m[2] != "" {
			c += " (" + m[2] + ")"
		}
		if !slices.Contains(causes, c) {
			causes = append(causes, c)
		}
	}
	if len(causes) == 0 {
		s, _, _ := strings.Cut(err.Error(), "\n")
		return s
	}
	return strings.Join(causes, "; ")
}
