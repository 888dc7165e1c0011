package quant

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/interp"
)

// halfSteps is a batch of whole multiples of 0.5 drawn from steps (each a
// number of half steps), with the largest step's value at element 0 so the
// calibrated range is the same for every draw.
func halfSteps(seed int64, n int, steps []int, shape ...int) *importer.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := &importer.Tensor{DType: importer.Float, Shape: append([]int{n}, shape...)}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = float32(steps[r.Intn(len(steps))]) * 0.5
	}
	t.Float[0] = float32(slices.Max(steps)) * 0.5
	return t
}

// stepsIn is every whole number in [lo, hi] but those of skip.
func stepsIn(lo, hi int, skip ...int) []int {
	var s []int
	for v := lo; v <= hi; v++ {
		if !slices.Contains(skip, v) {
			s = append(s, v)
		}
	}
	return s
}

// TestPairKindsOnInputCodes builds Sub, Div, Pow, Mod and PRelu of two
// activations (broadcast) and of an activation and a constant, and
// GatherElements with constant indices, each reading the network input's
// own codes (through Slices, which copy codes): the golden model's output
// must be within half an output code (plus the float32 rounding of the
// interpreter; one code for Sub, which is Add's two-rounding arithmetic)
// of the float interpreter on the dequantized input codes, and the
// two-operand tables must equal code for code a brute-force reference that
// evaluates the op's definition at every output position with its own
// broadcasting. The
// network is calibrated on the batch it runs (the float values, which the
// codes approximate: an output beyond the calibrated range clamps).
// Placement must call the node digital, with the kind the program has.
func TestPairKindsOnInputCodes(t *testing.T) {
	ai := graphtest.AInt
	type ref func(a, b float64) float64
	div := func(a, b float64) float64 { return a / b }
	fmod := math.Mod
	prelu := func(x, s float64) float64 {
		if x < 0 {
			return s * x
		}
		return x
	}
	row := func(g *graphtest.Builder) string { // x[:, 0:1, :] of a [4, 6] input: [1, 6]
		return g.Node("Slice", []string{"x", g.Ints("s", 0), g.Ints("e", 1), g.Ints("ax", 1)}, "row")
	}
	col := func(g *graphtest.Builder) string { // x[:, :, 2:3]: [4, 1]
		return g.Node("Slice", []string{"x", g.Ints("cs", 2), g.Ints("ce", 3), g.Ints("cax", 2)}, "col")
	}
	for _, tc := range []struct {
		name  string
		steps []int // the input's values in half steps
		kind  OpKind
		build func(g *graphtest.Builder) string
		// f and operands give the brute-force reference when both operands
		// are slices of x (nil: compare with the float interpreter only)
		f ref
		// the operands' per-sample index in x's [4, 6] codes for output
		// position (i, j)
		operands func(i, j int) (a, b int)
		// tol is the largest difference from the float interpreter in
		// output codes
		tol float64
		// tiny: column 2 of every other sample holds values within half a
		// step of 0 (divisor code 0, where the float op is unbounded or
		// undefined: only the reference judges those outputs)
		tiny bool
	}{
		// Sub is OpAdd's difference: two roundings (the rescale of each
		// operand, then of the sum), within one code
		{"sub-activations-broadcast-row", stepsIn(-6, 6), OpAdd, func(g *graphtest.Builder) string {
			return g.Node("Sub", []string{"x", row(g)}, "y")
		}, nil, nil, 1, false},
		{"sub-activations-row-minus-column", stepsIn(-6, 6), OpAdd, func(g *graphtest.Builder) string {
			return g.Node("Sub", []string{row(g), col(g)}, "y")
		}, nil, nil, 1, false},
		{"sub-unsigned-activations-negative-difference", stepsIn(0, 6), OpAdd, func(g *graphtest.Builder) string {
			return g.Node("Sub", []string{col(g), "x"}, "y")
		}, nil, nil, 1, false},
		{"div-activations-broadcast-column", stepsIn(-6, 6, 0), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("Div", []string{"x", col(g)}, "y")
		}, div, func(i, j int) (int, int) { return i*6 + j, i*6 + 2 }, 0.5, false},
		{"div-divisor-code-zero", stepsIn(-6, 6, 0), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("Div", []string{"x", col(g)}, "y")
		}, func(a, b float64) float64 {
			switch {
			case b == 0 && a == 0:
				return 0
			case b == 0: // saturates by the dividend's sign
				return float64(sign(a)) * math.Inf(1)
			}
			return a / b
		}, func(i, j int) (int, int) { return i*6 + j, i*6 + 2 }, 0.5, true},
		{"mod-divisor-code-zero", stepsIn(-7, 7, 0), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("Mod", []string{"x", col(g)}, "y", ai("fmod", 1))
		}, func(a, b float64) float64 {
			if b == 0 { // a remainder is smaller than its divisor
				return 0
			}
			return math.Mod(a, b)
		}, func(i, j int) (int, int) { return i*6 + j, i*6 + 2 }, 0.5, true},
		{"pow-activations-nonnegative", stepsIn(0, 4), OpPairLUT, func(g *graphtest.Builder) string {
			r := g.Node("Relu", []string{"x"}, "r") // a base placement knows is non-negative
			return g.Node("Pow", []string{r, row(g)}, "y")
		}, math.Pow, func(i, j int) (int, int) { return i*6 + j, j }, 0.5, false},
		{"mod-fmod-activations", stepsIn(-7, 7, 0), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("Mod", []string{"x", col(g)}, "y", ai("fmod", 1))
		}, fmod, func(i, j int) (int, int) { return i*6 + j, i*6 + 2 }, 0.5, false},
		{"prelu-activation-slope", stepsIn(-6, 6), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("PRelu", []string{"x", row(g)}, "y")
		}, prelu, func(i, j int) (int, int) { return i*6 + j, j }, 0.5, false},
		{"prelu-constant-slope-per-row", stepsIn(-6, 6), OpPairLUT, func(g *graphtest.Builder) string {
			slope := g.Const("slope", importer.NewFloat([]int{4, 1}, []float32{0.25, -0.5, 0.1, 0.25})) // one per row
			return g.Node("PRelu", []string{"x", slope}, "y")
		}, nil, nil, 0.5, false},
		{"pow-constant-exponent", stepsIn(0, 6), OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Pow", []string{g.Node("Relu", []string{"x"}, "r"), g.Floats("e", 1.5)}, "y")
		}, nil, nil, 0.5, false},
		{"pow-constant-integer-exponent-signed-base", stepsIn(-6, 6), OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Pow", []string{"x", g.Ints("e", 3)}, "y")
		}, nil, nil, 0.5, false},
		{"pow-constant-exponent-array", stepsIn(0, 6), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("Pow", []string{g.Node("Relu", []string{"x"}, "r"), g.Floats("e", 0.5, 1, 2, 0.5, 3, 1)}, "y")
		}, nil, nil, 0.5, false},
		{"div-constant-by-activation", stepsIn(-6, 6, 0), OpLUT, func(g *graphtest.Builder) string {
			return g.Node("Div", []string{g.Floats("c", 1.5), "x"}, "y")
		}, nil, nil, 0.5, false},
		{"mod-constant-divisor-array", stepsIn(-6, 6), OpPairLUT, func(g *graphtest.Builder) string {
			return g.Node("Mod", []string{"x", g.Floats("d", 0.75, -1, 2, 1.25, -0.5, 3)}, "y", ai("fmod", 1))
		}, nil, nil, 0.5, false},
		{"gather-elements-constant-indices", stepsIn(-6, 6), OpGather, func(g *graphtest.Builder) string {
			gi := g.Const("gi", importer.NewInt([]int{1, 4, 3}, []int64{5, 0, -1, 2, 2, 3, 0, 1, 4, 3, -6, 0}))
			return g.Node("GatherElements", []string{"x", gi}, "y", ai("axis", 2))
		}, nil, nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			out := tc.build(g)
			m := g.Model([]int{4, 6}, out)
			m.Opsets[""] = 13
			x := halfSteps(2, 16, tc.steps, 4, 6)
			if tc.tiny {
				for s := 1; s < 16; s += 2 {
					for i := 0; i < 4; i++ {
						x.Float[s*24+i*6+2] = 0.004 * float32(i-2)
					}
				}
			}
			cfg := DefaultConfig()
			cfg.Calib = 16
			net, err := Quantize(m, x, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var op *Op
			for i := range net.Ops {
				if net.Ops[i].Kind == tc.kind {
					op = &net.Ops[i]
				}
			}
			if op == nil {
				t.Fatalf("no %s op in the program %v", tc.kind, net.Ops)
			}
			p, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			last := p.Nodes[len(p.Nodes)-1]
			if last.Where != OnDigital || !slices.Contains(last.Kinds, tc.kind.String()) {
				t.Fatalf("placement of %s: %s %v (%s), want digital %s", last.Op, last.Where, last.Kinds, last.Reason, tc.kind)
			}
			in := net.Values[net.Inputs[0].Value]
			deq, codes := dequantizedInput(net, 0, x)
			requireExactDequantized(t, deq, codes, in.Scale)
			fp, err := interp.NewModelProgram(m)
			if err != nil {
				t.Fatal(err)
			}
			// one sample at a time: constant indices with a batch axis of
			// 1 give the float model one output sample per input sample
			var want []float64
			for s := 0; s < x.Shape[0]; s++ {
				one := &importer.Tensor{DType: importer.Float, Shape: append([]int{1}, x.Shape[1:]...), Float: deq.Float[s*24 : (s+1)*24]}
				fout, err := fp.Run(map[string]*importer.Tensor{"x": one})
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, realValues(fout[out])...)
			}
			got, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d outputs, float %d", len(got), len(want))
			}
			ov := net.Values[net.Outputs[0].Value]
			so := ov.Scale
			olo, ohi := op.Lo, op.Hi
			if olo == ohi { // a copy has the input's codes and no clamp of its own
				olo, ohi = ov.Range()
			}
			divisorZero := func(k int) bool { // output k reads a divisor code 0
				if !tc.tiny {
					return false
				}
				s, e := k/24, k%24
				_, ib := tc.operands(e/6, e%6)
				return codes[s*24+ib] == 0
			}
			for i := range got {
				if divisorZero(i) {
					continue
				}
				// calibration saw the float input, whose values the codes
				// only approximate: beyond the output's range it clamps
				want[i] = min(max(want[i], float64(olo)*so), float64(ohi)*so)
				if d := math.Abs(float64(got[i])*so - want[i]); d > tc.tol*so+1e-6*math.Abs(want[i]) {
					t.Fatalf("output %d: code %d (%g), float on the same codes %g", i, got[i], float64(got[i])*so, want[i])
				}
			}
			if tc.f != nil {
				per := len(got) / x.Shape[0]
				for s := 0; s < x.Shape[0]; s++ {
					c := codes[s*24 : (s+1)*24]
					for i := 0; i < 4; i++ {
						for j := 0; j < 6; j++ {
							ia, ib := tc.operands(i, j)
							y := tc.f(float64(c[ia])*in.Scale, float64(c[ib])*in.Scale)
							w := clamp32(roundSat32(y/so), op.Lo, op.Hi)
							if g := got[s*per+i*6+j]; g != w {
								t.Fatalf("sample %d (%d, %d): code %d, reference %d", s, i, j, g, w)
							}
						}
					}
				}
			}
			if again := marshalRoundTrip(t, net, []*importer.Tensor{x}); !slices.Equal(again, got) {
				t.Fatalf("after a marshal round trip: different codes")
			}
		})
	}
}

