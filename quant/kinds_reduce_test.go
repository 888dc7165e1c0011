package quant

import (
	"math"
	"math/big"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/onnx"
)

// reduceCases are single-node models over the network input: the integer
// program is the reduction alone, so its codes can be checked one by one
// against the float interpreter run on the dequantized input codes.
var reduceCases = []struct {
	name  string
	in    []int
	op    string
	args  func(g *graphtest.Builder) []string // inputs after x
	attrs []*importer.Attr
	kind  OpKind
	relu  bool // a Relu before the op (its logarithm needs positive sums)
}{
	{"maxpool-1d-pads-strides", []int{3, 11}, "MaxPool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 3), graphtest.AInts("strides", 2), graphtest.AInts("pads", 1, 2)}, OpReduceMax, false},
	{"maxpool-1d-dilated-ceil", []int{2, 10}, "MaxPool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 2), graphtest.AInts("strides", 3), graphtest.AInts("dilations", 2), graphtest.AInt("ceil_mode", 1)}, OpReduceMax, false},
	{"avgpool-1d-count-include-pad", []int{3, 9}, "AveragePool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 4), graphtest.AInts("strides", 2), graphtest.AInts("pads", 2, 1), graphtest.AInt("count_include_pad", 1)}, OpReduceMean, false},
	{"avgpool-1d-same-upper", []int{2, 7}, "AveragePool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 3), graphtest.AInts("strides", 2), graphtest.AStr("auto_pad", "SAME_UPPER")}, OpReduceMean, false},
	{"maxpool-3d", []int{2, 5, 6, 4}, "MaxPool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 2, 3, 2), graphtest.AInts("strides", 2, 1, 2), graphtest.AInts("pads", 1, 1, 0, 0, 1, 1)}, OpReduceMax, false},
	{"avgpool-3d-ceil-pads", []int{2, 5, 5, 5}, "AveragePool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 3, 2, 3), graphtest.AInts("strides", 2, 2, 2), graphtest.AInts("pads", 1, 0, 1, 1, 0, 1), graphtest.AInt("ceil_mode", 1)}, OpReduceMean, false},
	{"avgpool-3d-count-include-pad", []int{1, 4, 4, 4}, "AveragePool", nil,
		[]*importer.Attr{graphtest.AInts("kernel_shape", 3, 3, 3), graphtest.AInts("pads", 1, 1, 1, 1, 1, 1), graphtest.AInt("count_include_pad", 1)}, OpReduceMean, false},
	{"reducemax-channels-drop", []int{4, 3, 5}, "ReduceMax", nil,
		[]*importer.Attr{graphtest.AInts("axes", 1), graphtest.AInt("keepdims", 0)}, OpReduceMax, false},
	{"reducemin-two-axes", []int{4, 3, 5}, "ReduceMin", nil,
		[]*importer.Attr{graphtest.AInts("axes", 1, 3)}, OpReduceMin, false},
	{"reducemin-all-per-sample-axes", []int{3, 4}, "ReduceMin", nil,
		[]*importer.Attr{graphtest.AInts("axes", -1, -2), graphtest.AInt("keepdims", 0)}, OpReduceMin, false},
	{"reducemean-last-axis", []int{3, 4, 6}, "ReduceMean", nil,
		[]*importer.Attr{graphtest.AInts("axes", -1)}, OpReduceMean, false},
	{"reducemean-channels-drop", []int{5, 2, 3}, "ReduceMean", nil,
		[]*importer.Attr{graphtest.AInts("axes", 1), graphtest.AInt("keepdims", 0)}, OpReduceMean, false},
	{"reducesum-axis-input", []int{3, 4, 5}, "ReduceSum", func(g *graphtest.Builder) []string { return []string{g.Ints("axes", 2)} },
		[]*importer.Attr{graphtest.AInt("keepdims", 0)}, OpReduceSum, false},
	{"reducesum-middle-axes", []int{2, 3, 4, 2}, "ReduceSum", func(g *graphtest.Builder) []string { return []string{g.Ints("axes", -2, 2)} },
		nil, OpReduceSum, false},
	{"reducel1-channels", []int{4, 3, 5}, "ReduceL1", nil,
		[]*importer.Attr{graphtest.AInts("axes", 1)}, OpReduceL1, false},
	{"reducesumsquare-last-drop", []int{3, 6}, "ReduceSumSquare", nil,
		[]*importer.Attr{graphtest.AInts("axes", -1), graphtest.AInt("keepdims", 0)}, OpReduceSumSquare, false},
	{"reducel2-two-axes", []int{2, 3, 4}, "ReduceL2", nil,
		[]*importer.Attr{graphtest.AInts("axes", 2, 3)}, OpReduceL2, false},
	{"reducel2-single", []int{5, 1}, "ReduceL2", nil,
		[]*importer.Attr{graphtest.AInts("axes", 2)}, OpReduceL2, false},
	{"reduceprod-pairs", []int{3, 2, 2}, "ReduceProd", nil,
		[]*importer.Attr{graphtest.AInts("axes", 2)}, OpReduceProd, false},
	{"reduceprod-triples-drop", []int{4, 3}, "ReduceProd", nil,
		[]*importer.Attr{graphtest.AInts("axes", -1), graphtest.AInt("keepdims", 0)}, OpReduceProd, false},
	{"reducelogsum-after-relu", []int{3, 40}, "ReduceLogSum", nil,
		[]*importer.Attr{graphtest.AInts("axes", 2)}, OpReduceLogSum, true},
	{"reducelogsumexp-channels", []int{6, 4}, "ReduceLogSumExp", nil,
		[]*importer.Attr{graphtest.AInts("axes", 1), graphtest.AInt("keepdims", 0)}, OpReduceLogSumExp, false},
	{"reducelogsumexp-long", []int{2, 200}, "ReduceLogSumExp", nil,
		[]*importer.Attr{graphtest.AInts("axes", -1)}, OpReduceLogSumExp, false},
}

func TestReduceKinds(t *testing.T) {
	for _, tc := range reduceCases {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			in := []string{"x"}
			if tc.relu {
				in = []string{g.Node("Relu", []string{"x"}, "xr")}
			}
			if tc.args != nil {
				in = append(in, tc.args(g)...)
			}
			y := g.Node(tc.op, in, "y", tc.attrs...)
			m := g.Model(tc.in, y)
			plan, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			if np := plan.Nodes[len(plan.Nodes)-1]; np.Where != OnDigital || !slices.Contains(np.Kinds, tc.kind.String()) {
				t.Fatalf("placement %+v, want digital %s", np, tc.kind)
			}
			calib, x := randomBatch(1, 64, tc.in...), randomBatch(2, 8, tc.in...)
			net := quantizeWithKind(t, m, []*importer.Tensor{calib}, tc.kind)
			// vs float on the raw input
			ref := floatRun(t, m, x)
			got, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			requireNearFloat(t, got, ref)
			// vs the exact reduction of the input codes: the float
			// interpreter on the dequantized codes, divided by the output
			// scale, is the exact value up to float32 rounding; Max and Min
			// must give it exactly, Sum and Mean within the final rounding's
			// half code.
			outV := net.Values[net.Outputs[0].Value]
			deq, _ := dequantizedInput(net, 0, x)
			exact := floatRun(t, m, deq)
			out, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := outV.Range()
			// the final rounding (+ the Multiplier's 2^-30 and float32's
			// 2^-24); the logarithms' fixed point adds < 0.1 code
			tol := 0.5 + 1e-3
			switch tc.kind {
			case OpReduceMax, OpReduceMin:
				tol = 1e-6
			case OpReduceLogSum, OpReduceLogSumExp:
				tol = 0.6
			}
			for i, c := range out {
				want := math.Min(math.Max(float64(exact.Float[i])/outV.Scale, float64(lo)), float64(hi))
				if math.IsNaN(want) { // the log of a non-positive sum
					want = float64(lo)
				}
				if d := math.Abs(float64(c) - want); d > tol {
					t.Fatalf("output code %d is %d, exact %.4f (%.4f codes off)", i, c, want, d)
				}
			}
			// the network's binary encoding (mapping files) runs the same
			if got := marshalRoundTrip(t, net, []*importer.Tensor{x}); !slices.Equal(out, got) {
				t.Errorf("codes differ after the binary encoding round trip")
			}
			// the QDQ export read back gives the identical codes
			if err := requireQDQSameCodes(t, net, []*importer.Tensor{x}, out); err != nil &&
				!(tc.kind == OpReduceMean && strings.Contains(err.Error(), "different lengths")) { // refused by design (see exportReduce)
				t.Fatal(err)
			}
		})
	}
}

// TestReduceRefusals: what cannot be integer is refused naming the node and
// the reason.
func TestReduceRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, op string
		in       []int
		attrs    []*importer.Attr
		why      string
	}{
		{"batch-axis", "ReduceMax", []int{3, 4}, []*importer.Attr{graphtest.AInts("axes", 0, 1)}, "reduce the batch axis"},
		{"all-axes", "ReduceMin", []int{3, 4}, nil, "reduce the batch axis"},
		{"product-overflow", "ReduceProd", []int{3, 10}, []*importer.Attr{graphtest.AInts("axes", 2)}, "the product of 10 codes of 8 bits needs up to 80 bits"},
		{"logsumexp-long", "ReduceLogSumExp", []int{2, 3000}, []*importer.Attr{graphtest.AInts("axes", -1)}, "at most 2048 codes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			y := g.Node(tc.op, []string{"x"}, "y", tc.attrs...)
			m := g.Model(tc.in, y)
			plan, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			if np := plan.Nodes[0]; np.Where != Unsupported || !strings.Contains(np.Reason, tc.why) {
				t.Fatalf("placement %+v, want unsupported: %s", np, tc.why)
			}
			// Quantize names the node and the reason
			cfg := DefaultConfig()
			cfg.Calib = 8
			_, err = Quantize(m, randomBatch(1, 8, tc.in...), cfg)
			if err == nil || !strings.Contains(err.Error(), `"y_node"`) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Quantize: %v, want the node and %q", err, tc.why)
			}
		})
	}
}

