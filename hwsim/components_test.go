package hwsim

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every counter has a source, and the table is in Counter order, so that
// the kernel's tallies and Counts agree.
func TestCounterTable(t *testing.T) {
	for i, d := range counters {
		if d.id != Counter(i) {
			t.Errorf("row %d holds counter %d", i, d.id)
		}
		mapped := d.perActivation != nil || d.perVector != nil
		n := 0
		for _, b := range []bool{mapped, d.simulated, d.derived != nil, d.perImage != nil} {
			if b {
				n++
			}
		}
		if n != 1 || d.field == nil {
			t.Errorf("counter %d: %d sources (want 1) or no field", i, n)
		}
		// Each row names its own field.
		var c Counts
		*d.field(&c) = 7
		for j, e := range counters {
			if got := c.Get(e.id); (j == i) != (got == 7) {
				t.Errorf("counter %d's field is also counter %d's", i, j)
			}
		}
	}
}

// A breakdown survives JSON, keeps the component order and rejects an
// unknown component by name.
func TestBreakdownJSON(t *testing.T) {
	var b Breakdown
	for i := range b.parts {
		b.parts[i] = float64(i) + 0.5
		b.Total += b.parts[i]
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"crossbar":0.5,"dac":1.5,"adc":2.5,"shift_add":3.5,"index":4.5,"buffer":5.5,"register":6.5,` +
		`"pooling":7.5,"activation":8.5,"adder":9.5,"interconnect":10.5,"total":60.5}`
	if string(data) != want {
		t.Errorf("got %s\nwant %s", data, want)
	}
	var back Breakdown
	if err := json.Unmarshal(data, &back); err != nil || back != b {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"flux":1}`), &back); err == nil || !strings.Contains(err.Error(), "flux") {
		t.Errorf("unknown component: %v", err)
	}
	if b.Get("adc") != 2.5 || b.Get("nope") != 0 || len(b.Components()) != numComponents {
		t.Error("Get/Components")
	}
}
