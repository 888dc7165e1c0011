package quant

import (
	"math"
	"math/big"
	"math/rand"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
)

// Small transformer-style graphs, built here, each quantized (8-bit) and
// run by the golden model against the float interpreter: the integer
// kinds of LayerNorm (also fused from PyTorch's decomposed chain), GELU
// (fused, then a lookup table), Softmax, the product of two activations and
// arithmetic with broadcast constants must keep the output SQNR above a
// bound and must be built as the kinds named.
func TestTransformerKinds(t *testing.T) {
	const seq, dim = 6, 16
	r := rand.New(rand.NewSource(11))
	randT := func(scale float64, shape ...int) *importer.Tensor {
		t := importer.NewFloat(shape, make([]float32, importer.NumElements(shape)))
		for i := range t.Float {
			t.Float[i] = float32(r.NormFloat64() * scale)
		}
		return t
	}
	scalar := func(v float32) *importer.Tensor { return importer.NewFloat([]int{}, []float32{v}) }
	type node = importer.Node
	nd := func(op string, ins []string, out string, attrs ...*importer.Attr) *node {
		n := &node{Name: out + "_" + op, OpType: op, Inputs: ins, Outputs: []string{out}, Attrs: map[string]*importer.Attr{}}
		for _, a := range attrs {
			n.Attrs[a.Name] = a
		}
		return n
	}
	ints := func(name string, v ...int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
	}
	// decomposed LayerNorm over the last axis, as PyTorch < 2 exports it
	lnChain := func(x, y string) []*node {
		return []*node{
			nd("ReduceMean", []string{x}, y+"_m", ints("axes", -1)),
			nd("Sub", []string{x, y + "_m"}, y+"_d"),
			nd("Pow", []string{y + "_d", "two"}, y+"_p"),
			nd("ReduceMean", []string{y + "_p"}, y+"_v", ints("axes", -1)),
			nd("Add", []string{y + "_v", "eps"}, y+"_ve"),
			nd("Sqrt", []string{y + "_ve"}, y+"_s"),
			nd("Div", []string{y + "_d", y + "_s"}, y+"_n"),
			nd("Mul", []string{y + "_n", "gamma"}, y+"_g"),
			nd("Add", []string{y + "_g", "beta"}, y),
		}
	}
	geluChain := func(x, y string) []*node {
		return []*node{
			nd("Div", []string{x, "sqrt2"}, y+"_a"),
			nd("Erf", []string{y + "_a"}, y+"_e"),
			nd("Add", []string{y + "_e", "one"}, y+"_b"),
			nd("Mul", []string{x, y + "_b"}, y+"_c"),
			nd("Mul", []string{y + "_c", "half"}, y),
		}
	}
	inits := func() map[string]*importer.Tensor {
		return map[string]*importer.Tensor{
			"w1": randT(0.4, dim, dim), "w2": randT(0.4, dim, dim), "w3": randT(0.4, dim, dim),
			"gamma": randT(1, dim), "beta": randT(0.2, dim), "two": scalar(2), "eps": scalar(1e-5),
			"sqrt2": scalar(float32(math.Sqrt2)), "one": scalar(1), "half": scalar(0.5), "quarter": scalar(0.25),
			"perFeature": randT(1, dim), "table": randT(0.5, seq, dim), "perRow": randT(1, seq, 1), "c": scalar(0.3),
			"cls": randT(1, 1, 1, dim),
		}
	}
	lnNode := &node{Name: "ln", OpType: "LayerNormalization", Inputs: []string{"h", "gamma", "beta"}, Outputs: []string{"y"},
		Attrs: map[string]*importer.Attr{"epsilon": {Name: "epsilon", Kind: importer.AttrFloat, F: 1e-5}}}
	cases := []struct {
		name    string
		nodes   []*node
		kinds   []OpKind
		minSQNR float64
	}{
		{"LayerNormalization", []*node{nd("MatMul", []string{"x", "w1"}, "h"), lnNode}, []OpKind{OpLinear, OpLayerNorm}, 30},
		// over the last two axes (a sample's whole [seq, dim]): a scale
		// broadcast from one value per feature, a shift of the full shape
		{"LayerNormalization over two axes", []*node{nd("MatMul", []string{"x", "w1"}, "h"),
			{Name: "ln2", OpType: "LayerNormalization", Inputs: []string{"h", "gamma", "table"}, Outputs: []string{"y"},
				Attrs: map[string]*importer.Attr{"axis": {Name: "axis", Kind: importer.AttrInt, I: 1}}}},
			[]OpKind{OpLinear, OpLayerNorm}, 30},
		{"decomposed LayerNorm", append([]*node{nd("MatMul", []string{"x", "w1"}, "h")}, lnChain("h", "y")...), []OpKind{OpLinear, OpLayerNorm}, 30},
		{"decomposed GELU", append([]*node{nd("MatMul", []string{"x", "w1"}, "h")}, geluChain("h", "y")...), []OpKind{OpLinear, OpLUT}, 30},
		{"Softmax", []*node{nd("MatMul", []string{"x", "w1"}, "h"), nd("Softmax", []string{"h"}, "p"), nd("MatMul", []string{"p", "w2"}, "y")},
			[]OpKind{OpLinear, OpSoftmax, OpLinear}, 30},
		{"attention", []*node{
			nd("MatMul", []string{"x", "w1"}, "q"), nd("MatMul", []string{"x", "w2"}, "k"), nd("MatMul", []string{"x", "w3"}, "v"),
			nd("Transpose", []string{"k"}, "kt", ints("perm", 0, 2, 1)),
			nd("MatMul", []string{"q", "kt"}, "s"), nd("Mul", []string{"s", "quarter"}, "ss"),
			nd("Softmax", []string{"ss"}, "p"), nd("MatMul", []string{"p", "v"}, "y"),
		}, []OpKind{OpLinear, OpLinear, OpLinear, OpTranspose, OpMatMul, OpAffine, OpSoftmax, OpMatMul}, 25},
		{"broadcast constants", []*node{
			nd("MatMul", []string{"x", "w1"}, "h"), nd("Mul", []string{"perFeature", "h"}, "a"), nd("Add", []string{"a", "table"}, "b"),
			nd("Sub", []string{"b", "c"}, "d"), nd("Div", []string{"d", "c"}, "e"), nd("Mul", []string{"e", "perRow"}, "f"),
			nd("Sub", []string{"c", "f"}, "y"),
		}, []OpKind{OpLinear, OpAffine, OpAffine, OpAffine, OpAffine, OpAffine, OpAffine}, 25}, // six 8-bit requantizations in a row
	}
	eq := func(e string) *importer.Attr {
		return &importer.Attr{Name: "equation", Kind: importer.AttrString, S: e}
	}
	cases = append(cases, []struct {
		name    string
		nodes   []*node
		kinds   []OpKind
		minSQNR float64
	}{
		{"Einsum attention", []*node{
			nd("MatMul", []string{"x", "w1"}, "q"), nd("MatMul", []string{"x", "w2"}, "k"), nd("MatMul", []string{"x", "w3"}, "v"),
			nd("Einsum", []string{"q", "k"}, "s", eq("b i d, b j d -> b i j")), nd("Softmax", []string{"s"}, "p"),
			nd("Einsum", []string{"p", "v"}, "y", eq("bij,bjd->bid")),
		}, []OpKind{OpLinear, OpLinear, OpLinear, OpTranspose, OpMatMul, OpSoftmax, OpMatMul}, 25},
		// the batch axis moved to the middle and back, and a constant
		// concatenated in front (ViT's layout and class token): quantized at
		// batch 1
		{"batch axis moved", []*node{
			nd("Transpose", []string{"x"}, "xt", ints("perm", 1, 0, 2)), nd("MatMul", []string{"xt", "w1"}, "h"),
			nd("Transpose", []string{"h"}, "ht", ints("perm", 1, 0, 2)),
			nd("Concat", []string{"cls", "ht"}, "y", &importer.Attr{Name: "axis", Kind: importer.AttrInt, I: 1}),
		}, []OpKind{OpTranspose, OpLinear, OpTranspose, OpConst, OpConcat}, 30},
		// an average far below its input's range gets a scale of its own
		{"global average at its own scale", []*node{
			nd("MatMul", []string{"x", "w1"}, "h"), nd("GlobalAveragePool", []string{"h"}, "y"),
		}, []OpKind{OpLinear, OpGlobalAvg}, 30},
	}...)
	calib, x := randT(1, 64, seq, dim), randT(1, 16, seq, dim)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &importer.Graph{
				Name:         tc.name,
				Inputs:       []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Value: seq}, {Value: dim}}}},
				Nodes:        tc.nodes,
				Outputs:      []importer.ValueInfo{{Name: "y", DType: importer.Float}},
				Initializers: inits(),
				ValueInfo:    map[string]importer.ValueInfo{},
			}
			m := &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
			// the float reference one sample at a time (the last case's
			// graph holds only at batch 1)
			var ref importer.Tensor
			per := seq * dim
			for s := 0; s < x.Shape[0]; s++ {
				o := floatRun(t, m, importer.NewFloat([]int{1, seq, dim}, x.Float[s*per:(s+1)*per]))
				ref.Float = append(ref.Float, o.Float...)
			}
			cfg := DefaultConfig()
			cfg.Calib = 64
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []OpKind
			for _, op := range net.Ops {
				if op.Kind != OpReshape {
					kinds = append(kinds, op.Kind)
				}
			}
			if !slices.Equal(kinds, tc.kinds) {
				t.Errorf("built kinds %v, want %v", kinds, tc.kinds)
			}
			// placement agrees: every node runs (a fused chain's last node
			// as the fused kind, the others folded into it)
			plan, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Runs() || plan.CrossbarLayers != len(net.Linears) {
				t.Errorf("placement: %s", plan.Verdict())
			}
			for _, op := range net.Ops {
				if op.Kind == OpGlobalAvg && len(op.Mult) != 1 {
					t.Errorf("global average kept its input's scale (%d multipliers)", len(op.Mult))
				}
			}
			got, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s := sqnrOf(ref.Float, got.Float); !(s >= tc.minSQNR) {
				t.Errorf("SQNR %.1f dB < %g dB", s, tc.minSQNR)
			}
			// the network survives its own encoding (every new kind is checked)
			decoded(t, net)
		})
	}
}