// TestMulDivRound checks the exact rounding of s·M0/(d·2^Shift) against
// math/big on random and edge operands, ties included.
func TestMulDivRound(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	check := func(s int64, m Multiplier, d int64) {
		num := new(big.Int).Mul(big.NewInt(s), big.NewInt(int64(m.M0)))
		den := new(big.Int).Lsh(big.NewInt(d), uint(m.Shift))
		q, rem := new(big.Int).DivMod(num, den, new(big.Int)) // Euclidean: rem ≥ 0
		c := new(big.Int).Lsh(rem, 1).Cmp(den)
		if c > 0 || c == 0 && q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
		if got := mulDivRound(s, m, d); got != q.Int64() {
			t.Fatalf("mulDivRound(%d, %+v, %d) = %d, want %d", s, m, d, got, q.Int64())
		}
	}
	for i := 0; i < 200000; i++ {
		s := r.Int63n(1<<33) - 1<<32 + 1
		if i%3 == 0 {
			s = r.Int63n(2001) - 1000
		}
		m := NewMultiplier(math.Ldexp(r.Float64()+0.01, r.Intn(40)-30))
		if i%5 == 0 {
			m = Multiplier{M0: 1 << 30, Shift: uint8(r.Intn(3))} // small shifts: many ties
		}
		d := r.Int63n(1<<31-1) + 1
		if i%2 == 0 {
			d = r.Int63n(50) + 1
		}
		check(s, m, d)
	}
	for _, sh := range []uint8{0, 1, 31, 62} {
		for _, s := range []int64{0, 1, -1, 1<<32 - 1, -(1<<32 - 1)} {
			for _, d := range []int64{1, 2, 3, 1<<31 - 1} {
				check(s, Multiplier{M0: math.MaxInt32, Shift: sh}, d)
				check(s, Multiplier{M0: 1 << 30, Shift: sh}, d)
			}
		}
	}
}

