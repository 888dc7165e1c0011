package quant

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpPairLUT: an elementwise function of two operands by
// a two-dimensional table over their codes, with numpy broadcasting over the
// per-sample axes. It runs Div, Pow, Mod and PRelu whose operands are both
// activations, and those whose second operand is a constant array (Sub of
// two activations is OpAdd's difference, exact at any code width):
//
//	y = Table[(a - lo_a)·W + (b - lo_b)],   W = hi_b - lo_b + 1
//
// (lo, hi the operands' code ranges). Each entry is the op's ONNX function
// of the two real values the codes stand for, rounded once to the output
// scale and clamped: the output code is a function of the two codes alone,
// so the table is exact by construction. It is bounded by operands of at
// most 8-bit codes (2^16 entries); an operand with wider codes (the 16-bit
// residual stream) is refused. A constant operand enters as an OpConst of
// small unsigned codes that index its distinct values, so the table holds
// the function at the constant's exact values, not at a quantized copy.
//
// Where the function is undefined inside the code grid: a divisor code 0
// stands for a real divisor within half a step of 0, where the quotient is
// unbounded and a remainder is smaller than the divisor, so Div saturates
// by the dividend's sign (0/0 gives 0) and Mod gives 0. Pow of a negative
// base to a fractional exponent has no real value: a node whose operands'
// codes reach such a point is refused. Whether they do depends on the
// calibration data (a base calibrated non-negative has unsigned codes), so
// Placement, which has none, places such a node digital and Quantize
// decides.

func init() {
	registerKind(OpPairLUT, kindSpec{inputs: 2, exec: execPairLUT, check: checkPairLUT, export: exportPairLUT,
		work: perOutput(activationWork)})
	for _, op := range []string{"Div", "Pow", "Mod", "PRelu"} {
		registerBuilder(op, (*builder).pairLUT)
	}
}

// maxPairTable bounds a two-operand table: two operands of 8-bit codes.
const maxPairTable = 1 << 16

// pairWidth is the number of codes of the table's second operand (W).
func pairWidth(v *Value) int {
	lo, hi := v.Range()
	return int(hi-lo) + 1
}

func execPairLUT(x *execCtx) error {
	op := x.op
	n := x.n
	va, vb := &n.Values[op.In[0]], &n.Values[op.In[1]]
	loA, _ := va.Range()
	loB, _ := vb.Range()
	w := int32(pairWidth(vb))
	// the table is indexed from its first entry: fold both offsets into one
	base := -loA*w - loB
	sa, sb, err := broadcastStrides(va.Shape, vb.Shape, x.outV.Shape)
	if err != nil {
		return err
	}
	a, b := x.vals[op.In[0]], x.vals[op.In[1]]
	per, perA, perB := x.outV.size(), va.size(), vb.size()
	t := op.Table
	for s := 0; s < x.bs; s++ {
		as, bs, out := a[s*perA:(s+1)*perA], b[s*perB:(s+1)*perB], x.out[s*per:(s+1)*per]
		forEachRun(x.outV.Shape, sa, sb, func(o, ia, ib, n, da, db int) {
			for k := 0; k < n; k++ {
				out[o+k] = t[as[ia+k*da]*w+bs[ib+k*db]+base]
			}
		})
	}
	return nil
}