// The fixed-point normalization of OpLayerNorm against exact arithmetic:
// n_i = (D·x_i − S1)·2^16 / √(D·S2 − S1² + E) computed with 256-bit floats
// must be within half a unit (plus the 2^-29 relative error isqrt's
// truncation allows) of the integer result, over rows of every length and
// code range, constant rows and ε included.
func TestLayerNormFixedPointExact(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, tc := range []struct {
		d       int
		lo, hi  int32
		eps     int64
		consant bool
	}{
		{1, -128, 127, 0, false}, {2, -128, 127, 3, false}, {16, -128, 127, 0, false}, {96, -128, 127, 7, false},
		{768, -128, 127, 236, false}, {768, -3, 3, 0, false}, {4096, -128, 127, 1 << 30, false},
		{64, 5, 5, 0, true}, {64, -128, -128, 11, true}, {3, 0, 255, 0, false},
	} {
		x := make([]int32, tc.d)
		for trial := 0; trial < 20; trial++ {
			for i := range x {
				x[i] = tc.lo + int32(r.Intn(int(tc.hi-tc.lo)+1))
			}
			s1, root, k := layerNormStats(x, tc.eps)
			var s2 int64
			for _, v := range x {
				s2 += int64(v) * int64(v)
			}
			d := int64(tc.d)
			v := d*s2 - s1*s1 + tc.eps
			if v == 0 {
				if root != 0 {
					t.Fatalf("D=%d: V = 0 but root %d", tc.d, root)
				}
				continue
			}
			sq := new(big.Float).SetPrec(256).SetInt64(v)
			sq.Sqrt(sq)
			for _, xi := range x {
				dev := d*int64(xi) - s1
				got := layerNormQ16(dev, root, k)
				want := new(big.Float).SetPrec(256).SetInt64(dev)
				want.Mul(want, big.NewFloat(1<<layerNormFrac))
				want.Quo(want, sq)
				w, _ := want.Float64()
				if math.Abs(float64(got)-w) > 0.5+math.Abs(w)*0x1p-29 {
					t.Fatalf("D=%d codes [%d,%d] ε=%d: x=%d: got %d, exact %.6f", tc.d, tc.lo, tc.hi, tc.eps, xi, got, w)
				}
			}
		}
	}
}

