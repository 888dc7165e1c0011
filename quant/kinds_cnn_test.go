package quant

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
)

// Small in-memory models for the integer kinds of modern CNNs
// (squeeze-and-excitation, SiLU, channel shuffle, padding, mean reduction,
// resizing). Each is quantized at 8 bits and checked against the float
// interpreter's output (SQNR), the kind it must produce is required in the
// program, and the QDQ export read back must give the identical codes.

func randomBatch(seed int64, n int, shape ...int) *importer.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := &importer.Tensor{DType: importer.Float, Shape: append([]int{n}, shape...)}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = float32(r.NormFloat64())
	}
	return t
}

func sqnrOf(ref, x []float32) float64 {
	var sig, noise float64
	for i := range ref {
		d := float64(ref[i]) - float64(x[i])
		sig += float64(ref[i]) * float64(ref[i])
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

type kindCase struct {
	name string
	in   []int
	// build adds the nodes and returns the output value.
	build func(g *graphtest.Builder) string
	kind  OpKind  // must occur in the program
	sqnr  float64 // lowest acceptable SQNR vs float, dB
}

var cnnKindCases = []kindCase{
	{name: "squeeze-excitation", in: []int{8, 6, 6}, kind: OpMul, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Node("Relu", []string{g.Conv("x", "c1", 8, 8, 3, 1)}, "r1")
		p := g.Node("GlobalAveragePool", []string{c}, "gap")
		f := g.Node("Relu", []string{g.Conv(p, "fc1", 8, 4, 1, 1)}, "f1")
		s := g.Node("HardSigmoid", []string{g.Conv(f, "fc2", 4, 8, 1, 1)}, "gate", &importer.Attr{Name: "alpha", Kind: importer.AttrFloat, F: 1.0 / 6})
		return g.Node("Mul", []string{c, s}, "y")
	}},
	{name: "gate-first-silu", in: []int{4, 5, 5}, kind: OpMul, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 4, 6, 3, 1)
		s := g.Node("Sigmoid", []string{c}, "sig")
		m := g.Node("Mul", []string{s, c}, "silu")
		return g.Conv(m, "c2", 6, 3, 1, 1)
	}},
	{name: "product-of-branches", in: []int{3, 4, 4}, kind: OpMul, sqnr: 30, build: func(g *graphtest.Builder) string {
		a := g.Conv("x", "a", 3, 5, 3, 1)
		b := g.Conv("x", "b", 3, 5, 1, 1)
		return g.Node("Mul", []string{a, b}, "y")
	}},
	{name: "spatial-gate-broadcast-over-channels", in: []int{2, 4, 6}, kind: OpMul, sqnr: 30, build: func(g *graphtest.Builder) string {
		a := g.Conv("x", "a", 2, 3, 3, 1)
		s := g.Node("Sigmoid", []string{g.Conv("x", "s", 2, 1, 3, 1)}, "gate")
		return g.Node("Mul", []string{s, a}, "y")
	}},
	{name: "channel-shuffle", in: []int{4, 5, 5}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Node("Relu", []string{g.Conv("x", "c1", 4, 8, 3, 1)}, "r1")
		a := g.Node("Slice", []string{c, g.Ints("s0", 0), g.Ints("e0", 4), g.Ints("ax0", 1)}, "half0")
		h := g.Node("Slice", []string{c, g.Ints("s1", 4), g.Ints("e1", 8), g.Ints("ax1", 1)}, "half1")
		h = g.Node("Relu", []string{g.Conv(h, "c2", 4, 4, 3, 4)}, "r2")
		cat := g.Node("Concat", []string{a, h}, "cat", graphtest.AInt("axis", 1))
		r := g.Node("Reshape", []string{cat, g.Ints("shp", 0, 2, 4, 5, 5)}, "grp")
		t := g.Node("Transpose", []string{r}, "shuf", graphtest.AInts("perm", 0, 2, 1, 3, 4))
		return g.Node("Reshape", []string{t, g.Ints("shp2", 0, -1, 5, 5)}, "y")
	}},
	{name: "strided-negative-slice", in: []int{3, 6, 6}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 3, 4, 3, 1)
		return g.Node("Slice", []string{c, g.Ints("s", -1, 1), g.Ints("e", -100, 6), g.Ints("ax", 3, 2), g.Ints("st", -2, 2)}, "y")
	}},
	{name: "pad-then-average", in: []int{3, 5, 5}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Node("Relu", []string{g.Conv("x", "c1", 3, 4, 3, 1)}, "r1")
		p := g.Node("Pad", []string{c, g.Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1)}, "padded")
		return g.Node("AveragePool", []string{p}, "y", graphtest.AInts("kernel_shape", 3, 3))
	}},
	{name: "pad-constant-value", in: []int{2, 4, 4}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 2, 3, 3, 1)
		return g.Node("Pad", []string{c, g.Ints("pads", 0, 0, 2, 0, 0, 0, 1, 3), g.Floats("v", 0.75)}, "y")
	}},
	{name: "pad-reflect-edge", in: []int{2, 4, 4}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 2, 3, 3, 1)
		r := g.Node("Pad", []string{c, g.Ints("pads", 0, 0, 2, 1, 0, 0, 1, 2)}, "refl", graphtest.AStr("mode", "reflect"))
		return g.Node("Pad", []string{r, g.Ints("pads2", 0, 0, 1, 1, 0, 0, 1, 1)}, "y", graphtest.AStr("mode", "edge"))
	}},
	{name: "split-add", in: []int{2, 4, 4}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 2, 6, 3, 1)
		g.NodeOutputs("Split", []string{c, g.Ints("sizes", 2, 4)}, []string{"p", "q"}, graphtest.AInt("axis", 1))
		q := g.Node("Slice", []string{"q", g.Ints("s", 1), g.Ints("e", 3), g.Ints("ax", 1)}, "q2")
		return g.Node("Add", []string{"p", q}, "y")
	}},
	{name: "depth-to-space", in: []int{2, 3, 3}, kind: OpGather, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 2, 8, 3, 1)
		return g.Node("DepthToSpace", []string{c}, "y", graphtest.AInt("blocksize", 2), graphtest.AStr("mode", "CRD"))
	}},
	{name: "reduce-mean-classifier", in: []int{3, 6, 6}, kind: OpGlobalAvg, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Node("Relu", []string{g.Conv("x", "c1", 3, 8, 3, 1)}, "r1")
		m := g.Node("ReduceMean", []string{c}, "mean", graphtest.AInts("axes", 2, 3), graphtest.AInt("keepdims", 0))
		return g.Node("Gemm", []string{m, g.Param("fcw", 0.4, 5, 8), g.Param("fcb", 0.1, 5)}, "y", graphtest.AInt("transB", 1))
	}},
	{name: "reduce-max-keepdims", in: []int{3, 6, 6}, kind: OpGlobalMax, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Conv("x", "c1", 3, 4, 3, 1)
		m := g.Node("ReduceMax", []string{c}, "mx", graphtest.AInts("axes", -1, -2))
		return g.Node("Mul", []string{c, m}, "y")
	}},
	{name: "segmentation-head-sizes-from-shapes", in: []int{3, 16, 16}, kind: OpResize, sqnr: 30, build: func(g *graphtest.Builder) string {
		c := g.Node("Relu", []string{g.Conv("x", "c1", 3, 6, 3, 1)}, "r1")
		p := g.Node("MaxPool", []string{c}, "p", graphtest.AInts("kernel_shape", 4, 4), graphtest.AInts("strides", 4, 4))
		h := g.Conv(p, "head", 6, 4, 1, 1)
		// PyTorch's F.interpolate(h, size=x.shape[-2:]): sizes = concat(shape(h)[:2], shape(x)[2:]).
		sh := g.Node("Shape", []string{h}, "sh")
		nc := g.Node("Slice", []string{sh, g.Ints("s0", 0), g.Ints("e0", 2), g.Ints("a0", 0)}, "nc")
		sx := g.Node("Shape", []string{"x"}, "sx")
		hw := g.Node("Slice", []string{sx, g.Ints("s1", 2), g.Ints("e1", 4), g.Ints("a1", 0)}, "hw")
		sizes := g.Node("Concat", []string{nc, hw}, "sizes", graphtest.AInt("axis", 0))
		return g.Node("Resize", []string{h, "", "", sizes}, "y", graphtest.AStr("mode", "linear"), graphtest.AStr("coordinate_transformation_mode", "half_pixel"))
	}},
	{name: "broadcasting-add-of-activations", in: []int{3, 5, 6}, kind: OpAdd, sqnr: 30, build: func(g *graphtest.Builder) string {
		a := g.Conv("x", "a", 3, 4, 3, 1)
		col := g.Node("MaxPool", []string{g.Conv("x", "b", 3, 4, 1, 1)}, "colmax", graphtest.AInts("kernel_shape", 5, 1))
		return g.Node("Add", []string{col, a}, "y")
	}},
}

