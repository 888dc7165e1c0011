package hwsim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveVariant(t *testing.T) {
	base := Defaults()
	base.OURows = 16 // a sweep's own hardware: auto-adc follows it
	file := filepath.Join(t.TempDir(), "hw.json")
	if err := os.WriteFile(file, []byte(`{"adc_bits": 6, "ou_rows": 12}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		ouRows     int
		adcBits    int
		cycleModel string
		chip       bool
		err        string
	}{
		{"default", 16, 8, CyclesIsoCrossbar, false, ""},
		{"auto-adc", 16, 5, CyclesIsoCrossbar, false, ""}, // bitlen(16) = 5
		{"pipelined", 16, 8, CyclesPipelined, false, ""},
		{"defaults", 9, 8, CyclesIsoCrossbar, false, ""},
		{"isaac", 128, 8, CyclesIsoCrossbar, true, ""},
		{"mnsim", 128, 6, CyclesIsoCrossbar, true, ""},
		{file, 12, 6, CyclesIsoCrossbar, false, ""},
		{"nosuch", 0, 0, "", false, "not a built-in variant"},
		{"", 0, 0, "", false, "empty hardware variant name"},
		{filepath.Join(t.TempDir(), "missing.json"), 0, 0, "", false, "missing.json"},
	} {
		h, err := ResolveVariant(c.name, base)
		if c.err != "" {
			if err == nil || !errors.Is(err, ErrInvalidHW) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one containing %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.name, err)
			continue
		}
		if h.OURows != c.ouRows || h.ADCBits != c.adcBits || h.CycleModel != c.cycleModel || (h.Chip != nil) != c.chip {
			t.Errorf("%q: ou_rows %d adc_bits %d cycle_model %s chip %v; want %d %d %s %v", c.name, h.OURows, h.ADCBits, h.CycleModel, h.Chip != nil, c.ouRows, c.adcBits, c.cycleModel, c.chip)
		}
	}
	if base.ADCBits != 8 || base.CycleModel != CyclesIsoCrossbar {
		t.Error("resolving a variant changed its base")
	}
}
