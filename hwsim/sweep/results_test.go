package sweep

import (
	"bytes"
	"encoding/csv"
	"github.com/rramc/rramc/importer/atomicfile"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pt builds a point with the setting shared by every point of a test.
func pt(model string, prune float64, scheme string, share int, cycles int64, energy float64, layers ...LayerRow) Point {
	return Point{ModelName: model, Model: model + ".onnx", Prune: prune, Scheme: scheme, MaxShare: share,
		WBits: 8, ABits: 8, XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 1, ADCBits: 4,
		Images: 100, AccFloat: 0.99, AccInt: 0.98, AccSim: 0.98, Agreement: 1,
		Cycles: cycles, EnergyPJ: energy, Energy: Energy{"adc": energy / 2, "crossbar": energy / 2},
		IndexBits: int64(len(scheme)) * 100, IndexEnergyPJ: energy / 100, Layers: layers}
}

func lr(i int, name string, cycles int64, energy float64) LayerRow {
	return LayerRow{Index: i, Name: name, Cycles: cycles, EnergyPJ: energy}
}

// handResults is a tiny sweep whose gains are computed by hand in TestGains.
func handResults() *Results {
	return &Results{SchemaVersion: SchemaVersion, Info: RunInfo{Models: []ModelInfo{{Name: "net", Path: "net.onnx"}},
		Schemes: []string{"dense", "zerocol", "sre", "colsim"}},
		Points: []Point{
			pt("net", 0.5, "colsim", 2, 400, 250, lr(0, "c1", 300, 200), lr(1, "fc", 100, 50)),
			pt("net", 0.5, "dense", 0, 1000, 500, lr(0, "c1", 600, 300), lr(1, "fc", 400, 200)),
			pt("net", 0.5, "zerocol", 0, 800, 400, lr(0, "c1", 500, 250), lr(1, "fc", 300, 150)),
			pt("net", 0.5, "sre", 0, 600, 350, lr(0, "c1", 450, 250), lr(1, "fc", 150, 100)),
			pt("net", 0.9, "dense", 0, 1000, 500),
			pt("net", 0.9, "sre", 0, 500, 300),
			pt("net", 0.9, "colsim", 2, 200, 100),
		}}
}

func TestGains(t *testing.T) {
	r := handResults()
	gs := r.Gains()
	type key struct {
		prune    float64
		scheme   string
		baseline string
		layer    int
	}
	// perf = baseline cycles / method cycles - 1, energy = baseline energy / method energy.
	want := map[key][2]float64{
		{0.5, "colsim", "dense", -1}:   {1000.0/400 - 1, 500.0 / 250}, // 1.5, 2
		{0.5, "colsim", "dense", 0}:    {600.0/300 - 1, 300.0 / 200},  // 1, 1.5
		{0.5, "colsim", "dense", 1}:    {400.0/100 - 1, 200.0 / 50},   // 3, 4
		{0.5, "colsim", "zerocol", -1}: {800.0/400 - 1, 400.0 / 250},  // 1, 1.6
		{0.5, "colsim", "zerocol", 0}:  {500.0/300 - 1, 250.0 / 200},
		{0.5, "colsim", "zerocol", 1}:  {300.0/100 - 1, 150.0 / 50},
		{0.5, "colsim", "sre", -1}:     {600.0/400 - 1, 350.0 / 250}, // 0.5, 1.4
		{0.5, "colsim", "sre", 0}:      {450.0/300 - 1, 250.0 / 200},
		{0.5, "colsim", "sre", 1}:      {150.0/100 - 1, 100.0 / 50},
		{0.5, "zerocol", "dense", -1}:  {1000.0/800 - 1, 500.0 / 400},
		{0.5, "zerocol", "dense", 0}:   {600.0/500 - 1, 300.0 / 250},
		{0.5, "zerocol", "dense", 1}:   {400.0/300 - 1, 200.0 / 150},
		{0.5, "zerocol", "sre", -1}:    {600.0/800 - 1, 350.0 / 400},
		{0.5, "zerocol", "sre", 0}:     {450.0/500 - 1, 250.0 / 250},
		{0.5, "zerocol", "sre", 1}:     {150.0/300 - 1, 100.0 / 150},
		{0.5, "sre", "dense", -1}:      {1000.0/600 - 1, 500.0 / 350},
		{0.5, "sre", "dense", 0}:       {600.0/450 - 1, 300.0 / 250},
		{0.5, "sre", "dense", 1}:       {400.0/150 - 1, 200.0 / 100},
		{0.5, "sre", "zerocol", -1}:    {800.0/600 - 1, 400.0 / 350},
		{0.5, "sre", "zerocol", 0}:     {500.0/450 - 1, 250.0 / 250},
		{0.5, "sre", "zerocol", 1}:     {300.0/150 - 1, 150.0 / 100},
		{0.5, "dense", "zerocol", -1}:  {800.0/1000 - 1, 400.0 / 500},
		{0.5, "dense", "zerocol", 0}:   {500.0/600 - 1, 250.0 / 300},
		{0.5, "dense", "zerocol", 1}:   {300.0/400 - 1, 150.0 / 200},
		{0.5, "dense", "sre", -1}:      {600.0/1000 - 1, 350.0 / 500},
		{0.5, "dense", "sre", 0}:       {450.0/600 - 1, 250.0 / 300},
		{0.5, "dense", "sre", 1}:       {150.0/400 - 1, 100.0 / 200},
		{0.9, "colsim", "dense", -1}:   {1000.0/200 - 1, 500.0 / 100}, // 4, 5
		{0.9, "colsim", "sre", -1}:     {500.0/200 - 1, 300.0 / 100},  // 1.5, 3
		{0.9, "sre", "dense", -1}:      {1000.0/500 - 1, 500.0 / 300},
		{0.9, "dense", "sre", -1}:      {500.0/1000 - 1, 300.0 / 500},
	}
	got := map[key][2]float64{}
	for _, g := range gs {
		k := key{g.Prune, g.Scheme, g.Baseline, g.LayerIndex}
		if _, dup := got[k]; dup {
			t.Errorf("duplicate gain %+v", k)
		}
		got[k] = [2]float64{g.PerfImprovement, g.EnergySaving}
	}
	if len(got) != len(want) {
		t.Errorf("got %d gains, want %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing gain %+v", k)
			continue
		}
		if math.Abs(g[0]-w[0]) > 1e-12 || math.Abs(g[1]-w[1]) > 1e-12 {
			t.Errorf("gain %+v = perf %g energy %g, want %g %g", k, g[0], g[1], w[0], w[1])
		}
	}

	sums := Summaries(gs)
	var cs *Summary
	for i := range sums {
		if sums[i].Scheme == "colsim" && sums[i].Baseline == "sre" {
			cs = &sums[i]
		}
	}
	if cs == nil {
		t.Fatal("no colsim vs sre summary")
	}
	// colsim vs sre: perf 0.5 (0.5) and 1.5 (0.9) -> mean 1; energy 1.4 and 3 -> mean 2.2, range 1.4..3.
	if cs.Points != 2 || math.Abs(cs.MeanPerf-1) > 1e-12 || math.Abs(cs.MeanEnergy-2.2) > 1e-12 ||
		math.Abs(cs.EnergyRangeLo-1.4) > 1e-12 || math.Abs(cs.EnergyRangeHi-3) > 1e-12 ||
		math.Abs(cs.PerfRangeLo-0.5) > 1e-12 || math.Abs(cs.PerfRangeHi-1.5) > 1e-12 {
		t.Errorf("colsim vs sre summary %+v", *cs)
	}
}

