package quant

import (
	"math"
	"math/big"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/interp"
)

// realValues reads a float interpreter output (float, integer or bool) as
// float64.
func realValues(t *importer.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		if len(t.Float) == len(out) {
			out[i] = float64(t.Float[i])
		} else {
			out[i] = float64(t.Int[i])
		}
	}
	return out
}

// boolConst adds a bool initializer of the given shape and 0/1 values.
func boolConst(g *graphtest.Builder, name string, shape []int, v ...int64) string {
	return g.Const(name, &importer.Tensor{DType: importer.Bool, Shape: shape, Int: v})
}

// tiedBatch is a batch of small whole numbers times 0.5 (many exact ties
// between elements, and values on constants such as 1 or -1.5).
func tiedBatch(seed int64, n int, shape ...int) *importer.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := &importer.Tensor{DType: importer.Float, Shape: append([]int{n}, shape...)}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = float32(r.Intn(13)-6) * 0.5
	}
	t.Float[0] = 3 // the calibrated range is ±3: scale 3/127
	t.Float[1] = -3
	return t
}

// TestExactKindsOnInputCodes runs ops whose integer form must be exact
// (indices, one-hot, comparisons, logic, casts) on the quantized network
// input itself: the golden model's output must equal, element by element,
// the float interpreter's output on the dequantized input codes, ties
// included (the inputs are full of equal values).
func TestExactKindsOnInputCodes(t *testing.T) {
	ai, ai1 := graphtest.AInt, graphtest.AInts
	castTo := func(dt importer.DataType) *importer.Attr { return ai("to", int64(dt)) }
	for _, tc := range []struct {
		name  string
		in    []int
		opset int64
		kind  OpKind
		build func(g *graphtest.Builder) string
		// tol is the largest difference in output codes (0: exact).
		tol float64
	}{
		{"argmax-last", []int{3, 7}, 13, OpArgMax, func(g *graphtest.Builder) string {
			return g.Node("ArgMax", []string{"x"}, "y", ai("axis", 2), ai("select_last_index", 1))
		}, 0},
		{"argmin-first-keepdims0", []int{3, 7}, 13, OpArgMax, func(g *graphtest.Builder) string {
			return g.Node("ArgMin", []string{"x"}, "y", ai("axis", 1), ai("keepdims", 0))
		}, 0},
		{"argmin-last-negative-axis", []int{2, 3, 5}, 13, OpArgMax, func(g *graphtest.Builder) string {
			return g.Node("ArgMin", []string{"x"}, "y", ai("axis", -2), ai("select_last_index", 1))
		}, 0},
		{"hardmax-last-axis", []int{3, 6}, 13, OpHardmax, func(g *graphtest.Builder) string {
			return g.Node("Hardmax", []string{"x"}, "y")
		}, 0},
		{"hardmax-middle-axis", []int{4, 3, 2}, 13, OpHardmax, func(g *graphtest.Builder) string {
			return g.Node("Hardmax", []string{"x"}, "y", ai("axis", 1))
		}, 0},
		{"hardmax-opset11-flattened", []int{4, 3, 2}, 11, OpHardmax, func(g *graphtest.Builder) string {
			return g.Node("Hardmax", []string{"x"}, "y", ai("axis", 2))
		}, 0},
		{"less-than-constant-on-a-tie", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("Less", []string{"x", g.Floats("c", 1)}, "y")
		}, 0},
		{"constant-greater-or-equal-per-row", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("GreaterOrEqual", []string{g.Floats("c", -1.5, 0, 0.25, 2.5, 3), "x"}, "y")
		}, 0},
		{"equal-constant", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("Equal", []string{"x", g.Floats("c", -1.5)}, "y")
		}, 0},
		{"less-or-equal-infinite-and-outside", []int{3, 4}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("LessOrEqual", []string{"x", g.Floats("c", float32(math.Inf(-1)), 100, float32(math.Inf(1)), -100)}, "y")
		}, 0},
		{"greater-than-transposed-self", []int{5, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			tr := g.Node("Transpose", []string{"x"}, "xt", ai1("perm", 0, 2, 1))
			return g.Node("Greater", []string{"x", tr}, "y")
		}, 0},
		{"equal-broadcast-row", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			row := g.Node("Slice", []string{"x", g.Ints("s", 1), g.Ints("e", 2), g.Ints("ax", 1)}, "row")
			return g.Node("Equal", []string{row, "x"}, "y")
		}, 0},
		{"cast-to-int32-truncates", []int{3, 4}, 13, OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Cast", []string{"x"}, "y", castTo(importer.Int32))
		}, 0},
		{"argmin-cast-to-int32", []int{3, 7}, 13, OpArgMax, func(g *graphtest.Builder) string {
			a := g.Node("ArgMin", []string{"x"}, "a", ai("axis", 2))
			return g.Node("Cast", []string{a}, "y", castTo(importer.Int32))
		}, 0},
		{"comparison-cast-to-uint8", []int{3, 4}, 13, OpCompare, func(g *graphtest.Builder) string {
			l := g.Node("Less", []string{"x", g.Floats("c", 0.5)}, "l")
			return g.Node("Cast", []string{l}, "y", castTo(importer.Uint8))
		}, 0},
		{"cast-to-bool", []int{3, 4}, 13, OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Cast", []string{"x"}, "y", castTo(importer.Bool))
		}, 0},
		{"not-of-less", []int{3, 4}, 13, OpLogic, func(g *graphtest.Builder) string {
			return g.Node("Not", []string{g.Node("Less", []string{"x", g.Floats("c", 0.5)}, "l")}, "y")
		}, 0},
		{"xor-of-comparisons", []int{3, 4}, 13, OpLogic, func(g *graphtest.Builder) string {
			l := g.Node("Less", []string{"x", g.Floats("c1", 1)}, "l")
			r := g.Node("Greater", []string{"x", g.Floats("c2", -1)}, "r")
			return g.Node("Xor", []string{l, r}, "y")
		}, 0},
		{"and-or-broadcast-row", []int{4, 5}, 13, OpLogic, func(g *graphtest.Builder) string {
			row := g.Node("Slice", []string{"x", g.Ints("s", 2), g.Ints("e", 3), g.Ints("ax", 1)}, "row")
			pos := g.Node("Greater", []string{row, g.Floats("z", 0)}, "pos")
			neg := g.Node("Less", []string{"x", g.Floats("z2", 0)}, "neg")
			a := g.Node("And", []string{pos, neg}, "a")
			return g.Node("Or", []string{a, g.Node("Equal", []string{"x", g.Floats("h", 0.5)}, "eq")}, "y")
		}, 0},
		{"and-constant-mask-per-row", []int{4, 5}, 13, OpLogic, func(g *graphtest.Builder) string {
			pos := g.Node("Greater", []string{"x", g.Floats("z", 0)}, "pos")
			return g.Node("And", []string{pos, boolConst(g, "mask", []int{5}, 1, 0, 1, 1, 0)}, "y")
		}, 0},
		{"or-constant-first-per-column", []int{4, 5}, 13, OpLogic, func(g *graphtest.Builder) string {
			neg := g.Node("Less", []string{"x", g.Floats("h", 1)}, "neg")
			return g.Node("Or", []string{boolConst(g, "mask", []int{4, 1}, 0, 1, 1, 0), neg}, "y")
		}, 0},
		{"xor-constant-scalar-true", []int{3, 4}, 13, OpLogic, func(g *graphtest.Builder) string {
			l := g.Node("Less", []string{"x", g.Floats("c", 0.5)}, "l")
			return g.Node("Xor", []string{l, boolConst(g, "t", nil, 1)}, "y")
		}, 0},
		{"and-constant-with-batch-axis", []int{3, 4}, 13, OpLogic, func(g *graphtest.Builder) string {
			l := g.Node("GreaterOrEqual", []string{"x", g.Floats("c", -1)}, "l")
			return g.Node("And", []string{l, boolConst(g, "mask", []int{1, 3, 4}, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0)}, "y")
		}, 0},
		{"xor-constant-broadcasts-the-activation", []int{4, 5}, 13, OpLogic, func(g *graphtest.Builder) string {
			row := g.Node("Slice", []string{"x", g.Ints("s", 1), g.Ints("e", 2), g.Ints("ax", 1)}, "row")
			pos := g.Node("Greater", []string{row, g.Floats("z", 0)}, "pos")
			mask := make([]int64, 20)
			for i := range mask {
				mask[i] = int64(i*7%3) & 1
			}
			return g.Node("Xor", []string{pos, boolConst(g, "mask", []int{4, 5}, mask...)}, "y")
		}, 0},
		{"topk-values-largest", []int{3, 7}, 13, OpTopK, func(g *graphtest.Builder) string {
			g.NodeOutputs("TopK", []string{"x", g.Ints("k", 4)}, []string{"y", "yi"})
			return "y"
		}, 0},
		{"topk-indices-smallest-axis1", []int{6, 3}, 13, OpTopK, func(g *graphtest.Builder) string {
			g.NodeOutputs("TopK", []string{"x", g.Ints("k", 5)}, []string{"yv", "y"}, ai("axis", 1), ai("largest", 0))
			return "y"
		}, 0},
		{"where-activation-or-constant", []int{3, 4}, 13, OpWhere, func(g *graphtest.Builder) string {
			c := g.Node("Less", []string{"x", g.Floats("c", 0)}, "cond")
			return g.Node("Where", []string{c, "x", g.Floats("fill", 2.25)}, "y")
		}, 0.5},
		{"where-two-activations-broadcast", []int{3, 4}, 13, OpWhere, func(g *graphtest.Builder) string {
			c := g.Node("Greater", []string{"x", g.Floats("c", 1)}, "cond")
			row := g.Node("Slice", []string{"x", g.Ints("s", 0), g.Ints("e", 1), g.Ints("ax", 1)}, "row")
			return g.Node("Where", []string{c, row, g.Node("Relu", []string{"x"}, "r")}, "y")
		}, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			out := tc.build(g)
			m := g.Model(tc.in, out)
			m.Opsets[""] = tc.opset
			calib, x := tiedBatch(1, 16, tc.in...), tiedBatch(2, 8, tc.in...)
			net := quantizeWithKind(t, m, []*importer.Tensor{calib}, tc.kind)
			in := net.Values[net.Inputs[0].Value]
			deq, codes := dequantizedInput(net, 0, x)
			requireExactDequantized(t, deq, codes, in.Scale)
			fp, err := interp.NewModelProgram(m)
			if err != nil {
				t.Fatal(err)
			}
			fout, err := fp.Run(map[string]*importer.Tensor{"x": deq})
			if err != nil {
				t.Fatal(err)
			}
			want := realValues(fout[out])
			got, shape, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d outputs (shape %v), float %d", len(got), shape, len(want))
			}
			so := net.Values[net.Outputs[0].Value].Scale
			for i := range got {
				if d := math.Abs(float64(got[i])*so - want[i]); d > tc.tol*so*(1+1e-9) {
					t.Fatalf("output %d: code %d (%g), float on the same codes %g", i, got[i], float64(got[i])*so, want[i])
				}
			}
			// Serialized and read back: the same program.
			if again := marshalRoundTrip(t, net, []*importer.Tensor{x}); !slices.Equal(again, got) {
				t.Fatalf("after a marshal round trip: different codes")
			}
		})
	}
}

