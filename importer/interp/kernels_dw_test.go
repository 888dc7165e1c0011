package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestDirectDepthwise checks the direct depthwise kernel against the
// shifted-plane path bit for bit (same products in the same order, less
// the padding taps' zeros) and against the naive float64 loop, over the
// geometries it takes (3×3 and 5×5 kernels, strides 1 and 2, pads up to
// the kernel's size less one, symmetric or not) on images from 1×1 up
// past two vectors per row, odd widths, with and without bias and a fused
// activation, 1 to 3 workers, and both the assembly and the portable
// kernels (each compared with the shifted-plane path on the same
// setting).
func TestDirectDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	type geom struct {
		c, h, w, kh, kw, s int
		pads               [4]int // top, left, bottom, right
	}
	cases := []geom{
		{4, 1, 1, 3, 3, 1, [4]int{1, 1, 1, 1}},
		{4, 2, 2, 3, 3, 1, [4]int{1, 1, 1, 1}},
		{4, 2, 2, 3, 3, 2, [4]int{1, 1, 1, 1}},
		{3, 1, 1, 5, 5, 2, [4]int{2, 2, 2, 2}},
		{8, 7, 7, 3, 3, 1, [4]int{1, 1, 1, 1}},   // MobileNetV2's last depthwise
		{8, 7, 7, 5, 5, 1, [4]int{2, 2, 2, 2}},   // EfficientNet's 7×7 5×5
		{8, 14, 14, 3, 3, 2, [4]int{1, 1, 1, 1}}, // 14 → 7
		{8, 15, 15, 3, 3, 2, [4]int{1, 1, 1, 1}}, // stride 2 on odd sizes
		{8, 15, 13, 5, 5, 2, [4]int{2, 2, 2, 2}},
		{5, 28, 28, 3, 3, 1, [4]int{1, 1, 1, 1}},
		{5, 17, 33, 3, 3, 1, [4]int{1, 1, 1, 1}}, // a vector and a bit per row
		{5, 9, 35, 5, 5, 1, [4]int{2, 2, 2, 2}},
		{5, 9, 67, 3, 3, 2, [4]int{1, 1, 1, 1}}, // two stride-2 vectors and a tail
		{5, 11, 64, 5, 5, 2, [4]int{2, 2, 2, 2}},
		{4, 56, 56, 3, 3, 2, [4]int{1, 1, 1, 1}},
		{4, 6, 9, 3, 5, 1, [4]int{1, 2, 1, 2}},   // 3×5
		{4, 9, 6, 5, 3, 2, [4]int{2, 1, 2, 1}},   // 5×3
		{4, 10, 11, 3, 3, 2, [4]int{0, 0, 1, 1}}, // TensorFlow's SAME at stride 2
		{4, 8, 19, 5, 5, 1, [4]int{4, 0, 1, 3}},  // asymmetric, a pad of K-1
		{4, 5, 5, 3, 3, 1, [4]int{0, 0, 0, 0}},   // no padding
		{4, 3, 40, 5, 5, 1, [4]int{2, 2, 2, 2}},  // kernel taller than the input
	}
	// Random geometries on top of the fixed ones.
	for range 24 {
		k := 3 + 2*r.IntN(2)
		s := 1 + r.IntN(2)
		p := [4]int{r.IntN(k), r.IntN(k), r.IntN(k), r.IntN(k)}
		h, w := 1+r.IntN(20), 1+r.IntN(50)
		if h+p[0]+p[2] < k || w+p[1]+p[3] < k {
			continue
		}
		cases = append(cases, geom{2 + r.IntN(5), h, w, k, k, s, p})
	}
	relu := epilogue(func(v []float32) {
		for i, x := range v {
			v[i] = max(x, 0)
		}
	})
	for _, mode := range []string{"quads", "rows", "portable"} {
		asm := mode != "portable"
		for _, tc := range cases {
			for _, bias := range []bool{true, false} {
				for _, workers := range []int{1, 2, 3} {
					name := fmt.Sprintf("%s/c%d_%dx%d_k%dx%d_s%d_pad%v_bias=%v/w=%d", mode, tc.c, tc.h, tc.w, tc.kh, tc.kw, tc.s, tc.pads, bias, workers)
					t.Run(name, func(t *testing.T) {
						savedAsm := useAsmKernel
						useAsmKernel = asm && savedAsm
						useDWQuads = mode == "quads" && hasDWQuads
						defer func() { useAsmKernel = savedAsm; useDirectDepthwise = true; useDWQuads = hasDWQuads }()
						g, err := NewConvGeometry(tc.c, tc.h, tc.w, tc.c, ConvParams{KernelH: tc.kh, KernelW: tc.kw, StrideH: tc.s, StrideW: tc.s, Pads: tc.pads})
						if err != nil {
							t.Fatal(err)
						}
						p := newShiftPlan(&g)
						if p.dw == nil {
							t.Fatal("the direct depthwise kernel does not apply")
						}
						// Every geometry through the four-channel kernels
						// too, not only those the plan gives them.
						p.dw.quads = p.dw.quads || (mode == "quads" && tc.kh == tc.kw)
						wt := importer.NewFloat([]int{tc.c, 1, tc.kh, tc.kw}, randSlice(r, tc.c*tc.kh*tc.kw))
						x := randSlice(r, tc.c*tc.h*tc.w)
						var b *importer.Tensor
						var bv []float32
						if bias {
							bv = randSlice(r, tc.c)
							b = importer.NewFloat([]int{tc.c}, bv)
						}
						cw := packConvWeights(wt, tc.c)
						// The direct kernel through shiftConvImage with the
						// plan above, the shifted-plane path through
						// convForward.
						run := func(direct bool, ep epilogue) []float32 {
							out := make([]float32, tc.c*g.P())
							for i := range out {
								out[i] = float32(math.NaN()) // every element must be written
							}
							if direct {
								shiftConvImage(&g, &p, cw.groups, x, b, out, new(gemmScratch), workers, ep)
								return out
							}
							useDirectDepthwise = false
							convForward(&g, &cw, x, b, out, 1, tc.c, workers, ep, nil)
							return out
						}
						for _, ep := range []epilogue{nil, relu} {
							got, want := run(true, ep), run(false, ep)
							for i := range got {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("epilogue %v: output %d is %g (%#08x), the shifted-plane path's %g (%#08x)", ep != nil, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
								}
							}
						}
						naive := naiveGeomConv(&g, wt.Float, bv, x, 1, tc.c)
						if d := maxAbsDiff(run(true, nil), naive); !(d < 1e-4) {
							t.Errorf("direct kernel differs from the naive loop by %g", d)
						}
					})
				}
			}
		}
	}
}

