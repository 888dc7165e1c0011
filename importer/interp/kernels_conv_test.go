package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
)

// naiveGeomConv is the textbook convolution loop in float64 over an N×C×H×W
// input, the reference for convForward.
func naiveGeomConv(g *ConvGeometry, w, bias, x []float32, n, m int) []float32 {
	gc, mg := g.GroupC(), m/g.Groups
	out := make([]float32, n*m*g.P())
	for img := 0; img < n; img++ {
		for oc := 0; oc < m; oc++ {
			grp := oc / mg
			for oh := 0; oh < g.OutH; oh++ {
				for ow := 0; ow < g.OutW; ow++ {
					s := 0.0
					if bias != nil {
						s = float64(bias[oc])
					}
					for c := 0; c < gc; c++ {
						ic := grp*gc + c
						for kh := 0; kh < g.KH; kh++ {
							ih := oh*g.StrideH - g.PadT + kh*g.DilH
							if ih < 0 || ih >= g.InH {
								continue
							}
							for kw := 0; kw < g.KW; kw++ {
								iw := ow*g.StrideW - g.PadL + kw*g.DilW
								if iw < 0 || iw >= g.InW {
									continue
								}
								s += float64(w[((oc*gc+c)*g.KH+kh)*g.KW+kw]) * float64(x[((img*g.InC+ic)*g.InH+ih)*g.InW+iw])
							}
						}
					}
					out[((img*m+oc)*g.OutH+oh)*g.OutW+ow] = float32(s)
				}
			}
		}
	}
	return out
}

