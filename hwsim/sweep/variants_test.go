package sweep

import (
	"encoding/json"
	"strings"
	"testing"
)

// A hardware axis multiplies the grid; every job carries its variant's
// name and description, and variants describing the same hardware (same
// points) or named twice are refused.
func TestJobsVariants(t *testing.T) {
	f := &fakeEval{}
	cfg := testConfig(t, f, 1)
	cfg.Variants = []HWVariant{{Name: "base", HW: json.RawMessage(`{"ou_rows": 9}`)}, {Name: "pipe", HW: json.RawMessage(`{"ou_rows": 9, "cycle_model": "pipelined"}`)}}
	jobs, _, err := cfg.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2*2*3*5 {
		t.Fatalf("%d jobs, want 60", len(jobs))
	}
	keys := map[string]bool{}
	perVariant := map[string]int{}
	for _, j := range jobs {
		if keys[j.Key()] {
			t.Errorf("duplicate key for %+v", j)
		}
		keys[j.Key()] = true
		perVariant[j.HWVariant]++
		if want := map[string]string{"base": `{"ou_rows":9}`, "pipe": `{"ou_rows":9,"cycle_model":"pipelined"}`}[j.HWVariant]; string(j.HW) != want {
			t.Errorf("variant %q: hw %s, want %s", j.HWVariant, j.HW, want)
		}
	}
	if perVariant["base"] != 30 || perVariant["pipe"] != 30 {
		t.Errorf("jobs per variant %v, want 30 each", perVariant)
	}
	if g := cfg.grid(jobs, nil); len(g.Config.HWVariants) != 2 || g.Config.HWVariants[1].Name != "pipe" {
		t.Errorf("grid variants %+v", g.Config.HWVariants)
	}
	for _, tc := range []struct {
		name     string
		variants []HWVariant
		want     string
	}{
		{"same hardware", []HWVariant{{Name: "a", HW: json.RawMessage(`{"ou_rows": 9}`)}, {Name: "b", HW: json.RawMessage(`{"ou_rows":9}`)}}, "describe the same hardware"},
		{"twice", []HWVariant{{Name: "a", HW: json.RawMessage(`{"ou_rows": 9}`)}, {Name: "a", HW: json.RawMessage(`{"ou_rows": 8}`)}}, "given twice"},
		{"empty name", []HWVariant{{Name: "", HW: json.RawMessage(`{}`)}}, "bad name"},
		{"bad json", []HWVariant{{Name: "a", HW: json.RawMessage(`{`)}}, "hardware variant a"},
	} {
		c := testConfig(t, f, 1)
		c.Variants = tc.variants
		if _, _, err := c.Jobs(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

// variantResults holds two hardware variants of one network by hand:
//
//	base: prune 0.5: sre 600 cycles 350 pJ, colsim/2 400/250, colsim/∞ 300/200
//	      prune 0.9: sre 500/300, colsim/2 200/100, colsim/∞ 250/150
//	auto: the same cycles; energies sre 700 and 600, colsim/2 500 and 400,
//	      colsim/∞ 350 and 300; buffer 70 % and adc 30 % of every energy;
//	      latency cycles + 100 ns, period cycles ns (base: latency cycles
//	      ns, no period)
//
// base, vs sre: colsim/2 perf 600/400−1 = 50 %, 500/200−1 = 150 % (mean
// 100 %), energy 350/250 = 1.4x, 300/100 = 3x (mean 2.2x); colsim/∞ perf
// 100 % and 100 %, energy 1.75x and 2x (mean 1.875x): the best is colsim/2.
// auto: colsim/2 energy 700/500 = 1.4x, 600/400 = 1.5x (mean 1.45x);
// colsim/∞ 2x and 2x: the best is colsim/∞. Latency: base as cycles
// (mean 100 %); auto colsim/2 700/500−1 = 40 %, 600/300−1 = 100 % (mean
// 70 %), colsim/∞ 700/400−1 = 75 %, 600/350−1 = 71.43 % (mean 73.21 %);
// throughput (period) auto colsim/2 as cycles (100 %), colsim/∞ 100 %.
// Under the whole-chip auto, colsim/2 keeps (1.45−1)/(2.2−1) = 37.5 % of
// its saving beyond 1x.
func variantResults() *Results {
	hw := json.RawMessage(`{"xbar_rows":128,"xbar_cols":128,"ou_rows":9,"ou_cols":8,"cell_bits":1,"adc_bits":8,"cycle_model":"iso-crossbar"}`)
	hwAuto := json.RawMessage(`{"xbar_rows":128,"xbar_cols":128,"ou_rows":9,"ou_cols":8,"cell_bits":1,"adc_bits":4,"cycle_model":"iso-crossbar","chip":{"xbars_per_pe":8}}`)
	r := &Results{SchemaVersion: SchemaVersion, Info: RunInfo{Models: []ModelInfo{{Name: "net", Path: "net.onnx"}},
		Schemes: []string{"sre", "colsim"}, HW: hw, HWVariants: []HWVariant{{Name: "base", HW: hw}, {Name: "auto", HW: hwAuto}}}}
	add := func(v string, prune float64, scheme string, share int, cycles int64, energy float64) {
		p := pt("net", prune, scheme, share, cycles, energy)
		p.HWVariant = v
		p.LatencyNS = float64(cycles)
		if v == "auto" {
			p.Energy = Energy{"buffer": 0.7 * energy, "adc": 0.3 * energy}
			p.LatencyNS, p.PeriodNS = float64(cycles)+100, float64(cycles)
		}
		r.Points = append(r.Points, p)
	}
	for _, v := range []struct {
		name string
		e    [6]float64
	}{{"base", [6]float64{350, 250, 200, 300, 100, 150}}, {"auto", [6]float64{700, 500, 350, 600, 400, 300}}} {
		add(v.name, 0.5, "sre", 0, 600, v.e[0])
		add(v.name, 0.5, "colsim", 2, 400, v.e[1])
		add(v.name, 0.5, "colsim", 0, 300, v.e[2])
		add(v.name, 0.9, "sre", 0, 500, v.e[3])
		add(v.name, 0.9, "colsim", 2, 200, v.e[4])
		add(v.name, 0.9, "colsim", 0, 250, v.e[5])
	}
	return r
}

func TestGainsStayWithinVariant(t *testing.T) {
	gs := variantResults().Gains()
	if len(gs) != 8 { // 2 variants × 2 ratios × 2 methods, against sre only
		t.Fatalf("%d gains, want 8", len(gs))
	}
	for _, g := range gs {
		if g.HWVariant == "auto" && g.Prune == 0.5 && g.Scheme == "colsim" && g.MaxShare == 2 && (g.BaselineEnergyPJ != 700 || g.EnergyPJ != 500) {
			t.Errorf("auto colsim/2 at 0.5 compared with energies %v and %v, want 700 and 500", g.BaselineEnergyPJ, g.EnergyPJ)
		}
	}
}

func TestVariantTableMarkdown(t *testing.T) {
	md, err := WriteResultsMarkdown(variantResults())
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{
		"## The paper's comparison under each hardware variant",
		"| `base` | 128×128 crossbar, 9×8 OU, 1-bit cells, 8-bit ADC, iso-crossbar, crossbar periphery only | colsim/2 | 100.00 % | 50.00 %–150.00 % | 100.00 % | – | 2.20x | 1.40x–3.00x |\n| `auto` |",
		"| `auto` | 128×128 crossbar, 9×8 OU, 1-bit cells, 4-bit ADC, iso-crossbar, whole chip | colsim/2 | 100.00 % | 50.00 %–150.00 % | 70.00 % | 100.00 % | 1.45x | 1.40x–1.50x |",
		"|  |  | colsim/∞ (best) | 100.00 % | 100.00 %–100.00 % | 73.21 % | 100.00 % | 2.00x | 2.00x–2.00x |",
		"- `auto`: colsim/2 saves 1.45x against sre, 2.20x under `base`: 37 % of the saving beyond 1x survives.",
		"- `base`: sre: adc 50 %, then crossbar 50 %; colsim/2: adc 50 %, then crossbar 50 %.",
		"- `auto`: sre: buffer 70 %, then adc 30 %; colsim/2: buffer 70 %, then adc 30 %.",
		// The headline shows the first variant only: 2 comparisons.
		"| rramc | colsim/2 vs sre | 2 | 100.00 % | 50.00 %–150.00 % | 2.20x | 1.40x–3.00x |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
	one, err := WriteResultsMarkdown(handResults())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(one), "under each hardware variant") {
		t.Error("a sweep of one hardware has a variant table")
	}
}

// handResults against the paper's claim (mean +61.24 %, 1.51x at least),
// by hand for colsim/2:
//
//	vs dense:   0.5: 1000/400−1 = 150 %, 500/250 = 2x; 0.9: 1000/200−1 = 400 %, 5x
//	vs zerocol: 0.5: 800/400−1 = 100 %, 400/250 = 1.6x
//	vs sre:     0.5: 600/400−1 = 50 % (< 0.9·61.24 %), 1.4x (< 1.51x);
//	            0.9: 500/200−1 = 150 %, 3x; mean 100 %, range 1.4x–3x
//
// OU activations (= cycles here) cut vs sre: 1−400/600 = 33.3 %, 1−200/500
// = 60.0 %. Energy vs sre over both ratios: (350+300)/(250+100) = 1.86x,
// each component (adc, crossbar: half of every energy) saved alike.
func TestClaimsMarkdown(t *testing.T) {
	r := handResults()
	for i := range r.Points {
		r.Points[i].OUActivations = r.Points[i].Cycles
	}
	md, err := WriteResultsMarkdown(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{
		"colsim/2 against dense: mean performance improvement 275.00 % (paper 61.24 %): the performance claim holds on average; energy saving 2.00x–5.00x over ratios (paper 1.51x–2.52x): the energy claim holds at every ratio.",
		"- Holds at prune 0.5 (150.00 %, 2.00x); prune 0.9 (400.00 %, 5.00x).",
		"colsim/2 against zerocol: mean performance improvement 100.00 % (paper 61.24 %): the performance claim holds on average; energy saving 1.60x–1.60x",
		"- Holds at prune 0.5 (100.00 %, 1.60x).",
		"### Against `sre`",
		"colsim/2 against sre: mean performance improvement 100.00 % (paper 61.24 %): the performance claim holds on average; energy saving 1.40x–3.00x over ratios (paper 1.51x–2.52x): the energy claim does not hold at every ratio.",
		"- Holds at prune 0.9 (150.00 %, 3.00x).",
		"- Does not hold at prune 0.5 (50.00 %, 1.40x): neither holds.",
		"fires fewer OUs than sre by 33.3 % at prune 0.5, 60.0 % at prune 0.9",
		"summed over all networks and ratios, colsim/2's energy saving over sre is 1.86x; by component (those of 5 % or more): adc 50 % of its energy, saved 1.86x; crossbar 50 % of its energy, saved 1.86x.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
}

// TestClaimsMarkdownNewComponent: a component the baseline does not have
// (index tables against dense) is named as such, not as a 0.00x "saving".
// colsim's points get an index part of 10 % of their energy: by hand its
// share is 10 %, and dense spends none.
func TestClaimsMarkdownNewComponent(t *testing.T) {
	r := handResults()
	for i := range r.Points {
		p := &r.Points[i]
		p.OUActivations = p.Cycles
		if p.Scheme == "colsim" {
			p.Energy = Energy{"adc": 0.45 * p.EnergyPJ, "crossbar": 0.45 * p.EnergyPJ, "index": 0.1 * p.EnergyPJ}
		}
	}
	md, err := WriteResultsMarkdown(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	if want := "index 10 % of its energy, which dense does not spend"; !strings.Contains(s, want) {
		t.Errorf("RESULTS.md lacks %q:\n%s", want, s)
	}
	if strings.Contains(s, "saved 0.00x") {
		t.Error("RESULTS.md calls a component the baseline lacks a 0.00x saving")
	}
}