func TestSummaryAveragesNetworksPerRatio(t *testing.T) {
	r := &Results{SchemaVersion: SchemaVersion, Points: []Point{
		pt("a", 0.3, "sre", 0, 100, 100), pt("a", 0.3, "colsim", 0, 50, 50), // 1, 2
		pt("b", 0.3, "sre", 0, 100, 100), pt("b", 0.3, "colsim", 0, 80, 25), // 0.25, 4
		pt("a", 0.7, "sre", 0, 100, 100), pt("a", 0.7, "colsim", 0, 25, 20), // 3, 5
	}}
	var s *Summary
	for _, x := range Summaries(r.Gains()) {
		if x.Scheme == "colsim" && x.Baseline == "sre" {
			s = &x
		}
	}
	if s == nil {
		t.Fatal("missing summary")
	}
	// ratio 0.3: means perf (1+0.25)/2 = 0.625, energy 3; ratio 0.7: perf 3, energy 5.
	if len(s.ByRatio) != 2 || s.ByRatio[0].Networks != 2 || math.Abs(s.ByRatio[0].PerfImprovement-0.625) > 1e-12 ||
		math.Abs(s.ByRatio[0].EnergySaving-3) > 1e-12 || math.Abs(s.ByRatio[1].EnergySaving-5) > 1e-12 {
		t.Errorf("by ratio %+v", s.ByRatio)
	}
	if math.Abs(s.MeanPerf-(1+0.25+3)/3) > 1e-12 || s.EnergyRangeLo != 3 || s.EnergyRangeHi != 5 || s.MinEnergy != 2 || s.MaxEnergy != 5 {
		t.Errorf("summary %+v", *s)
	}
}