// TestShiftConv checks the shifted-plane convolution against im2col (bit
// for bit: same products, same order) and against the naive loop, over
// kernel sizes, strides, asymmetric pads, dilation, groups, channel counts around
// the kernel's 6-row and 256-deep blocking, batch and worker counts, with
// the assembly and the portable micro-kernels.
func TestShiftConv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		n, c, h, w, m, groups, k int
		pads                     [4]int
		dil                      int
		bias                     bool
		sh, sw                   int // strides (0 = 1)
	}{
		{1, 1, 28, 28, 6, 1, 5, [4]int{2, 2, 2, 2}, 1, true, 1, 1},  // LeNet conv1
		{3, 6, 14, 14, 16, 1, 5, [4]int{0, 0, 0, 0}, 1, true, 1, 1}, // LeNet conv2, no padding
		{2, 16, 14, 14, 16, 1, 3, [4]int{1, 1, 1, 1}, 1, false, 1, 1},
		{1, 3, 9, 7, 13, 1, 3, [4]int{0, 2, 1, 0}, 1, true, 1, 1},      // asymmetric pads, odd sizes
		{2, 4, 10, 12, 8, 2, 3, [4]int{2, 2, 2, 2}, 2, true, 1, 1},     // dilation, groups
		{1, 8, 7, 7, 8, 8, 3, [4]int{1, 1, 1, 1}, 1, true, 1, 1},       // depthwise
		{1, 40, 6, 6, 20, 1, 3, [4]int{1, 1, 1, 1}, 1, true, 1, 1},     // K = 360 > gemmKC
		{2, 5, 1, 17, 7, 1, 1, [4]int{0, 3, 0, 1}, 1, true, 1, 1},      // 1×k over one row, padded 1×1
		{1, 2, 4, 4, 3, 1, 4, [4]int{0, 0, 0, 0}, 1, true, 1, 1},       // kernel as large as the input
		{2, 16, 14, 14, 32, 1, 3, [4]int{1, 1, 1, 1}, 1, true, 2, 2},   // strided 3×3 (ResNet downsampling)
		{1, 3, 23, 21, 8, 1, 7, [4]int{3, 3, 3, 3}, 1, false, 2, 2},    // 7×7/2 stem, odd input
		{1, 4, 13, 11, 5, 1, 3, [4]int{2, 0, 1, 2}, 2, true, 3, 3},     // stride 3, dilation 2, asymmetric pads
		{2, 3, 9, 10, 7, 1, 3, [4]int{1, 1, 1, 1}, 1, true, 2, 1},      // stride 2 by 1
		{1, 6, 9, 9, 6, 6, 3, [4]int{1, 1, 1, 1}, 1, true, 2, 2},       // depthwise, strided
		{1, 6, 7, 75, 6, 6, 3, [4]int{1, 1, 1, 1}, 1, true, 2, 2},      // depthwise, strided, rows long enough for the vector phase split
		{1, 3, 5, 64, 4, 1, 3, [4]int{0, 0, 1, 1}, 1, true, 2, 2},      // strided, even rows, no left pad
		{1, 3, 64, 64, 32, 1, 3, [4]int{1, 1, 1, 1}, 1, true, 2, 2},    // MobileNet-like stem: bias fill and crop split over the workers
		{1, 5, 8, 8, 4, 1, 2, [4]int{0, 0, 0, 0}, 1, true, 2, 2},       // 2×2/2: one phase per tap
		{2, 32, 28, 28, 32, 32, 3, [4]int{1, 1, 1, 1}, 1, false, 1, 1}, // depthwise, channels split across workers
		{1, 5, 11, 9, 5, 5, 5, [4]int{2, 2, 2, 2}, 1, true, 1, 1},      // depthwise 5×5
		{1, 4, 9, 9, 8, 4, 3, [4]int{1, 1, 1, 1}, 1, true, 1, 1},       // depthwise with multiplier 2 (GEMM route)
	}
	for _, asm := range []bool{true, false} {
		for _, tc := range cases {
			for _, workers := range []int{1, 2, 3} {
				name := fmt.Sprintf("asm=%v/n%d_c%d_%dx%d_m%d_g%d_k%d_pad%v_d%d_s%dx%d/w=%d", asm, tc.n, tc.c, tc.h, tc.w, tc.m, tc.groups, tc.k, tc.pads, tc.dil, tc.sh, tc.sw, workers)
				t.Run(name, func(t *testing.T) {
					savedAsm := useAsmKernel
					useAsmKernel = asm && savedAsm
					defer func() { useAsmKernel = savedAsm; useShiftConv = true }()
					g, err := NewConvGeometry(tc.c, tc.h, tc.w, tc.groups, ConvParams{KernelH: min(tc.k, tc.h), KernelW: tc.k, StrideH: tc.sh, StrideW: tc.sw, DilationH: tc.dil, DilationW: tc.dil, Pads: tc.pads})
					if err != nil {
						t.Fatal(err)
					}
					if !shiftApplies(&g) {
						t.Fatal("the shifted-plane path does not apply")
					}
					wt := importer.NewFloat([]int{tc.m, tc.c / tc.groups, g.KH, g.KW}, randSlice(r, tc.m*tc.c/tc.groups*g.KH*g.KW))
					x := randSlice(r, tc.n*tc.c*tc.h*tc.w)
					var b *importer.Tensor
					var bias []float32
					if tc.bias {
						bias = randSlice(r, tc.m)
						b = importer.NewFloat([]int{tc.m}, bias)
					}
					cw := packConvWeights(wt, tc.groups)
					run := func(shift bool) []float32 {
						useShiftConv = shift
						return convForwardChecked(&g, &cw, x, b, tc.n, tc.m, workers)
					}
					got, im2col := run(true), run(false)
					if !slices.Equal(got, im2col) {
						t.Errorf("shifted planes differ from im2col by up to %g", maxAbsDiff(got, im2col))
					}
					want := naiveGeomConv(&g, wt.Float, bias, x, tc.n, tc.m)
					if d := maxAbsDiff(got, want); !(d < 1e-4) {
						t.Errorf("shifted planes differ from the naive loop by %g", d)
					}
				})
			}
		}
	}
}

