package sweep

import (
	"bytes"
	"strings"
	"testing"
)

// hybridResults: two networks at two ratios, sre and the hybrid with
// limits 2 and ∞ (cycles, energy pJ, OU activations, bound):
//
//	a 0.5: sre 600/300/60/30, sre-colsim/2 400/200/40/30, /∞ 300/150/30/20
//	a 0.9: sre 200/100/20/10, sre-colsim/2 200/100/20/10, /∞ 100/50/10/10
//	b 0.5: sre 900/300/90/45, sre-colsim/2 600/300/60/30, /∞ 450/200/45/15
//
// Hybrid/2 vs sre: a 0.5 perf 600/400−1 = 50 %, energy 1.5x; b 0.5 50 %,
// 1x: ratio 0.5 means 50 %, 1.25x; a 0.9 0 %, 1x. Mean over the three: 33.33
// %, 1.1667x. Hybrid/∞: a 0.5 100 %, 2x; b 0.5 100 %, 1.5x (0.5: 100 %,
// 1.75x); a 0.9 100 %, 2x; mean 100 %, 1.8333x.
// OU activations / bound: sre a 0.5 2.00x, a 0.9 2.00x, b 0.5 2.00x (mean
// 2.00x); /2 1.33x, 2.00x, 2.00x (mean 1.78x); /∞ 1.50x, 1.00x, 3.00x
// (mean 1.83x).
func hybridResults() *Results {
	r := &Results{SchemaVersion: SchemaVersion, Info: RunInfo{Models: []ModelInfo{{Name: "a", Path: "a.onnx"}, {Name: "b", Path: "b.onnx"}},
		Schemes: []string{"sre", "sre-colsim"}}}
	add := func(m string, pr float64, scheme string, share int, cycles int64, energy float64, ou, bound int64) {
		p := pt(m, pr, scheme, share, cycles, energy)
		p.OUActivations, p.OUActivationBound = ou, bound
		r.Points = append(r.Points, p)
	}
	add("a", 0.5, "sre", 0, 600, 300, 60, 30)
	add("a", 0.5, "sre-colsim", 2, 400, 200, 40, 30)
	add("a", 0.5, "sre-colsim", 0, 300, 150, 30, 20)
	add("a", 0.9, "sre", 0, 200, 100, 20, 10)
	add("a", 0.9, "sre-colsim", 2, 200, 100, 20, 10)
	add("a", 0.9, "sre-colsim", 0, 100, 50, 10, 10)
	add("b", 0.5, "sre", 0, 900, 300, 90, 45)
	add("b", 0.5, "sre-colsim", 2, 600, 300, 60, 30)
	add("b", 0.5, "sre-colsim", 0, 450, 200, 45, 15)
	return r
}

func TestHybridAndBoundMarkdown(t *testing.T) {
	r := hybridResults()
	r.Sort()
	var b bytes.Buffer
	writeHybrid(&b, r.Gains())
	writeBound(&b, r)
	s := b.String()
	for _, want := range []string{
		"| prune | sre-colsim/2 networks | sre-colsim/2 perf. improvement | sre-colsim/2 energy saving | sre-colsim/∞ networks | sre-colsim/∞ perf. improvement | sre-colsim/∞ energy saving |",
		"| 0.5 | 2 | 50.00 % | 1.25x | 2 | 100.00 % | 1.75x |",
		"| 0.9 | 1 | 0.00 % | 1.00x | 1 | 100.00 % | 2.00x |",
		"| mean over all | 3 | 33.33 % | 1.17x | 3 | 100.00 % | 1.83x |",
		"- sre-colsim/2: performance improvement 0.00 % to 50.00 % over ratios, energy saving 1.00x to 1.25x; no slower and no more energy than sre at every ratio.",
		"| network | prune | sre | sre-colsim/2 | sre-colsim/∞ |",
		"| a | 0.5 | 2.00x | 1.33x | 1.50x |",
		"| a | 0.9 | 2.00x | 2.00x | 1.00x |",
		"| b | 0.5 | 2.00x | 2.00x | 3.00x |",
		"| mean |  | 2.00x | 1.78x | 1.83x |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
}