func TestCNNKinds(t *testing.T) {
	for _, tc := range cnnKindCases {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(7)
			out := tc.build(g)
			m := g.Model(tc.in, out)
			calib, x := randomBatch(1, 64, tc.in...), randomBatch(2, 16, tc.in...)
			ref := floatRun(t, m, x)
			cfg := DefaultConfig()
			cfg.Calib, cfg.PerChannel = 64, true
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(net.Ops, func(op Op) bool { return op.Kind == tc.kind }) {
				t.Fatalf("no %s op in the program", tc.kind)
			}
			got, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape, ref.Shape) {
				t.Fatalf("output shape %v, float %v", got.Shape, ref.Shape)
			}
			if s := sqnrOf(ref.Float, got.Float); !(s >= tc.sqnr) {
				t.Errorf("SQNR %.1f dB < %g dB", s, tc.sqnr)
			}
			// QDQ export read back: identical codes (lookup tables and the
			// fixed-point Resize have no QDQ form; their export is refused).
			if slices.ContainsFunc(net.Ops, func(op Op) bool { return op.Kind == OpLUT || op.Kind == OpResize }) {
				return
			}
			a, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := requireQDQSameCodes(t, net, []*importer.Tensor{x}, a); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestResizeAgainstFloat resizes the quantized network input itself, so that
// the integer result can be compared code by code with the float
// interpreter run on the dequantized input codes: every output code is
// within 1/2 (the final rounding) plus the fixed-point weight error of the
// exact value.
func TestResizeAgainstFloat(t *testing.T) {
	f := func(v float32) *importer.Attr {
		return &importer.Attr{Name: "cubic_coeff_a", Kind: importer.AttrFloat, F: v}
	}
	for _, tc := range []struct {
		name  string
		in    []int
		args  func(g *graphtest.Builder) []string
		attrs []*importer.Attr
	}{
		{"nearest-x2-scales", []int{2, 3, 4}, func(g *graphtest.Builder) []string { return []string{"", g.Floats("sc", 1, 1, 2, 2)} },
			[]*importer.Attr{graphtest.AStr("mode", "nearest")}},
		{"nearest-round-asymmetric-x1.5", []int{2, 4, 4}, func(g *graphtest.Builder) []string { return []string{"", g.Floats("sc", 1, 1, 1.5, 1.5)} },
			[]*importer.Attr{graphtest.AStr("mode", "nearest"), graphtest.AStr("coordinate_transformation_mode", "asymmetric"), graphtest.AStr("nearest_mode", "round_prefer_ceil")}},
		{"bilinear-half-pixel-x8", []int{3, 3, 4}, func(g *graphtest.Builder) []string { return []string{"", "", g.Ints("sz", 1, 3, 24, 32)} },
			[]*importer.Attr{graphtest.AStr("mode", "linear")}},
		{"bilinear-align-corners-7to5", []int{1, 7, 7}, func(g *graphtest.Builder) []string { return []string{"", "", g.Ints("sz", 1, 1, 5, 11)} },
			[]*importer.Attr{graphtest.AStr("mode", "linear"), graphtest.AStr("coordinate_transformation_mode", "align_corners")}},
		{"cubic-pytorch-half-pixel", []int{2, 5, 5}, func(g *graphtest.Builder) []string { return []string{"", g.Floats("sc", 1, 1, 1.6, 2)} },
			[]*importer.Attr{graphtest.AStr("mode", "cubic"), graphtest.AStr("coordinate_transformation_mode", "pytorch_half_pixel"), f(-0.5)}},
		{"crop-and-resize-extrapolation", []int{1, 6, 6}, func(g *graphtest.Builder) []string {
			return []string{g.Floats("roi", 0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3), "", g.Ints("sz", 1, 1, 5, 7)}
		}, []*importer.Attr{graphtest.AStr("mode", "linear"), graphtest.AStr("coordinate_transformation_mode", "tf_crop_and_resize"),
			&importer.Attr{Name: "extrapolation_value", Kind: importer.AttrFloat, F: 0.5}}},
		{"1d-linear", []int{3, 10}, func(g *graphtest.Builder) []string { return []string{"", g.Floats("sc", 1, 1, 0.7)} },
			[]*importer.Attr{graphtest.AStr("mode", "linear")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(5)
			y := g.Node("Resize", append([]string{"x"}, tc.args(g)...), "y", tc.attrs...)
			m := g.Model(tc.in, y)
			calib, x := randomBatch(1, 32, tc.in...), randomBatch(2, 1, tc.in...)
			net := quantizeOneOp(t, m, calib, OpResize)
			in := net.Values[net.Inputs[0].Value]
			deq, _ := dequantizedInput(net, 0, x)
			ref := floatRun(t, m, deq)
			got, shape, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(shape, ref.Shape) {
				t.Fatalf("shape %v, float %v", shape, ref.Shape)
			}
			lo, hi := in.Range()
			worst := 0.0
			for i, c := range got {
				want := math.Min(math.Max(float64(ref.Float[i])/in.Scale, float64(lo)), float64(hi))
				worst = math.Max(worst, math.Abs(float64(c)-want))
			}
			// 1/2 for the rounding, < 0.1 for the 12-bit weights of up to 16 taps.
			if worst > 0.6 {
				t.Errorf("an output code is %.3f codes from the exact interpolation", worst)
			}
		})
	}
}

// TestLoweredConvolutions quantizes ConvTranspose (1-D and 2-D: strides,
// pads, output_padding, output_shape, dilations, groups) and 1-D Conv, which
// reach the crossbars as 2-D Convs. The network is the layer alone, on the
// quantized input itself, so that its integer output can be checked code by
// code against a brute-force integer ConvTranspose (scatter of input codes
// times the original kernel's codes), requantized with the layer's own
// multipliers; and the dequantized output against the float interpreter's
// ConvTranspose (SQNR).
func TestLoweredConvolutions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []int // per sample [C, D...]
		wshape []int // ConvTranspose: [C, M/g, k...]; Conv: [M, C/g, k...]
		op     string
		attrs  []*importer.Attr
	}{
		{"convtranspose-s2-p1-op1", []int{3, 4, 5}, []int{3, 4, 3, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AInts("pads", 1, 1, 1, 1), graphtest.AInts("output_padding", 1, 1)}},
		{"convtranspose-groups-dilation", []int{4, 3, 3}, []int{4, 3, 2, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInt("group", 2), graphtest.AInts("dilations", 2, 1), graphtest.AInts("strides", 1, 3)}},
		{"convtranspose-large-pads-crop", []int{2, 5, 5}, []int{2, 2, 3, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AInts("pads", 3, 0, 2, 4)}},
		{"convtranspose-output-shape", []int{2, 4, 4}, []int{2, 3, 4, 4}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AInts("output_shape", 9, 8)}},
		{"convtranspose-depthwise-1d", []int{3, 7}, []int{3, 1, 4}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInt("group", 3), graphtest.AInts("strides", 3), graphtest.AInts("pads", 1, 2)}},
		{"conv-1d", []int{3, 12}, []int{5, 3, 3}, "Conv",
			[]*importer.Attr{graphtest.AInts("strides", 2), graphtest.AInts("pads", 1, 0), graphtest.AInts("dilations", 2)}},
		{"conv-3d", []int{4, 5, 7, 6}, []int{6, 2, 3, 3, 2}, "Conv",
			[]*importer.Attr{graphtest.AInt("group", 2), graphtest.AInts("strides", 2, 2, 1), graphtest.AInts("pads", 1, 1, 0, 1, 0, 1), graphtest.AInts("dilations", 2, 1, 2)}},
		{"conv-3d-same", []int{2, 4, 4, 4}, []int{3, 2, 3, 3, 3}, "Conv",
			[]*importer.Attr{graphtest.AStr("auto_pad", "SAME_UPPER"), graphtest.AInts("strides", 1, 3, 1)}},
		{"convtranspose-3d", []int{2, 3, 3, 2}, []int{2, 2, 2, 3, 2}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 1, 2), graphtest.AInts("pads", 0, 1, 0, 1, 0, 1)}},
		// kernel smaller than the stride: phases without taps are bias only
		{"convtranspose-kernel-below-stride", []int{2, 4, 5}, []int{2, 3, 2, 1}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 3, 2)}},
		// dilation sharing a factor with the stride (every tap of the
		// height in one residue class) and coprime with it (the width)
		{"convtranspose-dilation-stride", []int{3, 4, 4}, []int{3, 2, 3, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AInts("dilations", 2, 3), graphtest.AInts("pads", 1, 0, 0, 2)}},
		{"convtranspose-groups-output-padding-asymmetric", []int{4, 3, 4}, []int{4, 2, 3, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInt("group", 2), graphtest.AInts("strides", 2, 3), graphtest.AInts("output_padding", 1, 2),
				graphtest.AInts("pads", 0, 1, 2, 0)}},
		{"convtranspose-same-lower", []int{2, 3, 3}, []int{2, 2, 4, 4}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AStr("auto_pad", "SAME_LOWER")}},
		{"convtranspose-same-upper-3d", []int{2, 2, 3, 3}, []int{2, 2, 3, 2, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2, 1, 2), graphtest.AStr("auto_pad", "SAME_UPPER")}},
		{"convtranspose-1d-dilated", []int{3, 6}, []int{3, 2, 3}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInts("strides", 2), graphtest.AInts("dilations", 3), graphtest.AInts("pads", 2, 1), graphtest.AInts("output_padding", 1)}},
		{"convtranspose-3d-groups-crop", []int{4, 3, 2, 3}, []int{4, 1, 1, 3, 2}, "ConvTranspose",
			[]*importer.Attr{graphtest.AInt("group", 2), graphtest.AInts("strides", 2, 2, 3), graphtest.AInts("pads", 0, 3, 0, 1, 0, 1),
				graphtest.AInts("dilations", 1, 1, 2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(11)
			w := g.Param("w", 0.4, tc.wshape...)
			y := g.Node(tc.op, []string{"x", w, g.Param("b", 0.2, biasLen(tc.op, tc.wshape, tc.attrs))}, "y", tc.attrs...)
			m := g.Model(tc.in, y)
			calib, x := randomBatch(1, 32, tc.in...), randomBatch(2, 3, tc.in...)
			ref := floatRun(t, m, x)
			cfg := DefaultConfig()
			cfg.Calib, cfg.PerChannel = 32, true
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			// On the crossbars: Convs holding every weight once (one for a
			// Conv, one per phase with taps for a ConvTranspose).
			held := 0
			for _, l := range net.Linears {
				if l.Op != "Conv" {
					t.Fatalf("linear %q is a %s, want a Conv on the crossbars", l.Name, l.Op)
				}
				held += l.Groups * l.K * l.N
			}
			if wlen := net.Layers[0].Weights; tc.op == "Conv" && len(net.Linears) != 1 || held != product(tc.wshape) {
				t.Fatalf("%d linears hold %d weights (first %d), want the kernel's %d once", len(net.Linears), held, wlen, product(tc.wshape))
			}
			got, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			requireNearFloat(t, got, ref)
			if tc.op != "ConvTranspose" {
				return
			}
			codes, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteConvTranspose(t, net, m, x, ref.Shape)
			if !slices.Equal(codes, want) {
				diff := 0
				for i := range codes {
					if codes[i] != want[i] {
						diff++
					}
				}
				t.Errorf("%d of %d output codes differ from the brute-force integer ConvTranspose", diff, len(codes))
			}
		})
	}
}