// TestLog2Fixed: the fixed-point log2 is within 2^-(logFrac-2) of
// math.Log2 (below it: every step truncates).
func TestLog2Fixed(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 100000; i++ {
		v := uint64(r.Int63n(1<<uint(r.Intn(62)+1))) + 1
		if i < 5000 {
			v = uint64(i + 1)
		}
		got := math.Ldexp(float64(log2Fixed(v)), -logFrac)
		if d := math.Log2(float64(v)) - got; d < -1e-12 || d > math.Ldexp(1, -(logFrac-2)) {
			t.Fatalf("log2Fixed(%d) = %.9f, log2 %.9f", v, got, math.Log2(float64(v)))
		}
	}
}

// TestSqrtRound checks the exact rounded root against math/big: y is the
// nearest integer to √s·M0/2^Shift, ties to even.
func TestSqrtRound(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	check := func(s int64, m Multiplier) {
		y := sqrtRound(s, m)
		// (2y−1)²·2^(2sh) ≤ 4·s·M0² ≤ (2y+1)²·2^(2sh), and on equality the
		// even neighbour
		u := new(big.Int).Mul(big.NewInt(s), big.NewInt(int64(m.M0)))
		u.Mul(u, big.NewInt(int64(m.M0)))
		u.Lsh(u, 2)
		bound := func(k int64) *big.Int {
			b := big.NewInt(k)
			b.Mul(b, b)
			return b.Lsh(b, 2*uint(m.Shift))
		}
		lo, hi := bound(2*y-1), bound(2*y+1)
		if y > 0 && lo.Cmp(u) > 0 || hi.Cmp(u) < 0 {
			t.Fatalf("sqrtRound(%d, %+v) = %d: not the nearest integer", s, m, y)
		}
		if y > 0 && lo.Cmp(u) == 0 && y&1 != 0 || hi.Cmp(u) == 0 && y&1 != 0 {
			t.Fatalf("sqrtRound(%d, %+v) = %d: a tie must go to the even neighbour", s, m, y)
		}
	}
	for i := 0; i < 50000; i++ {
		s := r.Int63n(1 << 32)
		if i%2 == 0 {
			s = r.Int63n(1000)
		}
		m := NewMultiplier(math.Ldexp(r.Float64()+0.01, r.Intn(20)-12))
		if i%4 == 0 {
			m = Multiplier{M0: 1 << 30, Shift: uint8(30 + r.Intn(3))} // M = 1, 1/2, 1/4: exact ties
		}
		check(s, m)
	}
	// √(k²/4) = k/2: ties for odd k
	for k := int64(0); k < 200; k++ {
		check(k*k, Multiplier{M0: 1 << 30, Shift: 31})
	}
}

