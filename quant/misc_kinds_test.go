package quant

import (
	"math"
	"math/big"
	"math/rand"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/interp"
)

// wholeValues reads a float interpreter output of whole numbers (bool,
// integer, or 0/1 floats) as int64.
func wholeValues(t *importer.Tensor) []int64 {
	if len(t.Float) == t.Len() && t.Len() > 0 {
		out := make([]int64, len(t.Float))
		for i, v := range t.Float {
			out[i] = int64(v)
		}
		return out
	}
	return t.Int
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
	}{
		{"argmax-last", []int{3, 7}, 13, OpArgMax, func(g *graphtest.Builder) string {
			return g.Node("ArgMax", []string{"x"}, "y", ai("axis", 2), ai("select_last_index", 1))
		}},
		{"argmin-first-keepdims0", []int{3, 7}, 13, OpArgMax, func(g *graphtest.Builder) string {
			return g.Node("ArgMin", []string{"x"}, "y", ai("axis", 1), ai("keepdims", 0))
		}},
		{"argmin-last-negative-axis", []int{2, 3, 5}, 13, OpArgMax, func(g *graphtest.Builder) string {
			return g.Node("ArgMin", []string{"x"}, "y", ai("axis", -2), ai("select_last_index", 1))
		}},
		{"hardmax-last-axis", []int{3, 6}, 13, OpHardmax, func(g *graphtest.Builder) string {
			return g.Node("Hardmax", []string{"x"}, "y")
		}},
		{"hardmax-middle-axis", []int{4, 3, 2}, 13, OpHardmax, func(g *graphtest.Builder) string {
			return g.Node("Hardmax", []string{"x"}, "y", ai("axis", 1))
		}},
		{"hardmax-opset11-flattened", []int{4, 3, 2}, 11, OpHardmax, func(g *graphtest.Builder) string {
			return g.Node("Hardmax", []string{"x"}, "y", ai("axis", 2))
		}},
		{"less-than-constant-on-a-tie", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("Less", []string{"x", g.Floats("c", 1)}, "y")
		}},
		{"constant-greater-or-equal-per-row", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("GreaterOrEqual", []string{g.Floats("c", -1.5, 0, 0.25, 2.5, 3), "x"}, "y")
		}},
		{"equal-constant", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("Equal", []string{"x", g.Floats("c", -1.5)}, "y")
		}},
		{"less-or-equal-infinite-and-outside", []int{3, 4}, 13, OpCompare, func(g *graphtest.Builder) string {
			return g.Node("LessOrEqual", []string{"x", g.Floats("c", float32(math.Inf(-1)), 100, float32(math.Inf(1)), -100)}, "y")
		}},
		{"greater-than-transposed-self", []int{5, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			tr := g.Node("Transpose", []string{"x"}, "xt", ai1("perm", 0, 2, 1))
			return g.Node("Greater", []string{"x", tr}, "y")
		}},
		{"equal-broadcast-row", []int{4, 5}, 13, OpCompare, func(g *graphtest.Builder) string {
			row := g.Node("Slice", []string{"x", g.Ints("s", 1), g.Ints("e", 2), g.Ints("ax", 1)}, "row")
			return g.Node("Equal", []string{row, "x"}, "y")
		}},
		{"cast-to-int32-truncates", []int{3, 4}, 13, OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Cast", []string{"x"}, "y", castTo(importer.Int32))
		}},
		{"cast-to-bool", []int{3, 4}, 13, OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Cast", []string{"x"}, "y", castTo(importer.Bool))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			out := tc.build(g)
			m := g.Model(tc.in, out)
			m.Opsets[""] = tc.opset
			calib, x := tiedBatch(1, 16, tc.in...), tiedBatch(2, 8, tc.in...)
			cfg := DefaultConfig()
			cfg.Calib = 16
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(net.Ops, func(op Op) bool { return op.Kind == tc.kind }) {
				t.Fatalf("no %s op in the program %v", tc.kind, net.Ops)
			}
			in := net.Values[net.Inputs[0].Value]
			codes := make([]int32, len(x.Float))
			net.QuantizeInput(0, x.Float, codes)
			deq := &importer.Tensor{DType: importer.Float, Shape: x.Shape, Float: make([]float32, len(codes))}
			for i, c := range codes {
				deq.Float[i] = float32(float64(c) * in.Scale)
				if float64(deq.Float[i]) != float64(c)*in.Scale {
					t.Fatalf("code %d times %g is not a float32", c, in.Scale)
				}
			}
			fp, err := interp.NewModelProgram(m)
			if err != nil {
				t.Fatal(err)
			}
			fout, err := fp.Run(map[string]*importer.Tensor{"x": deq})
			if err != nil {
				t.Fatal(err)
			}
			want := wholeValues(fout[out])
			got, shape, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d outputs (shape %v), float %d", len(got), shape, len(want))
			}
			for i := range got {
				if int64(got[i]) != want[i] {
					t.Fatalf("output %d: %d, float on the same codes %d", i, got[i], want[i])
				}
			}
			// Serialized and read back: the same program.
			data, err := net.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := UnmarshalNetwork(data)
			if err != nil {
				t.Fatal(err)
			}
			again, _, err := back.RunCodes(x, nil, 0)
			if err != nil || !slices.Equal(again, got) {
				t.Fatalf("after a marshal round trip: %v (equal %v)", err, slices.Equal(again, got))
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
