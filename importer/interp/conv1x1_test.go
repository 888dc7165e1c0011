package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestConv1x1Bits holds the in-place 1×1 convolution (conv1x1.go) against
// the packed path it replaces, bit for bit, and against the naive loop:
// pixel counts with and without a partial column panel (odd, below one
// panel, exact multiples; partial panels of at most 8 columns take the
// column kernels, wider ones the packed 16-column path), output channels that fill 18-, 12- and 6-row
// kernels or leave a partial row panel, one to three k-blocks, with and
// without bias, plain, with a fused activation and with a fused residual
// (shortcut on either side), 1 to 3 workers (outputs of at least
// 3·6·workers channels split by rows, others by column panels), and
// batches of images (one worker per image, the residual at each image's
// offset).
func TestConv1x1Bits(t *testing.T) {
	if !conv1x1Applies() {
		t.Skip("the in-place 1×1 kernels need AVX-512")
	}
	r := rand.New(rand.NewPCG(11, 12))
	cases := []struct{ n, k, h, w, m int }{
		{1, 24, 7, 7, 144},   // P = 49: 3 full panels and 1 column
		{1, 300, 5, 7, 29},   // two k-blocks, 18 + 6 + 5 rows
		{1, 16, 14, 14, 96},  // P = 196
		{1, 40, 1, 16, 20},   // one full panel, no tail
		{1, 530, 3, 5, 7},    // three k-blocks, only a partial column panel
		{1, 160, 7, 7, 960},  // MobileNetV2's last expansion
		{1, 64, 9, 11, 6},    // one row panel
		{1, 3, 56, 56, 32},   // 18 + 12 + 2 rows
		{1, 257, 8, 8, 50},   // a 1-deep second k-block
		{1, 8, 5, 5, 1},      // one row
		{1, 96, 13, 17, 41},  // 221 pixels
		{1, 576, 14, 14, 96}, // MobileNetV2's 14×14 projection
		{3, 32, 9, 9, 40},    // a batch
		{4, 270, 5, 6, 23},   // a batch, two k-blocks
		{1, 40, 3, 7, 29},    // P = 21: a 5-column partial panel
		{1, 300, 4, 6, 50},   // P = 24: 8 columns, two k-blocks
	}
	relu := epilogue(func(v []float32) { reluSlice(v, v) })
	fusions := []struct {
		name  string
		ep    epilogue
		first bool
		res   bool
	}{
		{"plain", nil, false, false},
		{"relu", relu, false, false},
		{"residual", nil, false, true},
		{"shortcut+relu", nil, true, true},
	}
	for _, tc := range cases {
		g := conv1x1Geometry(t, tc.k, tc.h, tc.w)
		P := g.P()
		wt := importer.NewFloat([]int{tc.m, tc.k, 1, 1}, randSlice(r, tc.m*tc.k))
		cw := packConvWeights(wt, 1)
		x := randSlice(r, tc.n*tc.k*P)
		short := randSlice(r, tc.n*tc.m*P)
		for _, withBias := range []bool{true, false} {
			var b *importer.Tensor
			var bias []float32
			if withBias {
				bias = randSlice(r, tc.m)
				b = importer.NewFloat([]int{tc.m}, bias)
			}
			want := naiveGeomConv(&g, wt.Float, bias, x, tc.n, tc.m)
			for _, f := range fusions {
				for workers := 1; workers <= 3; workers++ {
					name := fmt.Sprintf("n%d_k%d_%dx%d_m%d/bias=%v/%s/w=%d", tc.n, tc.k, tc.h, tc.w, tc.m, withBias, f.name, workers)
					t.Run(name, func(t *testing.T) {
						var rs *residual
						if f.res {
							rs = &residual{residualSpec: residualSpec{first: f.first, act: relu}, r: short, shape: []int{tc.n, tc.m, tc.h, tc.w}}
						}
						run := func(inPlace bool) []float32 {
							useConv1x1 = inPlace
							defer func() { useConv1x1 = true }()
							out := make([]float32, tc.n*tc.m*P)
							// The in-place path must write every
							// element; the packed one adds to a
							// bias-filled or zeroed output.
							if inPlace || withBias {
								for i := range out {
									out[i] = float32(math.NaN())
								}
							}
							convForward(&g, &cw, x, b, out, tc.n, tc.m, workers, f.ep, rs)
							return out
						}
						got, packed := run(true), run(false)
						if firstBitDiff(got, packed) >= 0 {
							t.Fatalf("in-place differs from the packed path by up to %g", maxAbsDiff(got, packed))
						}
						ref := slices.Clone(want)
						rs.apply(ref, 0)
						if rs == nil {
							f.ep.apply(ref)
						}
						if d := maxAbsDiff(got, ref); !(d < 1e-3) {
							t.Errorf("differs from the naive loop by %g", d)
						}
					})
				}
			}
		}
	}
}

// TestConv1x1SignedZeros holds the in-place path against the packed one
// where only the order of the sums shows: every product underflows to −0
// (so every accumulator is −0) and the bias is −0. The packed path adds a
// partial tile to C through a zeroed buffer (−0 + (+0 + −0) = +0) and a
// full one directly (−0 + −0 = −0); the in-place kernels must do the same
// for each row.
func TestConv1x1SignedZeros(t *testing.T) {
	if !conv1x1Applies() {
		t.Skip("the in-place 1×1 kernels need AVX-512")
	}
	for _, k := range []int{3, 300} {
		for _, m := range []int{6, 12, 16, 17, 23, 40, 144} {
			for _, hw := range [][2]int{{7, 7}, {14, 14}, {8, 8}, {3, 5}, {3, 7}, {4, 6}} {
				g := conv1x1Geometry(t, k, hw[0], hw[1])
				P := g.P()
				w, x, bias := make([]float32, m*k), make([]float32, k*P), make([]float32, m)
				underflowToNegZero(w, x, bias)
				cw := packConvWeights(importer.NewFloat([]int{m, k, 1, 1}, w), 1)
				b := importer.NewFloat([]int{m}, bias)
				for workers := 1; workers <= 2; workers++ {
					run := func(inPlace bool) []float32 {
						useConv1x1 = inPlace
						defer func() { useConv1x1 = true }()
						out := make([]float32, m*P)
						convForward(&g, &cw, x, b, out, 1, m, workers, nil, nil)
						return out
					}
					got, packed := run(true), run(false)
					if i := firstBitDiff(got, packed); i >= 0 {
						t.Fatalf("k%d m%d %dx%d w=%d: output %d (row %d, column %d) is %g, the packed path's %g", k, m, hw[0], hw[1], workers, i, i/P, i%P, got[i], packed[i])
					}
				}
			}
		}
	}
}