// TestPairKindsRefuse: what a two-operand table cannot run exactly is
// refused with a reason that says why.
func TestPairKindsRefuse(t *testing.T) {
	ai := graphtest.AInt
	for _, tc := range []struct {
		name  string
		steps []int
		build func(g *graphtest.Builder) string
		why   string
		// placed: Placement, without calibration data, cannot tell and
		// places the node digital
		placed bool
	}{
		{"pow-negative-base-fractional-exponent", stepsIn(-6, 6), func(g *graphtest.Builder) string {
			row := g.Node("Slice", []string{"x", g.Ints("s", 0), g.Ints("e", 1), g.Ints("ax", 1)}, "row")
			return g.Node("Pow", []string{"x", row}, "y")
		}, "undefined", true},
		{"mod-integer-remainder", stepsIn(1, 6), func(g *graphtest.Builder) string {
			return g.Node("Mod", []string{"x", g.Node("Relu", []string{"x"}, "r")}, "y", ai("fmod", 0))
		}, "fmod=0", false},
		{"mod-constant-zero-divisor", stepsIn(-6, 6), func(g *graphtest.Builder) string {
			return g.Node("Mod", []string{"x", g.Floats("d", 2, 0, 1.5, 1, 1, 1)}, "y", ai("fmod", 1))
		}, "modulo by a constant 0", false},
		{"prelu-slope-wider-than-x", stepsIn(-6, 6), func(g *graphtest.Builder) string {
			row := g.Node("Slice", []string{"x", g.Ints("s", 0), g.Ints("e", 1), g.Ints("ax", 1)}, "row")
			return g.Node("PRelu", []string{row, "x"}, "y")
		}, "does not broadcast to X", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(3)
			out := tc.build(g)
			m := g.Model([]int{4, 6}, out)
			m.Opsets[""] = 13
			p, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			last := p.Nodes[len(p.Nodes)-1]
			if tc.placed && last.Where != OnDigital {
				t.Fatalf("placement of %s: %s (%s), want digital", last.Op, last.Where, last.Reason)
			}
			if !tc.placed && (last.Where != Unsupported || !strings.Contains(last.Reason, tc.why)) {
				t.Fatalf("placement of %s: %s (%s), want unsupported: %s", last.Op, last.Where, last.Reason, tc.why)
			}
			cfg := DefaultConfig()
			cfg.Calib = 16
			_, err = Quantize(m, halfSteps(2, 16, tc.steps, 4, 6), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Quantize: %v, want an error saying %q", err, tc.why)
			}
		})
	}
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
