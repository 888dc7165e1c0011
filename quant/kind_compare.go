package quant

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpCompare: Equal, Less, Greater, LessOrEqual and
// GreaterOrEqual of two activations, or of an activation and a constant,
// with numpy broadcasting; the output is 0/1 codes at scale 1 (ONNX bool).
//
// The comparison is exact: it decides the sign of the real difference
// a·s_a - b·s_b (or a·s_a - c) without rounding. Every real operand is
// first expressed as a doubled threshold in the codes of the other side:
//
//	T(t) = 2·floor(t) + (1 if t is not a whole number)
//
// for t = a·s_a/s_b (two activations) or t = c/s_a (a constant). For a
// whole code q, sign(t - q) = sign(T(t) - 2q): if t is whole both sides
// are exact doubles, and otherwise floor(t) < q exactly when floor(t)+½ <
// q. The thresholds are computed once, when the program is built, with
// exact rational arithmetic (a float64 scale and a float32 constant are
// rationals), and clamped just outside the other side's code range, which
// keeps every comparison with a code in range. So the digital units do one
// table lookup (the first operand's code indexes its thresholds; none when
// both scales are equal, T = 2a) and one integer comparison per element.
//
// Op.Mode is the relation (compareEqual...). With two inputs, Table holds
// T for every code of In[0] (nil: equal scales); with one input the other
// operand is a constant and Table holds its threshold for every element of
// the output.

const (
	compareEqual = iota
	compareLess
	compareGreater
	compareLessOrEqual
	compareGreaterOrEqual
	compareModes
)