// TestDirectDepthwiseApplies checks which geometries take the direct
// kernel: the others keep the shifted-plane path.
func TestDirectDepthwiseApplies(t *testing.T) {
	base := ConvParams{KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, Pads: [4]int{1, 1, 1, 1}}
	cases := []struct {
		name      string
		c, groups int
		edit      func(p *ConvParams)
		want      bool
	}{
		{"3x3 stride 1", 8, 8, func(*ConvParams) {}, true},
		{"5x5 stride 2", 8, 8, func(p *ConvParams) {
			p.KernelH, p.KernelW, p.StrideH, p.StrideW, p.Pads = 5, 5, 2, 2, [4]int{2, 2, 2, 2}
		}, true},
		{"dense", 8, 1, func(*ConvParams) {}, false},
		{"two channels per group", 8, 4, func(*ConvParams) {}, false},
		{"7x7", 8, 8, func(p *ConvParams) { p.KernelH, p.KernelW, p.Pads = 7, 7, [4]int{3, 3, 3, 3} }, false},
		{"stride 3", 8, 8, func(p *ConvParams) { p.StrideH, p.StrideW = 3, 3 }, false},
		{"stride 2 by 1", 8, 8, func(p *ConvParams) { p.StrideH = 2 }, false},
		{"dilation 2", 8, 8, func(p *ConvParams) { p.DilationH, p.DilationW = 2, 2 }, false},
		{"pad as large as the kernel", 8, 8, func(p *ConvParams) { p.Pads = [4]int{3, 1, 1, 1} }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.edit(&p)
			g, err := NewConvGeometry(tc.c, 12, 12, tc.groups, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := dwApplies(&g); got != tc.want {
				t.Errorf("dwApplies = %v, want %v", got, tc.want)
			}
		})
	}
}

// BenchmarkDepthwise times MobileNetV2's 3×3 and MobileNetV3-large's 5×5
// depthwise geometries on one thread with the direct kernel and the
// shifted-plane path; the direct kernel with four channels or four rows at a time.
func BenchmarkDepthwise(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct{ c, hw, k, s int }{
		{32, 112, 3, 1}, {96, 112, 3, 2}, {144, 56, 3, 1}, {144, 56, 3, 2}, {192, 28, 3, 1}, {384, 14, 3, 1}, {576, 14, 3, 2}, {960, 7, 3, 1},
		{72, 56, 5, 2}, {120, 28, 5, 1}, {672, 14, 5, 2}, {960, 7, 5, 1},
	} {
		p := tc.k / 2
		g, err := NewConvGeometry(tc.c, tc.hw, tc.hw, tc.c, ConvParams{KernelH: tc.k, KernelW: tc.k, StrideH: tc.s, StrideW: tc.s, Pads: [4]int{p, p, p, p}})
		if err != nil {
			b.Fatal(err)
		}
		wt := importer.NewFloat([]int{tc.c, 1, tc.k, tc.k}, randSlice(r, tc.c*tc.k*tc.k))
		bias := importer.NewFloat([]int{tc.c}, randSlice(r, tc.c))
		cw := packConvWeights(wt, tc.c)
		x := randSlice(r, tc.c*tc.hw*tc.hw)
		out := make([]float32, tc.c*g.P())
		for _, mode := range []string{"quads", "rows", "shifted"} {
			b.Run(fmt.Sprintf("c%d_%d_k%d_s%d/%s", tc.c, tc.hw, tc.k, tc.s, mode), func(b *testing.B) {
				useDirectDepthwise, useDWQuads = mode != "shifted", mode == "quads"
				defer func() { useDirectDepthwise, useDWQuads = true, hasDWQuads }()
				for b.Loop() {
					convForward(&g, &cw, x, bias, out, 1, tc.c, 1, nil, nil)
				}
			})
		}
	}
}
