package hwsim

import (
	"embed"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
)

// Presets are hardware files shipped with rramc (hwsim/presets/NAME.json),
// each value with its source in the file's "sources" object:
//
//	defaults  Defaults(): the crossbar-periphery model of every RESULTS.md
//	          figure before the whole-chip model
//	isaac     ISAAC (ISCA 2016) at 32 nm: its tile of 12 IMAs of 8 128×128
//	          crossbars, from its component table
//	mnsim     MNSIM 2.0's shipped configuration: 256×256 crossbars, 2×2 PEs
//	          per tile, 6-bit ADCs, its device and circuit figures
//
//go:embed presets/*.json
var presetFiles embed.FS

// PresetNames lists the shipped presets.
func PresetNames() []string {
	entries, err := presetFiles.ReadDir("presets")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// Preset returns a shipped hardware description by name.
func Preset(name string) (HW, error) {
	if !slices.Contains(PresetNames(), name) {
		return HW{}, fmt.Errorf("%w: preset %q: want one of %s", ErrInvalidHW, name, strings.Join(PresetNames(), ", "))
	}
	data, err := presetFiles.ReadFile(path.Join("presets", name+".json"))
	if err != nil {
		return HW{}, fmt.Errorf("%w: preset %q: %v", ErrInvalidHW, name, err)
	}
	h, err := ParseHW(data)
	if err != nil {
		return HW{}, fmt.Errorf("preset %q: %w", name, err)
	}
	return h, nil
}

// LoadHWOrPreset reads a hardware file, or a shipped preset when arg is a
// preset name (no directory and no .json suffix).
func LoadHWOrPreset(arg string) (HW, error) {
	if !strings.ContainsAny(arg, `/\`) && !strings.HasSuffix(arg, ".json") && slices.Contains(PresetNames(), arg) {
		return Preset(arg)
	}
	return LoadHW(arg)
}

// sourceKeys lists the names a "sources" entry may document: every JSON
// field, chip fields as chip.NAME and chip units as chip.UNIT.NAME.
func sourceKeys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case f.Anonymous && tag == "":
				walk(ft, prefix)
			case tag == "" || tag == "-" || tag == "sources":
			case ft.Kind() == reflect.Struct:
				keys = append(keys, prefix+tag)
				walk(ft, prefix+tag+".")
			default:
				keys = append(keys, prefix+tag)
			}
		}
	}
	walk(reflect.TypeOf(HW{}), "")
	return keys
}

func (h *HW) validateSources() error {
	if len(h.Sources) == 0 {
		return nil
	}
	known := sourceKeys()
	keys := make([]string, 0, len(h.Sources))
	for k := range h.Sources {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return hwErr("sources", "%q names no field", k)
		}
	}
	return nil
}