// OpMatMul against a brute-force reference: exact integer sums, then the
// exact rational rounding (ties to even) of sum·M0/2^shift, clamped.
func TestMatMulOfActivationsExact(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, tc := range []struct {
		a, b []int
		m    float64
	}{
		{[]int{3, 5}, []int{5, 4}, 0.01},
		{[]int{2, 3, 7, 5}, []int{2, 3, 5, 6}, 0.003},
		{[]int{1, 1}, []int{1, 1}, 0.5},
		{[]int{4, 64}, []int{64, 3}, 1.0 / 3},
	} {
		n := &Network{Values: []Value{
			{Name: "a", Shape: tc.a, Scale: 1, Signed: true, Bits: 8},
			{Name: "b", Shape: tc.b, Scale: 1, Signed: true, Bits: 8},
		}}
		outShape := slices.Clone(tc.a)
		outShape[len(outShape)-1] = tc.b[len(tc.b)-1]
		n.Values = append(n.Values, Value{Name: "y", Shape: outShape, Scale: 1, Signed: true, Bits: 8})
		op := Op{Kind: OpMatMul, In: []int{0, 1}, Out: 2, Lo: -128, Hi: 127, Mult: []Multiplier{NewMultiplier(tc.m)}}
		const bs = 3
		vals := make([][]int32, 3)
		for i := 0; i < 2; i++ {
			vals[i] = make([]int32, bs*n.Values[i].size())
			for j := range vals[i] {
				vals[i][j] = int32(r.Intn(256) - 128)
			}
		}
		out := make([]int32, bs*n.Values[2].size())
		if err := execMatMul(&execCtx{n: n, op: &op, vals: vals, out: out, bs: bs}); err != nil {
			t.Fatal(err)
		}
		batch, mm, kk, nn := matMulDims(tc.a, tc.b)
		mu := op.Mult[0]
		for s := 0; s < bs*batch; s++ {
			for i := 0; i < mm; i++ {
				for j := 0; j < nn; j++ {
					var sum int64
					for k := 0; k < kk; k++ {
						sum += int64(vals[0][s*mm*kk+i*kk+k]) * int64(vals[1][s*kk*nn+k*nn+j])
					}
					q := new(big.Rat).SetFrac(big.NewInt(sum*int64(mu.M0)), new(big.Int).Lsh(big.NewInt(1), uint(mu.Shift)))
					want := int32(max(-128, min(127, roundRatEven(q))))
					if got := out[s*mm*nn+i*nn+j]; got != want {
						t.Fatalf("%v×%v [%d,%d,%d]: got %d, want %d", tc.a, tc.b, s, i, j, got, want)
					}
				}
			}
		}
		if w := n.Work(&op); w.Adds != int64(batch*mm*kk*nn) || w.Requant != int64(batch*mm*kk*nn+batch*mm*nn) {
			t.Errorf("%v×%v: work %+v, want %d MACs", tc.a, tc.b, w, batch*mm*kk*nn)
		}
	}
}