// TestCompareAcrossScales compares an activation with a rescaled copy of
// itself (x·f: another scale, codes that often stand for the same real
// value): every output must be the exact comparison of the two operands'
// real values code·scale, computed here with rational arithmetic from the
// codes of both operands (the copy's codes come from a network that
// outputs it, quantized with the same calibration).
func TestCompareAcrossScales(t *testing.T) {
	for _, f := range []float32{1.5, 0.75, 2, -1, 0.3} {
		for _, rel := range compareRelations {
			g := graphtest.New(4)
			scaled := g.Node("Mul", []string{"x", g.Floats("f", f)}, "xs")
			y := g.Node(rel, []string{scaled, "x"}, "y")
			m := g.Model([]int{6, 6}, y)
			mScaled := graphtest.New(4)
			mScaled.Node("Mul", []string{"x", mScaled.Floats("f", f)}, "xs")
			calib, x := tiedBatch(1, 16, 6, 6), tiedBatch(5, 4, 6, 6)
			cfg := DefaultConfig()
			cfg.Calib = 16
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			netS, err := Quantize(mScaled.Model([]int{6, 6}, "xs"), calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var cmp *Op
			for i := range net.Ops {
				if net.Ops[i].Kind == OpCompare {
					cmp = &net.Ops[i]
				}
			}
			if cmp == nil || len(cmp.In) != 2 {
				t.Fatalf("%s ×%g: no two-operand comparison in %v", rel, f, net.Ops)
			}
			sx, ss := net.Values[net.Inputs[0].Value].Scale, netS.Values[netS.Outputs[0].Value].Scale
			if f != -1 && ss == sx {
				t.Fatalf("×%g: the scaled copy has the input's scale", f)
			}
			xc := make([]int32, len(x.Float))
			net.QuantizeInput(0, x.Float, xc)
			sc, _, err := netS.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ties := 0
			mode := slices.Index(compareRelations[:], rel)
			for i := range got {
				a := new(big.Rat).Mul(new(big.Rat).SetInt64(int64(sc[i])), new(big.Rat).SetFloat64(ss))
				b := new(big.Rat).Mul(new(big.Rat).SetInt64(int64(xc[i])), new(big.Rat).SetFloat64(sx))
				d := a.Cmp(b)
				if d == 0 {
					ties++
				}
				want := int32(0)
				if compareHolds(mode, d) {
					want = 1
				}
				if got[i] != want {
					t.Fatalf("%s ×%g element %d: %d·%g vs %d·%g gives %d, want %d", rel, f, i, sc[i], ss, xc[i], sx, got[i], want)
				}
			}
			if ties == 0 && f != 0.3 {
				t.Errorf("%s ×%g: no exact tie exercised", rel, f)
			}
		}
	}
}

// TestLRNFixedPoint runs LRN on the quantized network input: every output
// code must be within the kind's stated bound (½ + |y|·β·2^-lrnMant +
// 2^-f·|q|/2 codes) of LRN computed in float64 on the same input codes,
// and the dequantized output must follow the float interpreter's LRN on
// the raw input (SQNR ≥ 30 dB).
func TestLRNFixedPoint(t *testing.T) {
	fa := func(name string, v float32) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrFloat, F: v}
	}
	for _, tc := range []struct {
		name  string
		in    []int
		scale float64 // input magnitude
		attrs []*importer.Attr
	}{
		{"alexnet", []int{8, 4, 4}, 3, []*importer.Attr{graphtest.AInt("size", 5), fa("alpha", 1e-4), fa("beta", 0.75), fa("bias", 2)}},
		{"strong-even-window", []int{6, 3, 3}, 2, []*importer.Attr{graphtest.AInt("size", 4), fa("alpha", 0.8), fa("beta", 0.5), fa("bias", 1)}},
		{"defaults-size-3", []int{5, 7}, 40, []*importer.Attr{graphtest.AInt("size", 3)}},
		{"beta-one-wide-window", []int{4, 2, 5}, 1, []*importer.Attr{graphtest.AInt("size", 9), fa("alpha", 2), fa("beta", 1), fa("bias", 0.5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(6)
			y := g.Node("LRN", []string{"x"}, "y", tc.attrs...)
			m := g.Model(tc.in, y)
			calib, x := randomBatch(1, 32, tc.in...), randomBatch(2, 4, tc.in...)
			for _, b := range []*importer.Tensor{calib, x} {
				for i := range b.Float {
					b.Float[i] *= float32(tc.scale)
				}
			}
			net := quantizeOneOp(t, m, calib, OpLRN)
			op := &net.Ops[0]
			node := m.Graph.Nodes[0]
			p, err := interp.LRNAttrs(node)
			if err != nil {
				t.Fatal(err)
			}
			in, out := net.Values[net.Inputs[0].Value], net.Values[net.Outputs[0].Value]
			codes := make([]int32, len(x.Float))
			net.QuantizeInput(0, x.Float, codes)
			got, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			channels, plane := in.Shape[0], in.size()/in.Shape[0]
			lo, hi := out.Range()
			worst := 0.0
			for s := 0; s < x.Shape[0]; s++ {
				for c := 0; c < channels; c++ {
					for i := 0; i < plane; i++ {
						base := s * in.size()
						var sq float64
						for k := max(0, c-(p.Size-1)/2); k <= min(channels-1, c+p.Size/2); k++ {
							v := float64(codes[base+k*plane+i]) * in.Scale
							sq += v * v
						}
						o := base + c*plane + i
						q := float64(codes[o])
						exact := q * in.Scale / math.Pow(p.Bias+p.Alpha/float64(p.Size)*sq, p.Beta) / out.Scale
						exact = math.Min(math.Max(exact, float64(lo)), float64(hi))
						bound := 0.5 + math.Abs(exact)*p.Beta*math.Ldexp(1, -lrnMant) + math.Abs(q)*math.Ldexp(1, -op.Perm[1]-1) + 1e-9
						d := math.Abs(float64(got[o]) - exact)
						worst = math.Max(worst, d)
						if d > bound {
							t.Fatalf("sample %d channel %d position %d: code %d, float64 %.4f (bound %.4f)", s, c, i, got[o], exact, bound)
						}
					}
				}
			}
			ref := floatRun(t, m, x)
			res, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sq := sqnrOf(ref.Float, res.Float); !(sq >= 30) {
				t.Errorf("SQNR %.1f dB < 30 dB", sq)
			}
			t.Logf("worst %.3f codes from float64 on the same codes; %d table entries, %d fraction bits", worst, len(op.Table), op.Perm[1])
		})
	}
}

