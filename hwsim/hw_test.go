package hwsim

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultsValid(t *testing.T) {
	hw := Defaults()
	if err := hw.Validate(); err != nil {
		t.Fatal(err)
	}
	// The ISAAC-action figures (HARDWARE.md).
	want := map[int]float64{4: 0.79, 5: 0.99, 6: 1.20, 7: 1.42, 8: 1.67}
	for b, e := range want {
		if hw.ADCEnergyPJ[b] != e {
			t.Errorf("adc_energy_pj[%d] = %v, want %v", b, hw.ADCEnergyPJ[b], e)
		}
	}
	if hw.ShiftAddEnergyPJ != 0.021 || hw.BufferAccessEnergyPJ != 20.45 || hw.BufferAccessBits != 256 || hw.DACEnergyPJ != 0.417 {
		t.Error("shift-add, eDRAM or DAC default differs from HARDWARE.md")
	}
	if hw.OURows != 9 || hw.OUCols != 8 || hw.XbarRows != 128 || hw.XbarCols != 128 {
		t.Error("geometry default differs from HARDWARE.md")
	}
	if hw.CycleNs() != 100 {
		t.Errorf("cycle %v ns, want 100", hw.CycleNs())
	}
}

// Defaults → JSON → ParseHW gives the same description back.
func TestHWJSONRoundTrip(t *testing.T) {
	hw := Defaults()
	b, err := hw.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseHW(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, hw) {
		t.Fatalf("round trip changed the description:\n%+v\n%+v", got, hw)
	}
	for _, k := range []string{`"adc_energy_pj"`, `"clock_mhz"`, `"xbar_area_um2"`, `"ou_rows"`, `"adc_mode"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
	// A file overrides only what it names; ADC tables merge by resolution.
	dir := t.TempDir()
	p := filepath.Join(dir, "hw.json")
	if err := os.WriteFile(p, []byte(`{"ou_rows": 16, "ou_cols": 16, "adc_bits": 4, "adc_energy_pj": {"4": 0.5}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHW(p)
	if err != nil {
		t.Fatal(err)
	}
	if h.OURows != 16 || h.ADCBits != 4 || h.ADCEnergyPJ[4] != 0.5 || h.ADCEnergyPJ[8] != 1.67 || h.XbarRows != 128 {
		t.Fatalf("override not applied over defaults: %+v", h)
	}
	if err := WriteHW(filepath.Join(dir, "out.json"), h); err != nil {
		t.Fatal(err)
	}
	h2, err := LoadHW(filepath.Join(dir, "out.json"))
	if err != nil || !reflect.DeepEqual(h, h2) {
		t.Fatalf("WriteHW/LoadHW round trip: %v", err)
	}
}

func TestHWRejectsBadFields(t *testing.T) {
	cases := []struct {
		json, field string
	}{
		{`{"adc_bitz": 4}`, "adc_bitz"},
		{`{"xbar_rows": -1}`, "xbar_rows"},
		{`{"ou_rows": 200}`, "ou_rows"},
		{`{"ou_cols": 0}`, "ou_cols"},
		{`{"cell_bits": 3}`, "cell_bits"},
		{`{"dac_bits": 0}`, "dac_bits"},
		{`{"adc_bits": 12}`, "adc_energy_pj"}, // no table entry for 12 bits
		{`{"adc_mode": "round"}`, "adc_mode"},
		{`{"clock_mhz": 0}`, "clock_mhz"},
		{`{"clock_mhz": -5}`, "clock_mhz"},
		{`{"dac_energy_pj": -0.1}`, "dac_energy_pj"},
		{`{"xbar_area_um2": 1e300}`, "xbar_area_um2"},
		{`{"adc_energy_pj": {"4": -1}}`, "adc_energy_pj"},
		{`{"adc_area_um2": {"40": 1}}`, "adc_area_um2"},
		{`{"stuck_at0_rate": 1.5}`, "stuck_at0_rate"},
		{`{"stuck_at0_rate": 0.6, "stuck_at1_rate": 0.6}`, "stuck_at0_rate"},
		{`{"variation_sigma": -1}`, "variation_sigma"},
		{`{"input_bits": 99}`, "input_bits"},
		{`{"xbar_rows": "big"}`, "xbar_rows"},
		{`{"buffer_access_bits": 0}`, "buffer_access_bits"},
		{`{"name": "x"} {"name": "y"}`, "trailing"},
		{`{"name": `, "syntax"},
	}
	for _, c := range cases {
		_, err := ParseHW([]byte(c.json))
		if err == nil {
			t.Errorf("%s: accepted", c.json)
			continue
		}
		if !errors.Is(err, ErrInvalidHW) {
			t.Errorf("%s: error %v does not wrap ErrInvalidHW", c.json, err)
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %q does not name %q", c.json, err, c.field)
		}
	}
	if _, err := LoadHW(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, ErrInvalidHW) {
		t.Errorf("missing file: %v", err)
	}
}
