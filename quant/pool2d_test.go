package quant

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPool2DAgainstPerTap checks pool2D, which pools the windows inside the
// image without per-tap bounds tests (2×2 windows and power-of-two averages
// on their own paths), against poolWindow's per-tap rule applied to every
// output position, on drawn geometries: max and average, kernels 1-4,
// strides 1-3, dilations (max), pads, count_include_pad, an average with
// a requantizing multiplier, negative codes and narrow output ranges.
func TestPool2DAgainstPerTap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	tried := 0
	for trial := 0; tried < 400; trial++ {
		kind := OpAvgPool
		if rng.IntN(3) == 0 {
			kind = OpMaxPool
		}
		w := &Window{KH: 1 + rng.IntN(4), KW: 1 + rng.IntN(4), StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3),
			DilH: 1, DilW: 1, InC: 1 + rng.IntN(3), InH: 1 + rng.IntN(11), InW: 1 + rng.IntN(11)}
		if rng.IntN(3) == 0 {
			w.KH, w.KW = 2, 2
		}
		if rng.IntN(2) == 0 {
			w.PadT, w.PadL, w.PadB, w.PadR = rng.IntN(w.KH), rng.IntN(w.KW), rng.IntN(w.KH), rng.IntN(w.KW)
		}
		if kind == OpMaxPool && rng.IntN(3) == 0 {
			w.DilH, w.DilW = 1+rng.IntN(3), 1+rng.IntN(3)
		}
		w.CountIncludePad = rng.IntN(2) == 0
		ekh, ekw := (w.KH-1)*w.DilH+1, (w.KW-1)*w.DilW+1
		if w.InH+w.PadT+w.PadB < ekh || w.InW+w.PadL+w.PadR < ekw {
			continue
		}
		tried++
		w.OutH = (w.InH+w.PadT+w.PadB-ekh)/w.StrideH + 1
		w.OutW = (w.InW+w.PadL+w.PadR-ekw)/w.StrideW + 1
		op := &Op{Kind: kind, Win: w, Lo: -128, Hi: 127}
		if rng.IntN(4) == 0 {
			op.Lo, op.Hi = -20, 30
		}
		if kind == OpAvgPool && rng.IntN(3) == 0 {
			op.Mult = []Multiplier{{M0: 1<<30 + rng.Int32N(1<<30), Shift: uint8(29 + rng.IntN(3))}}
		}
		bs := 1 + rng.IntN(2)
		in := make([]int32, bs*w.InC*w.InH*w.InW)
		for i := range in {
			in[i] = rng.Int32N(256) - 128
		}
		got := make([]int32, bs*w.InC*w.OutH*w.OutW)
		pool2D(op, in, got, bs)
		want := make([]int32, len(got))
		hw, ohw := w.InH*w.InW, w.OutH*w.OutW
		for bc := 0; bc < bs*w.InC; bc++ {
			for oh := 0; oh < w.OutH; oh++ {
				for ow := 0; ow < w.OutW; ow++ {
					want[bc*ohw+oh*w.OutW+ow] = poolWindow(op, in[bc*hw:(bc+1)*hw], oh, ow)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s", fmt.Sprintf("trial %d: %s window %+v mult %v: pool2D differs from the per-tap rule", trial, kind, *w, op.Mult))
		}
	}
}
