package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim/sweep"
)

// TestSweep runs a small grid end to end, checks the summary against the
// stored points (the gains are recomputed here from cycles and energy),
// that every output file exists, and that a second run is served from the
// stored points without recomputing them.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	md := filepath.Join(dir, "RESULTS.md")
	args := []string{"sweep", modelPath(t, "mlp"), "--prune", "0,0.5", "--schemes", "dense,sre,colsim",
		"--max-share", "2,0", "--limit", "100", "-o", out, "--results-md", md, "--json"}
	obj := runJSON(t, args...)
	for _, f := range []string{"results.json", "results.csv", "gains.csv", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	res, err := sweep.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	// 2 ratios × (dense, sre, colsim/2, colsim/∞)
	if len(res.Points) != 8 {
		t.Fatalf("%d points, want 8", len(res.Points))
	}
	for _, p := range res.Points {
		if p.Images != 100 || p.Agreement != 1 || p.BitExact != 1 || p.AccSim != p.AccInt {
			t.Errorf("%s prune %g: images %d agreement %g bit-exact %g sim %g int %g", p.Label(), p.Prune, p.Images, p.Agreement, p.BitExact, p.AccSim, p.AccInt)
		}
	}
	// colsim/∞ vs sre, recomputed from the points.
	var perf, energy float64
	for _, pr := range []float64{0, 0.5} {
		m, b := res.Find("mlp", pr, "colsim", 0), res.Find("mlp", pr, "sre", 0)
		if m == nil || b == nil {
			t.Fatalf("prune %g: missing points", pr)
		}
		perf += (float64(b.Cycles)/float64(m.Cycles) - 1) / 2
		energy += (b.EnergyPJ / m.EnergyPJ) / 2
	}
	found := false
	for _, s := range objects(t, obj, "summaries") {
		if s["method"] == "colsim/∞" && s["baseline"] == "sre" {
			found = true
			if got := num(t, s, "mean_performance_improvement"); math.Abs(got-perf) > 1e-9 {
				t.Errorf("mean performance improvement %g, recomputed %g", got, perf)
			}
			if got := num(t, s, "mean_energy_saving"); math.Abs(got-energy) > 1e-9 {
				t.Errorf("mean energy saving %g, recomputed %g", got, energy)
			}
		}
	}
	if !found {
		t.Errorf("no colsim/∞ vs sre summary in %v", obj)
	}
	text, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(text), "rramc sweep") || !strings.Contains(string(text), "colsim/∞ vs sre") {
		t.Errorf("RESULTS.md: %v\n%.500s", err, text)
	}

	// Resume: a second run must load the stored points, not recompute them
	// (recomputing rewrites the file, which changes its modification time).
	points, _ := filepath.Glob(filepath.Join(out, "points", "*.json"))
	if len(points) != 8 {
		t.Fatalf("%d stored points, want 8", len(points))
	}
	before := map[string]int64{}
	for _, p := range points {
		st, _ := os.Stat(p)
		before[p] = st.ModTime().UnixNano()
	}
	obj2 := runJSON(t, args...)
	if len(objects(t, obj2, "summaries")) != len(objects(t, obj, "summaries")) {
		t.Errorf("second run differs")
	}
	for _, p := range points {
		st, _ := os.Stat(p)
		if st.ModTime().UnixNano() != before[p] {
			t.Errorf("%s was recomputed on the second run", filepath.Base(p))
		}
	}
}

func TestSweepBadInput(t *testing.T) {
	dir := t.TempDir()
	mlp := modelPath(t, "mlp")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{mlp, "--prune", "1.5"}, "1.5"},
		{[]string{mlp, "--prune", "x"}, "prune"},
		{[]string{mlp, "--schemes", "bogus"}, "bogus"},
		{[]string{mlp, "--max-share", "-1"}, "max-share"},
		{[]string{mlp, "--wbits", "9"}, "wbits"},
		{[]string{mlp, "--ou", "9by8"}, "ou"},
		{[]string{filepath.Join(dir, "missing.onnx")}, "missing.onnx"},
	} {
		args := append([]string{"sweep", "-o", filepath.Join(dir, "out"), "--limit", "10"}, c.args...)
		code, _, stderr := run(t, args...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %q", c.args, code, stderr, exitBadInput, c.want)
		}
	}
}

// A lossy ADC must show up as outputs that are not bit-identical: the
// bit-exact share is measured, not assumed.
func TestSweepLossyNotBitExact(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	runJSON(t, "sweep", modelPath(t, "lenet5"), "--prune", "0", "--schemes", "dense", "--ou", "16x16", "--adc-bits", "2",
		"--limit", "50", "-o", out, "--json")
	res, err := sweep.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 1 || res.Points[0].BitExact >= 1 || res.Points[0].Saturations == 0 {
		t.Fatalf("lossy point: %+v", res.Points)
	}
}