// TestMulRoundWide checks the product rounding against math/big.Rat.
func TestMulRoundWide(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	for i := 0; i < 20000; i++ {
		p := r.Int63() >> uint(r.Intn(63))
		if r.Intn(2) == 0 {
			p = -p
		}
		m := NewMultiplier(math.Ldexp(r.Float64()+0.01, r.Intn(60)-50))
		exact := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(p), big.NewInt(int64(m.M0))), new(big.Int).Lsh(big.NewInt(1), uint(m.Shift)))
		got := mulRoundWide(p, m)
		if f, _ := exact.Float64(); math.Abs(f) >= 1<<62 {
			if got != math.MaxInt64 && got != math.MinInt64 && math.Abs(f) > 1<<63 {
				t.Fatalf("mulRoundWide(%d, %+v) = %d, want saturation for %s", p, m, got, exact.FloatString(0))
			}
			continue
		}
		d := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(got))
		half := big.NewRat(1, 2)
		if d.Abs(d).Cmp(half) > 0 {
			t.Fatalf("mulRoundWide(%d, %+v) = %d, exact %s", p, m, got, exact.FloatString(3))
		}
		if d.Cmp(half) == 0 && got&1 != 0 {
			t.Fatalf("mulRoundWide(%d, %+v) = %d: a tie must go to even", p, m, got)
		}
	}
}