// TestMVNFixedPoint runs MeanVarianceNormalization over per-sample axes on
// the quantized network input: every output code must be within ½ code
// plus 2^-16 normalized units of the float64 normalization of the same
// input codes, the dequantized output within SQNR ≥ 30 dB of the float
// interpreter on the raw input; axes with the batch are refused.
func TestMVNFixedPoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		axes []int64
	}{
		{"spatial", []int{3, 4, 5}, []int64{2, 3}},
		{"channels-and-width", []int{3, 4, 5}, []int64{1, -1}},
		{"all-per-sample", []int{2, 6}, []int64{1, 2}},
		{"one-axis-of-constant-groups", []int{4, 1}, []int64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(8)
			y := g.Node("MeanVarianceNormalization", []string{"x"}, "y", graphtest.AInts("axes", tc.axes...))
			m := g.Model(tc.in, y)
			calib, x := randomBatch(1, 32, tc.in...), randomBatch(2, 4, tc.in...)
			net := quantizeOneOp(t, m, calib, OpMVN)
			in, out := net.Values[net.Inputs[0].Value], net.Values[net.Outputs[0].Value]
			_, codes := dequantizedInput(net, 0, x)
			// float64 MVN of the codes, group by group
			full := append([]int{x.Shape[0]}, in.Shape...)
			var axes []int
			for _, a := range tc.axes {
				if a < 0 {
					a += int64(len(full))
				}
				axes = append(axes, int(a))
			}
			of, groups := interp.MVNGroups(full, axes)
			mean, sq, cnt := make([]float64, groups), make([]float64, groups), make([]float64, groups)
			for i, c := range codes {
				mean[of[i]] += float64(c) * in.Scale
				cnt[of[i]]++
			}
			for g := range mean {
				mean[g] /= cnt[g]
			}
			for i, c := range codes {
				d := float64(c)*in.Scale - mean[of[i]]
				sq[of[i]] += d * d
			}
			got, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := out.Range()
			for i, c := range codes {
				gi := of[i]
				exact := (float64(c)*in.Scale - mean[gi]) / (math.Sqrt(sq[gi]/cnt[gi]) + interp.MVNEpsilon) / out.Scale
				exact = math.Min(math.Max(exact, float64(lo)), float64(hi))
				if d := math.Abs(float64(got[i]) - exact); d > 0.5+math.Ldexp(1, -16)/out.Scale+1e-6 {
					t.Fatalf("element %d: code %d, float64 %.4f", i, got[i], exact)
				}
			}
			ref := floatRun(t, m, x)
			res, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name != "one-axis-of-constant-groups" {
				if sq := sqnrOf(ref.Float, res.Float); !(sq >= 30) {
					t.Errorf("SQNR %.1f dB < 30 dB", sq)
				}
			}
		})
	}
	g := graphtest.New(8)
	m := g.Model([]int{3, 4, 5}, g.Node("MeanVarianceNormalization", []string{"x"}, "y"))
	p, err := Placement(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Runs() || !strings.Contains(p.Nodes[0].Reason, "batch axis") {
		t.Errorf("default axes [0, 2, 3]: %s (%s)", p.Verdict(), p.Nodes[0].Reason)
	}
}

