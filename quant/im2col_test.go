package quant

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer/interp"
)

// TestIm2colAgainstInterp checks the padded-image im2col of the simulated
// Conv path against the interpreter's lowering (interp.Im2colRows, one
// sample and group at a time) on drawn geometries: kernels 1-7, strides
// 1-3, dilations 1-3, asymmetric pads, groups, batches, and a workState
// reused across geometries (so a stale padded image would show).
func TestIm2colAgainstInterp(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 7))
	ws := &workState{}
	for trial := 0; trial < 300; trial++ {
		groups := 1 + rng.IntN(3)
		cg := 1 + rng.IntN(4)
		w := &Window{KH: 1 + rng.IntN(7), KW: 1 + rng.IntN(7), StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3),
			DilH: 1 + rng.IntN(3), DilW: 1 + rng.IntN(3), PadT: rng.IntN(4), PadL: rng.IntN(4), PadB: rng.IntN(4), PadR: rng.IntN(4),
			InC: groups * cg, InH: 1 + rng.IntN(12), InW: 1 + rng.IntN(12)}
		ekh, ekw := (w.KH-1)*w.DilH+1, (w.KW-1)*w.DilW+1
		if w.InH+w.PadT+w.PadB < ekh || w.InW+w.PadL+w.PadR < ekw {
			continue
		}
		w.OutH = (w.InH+w.PadT+w.PadB-ekh)/w.StrideH + 1
		w.OutW = (w.InW+w.PadL+w.PadR-ekw)/w.StrideW + 1
		bs := 1 + rng.IntN(3)
		in := make([]int32, bs*w.InC*w.InH*w.InW)
		for i := range in {
			in[i] = rng.Int32N(255) - 127
		}
		g := w.geometry(cg)
		p, k := g.P(), g.K()
		hw := w.InH * w.InW
		for gi := 0; gi < groups; gi++ {
			name := fmt.Sprintf("trial%d/group%d", trial, gi)
			want := make([]int32, bs*p*k)
			for b := 0; b < bs; b++ {
				base := b*w.InC*hw + gi*cg*hw
				interp.Im2colRows(&g, in[base:base+cg*hw], want[b*p*k:(b+1)*p*k], 0)
			}
			got := make([]int32, bs*p*k)
			for i := range got {
				got[i] = -999 // every entry must be written
			}
			im2col(in, bs, w, gi*cg, cg, got, ws)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: window %+v batch %d: im2col differs from interp.Im2colRows", name, *w, bs)
			}
		}
	}
}
