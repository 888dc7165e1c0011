package sweep

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestFloatsJSON: one value is a bare number (so the ids of points with one
// mean and std are what they were before per-channel values), several an
// array, none null; each reads back as written.
func TestFloatsJSON(t *testing.T) {
	for _, tc := range []struct {
		f    Floats
		json string
	}{
		{nil, "null"},
		{Floats{0.1307}, "0.1307"},
		{Floats{0.4914, 0.4822, 0.4465}, "[0.4914,0.4822,0.4465]"},
	} {
		b, err := json.Marshal(tc.f)
		if err != nil || string(b) != tc.json {
			t.Fatalf("%v: %s %v, want %s", tc.f, b, err, tc.json)
		}
		var back Floats
		if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back, tc.f) || (back == nil) != (tc.f == nil) {
			t.Fatalf("%s read back as %#v (%v)", b, back, err)
		}
	}
}