// TestBatchMovingTranspose: a Transpose that moves the batch axis is
// exact when the batch can be pinned to 1 (a symbolic batch: the graph is
// quantized at batch 1, each sample the whole batch-1 tensor), and refused
// with the reason when the model fixes its batch above 1.
func TestBatchMovingTranspose(t *testing.T) {
	build := func(batch importer.Dim) *importer.Model {
		g := graphtest.New(2)
		tr := g.Node("Transpose", []string{"x"}, "t", graphtest.AInts("perm", 1, 0, 2))
		m := g.Model([]int{3, 4}, g.Node("Relu", []string{tr}, "y"))
		m.Graph.Inputs[0].Shape[0] = batch
		return m
	}
	m := build(importer.Dim{Param: "N"})
	calib, x := tiedBatch(1, 1, 3, 4), tiedBatch(2, 1, 3, 4)
	cfg := DefaultConfig()
	cfg.Calib = 1
	net, err := Quantize(m, calib, cfg)
	if err != nil {
		t.Fatal(err)
	}
	deq, _ := dequantizedInput(net, 0, x)
	want := floatRun(t, m, deq)
	got, err := net.Run(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Float, want.Float) {
		t.Errorf("batch-1 transpose: %v, float on the same codes %v", got.Float, want.Float)
	}
	p, err := Placement(build(importer.Dim{Value: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Runs() || p.Nodes[0].Where != Unsupported || !strings.Contains(p.Nodes[0].Reason, "fixed at 2") {
		t.Errorf("fixed batch 2: %s: %+v", p.Verdict(), p.Nodes[0])
	}
}
