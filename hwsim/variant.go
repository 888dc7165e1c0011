package hwsim

import (
	"fmt"
	"slices"
	"strings"
)

// A hardware variant is a named hardware description a sweep runs beside
// others, so that a result can be read under several hardware choices at
// once. A variant name is one of the built-in variants below (derived from
// the sweep's own hardware), a preset name, or a hardware file path.
var builtinVariants = []struct {
	name, doc string
	apply     func(*HW)
}{
	{"default", "the sweep's hardware as given (--hw and the geometry flags; the defaults without them)", func(*HW) {}},
	{"auto-adc", `the sweep's hardware with adc_bits "auto" (the smallest lossless ADC)`, func(h *HW) { h.SetADCBitsAuto() }},
	{"pipelined", `the sweep's hardware with cycle_model "pipelined"`, func(h *HW) { h.CycleModel = CyclesPipelined }},
}

// VariantNames lists the built-in variant names.
func VariantNames() []string {
	names := make([]string, len(builtinVariants))
	for i, v := range builtinVariants {
		names[i] = v.name
	}
	return names
}

// VariantDoc says what a built-in variant is ("" for other names).
func VariantDoc(name string) string {
	for _, v := range builtinVariants {
		if v.name == name {
			return v.doc
		}
	}
	return ""
}

// ResolveVariant returns the hardware of variant name: a built-in variant
// applied to base, a preset, or the hardware file at that path, validated.
func ResolveVariant(name string, base HW) (HW, error) {
	for _, v := range builtinVariants {
		if v.name == name {
			h := base.Clone()
			v.apply(&h)
			if err := h.Validate(); err != nil {
				return HW{}, fmt.Errorf("hardware variant %q: %w", name, err)
			}
			return h, nil
		}
	}
	if name == "" {
		return HW{}, fmt.Errorf("%w: empty hardware variant name (want %s, a preset (%s) or a hardware file)",
			ErrInvalidHW, strings.Join(VariantNames(), ", "), strings.Join(PresetNames(), ", "))
	}
	if !strings.ContainsAny(name, `/\`) && !strings.HasSuffix(name, ".json") && !slices.Contains(PresetNames(), name) {
		return HW{}, fmt.Errorf("%w: hardware variant %q: not a built-in variant (%s), a preset (%s) or a hardware file path",
			ErrInvalidHW, name, strings.Join(VariantNames(), ", "), strings.Join(PresetNames(), ", "))
	}
	h, err := LoadHWOrPreset(name)
	if err != nil {
		return HW{}, fmt.Errorf("hardware variant %q: %w", name, err)
	}
	return h, nil
}