// roundRatEven rounds q to the nearest integer, ties to even.
func roundRatEven(q *big.Rat) int64 {
	fl := new(big.Int).Div(q.Num(), q.Denom()) // Euclidean: floor for positive denominators
	rem := new(big.Rat).Sub(q, new(big.Rat).SetInt(fl))
	c := rem.Cmp(big.NewRat(1, 2))
	v := fl.Int64()
	if c > 0 || c == 0 && v%2 != 0 {
		v++
	}
	return v
}

// OpSoftmax against float64 softmax of the same codes: every output code
// within one of p_i/s_y, for rows of several lengths and input scales.
func TestSoftmaxFixedPoint(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, tc := range []struct {
		d      int
		sx, sy float64
	}{{1, 0.1, 1.0 / 255}, {7, 0.05, 1.0 / 255}, {49, 0.2, 0.5 / 255}, {197, 0.03, 0.1 / 255}} {
		in := Value{Name: "x", Shape: []int{3, tc.d}, Scale: tc.sx, Signed: true, Bits: 8}
		out := Value{Name: "y", Shape: []int{3, tc.d}, Scale: tc.sy, Bits: 8}
		n := &Network{Values: []Value{in, out}}
		op := Op{Kind: OpSoftmax, In: []int{0}, Out: 1, Lo: 0, Hi: 255,
			Mult: []Multiplier{NewMultiplier(1 / (tc.sy * (1 << softmaxQ)))}, Table: make([]int32, 256)}
		for k := range op.Table {
			op.Table[k] = int32(math.Round(math.Ldexp(math.Exp(-float64(k)*tc.sx), softmaxFrac)))
		}
		if err := checkSoftmax(&checkCtx{n: n, op: &op, in: &n.Values[0], out: &n.Values[1], olo: 0, ohi: 255}); err != nil {
			t.Fatal(err)
		}
		const bs = 2
		src := make([]int32, bs*in.size())
		for i := range src {
			src[i] = int32(r.Intn(256) - 128)
		}
		dst := make([]int32, len(src))
		if err := execSoftmax(&execCtx{n: n, op: &op, vals: [][]int32{src, nil}, out: dst, bs: bs}); err != nil {
			t.Fatal(err)
		}
		for row := 0; row < len(src)/tc.d; row++ {
			x := src[row*tc.d : (row+1)*tc.d]
			m := slices.Max(x)
			var sum float64
			for _, c := range x {
				sum += math.Exp(float64(c-m) * tc.sx)
			}
			for i, c := range x {
				want := math.Min(255, math.Exp(float64(c-m)*tc.sx)/sum/tc.sy)
				if got := float64(dst[row*tc.d+i]); math.Abs(got-want) > 1 {
					t.Fatalf("D=%d: code %d, exact %.3f", tc.d, int(got), want)
				}
			}
		}
	}
}