func biasLen(op string, w []int, attrs []*importer.Attr) int {
	if op == "Conv" {
		return w[0]
	}
	g := 1
	for _, a := range attrs {
		if a.Name == "group" {
			g = int(a.I)
		}
	}
	return w[1] * g
}

// bruteConvTranspose computes the integer ConvTranspose straight from its
// definition: every input code scatters code·W_code[c, m, t] to output
// position i·s - pad_begin + t·d; then bias, the layer's multiplier per
// channel and the clamp. The kernel codes are quantized here from the float
// kernel (per output channel, max|w|/127), the pads come from the float
// output's size, and the bias and multipliers are those every phase of the
// layer shares (checked), so nothing of the phase decomposition is reused.
func bruteConvTranspose(t *testing.T, net *Network, m *importer.Model, x *importer.Tensor, outShape []int) []int32 {
	t.Helper()
	n := m.Graph.Nodes[0]
	attr := func(name string, def []int64, sp int) []int {
		v := def
		if a := n.Attrs[name]; a != nil {
			v = a.Ints
		}
		out := make([]int, sp)
		for i := range out {
			if v == nil {
				out[i] = 1
			} else {
				out[i] = int(v[i])
			}
		}
		return out
	}
	var lin *Op
	for i := range net.Ops {
		op := &net.Ops[i]
		if op.Kind != OpLinear {
			continue
		}
		if lin == nil {
			lin = op
		} else if !slices.Equal(op.Bias, lin.Bias) || !slices.Equal(op.Mult, lin.Mult) || op.Lo != lin.Lo || op.Hi != lin.Hi {
			t.Fatalf("phases %s and %s requantize differently", lin.Name, op.Name)
		}
	}
	in := net.Values[net.Inputs[0].Value].Shape
	sp := in[1:]
	group := 1
	if a := n.Attrs["group"]; a != nil {
		group = int(a.I)
	}
	w := m.Graph.Initializers[n.Inputs[1]]
	k := w.Shape[2:]
	kn := 1
	for _, v := range k {
		kn *= v
	}
	cg, mg := in[0]/group, w.Shape[1]
	// per output channel oc = g·mg + m: scale max|w|/127 (rounded to float32)
	wcode := make([]int32, len(w.Float))
	for g := 0; g < group; g++ {
		for m := 0; m < mg; m++ {
			at := func(ci, tt int) int { return ((g*cg+ci)*mg+m)*kn + tt }
			mx := 0.0
			for ci := 0; ci < cg; ci++ {
				for tt := 0; tt < kn; tt++ {
					mx = math.Max(mx, math.Abs(float64(w.Float[at(ci, tt)])))
				}
			}
			sc := float64(float32(mx / 127))
			for ci := 0; ci < cg; ci++ {
				for tt := 0; tt < kn; tt++ {
					wcode[at(ci, tt)] = int32(math.Max(-128, math.Min(127, math.RoundToEven(float64(w.Float[at(ci, tt)])/sc))))
				}
			}
		}
	}
	strides, dil := attr("strides", nil, len(sp)), attr("dilations", nil, len(sp))
	outSp := outShape[2:]
	// pad_begin from the explicit pads, or from output_shape (the total
	// split with the odd one at the beginning).
	padB := make([]int, len(sp))
	if a := n.Attrs["pads"]; a != nil {
		for i := range sp {
			padB[i] = int(a.Ints[i])
		}
	} else if a := n.Attrs["auto_pad"]; n.Attrs["output_shape"] != nil || a != nil && strings.HasPrefix(a.S, "SAME") {
		// the total split with the odd one at the end for SAME_UPPER, at
		// the beginning otherwise
		for i := range sp {
			full := strides[i]*(sp[i]-1) + (k[i]-1)*dil[i] + 1
			total := full - outSp[i]
			padB[i] = total - total/2
			if a != nil && a.S == "SAME_UPPER" {
				padB[i] = total / 2
			}
		}
	}
	codes := make([]int32, len(x.Float))
	net.QuantizeInput(0, x.Float, codes)
	per := 1
	for _, d := range in {
		per *= d
	}
	outPer := outShape[1]
	for _, d := range outSp {
		outPer *= d
	}
	lo, hi := lin.Lo, lin.Hi
	result := make([]int32, x.Shape[0]*outPer)
	for s := 0; s < x.Shape[0]; s++ {
		acc := make([]int64, outPer)
		src := codes[s*per : (s+1)*per]
		spatialIn := per / in[0]
		spatialOut := outPer / outShape[1]
		for c := 0; c < in[0]; c++ {
			gi := c / cg
			for p := 0; p < spatialIn; p++ {
				// multi-index of p
				idx := make([]int, len(sp))
				r := p
				for d := len(sp) - 1; d >= 0; d-- {
					idx[d], r = r%sp[d], r/sp[d]
				}
				for mo := 0; mo < mg; mo++ {
					oc := gi*mg + mo
					for tt := 0; tt < kn; tt++ {
						tix := make([]int, len(k))
						r := tt
						for d := len(k) - 1; d >= 0; d-- {
							tix[d], r = r%k[d], r/k[d]
						}
						off, inside := 0, true
						for d := range sp {
							o := idx[d]*strides[d] - padB[d] + tix[d]*dil[d]
							if o < 0 || o >= outSp[d] {
								inside = false
								break
							}
							off = off*outSp[d] + o
						}
						if !inside {
							continue
						}
						wc := wcode[(c*mg+mo)*kn+tt]
						acc[oc*spatialOut+off] += int64(src[c*spatialIn+p]) * int64(wc)
					}
				}
			}
		}
		for oc := 0; oc < outShape[1]; oc++ {
			mult := lin.Mult[0]
			if len(lin.Mult) > 1 {
				mult = lin.Mult[oc]
			}
			for p := 0; p < spatialOut; p++ {
				v := acc[oc*spatialOut+p] + int64(lin.Bias[oc])
				result[s*outPer+oc*spatialOut+p] = clamp32(sat32(mult.apply64(v)), lo, hi)
			}
		}
	}
	return result
}