func TestGainsZeroCost(t *testing.T) {
	r := &Results{SchemaVersion: SchemaVersion, Points: []Point{
		pt("a", 0.9, "dense", 0, 100, 10, lr(0, "x", 100, 10), lr(1, "y", 0, 0)),
		pt("a", 0.9, "colsim", 0, 0, 0, lr(0, "x", 0, 0), lr(1, "y", 0, 0)),
	}}
	for _, g := range r.Gains() {
		switch g.LayerIndex {
		case -1, 0:
			if !math.IsInf(g.PerfImprovement, 1) || !math.IsInf(g.EnergySaving, 1) {
				t.Errorf("layer %d: %+v, want +Inf", g.LayerIndex, g)
			}
		case 1:
			if !math.IsNaN(g.PerfImprovement) || !math.IsNaN(g.EnergySaving) {
				t.Errorf("layer 1: %+v, want NaN", g)
			}
		}
	}
	if s := Summaries(r.Gains()); len(s) != 1 || s[0].Points != 0 || !math.IsNaN(s[0].MeanPerf) {
		t.Errorf("summaries %+v", s)
	}
}

func TestGainsSkipsDifferentSettings(t *testing.T) {
	a := pt("a", 0.5, "dense", 0, 100, 10)
	b := pt("a", 0.5, "colsim", 0, 50, 5)
	b.ADCBits = 5 // a different ADC is not a comparable baseline
	c := pt("a", 0.3, "colsim", 0, 50, 5)
	r := &Results{SchemaVersion: SchemaVersion, Points: []Point{a, b, c}}
	if gs := r.Gains(); len(gs) != 0 {
		t.Errorf("gains across settings: %+v", gs)
	}
}

func TestResultsRoundTripAndCSV(t *testing.T) {
	r := handResults()
	dir := t.TempDir()
	if err := r.WriteAll(dir, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Points) != len(r.Points) || back.Points[0].Scheme != "dense" || back.Points[0].Prune != 0.5 {
		t.Fatalf("round trip: %+v", back.Points[0])
	}
	data, err := os.ReadFile(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(r.Points)+1 {
		t.Fatalf("csv rows %d", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"energy_adc_pj", "energy_crossbar_pj", "cycles", "accuracy_sim", "top1_agreement", "weight_bits", "point_id", "model_name", "index_bits"} {
		if _, ok := col[h]; !ok {
			t.Errorf("csv lacks column %s", h)
		}
	}
	if got := recs[1][col["cycles"]]; got != "1000" {
		t.Errorf("first row cycles %s, want 1000 (dense sorts first)", got)
	}
	g, err := os.ReadFile(filepath.Join(dir, "gains.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(g), "net,0.5,colsim,2,sre,-1,,600,400,0.5,350,250,1.4\n") {
		t.Errorf("gains.csv lacks the colsim vs sre network row:\n%s", g)
	}
	// No temporary files left behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("leftover temp file %s", e.Name())
		}
	}
}

func TestDecodeResultsRejects(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"future version", `{"schema_version":9,"config":{},"points":[]}`, "schema_version 9, this rramc reads version 2"},
		{"unknown old version", `{"version":9,"config":{},"points":[]}`, "unknown version 9"},
		// A version-1 file is refused by name, never decoded: its keys
		// would be unknown fields or, worse, silently absent.
		{"version 1", `{"version":1,"config":{},"points":[{"model_name":"a","scheme":"dense","acc_sim":0.9,"agreement":1,"seconds":2}]}`,
			"schema version 1 (an older rramc"},
		{"no version", `{"config":{},"points":[]}`, "no schema_version"},
		{"unknown field", `{"schema_version":2,"config":{},"points":[],"extra":1}`, "unknown field"},
		{"old key in a new file", `{"schema_version":2,"config":{},"points":[{"model_name":"a","scheme":"dense","acc_sim":0.9}]}`, `unknown field "acc_sim"`},
		{"negative energy", `{"schema_version":2,"config":{},"points":[{"model_name":"a","scheme":"dense","energy_pj":-1}]}`, "energy_pj -1"},
		{"no scheme", `{"schema_version":2,"config":{},"points":[{"model_name":"a"}]}`, "scheme empty"},
		{"truncated", `{"schema_version":2,"config":{}`, "decode results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResults([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWriteFileAtomicKeepsOldOnFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := atomicfile.WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A rename onto a directory fails: the old content must survive and no
	// temporary file may remain.
	sub := filepath.Join(dir, "d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(sub, []byte("new")); err == nil {
		t.Fatal("rename onto a non-empty directory succeeded")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("content %q", b)
	}
	if err := atomicfile.WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %v, want f.json and d", names)
	}
}
