package quant

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestConfigJSONNames pins the JSON names of Config: they are rramc's output
// vocabulary and key stored sweep points, so renaming a Go field must fail
// here instead of silently changing stored results.
func TestConfigJSONNames(t *testing.T) {
	b, err := json.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"activation_bits", "calib", "calib_method", "per_channel", "percentile", "prune",
		"prune_first", "prune_last", "prune_norm", "prune_scope", "prune_structure", "weight_bits"}
	if !slices.Equal(got, want) {
		t.Fatalf("Config JSON keys\n got %v\nwant %v", got, want)
	}
	// A round trip keeps every field (Workers excepted: not part of a result).
	c := DefaultConfig()
	c.WBits, c.ABits, c.PerChannel, c.Calib, c.Prune, c.PruneFirst, c.PruneLast = 4, 6, true, 77, 0.5, false, true
	c.CalibMethod, c.Percentile, c.PruneScope, c.PruneStructure, c.PruneNorm = CalibPercentile, 99.9, ScopeLayer, StructChannel, "l1"
	b, err = json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Fatalf("round trip: %+v, want %+v", back, c)
	}
}