func checkPairLUT(x *checkCtx) error {
	n := x.n
	op := x.op
	vb := &n.Values[op.In[1]]
	if x.in.Bits > 8 || vb.Bits > 8 {
		return fmt.Errorf("operands of %d and %d bits: a two-operand table takes codes of at most 8 bits", x.in.Bits, vb.Bits)
	}
	if want := pairWidth(x.in) * pairWidth(vb); len(op.Table) != want {
		return fmt.Errorf("table of %d entries for %d code pairs", len(op.Table), want)
	}
	for _, t := range op.Table {
		if t < x.olo || t > x.ohi {
			return fmt.Errorf("table entry %d outside output codes", t)
		}
	}
	shape, err := broadcastShape(x.in.Shape, vb.Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(shape, x.out.Shape) {
		return fmt.Errorf("operands %v and %v broadcast to %v, output is %v", x.in.Shape, vb.Shape, shape, x.out.Shape)
	}
	return nil
}

func exportPairLUT(x *exportCtx) error {
	return fmt.Errorf("two-operand table lookups have no QDQ form in this exporter")
}

// pairFunc is the ONNX function of a node OpPairLUT runs, on the real
// values of its two operands, with the undefined points of a divisor code 0
// given the values the kind's comment explains; nonNeg reports that the
// output is non-negative whenever the first operand is.
func pairFunc(n *importer.Node) (f func(a, b float64) float64, nonNeg bool, why string) {
	switch n.OpType {
	case "Div":
		return func(a, b float64) float64 {
			if b == 0 && a == 0 {
				return 0
			}
			return a / b
		}, false, ""
	case "Pow":
		return math.Pow, true, "" // a non-negative base has non-negative powers
	case "Mod":
		fm, err := n.AttrInt("fmod", 0)
		if err != nil {
			return nil, false, err.Error()
		}
		if fm != 1 {
			return nil, false, "fmod=0 (the integer remainder) on real values: ONNX requires fmod=1 for floats"
		}
		// C's fmod: the remainder has the dividend's sign
		return func(a, b float64) float64 {
			if b == 0 {
				return 0
			}
			return math.Mod(a, b)
		}, true, ""
	case "PRelu":
		return func(x, slope float64) float64 {
			if x < 0 {
				return slope * x
			}
			return x
		}, true, ""
	}
	return nil, false, "no two-operand function for " + n.OpType
}

// pairOperand is one operand of a two-operand table: its value and the
// real value each of its codes stands for.
type pairOperand struct {
	v    int
	real func(q int32) float64
}

// pairLUT builds the node's OpPairLUT, or, when an operand is a constant of
// one value, an OpLUT of the other operand (a power with a constant
// exponent, a constant divided by an activation); an activation divided by
// a constant goes to constArith (an exact affine map).
func (b *builder) pairLUT(n *importer.Node) error {
	if len(n.Inputs) != 2 {
		b.unsupported(n, "two operands expected")
		return nil
	}
	f, nonNeg, why := pairFunc(n)
	if why != "" {
		b.unsupported(n, why)
		return nil
	}
	x, okx := b.input(n, 0)
	y, oky := b.input(n, 1)
	if !okx && !oky {
		b.unsupported(n, "neither operand is an integer value")
		return nil
	}
	_, cx := b.g.Initializers[n.Inputs[0]]
	_, cy := b.g.Initializers[n.Inputs[1]]
	if okx && cy || oky && cx {
		if n.OpType == "Div" && okx {
			return b.constArith(n)
		}
		if okx {
			return b.pairConst(n, x, n.Inputs[1], f, nonNeg, false)
		}
		return b.pairConst(n, y, n.Inputs[0], f, false, true)
	}
	if !okx || !oky {
		b.unsupported(n, "an operand is neither an integer value nor a constant")
		return nil
	}
	vx, vy := b.net.Values[x], b.net.Values[y]
	if n.OpType == "PRelu" {
		// the slope broadcasts to X: the output has X's shape
		if s, err := broadcastShape(vx.Shape, vy.Shape); err != nil || !slices.Equal(s, vx.Shape) {
			b.unsupported(n, fmt.Sprintf("slope %v does not broadcast to X %v", vy.Shape, vx.Shape))
			return nil
		}
	}
	return b.pairTable(n, pairOperand{x, scaled(vx.Scale)}, pairOperand{y, scaled(vy.Scale)}, f, nonNeg && !vx.Signed)
}

// scaled is the real value of a code at scale s.
func scaled(s float64) func(q int32) float64 {
	return func(q int32) float64 { return float64(q) * s }
}

// pairConst builds the node whose operand name is a constant beside the
// integer value x (constFirst: the constant is the first operand). A
// constant of one value makes the node a function of x alone, an OpLUT;
// an array enters the table as indices of its distinct values.
func (b *builder) pairConst(n *importer.Node, x int, name string, f func(a, b float64) float64, nonNeg, constFirst bool) error {
	t := b.g.Initializers[name]
	c, ok := constFloats(b.g, name)
	if !ok {
		if t != nil && len(t.Int) == t.Len() {
			c = make([]float32, t.Len())
			for i, v := range t.Int {
				c[i] = float32(v) // an integer exponent, as the interpreter reads it
			}
		} else {
			b.unsupported(n, fmt.Sprintf("constant %q holds no values", name))
			return nil
		}
	}
	if n.OpType == "Mod" && !constFirst && slices.Contains(c, 0) {
		b.unsupported(n, fmt.Sprintf("modulo by a constant 0 (in %q): the remainder is undefined", name))
		return nil
	}
	vx := b.net.Values[x]
	distinct := slices.Compact(slices.Sorted(slices.Values(c)))
	if len(distinct) == 0 {
		b.unsupported(n, fmt.Sprintf("constant %q is empty", name))
		return nil
	}
	shape, ok := constPerSample(t.Shape, b.lead, len(vx.Shape))
	if !ok {
		b.unsupported(n, fmt.Sprintf("constant %v does not broadcast to %v per sample", t.Shape, vx.Shape))
		return nil
	}
	if len(distinct) == 1 {
		if s, err := broadcastShape(vx.Shape, shape); err == nil && slices.Equal(s, vx.Shape) {
			k := float64(distinct[0])
			g := func(a float64) float64 { return f(a, k) }
			if constFirst {
				g = func(a float64) float64 { return f(k, a) }
			}
			return b.unaryTable(n, x, g, nonNeg && !vx.Signed)
		}
	}
	if len(distinct) > 256 {
		b.unsupported(n, fmt.Sprintf("constant %q has %d distinct values: a two-operand table indexes at most 256", name, len(distinct)))
		return nil
	}
	ibits := max(2, bits.Len(uint(len(distinct)-1)))
	iv := b.newValueBits(name+"#index", shape, 1, false, ibits)
	ilo, ihi := b.net.Values[iv].Range()
	idx := Op{Kind: OpConst, Name: n.Name, In: []int{b.net.Inputs[0].Value}, Out: iv, Lo: ilo, Hi: ihi, Table: make([]int32, len(c))}
	for i, v := range c {
		j, _ := slices.BinarySearch(distinct, v)
		idx.Table[i] = int32(j)
	}
	b.emit(idx)
	atIndex := func(q int32) float64 { return float64(distinct[min(int(q), len(distinct)-1)]) }
	xo, co := pairOperand{x, scaled(vx.Scale)}, pairOperand{iv, atIndex}
	if constFirst {
		return b.pairTable(n, co, xo, f, false)
	}
	return b.pairTable(n, xo, co, f, nonNeg && !vx.Signed)
}

// constPerSample is a constant's shape as it meets per-sample values of
// rank dims: with the batch axis outside the values (lead 1) a constant of
// the activations' full rank has a leading axis of size 1, which is dropped
// (ok is false when it is larger, or the constant's rank is higher still);
// a lower rank never reaches the batch axis (shapes align from the right).
func constPerSample(shape []int, lead, dims int) (s []int, ok bool) {
	switch {
	case len(shape) > dims+lead:
		return nil, false
	case lead == 1 && len(shape) == dims+1:
		if shape[0] != 1 {
			return nil, false
		}
		return slices.Clone(shape[1:]), true
	}
	return slices.Clone(shape), true
}

// unaryTable is an OpLUT of f over every code of x.
func (b *builder) unaryTable(n *importer.Node, x int, f func(float64) float64, nonNeg bool) error {
	vx := b.net.Values[x]
	out, lo, hi, actNonNeg := b.fuseActivation(n.Outputs[0])
	sy, signed, olo, ohi := b.encode(out, !(nonNeg || actNonNeg), lo, hi)
	v := b.newValue(out, vx.Shape, sy, signed)
	qlo, qhi := vx.Range()
	op := Op{Kind: OpLUT, Name: n.Name, In: []int{x}, Out: v, Lo: olo, Hi: ohi, Table: make([]int32, qhi-qlo+1)}
	for q := qlo; q <= qhi; q++ {
		y := f(float64(q) * vx.Scale)
		if math.IsNaN(y) && !b.dry {
			b.unsupported(n, fmt.Sprintf("%s is undefined at input %g, inside the input's code range", n.OpType, float64(q)*vx.Scale))
			return nil
		}
		op.Table[q-qlo] = clamp32(roundSat32(y/sy), olo, ohi)
	}
	b.emit(op)
	return nil
}

// pairTable emits the OpPairLUT of f over every pair of codes of a and c.
func (b *builder) pairTable(n *importer.Node, a, c pairOperand, f func(a, b float64) float64, nonNeg bool) error {
	va, vc := b.net.Values[a.v], b.net.Values[c.v]
	if va.Bits > 8 || vc.Bits > 8 {
		b.unsupported(n, fmt.Sprintf("operands of %d and %d bits: a two-operand table takes codes of at most 8 bits (2^16 entries)", va.Bits, vc.Bits))
		return nil
	}
	shape, err := broadcastShape(va.Shape, vc.Shape)
	if err != nil {
		b.unsupported(n, err.Error())
		return nil
	}
	out, lo, hi, actNonNeg := b.fuseActivation(n.Outputs[0])
	sy, signed, olo, ohi := b.encode(out, !(nonNeg || actNonNeg), lo, hi)
	v := b.newValue(out, shape, sy, signed)
	alo, ahi := va.Range()
	clo, chi := vc.Range()
	w := int(chi-clo) + 1
	op := Op{Kind: OpPairLUT, Name: n.Name, In: []int{a.v, c.v}, Out: v, Lo: olo, Hi: ohi, Table: make([]int32, int(ahi-alo+1)*w)}
	if len(op.Table) > maxPairTable {
		b.unsupported(n, fmt.Sprintf("a table of %d entries (at most %d)", len(op.Table), maxPairTable))
		return nil
	}
	for p := alo; p <= ahi; p++ {
		ra := a.real(p)
		for q := clo; q <= chi; q++ {
			y := f(ra, c.real(q))
			if math.IsNaN(y) && !b.dry {
				b.unsupported(n, fmt.Sprintf("%s is undefined at operands %g and %g, inside their code ranges", n.OpType, ra, c.real(q)))
				return nil
			}
			op.Table[int(p-alo)*w+int(q-clo)] = clamp32(roundSat32(y/sy), olo, ohi)
		}
	}
	b.emit(op)
	return nil
}
