package hwsim

import (
	"math"
	"reflect"
	"testing"
)

// Every preset parses, documents its values, and the defaults preset is
// Defaults() (RESULTS.md comparability).
func TestPresets(t *testing.T) {
	names := PresetNames()
	for _, want := range []string{"defaults", "isaac", "mnsim"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("preset %q missing from %v", want, names)
		}
	}
	for _, n := range names {
		h, err := Preset(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Sources) < 10 {
			t.Errorf("%s: %d sources", n, len(h.Sources))
		}
	}
	d, err := Preset("defaults")
	if err != nil {
		t.Fatal(err)
	}
	d.Sources, d.Name = nil, ""
	def := Defaults()
	def.Name = ""
	if !reflect.DeepEqual(d, def) {
		t.Errorf("defaults preset differs from Defaults():\n%+v\n%+v", d, def)
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
	if _, err := ParseHW([]byte(`{"sources": {"flux": "x"}}`)); err == nil {
		t.Error("source for an unknown field accepted")
	}
}

// One ISAAC tile at full activity, from rramc's per-component figures,
// against ISAAC's published tile totals (330 mW, 0.372 mm²). By hand:
//
//	crossbars   96 × 16384 cells × 30/16384 pJ / 100 ns = 28.8 mW, + 96 S+H 0.12 mW
//	DACs        96 × 128 drives × 0.390625 pJ / 100 ns  = 48 mW
//	ADCs        96 × 128 conversions × 1.5625 pJ / 100 ns = 192 mW
//	static      shift-add 48 × 0.05, eDRAM 20.7, registers 12 × (1.24 + 0.23) + 1.68,
//	            pooling 0.4, sigmoid 2 × 0.26, adder 0.05, bus 7, router 42/4
//	total       329.81 mW
//	area        crossbars 96 × 30, DACs 96 × 128 × 170/1024, ADCs 96 × 1200,
//	            shift-add 48 × 60, eDRAM 83000, registers 12 × 2870 + 3200,
//	            pooling 240, sigmoid 600, adder 60, bus 90000, router 151000/4
//	            = 372290 µm²
func TestISAACTile(t *testing.T) {
	h, err := Preset("isaac")
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.TilePeak()
	if err != nil {
		t.Fatal(err)
	}
	if !near(p.PowerMW, 329.81) || !near(p.AreaUM2, 372290) {
		t.Errorf("tile %v mW %v µm², want 329.81 mW 372290 µm² by hand", p.PowerMW, p.AreaUM2)
	}
	const publishedMW, publishedUM2 = 330, 0.372e6
	if math.Abs(p.PowerMW/publishedMW-1) > 0.01 || math.Abs(p.AreaUM2/publishedUM2-1) > 0.01 {
		t.Errorf("tile %.2f mW %.0f µm²: more than 1 %% from ISAAC's 330 mW, 0.372 mm²", p.PowerMW, p.AreaUM2)
	}
	for _, c := range []struct {
		name string
		mw   float64
	}{{"crossbar", 28.92}, {"dac", 48}, {"adc", 192}, {"buffer", 20.7}, {"interconnect", 17.5}} {
		if !near(p.PowerByComponentMW[c.name], c.mw) {
			t.Errorf("%s: %v mW, want %v", c.name, p.PowerByComponentMW[c.name], c.mw)
		}
	}
}