// compareRelations are the ONNX op types by Mode.
var compareRelations = [compareModes]string{"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}

// compareHolds reports whether the relation of mode holds for a real
// difference of sign d (-1, 0, 1).
func compareHolds(mode, d int) bool {
	switch mode {
	case compareEqual:
		return d == 0
	case compareLess:
		return d < 0
	case compareGreater:
		return d > 0
	case compareLessOrEqual:
		return d <= 0
	}
	return d >= 0
}

// compareMirror is the relation with its operands swapped (a < b = b > a).
func compareMirror(mode int) int {
	switch mode {
	case compareLess:
		return compareGreater
	case compareGreater:
		return compareLess
	case compareLessOrEqual:
		return compareGreaterOrEqual
	case compareGreaterOrEqual:
		return compareLessOrEqual
	}
	return mode
}

func init() {
	registerKind(OpCompare, kindSpec{inputs: -1, modes: compareModes, exec: execCompare, check: checkCompare,
		export: exportCompare, work: compareWork})
	for _, op := range compareRelations {
		registerBuilder(op, (*builder).compare)
	}
}

// compareWork: one comparison per output code, and a table lookup when the
// first operand's threshold is read from a table.
func compareWork(n *Network, op *Op) DigitalWork {
	w := DigitalWork{PoolOps: n.elems(op.Out)}
	if len(op.In) == 2 && op.Table != nil {
		w.Activations = n.elems(op.Out)
	}
	return w
}

func sign64(v int64) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func execCompare(x *execCtx) error {
	op, n := x.op, x.n
	bit := func(d int) int32 {
		if compareHolds(op.Mode, d) {
			return 1
		}
		return 0
	}
	per := x.outV.size()
	a := x.vals[op.In[0]]
	if len(op.In) == 1 {
		for s := 0; s < x.bs; s++ {
			for i, q := range a[s*per : (s+1)*per] {
				x.out[s*per+i] = bit(sign64(2*int64(q) - int64(op.Table[i])))
			}
		}
		return nil
	}
	va, vb := &n.Values[op.In[0]], &n.Values[op.In[1]]
	sa, sb, err := broadcastStrides(va.Shape, vb.Shape, x.outV.Shape)
	if err != nil {
		return err
	}
	lo, _ := va.Range()
	threshold := func(q int32) int64 {
		if op.Table == nil {
			return 2 * int64(q)
		}
		return int64(op.Table[q-lo])
	}
	b := x.vals[op.In[1]]
	perA, perB := va.size(), vb.size()
	for s := 0; s < x.bs; s++ {
		as, bs, out := a[s*perA:(s+1)*perA], b[s*perB:(s+1)*perB], x.out[s*per:(s+1)*per]
		forEachRun(x.outV.Shape, sa, sb, func(o, ia, ib, cnt, da, db int) {
			for k := 0; k < cnt; k++ {
				out[o+k] = bit(sign64(threshold(as[ia+k*da]) - 2*int64(bs[ib+k*db])))
			}
		})
	}
	return nil
}

func checkCompare(x *checkCtx) error {
	op, n, in, out := x.op, x.n, x.in, x.out
	if err := checkBoolOut(x); err != nil {
		return err
	}
	switch len(op.In) {
	case 1:
		if !slices.Equal(in.Shape, out.Shape) || len(op.Table) != out.size() {
			return fmt.Errorf("%d thresholds for input %v, output %v", len(op.Table), in.Shape, out.Shape)
		}
	case 2:
		shape, err := broadcastShape(in.Shape, n.Values[op.In[1]].Shape)
		if err != nil {
			return err
		}
		if !slices.Equal(shape, out.Shape) {
			return fmt.Errorf("operands %v, %v broadcast to %v, output is %v", in.Shape, n.Values[op.In[1]].Shape, shape, out.Shape)
		}
		if lo, hi := in.Range(); op.Table != nil && len(op.Table) != int(hi-lo)+1 {
			return fmt.Errorf("%d thresholds for codes [%d, %d]", len(op.Table), lo, hi)
		}
	default:
		return fmt.Errorf("%d inputs", len(op.In))
	}
	return nil
}

// checkBoolOut checks that an op writes 0/1 codes at scale 1.
func checkBoolOut(x *checkCtx) error {
	if x.out.Scale != 1 || x.out.Signed || x.ohi < 1 || x.op.Lo != 0 || x.op.Hi != 1 {
		return fmt.Errorf("output scale %g signed %v codes [%d, %d]: not 0/1 codes", x.out.Scale, x.out.Signed, x.op.Lo, x.op.Hi)
	}
	return nil
}

func exportCompare(x *exportCtx) error {
	return fmt.Errorf("comparisons (bool outputs) have no QDQ form in this exporter")
}

// compare builds a comparison of two activations or of an activation and a
// constant.
func (b *builder) compare(n *importer.Node) error {
	if len(n.Inputs) != 2 {
		b.unsupported(n, "two operands expected")
		return nil
	}
	mode := slices.Index(compareRelations[:], n.OpType)
	x, ok1 := b.input(n, 0)
	y, ok2 := b.input(n, 1)
	switch {
	case ok1 && ok2:
		return b.compareValues(n, mode, x, y)
	case ok1:
		return b.compareConst(n, mode, x, n.Inputs[1])
	case ok2:
		return b.compareConst(n, compareMirror(mode), y, n.Inputs[0])
	}
	b.unsupported(n, "operands must be activations or an activation and a float constant")
	return nil
}

// compareValues compares two activations. The operand with fewer codes
// indexes the threshold table.
func (b *builder) compareValues(n *importer.Node, mode, x, y int) error {
	vx, vy := b.net.Values[x], b.net.Values[y]
	shape, err := broadcastShape(vx.Shape, vy.Shape)
	if err != nil {
		b.unsupported(n, err.Error())
		return nil
	}
	if xlo, xhi := vx.Range(); vx.Scale != vy.Scale {
		if ylo, yhi := vy.Range(); yhi-ylo < xhi-xlo {
			x, y, vx, vy, mode = y, x, vy, vx, compareMirror(mode)
		}
	}
	op := Op{Kind: OpCompare, Name: n.Name, In: []int{x, y}, Lo: 0, Hi: 1, Mode: mode}
	if vx.Scale != vy.Scale {
		lo, hi := vx.Range()
		ylo, yhi := vy.Range()
		ratio := new(big.Rat).Quo(new(big.Rat).SetFloat64(vx.Scale), new(big.Rat).SetFloat64(vy.Scale))
		op.Table = make([]int32, hi-lo+1)
		for q := lo; q <= hi; q++ {
			op.Table[q-lo] = doubledThreshold(new(big.Rat).Mul(ratio, new(big.Rat).SetInt64(int64(q))), ylo, yhi)
		}
	}
	op.Out = b.newValue(n.Outputs[0], shape, 1, false)
	b.emit(op)
	return nil
}

// compareConst compares activation x with constant c (x on the left of
// the relation of mode).
func (b *builder) compareConst(n *importer.Node, mode, x int, c string) error {
	vx := b.net.Values[x]
	ct := b.g.Initializers[c]
	if ct == nil || !ct.DType.IsFloat() || len(ct.Float) != ct.Len() {
		b.unsupported(n, "operands must be activations or an activation and a float constant")
		return nil
	}
	vals, ok := expandConst(ct, vx.Shape, b.lead)
	if !ok {
		b.unsupported(n, fmt.Sprintf("constant %v does not broadcast to %v per sample", ct.Shape, vx.Shape))
		return nil
	}
	lo, hi := vx.Range()
	op := Op{Kind: OpCompare, Name: n.Name, In: []int{x}, Lo: 0, Hi: 1, Mode: mode, Table: make([]int32, len(vals))}
	for i, f := range vals {
		t, ok := constThreshold(float64(f), vx.Scale, lo, hi)
		if !ok {
			b.unsupported(n, "a NaN constant")
			return nil
		}
		op.Table[i] = t
	}
	op.Out = b.newValue(n.Outputs[0], vx.Shape, 1, false)
	b.emit(op)
	return nil
}

// constThreshold is the doubled threshold of the real c in codes of scale
// s with range [lo, hi] (false for NaN).
func constThreshold(c, s float64, lo, hi int32) (int32, bool) {
	switch {
	case math.IsNaN(c):
		return 0, false
	case math.IsInf(c, 1):
		return 2 * (hi + 1), true
	case math.IsInf(c, -1):
		return 2 * (lo - 1), true
	}
	return doubledThreshold(new(big.Rat).Quo(new(big.Rat).SetFloat64(c), new(big.Rat).SetFloat64(s)), lo, hi), true
}

// doubledThreshold is T(t) = 2·floor(t) + (t not whole), clamped to
// [2(lo-1), 2(hi+1)]: every code in [lo, hi] compares with it as with t.
func doubledThreshold(t *big.Rat, lo, hi int32) int32 {
	fl := new(big.Int).Div(t.Num(), t.Denom()) // Euclidean: floor for a positive denominator
	switch {
	case fl.Cmp(big.NewInt(int64(lo)-1)) < 0:
		return 2 * (lo - 1)
	case fl.Cmp(big.NewInt(int64(hi)+1)) > 0:
		return 2 * (hi + 1)
	}
	d := 2 * int32(fl.Int64())
	if !t.IsInt() {
		d++
	}
	return min(max(d, 2*(lo-1)), 2*(hi+1))
}
