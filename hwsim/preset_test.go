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
//
// ISAAC's table also prints two subtotals, which the preset must add up to
// within 1 % as well:
//
//	one IMA     crossbars 2.4 + S+H 0.01 + DACs 4 + ADCs 16 + shift-add 0.2
//	            + IR 1.24 + OR 0.23 = 24.08 mW, × 12 = 288.96 mW (printed 289);
//	            area 0.0002 + 0.00004 + 0.00017 + 0.0096 + 0.00024 + 0.0021
//	            + 0.00077 = 0.01312 mm², × 12 = 0.15744 mm² (printed 0.157)
//	tile parts  eDRAM 20.7 + bus 7 + router 42/4 + sigmoid 0.52 + S+A 0.05
//	            + max-pool 0.4 + OR 1.68 = 40.85 mW (printed 40.9); area
//	            0.083 + 0.090 + 0.151/4 + 0.0006 + 0.00006 + 0.00024 + 0.0032
//	            = 0.21485 mm² (printed 0.215)
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
	// The IMA and tile-level subtotals, from the per-component figures: the
	// crossbar-level parts and the PE registers are the IMAs', the rest the
	// tile's.
	c := h.Chip
	imas := float64(c.PEsPerTile)
	peRegMW := c.InputRegister.static() + c.OutputRegister.static()
	peRegUM2 := c.InputRegister.area() + c.OutputRegister.area()
	imaMW, imaUM2 := imas*peRegMW, imas*peRegUM2
	for _, name := range []string{"crossbar", "dac", "adc", "shift_add"} {
		imaMW += p.PowerByComponentMW[name]
		imaUM2 += p.AreaByComponentUM2[name]
	}
	tileMW, tileUM2 := p.PowerMW-imaMW, p.AreaUM2-imaUM2
	for _, s := range []struct {
		what      string
		got, want float64
	}{{"12 IMAs' power (mW)", imaMW, 289}, {"12 IMAs' area (µm²)", imaUM2, 0.157e6},
		{"tile parts' power (mW)", tileMW, 40.9}, {"tile parts' area (µm²)", tileUM2, 0.215e6}} {
		if math.Abs(s.got/s.want-1) > 0.01 {
			t.Errorf("%s: %.5g, more than 1 %% from ISAAC's printed %g", s.what, s.got, s.want)
		}
	}
	if !near(imaMW, 288.96) || !near(imaUM2, 157440) || !near(tileMW, 40.85) || !near(tileUM2, 214850) {
		t.Errorf("subtotals %v mW %v µm², %v mW %v µm²; want 288.96, 157440, 40.85, 214850 by hand", imaMW, imaUM2, tileMW, tileUM2)
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
