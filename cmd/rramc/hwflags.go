package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/mapper"
	"github.com/spf13/pflag"
)

// hwFlags select the hardware description, the mapping scheme and the
// non-idealities. Geometry flags override the hardware file, so that one
// file serves a sweep over OU sizes.
type hwFlags struct {
	hwFile   string
	scheme   string
	maxShare int
	xbar, ou string
	adcBits  string
	cellBits int
	adcMode  string
	variation,
	stuck0, stuck1, adcNoise float64
	seed    uint64
	simMode string
	set     func(name string) bool
}

func (h *hwFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&h.hwFile, "hw", "", "hardware description: a JSON file or a preset ("+strings.Join(hwsim.PresetNames(), " | ")+"; default: 'rramc hw defaults')")
	fs.StringVar(&h.scheme, "scheme", "colsim", "mapping scheme: "+strings.Join(mapper.SchemeNames(), " | "))
	fs.IntVar(&h.maxShare, "max-share", 2, "colsim: owners per kept column (2 = the paper's pairs, 0 = unlimited)")
	fs.StringVar(&h.xbar, "xbar", "", "crossbar rows x columns, e.g. 128x128 (overrides --hw)")
	fs.StringVar(&h.ou, "ou", "", "Operation Unit rows x columns, e.g. 9x8 (overrides --hw)")
	fs.IntVar(&h.cellBits, "cell-bits", 0, "bits per RRAM cell, 1 or 2 (2: base-4 digit columns; lossless ADC needs 2^r-1 >= 3·OU rows) (overrides --hw)")
	fs.StringVar(&h.adcBits, "adc-bits", "", "ADC resolution in bits, or auto: the smallest lossless one for the OU, cell and DAC widths (overrides --hw)")
	fs.StringVar(&h.adcMode, "adc-mode", "", "ADC beyond its range: saturate | truncate (overrides --hw)")
	fs.Float64Var(&h.variation, "variation", 0, "conductance variation, lognormal sigma")
	fs.Float64Var(&h.stuck0, "stuck-at0", 0, "share of cells stuck at 0")
	fs.Float64Var(&h.stuck1, "stuck-at1", 0, "share of cells stuck at 1")
	fs.Float64Var(&h.adcNoise, "adc-noise", 0, "ADC offset noise, sigma in LSB")
	fs.Uint64Var(&h.seed, "seed", 1, "seed of the non-idealities")
	fs.StringVar(&h.simMode, "sim-mode", "", "auto (exact fast path where provably identical) | bitserial")
	h.set = func(name string) bool { return fs.Changed(name) }
}

// parseShape parses "RxC".
func parseShape(flag, s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	r, err1 := strconv.Atoi(a)
	c, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || r <= 0 || c <= 0 {
		return 0, 0, usagef("--%s %q: want ROWSxCOLS, e.g. 128x128", flag, s)
	}
	return r, c, nil
}

// hardware resolves the hardware description.
func (h *hwFlags) hardware() (hwsim.HW, error) {
	hw := hwsim.Defaults()
	if h.hwFile != "" {
		var err error
		if hw, err = hwsim.LoadHWOrPreset(h.hwFile); err != nil {
			return hw, err
		}
	}
	var err error
	if h.xbar != "" {
		if hw.XbarRows, hw.XbarCols, err = parseShape("xbar", h.xbar); err != nil {
			return hw, err
		}
	}
	if h.ou != "" {
		if hw.OURows, hw.OUCols, err = parseShape("ou", h.ou); err != nil {
			return hw, err
		}
	}
	if h.set("cell-bits") {
		hw.CellBits = h.cellBits
	}
	auto := hw.ADCBitsIsAuto() // a file's "auto" follows --ou and --cell-bits
	if h.set("adc-bits") {
		auto = h.adcBits == hwsim.ADCBitsAuto
		if !auto {
			r, err := strconv.Atoi(h.adcBits)
			if err != nil {
				return hw, usagef("--adc-bits %q: want a number of bits or %s", h.adcBits, hwsim.ADCBitsAuto)
			}
			hw.SetADCBits(r)
		}
	}
	if auto {
		hw.SetADCBitsAuto()
	}
	if h.adcMode != "" {
		hw.ADCMode = h.adcMode
	}
	if h.set("variation") {
		hw.VariationSigma = h.variation
	}
	if h.set("stuck-at0") {
		hw.StuckAt0Rate = h.stuck0
	}
	if h.set("stuck-at1") {
		hw.StuckAt1Rate = h.stuck1
	}
	if h.set("adc-noise") {
		hw.ADCNoiseSigmaLSB = h.adcNoise
	}
	if m := h.simMode; m != "" && m != hwsim.ModeAuto && m != hwsim.ModeBitSerial {
		return hw, usagef("--sim-mode %q: want %s or %s", m, hwsim.ModeAuto, hwsim.ModeBitSerial)
	}
	if err := hw.Validate(); err != nil {
		return hw, err
	}
	return hw, nil
}

// mapOptions checks the scheme flags.
func (h *hwFlags) mapOptions() (mapper.Options, error) {
	if _, err := mapper.LookupScheme(h.scheme); err != nil {
		return mapper.Options{}, usagef("--scheme: %v", err)
	}
	if h.maxShare < 0 {
		return mapper.Options{}, usagef("--max-share %d: must be >= 0", h.maxShare)
	}
	return mapper.Options{Scheme: h.scheme, MaxShare: h.maxShare}, nil
}

func (h *hwFlags) simOptions() hwsim.Options {
	return hwsim.Options{Seed: h.seed, Mode: h.simMode}
}

// fmtEnergy prints picojoules with a readable unit.
func fmtEnergy(pj float64) string {
	switch {
	case pj >= 1e6:
		return fmt.Sprintf("%.3f µJ", pj/1e6)
	case pj >= 1e3:
		return fmt.Sprintf("%.3f nJ", pj/1e3)
	}
	return fmt.Sprintf("%.3f pJ", pj)
}

// fmtArea prints square micrometres with a readable unit.
func fmtArea(um2 float64) string {
	if um2 >= 1e5 {
		return fmt.Sprintf("%.4f mm²", um2/1e6)
	}
	return fmt.Sprintf("%.1f µm²", um2)
}

// fmtTime prints nanoseconds with a readable unit.
func fmtTime(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.3f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ns", ns)
}