// TestDigitalWork holds the digital work each kind states for the cost
// model against counts worked out by hand for the squeeze-and-excitation
// block on an [8, 6, 6] input (288 codes) and a ×2 bilinear resize of its
// output (1152 codes, 2×2 taps each in the interior; the border rows and
// columns keep 2 taps because half_pixel clamps the second to the edge).
func TestDigitalWork(t *testing.T) {
	g := graphtest.New(7)
	se := cnnKindCases[0].build(g)
	y := g.Node("Resize", []string{se, "", g.Floats("sc", 1, 1, 2, 2)}, "up", graphtest.AStr("mode", "linear"))
	m := g.Model([]int{8, 6, 6}, y)
	cfg := DefaultConfig()
	cfg.Calib = 16
	net, err := Quantize(m, randomBatch(1, 16, 8, 6, 6), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Buffer traffic at 8 bits per code; a crossbar layer's is the cost
	// model's (per input vector), not the op's.
	want := map[string]DigitalWork{
		"r1":   {Requant: 288, Activations: 288}, // conv + fused Relu
		"gap":  {PoolOps: 288, ReadBits: 288 * 8, WriteBits: 8 * 8},
		"f1":   {Requant: 4, Activations: 4},
		"fc2":  {Requant: 8, Activations: 8},
		"gate": {Activations: 8, ReadBits: 8 * 8, WriteBits: 8 * 8},               // HardSigmoid table
		"y":    {Requant: 2 * 288, ReadBits: (288 + 8) * 8, WriteBits: 288 * 8},   // product and rescale
		"up":   {PoolOps: 8 * 144 * 4, ReadBits: 288 * 8, WriteBits: 8 * 144 * 8}, // 4 taps per output code
	}
	seen := 0
	for i := range net.Ops {
		op := &net.Ops[i]
		name := net.Values[op.Out].Name
		w, ok := want[name]
		if !ok {
			continue
		}
		seen++
		if got := net.Work(op); got != w {
			t.Errorf("%s (%s): work %+v, want %+v", name, op.Kind, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d ops", seen, len(want))
	}
}

// TestForEachRun checks the run-wise broadcast walk against the operand
// indices computed one output at a time from the multi-index.
func TestForEachRun(t *testing.T) {
	for _, tc := range [][2][]int{
		{{3, 4, 5}, {3, 4, 5}}, {{3, 4, 5}, {3, 1, 1}}, {{3, 1, 1}, {3, 4, 5}}, {{1, 4, 5}, {3, 4, 5}},
		{{3, 4, 1}, {3, 1, 5}}, {{5}, {2, 3, 5}}, {{2, 1, 3}, {1, 1}}, {{1, 1}, {1, 1}}, {{4, 1, 6}, {4, 1, 1}},
		{{}, {2, 2}}, {{2, 3, 1, 4}, {2, 1, 1, 1}},
	} {
		a, b := tc[0], tc[1]
		out, err := broadcastShape(a, b)
		if err != nil {
			t.Fatal(err)
		}
		sa, sb, err := broadcastStrides(a, b, out)
		if err != nil {
			t.Fatal(err)
		}
		total := 1
		for _, d := range out {
			total *= d
		}
		gotA, gotB := make([]int, total), make([]int, total)
		for i := range gotA {
			gotA[i], gotB[i] = -1, -1
		}
		forEachRun(out, sa, sb, func(o, ia, ib, n, da, db int) {
			for k := 0; k < n; k++ {
				gotA[o+k], gotB[o+k] = ia+k*da, ib+k*db
			}
		})
		for o := 0; o < total; o++ {
			ia, ib, r := 0, 0, o
			for ax := len(out) - 1; ax >= 0; ax-- {
				i := r % out[ax]
				r /= out[ax]
				ia += i * sa[ax]
				ib += i * sb[ax]
			}
			if gotA[o] != ia || gotB[o] != ib {
				t.Fatalf("%v × %v: output %d reads (%d, %d), want (%d, %d)", a, b, o, gotA[o], gotB[o], ia, ib)
			}
		}
	}
}

func product(v []int) int {
	p := 1
	for _, d := range v {
		p *= d
	}
	return p
}

// TestConvTransposeFeedsPhases counts what a strided ConvTranspose feeds
// the crossbars: the input codes driven onto wordlines (Σ rows·K over every
// MatMulFunc call) against a count of the zero-inserted lowering it
// replaces, worked out here from the definition: one im2col row per output
// position and group, of C/g·Π k inputs (the zeros included). The phases
// feed about stride^d times fewer, d the number of spatial axes.
func TestConvTransposeFeedsPhases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []int // per sample [C, D...]
		wshape []int // [C, M/g, k...]
		attrs  []*importer.Attr
		ratio  float64 // about stride^d
	}{
		{"2d-k3-s2", []int{8, 6, 7}, []int{8, 4, 3, 3},
			[]*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AInts("pads", 1, 1, 1, 1), graphtest.AInts("output_padding", 1, 1)}, 4},
		{"2d-k4-s2-groups", []int{8, 5, 5}, []int{8, 3, 4, 4},
			[]*importer.Attr{graphtest.AInt("group", 2), graphtest.AInts("strides", 2, 2), graphtest.AInts("pads", 1, 1, 1, 1)}, 4},
		{"1d-k5-s3", []int{4, 9}, []int{4, 4, 5}, []*importer.Attr{graphtest.AInts("strides", 3)}, 3},
		{"3d-k2-s2", []int{2, 3, 4, 4}, []int{2, 3, 2, 2, 2}, []*importer.Attr{graphtest.AInts("strides", 2, 2, 2)}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			y := g.Node("ConvTranspose", []string{"x", g.Param("w", 0.4, tc.wshape...)}, "y", tc.attrs...)
			m := g.Model(tc.in, y)
			cfg := DefaultConfig()
			cfg.Calib = 8
			net, err := Quantize(m, randomBatch(1, 8, tc.in...), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var codes, rows int64
			count := func(l *Linear, g int, x []int32, mrows int, out []int32) error {
				codes += int64(mrows) * int64(l.K)
				rows += int64(mrows)
				return GoldenMatMul(l, g, x, mrows, out)
			}
			x := randomBatch(2, 1, tc.in...)
			got, err := net.Run(x, count)
			if err != nil {
				t.Fatal(err)
			}
			// the zero-inserted lowering: per output position and group,
			// C/g·Π k codes
			group := 1
			for _, a := range tc.attrs {
				if a.Name == "group" {
					group = int(a.I)
				}
			}
			positions := int64(product(got.Shape[2:]))
			old := positions * int64(group) * int64(tc.in[0]/group*product(tc.wshape[2:]))
			r := float64(old) / float64(codes)
			t.Logf("%d output positions: %d wordline codes (%d rows) vs %d zero-inserted: %.2fx fewer", positions, codes, rows, old, r)
			if r < 0.85*tc.ratio || r > 1.15*tc.ratio {
				t.Errorf("the phases feed %.2fx fewer codes than the zero-inserted lowering, want about %gx", r, tc.ratio)
			}
		})
	}
}