// reduceConformanceOps are the op types of the pooling, Reduce and variadic
// kinds, whose one-input ONNX node test cases TestReduceConformance runs
// (the several-input ones are run by testmodels' conformance test).
var reduceConformanceOps = []string{"MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool",
	"ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceL1", "ReduceL2", "ReduceSumSquare",
	"ReduceLogSum", "ReduceLogSumExp", "ReduceProd", "Max", "Min", "Sum", "Mean"}

// TestReduceConformance runs the one-input ONNX node test cases (Debian
// libonnx-testdata) of the pooling, Reduce and variadic ops through the
// integer golden model calibrated on the case's own input: every case is
// either refused by placement with a reason, or quantizes and reproduces
// the expected output within 8-bit quantization (SQNR ≥ 30 dB); cases
// whose input is not a float batch [N, …] (uint8 pooling, a rank-1 Max)
// are placed only. Skips without the package.
func TestReduceConformance(t *testing.T) {
	const dir = "/usr/share/libonnx-testdata/data/node"
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "model.onnx"))
	if len(paths) == 0 {
		t.Skipf("no ONNX node test data in %s (Debian package libonnx-testdata)", dir)
	}
	ran, refused, notBatch := 0, 0, 0
	for _, path := range paths {
		m, err := onnx.Load(path)
		if err != nil || len(m.Graph.Nodes) != 1 || len(m.Graph.Inputs) != 1 || !slices.Contains(reduceConformanceOps, m.Graph.Nodes[0].OpType) {
			continue
		}
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			plan, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Runs() {
				if plan.Nodes[0].Reason == "" {
					t.Fatalf("unsupported without a reason: %+v", plan.Nodes[0])
				}
				refused++
				return
			}
			x, err := onnx.ReadTensorPB(filepath.Join(filepath.Dir(path), "test_data_set_0", "input_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			if !x.IsFloat() || len(x.Shape) < 2 {
				notBatch++ // an integer or unbatched input: no float calibration batch
				return
			}
			want, err := onnx.ReadTensorPB(filepath.Join(filepath.Dir(path), "test_data_set_0", "output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := quantizeRun(t, m, x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape, want.Shape) {
				t.Fatalf("shape %v, expected %v", got.Shape, want.Shape)
			}
			if s := sqnrOf(want.Floats(), got.Float); !(s >= 30) {
				t.Errorf("golden model vs expected output: SQNR %.1f dB < 30 dB", s)
			}
			ran++
		})
	}
	t.Logf("one-input node test cases of the pooling, Reduce and variadic ops: %d run as integers, %d refused with a reason, %d without a float batch input", ran, refused, notBatch)
	if ran < 60 {
		t.Errorf("only %d cases ran as integers", ran)
	}
}

// TestReduceMeanDroppedAxesOwnScale: a spatial ReduceMean that drops its
// axes (global pooling, then a reshape) takes its encoding from the node's
// output like one that keeps them: from calibration its own, finer scale
// (the mean of 36 codes is much narrower than they are), and from a QDQ
// model the model's scale, so that the round trip gives identical codes.
func TestReduceMeanDroppedAxesOwnScale(t *testing.T) {
	for _, keep := range []int64{0, 1} {
		g := graphtest.New(8)
		c := g.Conv("x", "c1", 3, 4, 3, 1)
		y := g.Node("ReduceMean", []string{c}, "y", graphtest.AInts("axes", 2, 3), graphtest.AInt("keepdims", keep))
		m := g.Model([]int{3, 8, 8}, y)
		calib, x := randomBatch(1, 32, 3, 8, 8), randomBatch(2, 8, 3, 8, 8)
		cfg := DefaultConfig()
		cfg.Calib = 32
		net, err := Quantize(m, calib, cfg)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(net.Ops, func(op Op) bool { return op.Kind == OpGlobalAvg })
		if i < 0 || len(net.Ops[i].Mult) != 1 {
			t.Fatalf("keepdims=%d: no requantized global average in %v", keep, net.Ops)
		}
		a, _, err := net.RunCodes(x, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := qdqRoundTrip(t, net, []*importer.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a, b) {
			t.Errorf("keepdims=%d: codes differ after the QDQ round trip", keep)
		}
	}
}