// TestBatchConv checks the batch-lane convolution against the per-image
// paths (bit for bit) and the naive loop, over strides, pads, dilation,
// kernels deeper than gemmKC, output channel counts that fill one, two or
// three row panels or leave a remainder, batches with and without a
// remainder of images, worker counts, and both micro-kernel families.
func TestBatchConv(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		n, c, h, w, m, k int
		pads             [4]int
		dil, sh, sw      int
		bias             bool
	}{
		{16, 1, 28, 28, 6, 5, [4]int{2, 2, 2, 2}, 1, 1, 1, true},   // LeNet conv1, one lane group
		{37, 16, 14, 14, 16, 3, [4]int{1, 1, 1, 1}, 1, 1, 1, true}, // two groups + 5 single images
		{33, 16, 14, 14, 32, 3, [4]int{1, 1, 1, 1}, 1, 2, 2, false},
		{32, 64, 4, 4, 64, 3, [4]int{1, 1, 1, 1}, 1, 1, 1, true},   // K = 576 > gemmKC, 11 row panels
		{17, 40, 6, 6, 20, 3, [4]int{1, 1, 1, 1}, 1, 1, 1, true},   // K = 360
		{20, 3, 9, 7, 13, 3, [4]int{0, 2, 1, 0}, 1, 1, 1, true},    // asymmetric pads
		{16, 4, 13, 11, 5, 3, [4]int{2, 0, 1, 2}, 2, 3, 3, true},   // stride 3, dilation 2
		{18, 3, 9, 10, 7, 3, [4]int{1, 1, 1, 1}, 1, 2, 1, true},    // stride 2 by 1
		{16, 5, 8, 8, 36, 2, [4]int{0, 0, 0, 0}, 1, 2, 2, true},    // 2×2/2, 6 full panels
		{16, 2, 4, 4, 3, 4, [4]int{0, 0, 0, 0}, 1, 1, 1, false},    // kernel as large as the input
		{48, 8, 5, 5, 24, 3, [4]int{1, 1, 1, 1}, 1, 1, 1, true},    // three groups, 4 panels
		{64, 16, 14, 14, 16, 3, [4]int{1, 1, 1, 1}, 1, 1, 1, true}, // four groups, rows split over workers
		{23, 3, 11, 9, 8, 3, [4]int{1, 1, 1, 1}, 1, 1, 1, false},   // one group split into parts of unaligned positions
	}
	for _, asm := range []bool{true, false} {
		for _, tc := range cases {
			for _, workers := range []int{1, 2, 3} {
				name := fmt.Sprintf("asm=%v/n%d_c%d_%dx%d_m%d_k%d_pad%v_d%d_s%dx%d/w=%d", asm, tc.n, tc.c, tc.h, tc.w, tc.m, tc.k, tc.pads, tc.dil, tc.sh, tc.sw, workers)
				t.Run(name, func(t *testing.T) {
					savedAsm := useAsmKernel
					useAsmKernel = asm && savedAsm
					defer func() { useAsmKernel = savedAsm; useBatchConv = true }()
					g, err := NewConvGeometry(tc.c, tc.h, tc.w, 1, ConvParams{KernelH: tc.k, KernelW: tc.k, StrideH: tc.sh, StrideW: tc.sw, DilationH: tc.dil, DilationW: tc.dil, Pads: tc.pads})
					if err != nil {
						t.Fatal(err)
					}
					if !batchApplies(&g, tc.m) {
						t.Fatal("the batch-lane path does not apply")
					}
					wt := importer.NewFloat([]int{tc.m, tc.c, g.KH, g.KW}, randSlice(r, tc.m*tc.c*g.KH*g.KW))
					x := randSlice(r, tc.n*tc.c*tc.h*tc.w)
					var b *importer.Tensor
					var bias []float32
					if tc.bias {
						bias = randSlice(r, tc.m)
						b = importer.NewFloat([]int{tc.m}, bias)
					}
					cw := packConvWeights(wt, 1)
					run := func(lanes bool) []float32 {
						useBatchConv = lanes
						return convForwardChecked(&g, &cw, x, b, tc.n, tc.m, workers)
					}
					got, perImage := run(true), run(false)
					if !slices.Equal(got, perImage) {
						t.Errorf("batch lanes differ from the per-image path by up to %g", maxAbsDiff(got, perImage))
					}
					want := naiveGeomConv(&g, wt.Float, bias, x, tc.n, tc.m)
					if d := maxAbsDiff(got, want); !(d < 1e-4) {
						t.Errorf("batch lanes differ from the naive loop by %g", d)
					}
				})
			}
		}
	}
}