// TestDigitalTrafficByWidth: the codes a digital op moves cost their
// width. Two sums of a residual stream, the first read only by the second
// (so 16-bit codes), the second by a Relu (fused: 8-bit codes): the first
// writes 16 bits per code, the second reads 16 + 8 and writes 8; a Slice
// reads only the codes it keeps.
func TestDigitalTrafficByWidth(t *testing.T) {
	g := graphtest.New(9)
	s1 := g.Node("Add", []string{g.Conv("x", "a", 3, 4, 3, 1), g.Conv("x", "b", 3, 4, 1, 1)}, "s1")
	s2 := g.Node("Add", []string{s1, g.Conv("x", "c", 3, 4, 3, 1)}, "s2")
	r := g.Node("Relu", []string{s2}, "r")
	y := g.Node("Slice", []string{r, g.Ints("st", 1), g.Ints("en", 3), g.Ints("ax", 1)}, "y")
	m := g.Model([]int{3, 5, 5}, y)
	cfg := DefaultConfig()
	cfg.Calib = 16
	net, err := Quantize(m, randomBatch(1, 16, 3, 5, 5), cfg)
	if err != nil {
		t.Fatal(err)
	}
	const codes = 4 * 5 * 5      // per image, each conv output and each sum
	want := map[string][3]int64{ // bits per code, read bits, write bits
		"s1": {16, 2 * codes * 8, codes * 16},
		"r":  {8, codes*16 + codes*8, codes * 8}, // s2 with its Relu fused
		"y":  {8, 2 * 5 * 5 * 8, 2 * 5 * 5 * 8},
	}
	seen := 0
	for i := range net.Ops {
		op := &net.Ops[i]
		v := net.Values[op.Out]
		w, ok := want[v.Name]
		if !ok {
			continue
		}
		seen++
		got := net.Work(op)
		if int64(v.Bits) != w[0] || got.ReadBits != w[1] || got.WriteBits != w[2] {
			t.Errorf("%s (%s, %d-bit): reads %d bits, writes %d; want %d-bit, %d, %d", v.Name, op.Kind, v.Bits, got.ReadBits, got.WriteBits, w[0], w[1], w[2])
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d ops", seen, len(want))
	}
}

// TestConvTransposeRandomGeometry draws ConvTranspose geometries (1 to 3
// spatial axes; kernels 1..4, strides 1..3, dilations 1..3, pads up to the
// kernel's extent, output_padding, groups; kernels smaller than the stride
// and pads that crop) and checks the phase decomposition code for code
// against the brute-force integer scatter.
func TestConvTransposeRandomGeometry(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	cases := 60
	if testing.Short() {
		cases = 20
	}
	for i := 0; i < cases; {
		sp := 1 + r.Intn(3)
		g, cg, mg := 1+r.Intn(2), 1+r.Intn(2), 1+r.Intn(2)
		in := []int{g * cg}
		wshape := []int{g * cg, mg}
		var strides, dils, pads, ends, outPad []int
		ok := true
		for a := 0; a < sp; a++ {
			n, k, s, d := 1+r.Intn(4), 1+r.Intn(4), 1+r.Intn(3), 1+r.Intn(3)
			ext := (k-1)*d + 1
			pb, pe, op := r.Intn(ext), r.Intn(ext), r.Intn(max(s, d))
			ok = ok && s*(n-1)+op+ext-pb-pe >= 1
			in, wshape = append(in, n), append(wshape, k)
			strides, dils, pads, ends, outPad = append(strides, s), append(dils, d), append(pads, pb), append(ends, pe), append(outPad, op)
		}
		if !ok {
			continue
		}
		i++
		attrs := []*importer.Attr{graphtest.AInt("group", int64(g)), graphtest.AInts("strides", toInt64s(strides)...),
			graphtest.AInts("dilations", toInt64s(dils)...), graphtest.AInts("pads", toInt64s(append(pads, ends...))...),
			graphtest.AInts("output_padding", toInt64s(outPad)...)}
		name := fmt.Sprintf("in%v-w%v-s%v-d%v-p%v%v-op%v-g%d", in, wshape, strides, dils, pads, ends, outPad, g)
		t.Run(name, func(t *testing.T) {
			gb := graphtest.New(int64(i))
			y := gb.Node("ConvTranspose", []string{"x", gb.Param("w", 0.4, wshape...), gb.Param("b", 0.2, g*mg)}, "y", attrs...)
			m := gb.Model(in, y)
			x := randomBatch(int64(i), 2, in...)
			ref := floatRun(t, m, x)
			cfg := DefaultConfig()
			cfg.Calib, cfg.PerChannel = 8, true
			net, err := Quantize(m, randomBatch(int64(i)+100, 8, in...), cfg)
			if err != nil {
				t.Fatal(err)
			}
			codes, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := bruteConvTranspose(t, net, m, x, ref.Shape); !slices.Equal(codes, want) {
				t.Errorf("output codes differ from the brute-force integer ConvTranspose")
			}
		})
	}
}

func toInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
