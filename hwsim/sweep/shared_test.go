package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/mapper"
)

// The shared evaluation (one mapping per scheme and geometry for all the
// hardware variants, no simulation of the images where the simulator
// provably computes the golden model) stores the same bytes as computing
// every point by itself: every point file, results.json and RESULTS.md,
// over an MNIST network, a cost-only network, every scheme, lossless
// variants of one geometry, a lossy one of another geometry and a
// cost-only variant.
func TestSharedEvaluationSameBytes(t *testing.T) {
	dir := t.TempDir()
	models := []string{filepath.Join(testmodelsDir, "lenet5.onnx"), writeRGBNet(t, dir, "N")}
	prune, limit := []float64{0, 0.7}, 40
	variants := []string{"default", "auto-adc", "pipelined", "mnsim", "isaac"}
	if testing.Short() {
		prune, limit = []float64{0.7}, 16
	}
	var hv []HWVariant
	for _, name := range variants {
		h, err := hwsim.ResolveVariant(name, hwsim.Defaults())
		if err != nil {
			t.Fatal(err)
		}
		js, err := h.JSON()
		if err != nil {
			t.Fatal(err)
		}
		hv = append(hv, HWVariant{Name: name, HW: js, CostOnly: name == "isaac"})
	}
	run := func(unshared bool) (string, int64) {
		cfg := Config{Models: models, Prune: prune, Schemes: mapper.SchemeNames(), MaxShare: []int{2, 0}, Limit: limit,
			Variants: hv, Dir: filepath.Join(dir, map[bool]string{false: "shared", true: "unshared"}[unshared]),
			Report: DefaultReportOptions(), Workers: 2}
		ev, err := NewEvaluator(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ev.Unshared = unshared
		cfg.Evaluate = ev.Evaluate
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		return cfg.Dir, ev.shortcuts.Load()
	}
	shared, shortcuts := run(false)
	unshared, none := run(true)
	jobs := len(models) * len(prune) * (len(mapper.SchemeNames()) + countSharing()) * len(variants)
	// every point of the three lossless variants takes the shortcut, none
	// of the lossy or cost-only ones
	if want := int64(jobs * 3 / 5); shortcuts != want || none != 0 {
		t.Errorf("shortcuts: %d shared (want %d), %d unshared (want 0)", shortcuts, want, none)
	}
	files, err := filepath.Glob(filepath.Join(unshared, pointsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != jobs {
		t.Fatalf("%d point files, want %d", len(files), jobs)
	}
	for _, f := range append(files, filepath.Join(unshared, "results.json"), filepath.Join(unshared, "RESULTS.md")) {
		rel, _ := filepath.Rel(unshared, f)
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(shared, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: shared and per-point evaluations differ", rel)
		}
	}
}

// countSharing is the number of extra points the sharing limits {2, 0}
// add: one per scheme that takes a limit.
func countSharing() int {
	n := 0
	for _, s := range mapper.SchemeNames() {
		if mapper.UsesMaxShare(s) {
			n++
		}
	}
	return n
}

// A cost-only hardware variant prices exactly what simulating the images
// would: its points equal the simulated points of the same hardware in
// every cost field, layer by layer, and measure no accuracy.
func TestCostOnlyVariantSameCost(t *testing.T) {
	dir := t.TempDir()
	h := hwsim.Defaults()
	h.SetADCBits(3) // 9-row OUs: sums up to 9 clip at 7
	js, err := h.JSON()
	if err != nil {
		t.Fatal(err)
	}
	run := func(costOnly bool) *Results {
		cfg := Config{Models: []string{filepath.Join(testmodelsDir, "lenet5.onnx")}, Prune: []float64{0.5},
			Schemes: []string{"dense", "sre", "colsim", "colsim-comp"}, MaxShare: []int{2}, Limit: 8,
			Variants: []HWVariant{{Name: "adc3", HW: js, CostOnly: costOnly}}, Dir: filepath.Join(dir, fmt.Sprint(costOnly)),
			Report: DefaultReportOptions(), Workers: 2}
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sim, cost := run(false), run(true)
	if len(sim.Points) != 4 || len(cost.Points) != 4 {
		t.Fatalf("%d and %d points", len(sim.Points), len(cost.Points))
	}
	var saturated int64
	for i := range sim.Points {
		s, c := sim.Points[i], cost.Points[i]
		saturated += s.Saturations
		if s.OUActivationBound <= 0 || s.OUActivationBound > s.OUActivations {
			t.Errorf("%s: OU activations %d, lower bound %d", s.Label(), s.OUActivations, s.OUActivationBound)
		}
		if !c.CostOnly || c.Images != 0 || c.AccSim != 0 || c.AccInt != 0 || c.BitExact != 0 || c.Saturations != 0 ||
			!strings.Contains(c.CostOnlyReason, "hardware variant adc3") {
			t.Errorf("%s: cost-only point %+v", c.Label(), c)
		}
		if s.CostOnly || s.Images != 8 {
			t.Errorf("%s: simulated point cost_only %v images %d", s.Label(), s.CostOnly, s.Images)
		}
		// everything else is the same
		c.Key, c.CostOnly, c.CostOnlyReason, c.Images, c.Saturations = s.Key, false, "", s.Images, s.Saturations
		c.AccFloat, c.AccInt, c.AccSim, c.Agreement, c.BitExact = s.AccFloat, s.AccInt, s.AccSim, s.Agreement, s.BitExact
		a, _ := json.Marshal(s)
		b, _ := json.Marshal(c)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: cost-only and simulated costs differ:\n%s\n%s", s.Label(), a, b)
		}
	}
	if saturated == 0 {
		t.Error("the 3-bit ADC never saturated: the comparison does not cover a lossy simulation")
	}
}