// convForwardChecked runs convForward into an output filled with NaN where
// the kernel adds to a bias (so an element the path never writes shows up)
// and with zeros where it accumulates from nothing.
func convForwardChecked(g *ConvGeometry, cw *convWeights, x []float32, b *importer.Tensor, n, m, workers int) []float32 {
	out := make([]float32, n*m*g.P())
	if b != nil {
		for i := range out {
			out[i] = float32(math.NaN()) // every element must be written
		}
	}
	convForward(g, cw, x, b, out, n, m, workers, nil, nil)
	return out
}

// TestDeinterleave2 checks the stride-2 phase split against the plain
// loop for row lengths around the vector kernel's 32-value steps.
func TestDeinterleave2(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 100; n++ {
		src := randSlice(r, n)
		even := make([]float32, (n+1)/2+1)
		odd := make([]float32, n/2+1)
		even[len(even)-1], odd[len(odd)-1] = -7, -7 // past the end: untouched
		deinterleave2(even, odd, src)
		for i, v := range src {
			got := even[i/2]
			if i%2 == 1 {
				got = odd[i/2]
			}
			if got != v {
				t.Fatalf("n=%d: value %d = %g, want %g", n, i, got, v)
			}
		}
		if even[len(even)-1] != -7 || odd[len(odd)-1] != -7 {
			t.Fatalf("n=%d: wrote past the phase rows", n)
		}
	}
}

// TestShiftPlanPad checks the phase planes pad writes against a plain
// scatter of the input into zeroed planes, into a buffer that starts as
// NaN so that a value pad leaves unwritten shows, over strides 1 to 3,
// asymmetric pads and rows long enough for the vector phase split.
func TestShiftPlanPad(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		c, h, w, k, sh, sw int
		pads               [4]int
	}{
		{2, 5, 7, 3, 1, 1, [4]int{1, 1, 1, 1}},
		{3, 9, 75, 3, 2, 2, [4]int{1, 1, 1, 1}},
		{2, 8, 64, 3, 2, 2, [4]int{0, 0, 1, 1}},
		{1, 7, 40, 3, 2, 2, [4]int{0, 1, 2, 0}},
		{2, 11, 13, 5, 3, 3, [4]int{2, 1, 0, 2}},
		{1, 6, 9, 3, 2, 1, [4]int{1, 1, 1, 1}},
		{1, 6, 9, 3, 1, 2, [4]int{1, 2, 1, 0}},
	}
	for _, tc := range cases {
		g, err := NewConvGeometry(tc.c, tc.h, tc.w, 1, ConvParams{KernelH: tc.k, KernelW: tc.k, StrideH: tc.sh, StrideW: tc.sw, DilationH: 1, DilationW: 1, Pads: tc.pads})
		if err != nil {
			t.Fatal(err)
		}
		s := newShiftPlan(&g)
		x := randSlice(r, tc.c*tc.h*tc.w)
		got := make([]float32, s.input)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		s.pad(&g, x, got)
		plane := s.hq * s.wq
		channel := tc.sh * tc.sw * plane
		scattered := func(x []float32) []float32 {
			want := make([]float32, s.input)
			for c := 0; c < tc.c; c++ {
				for h := 0; h < tc.h; h++ {
					for w := 0; w < tc.w; w++ {
						ph, pw := h+g.PadT, w+g.PadL
						want[c*channel+((ph%tc.sh)*tc.sw+pw%tc.sw)*plane+(ph/tc.sh)*s.wq+pw/tc.sw] = x[(c*tc.h+h)*tc.w+w]
					}
				}
			}
			return want
		}
		if !slices.Equal(got, scattered(x)) {
			t.Errorf("%+v: phase planes differ from the scatter", tc)
		}
		// The depthwise path pads once and then scatters channel after
		// channel into the same buffer: nothing of x may survive.
		x2 := randSlice(r, tc.c*tc.h*tc.w)
		s.scatter(&g, x2, got)
		if !slices.Equal(got, scattered(x2)) {
			t.Errorf("%+v: scattering into a padded buffer differs from padding afresh", tc)
		}
	}
}
