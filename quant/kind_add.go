package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpAdd: the elementwise sum of two values, rescaled to a
// common scale, with numpy broadcasting; Mode addSubtract is the difference
// a − b (Sub of two activations): the second operand's code is negated
// before its rescale, which is exact in 64 bits.

func init() {
	registerKind(OpAdd, kindSpec{inputs: 2, modes: 2, exec: execAdd, check: checkAdd, export: exportAdd, work: perOutput(addWork)})
	registerBuilder("Add", (*builder).add)
	registerBuilder("Sub", (*builder).add)
}

// addSubtract is OpAdd's Mode of a difference.
const addSubtract = 1

// addSign is the factor of OpAdd's second operand: 1, or -1 for a difference.
func addSign(op *Op) int64 {
	if op.Mode == addSubtract {
		return -1
	}
	return 1
}

func execAdd(x *execCtx) error {
	op := x.op
	vals := x.vals
	out := x.out
	a, b := vals[op.In[0]], vals[op.In[1]]
	ma, mb, mo := op.Mult[0], op.Mult[1], op.Mult[2]
	va, vb := &x.n.Values[op.In[0]], &x.n.Values[op.In[1]]
	addShift := addShiftFor(va, vb, x.outV)
	sign := addSign(op)
	if slices.Equal(va.Shape, vb.Shape) {
		for i := range out {
			sa := ma.apply64(int64(a[i]) << addShift)
			sb := mb.apply64(sign * int64(b[i]) << addShift)
			out[i] = clamp32(sat32(mo.apply64(sat32Wide(sa+sb))), op.Lo, op.Hi)
		}
		return nil
	}
	// Broadcasting operands (numpy rules over the per-sample axes).
	sa, sb, err := broadcastStrides(va.Shape, vb.Shape, x.outV.Shape)
	if err != nil {
		return err
	}
	per, perA, perB := x.outV.size(), va.size(), vb.size()
	for s := 0; s < x.bs; s++ {
		as, bs, dst := a[s*perA:(s+1)*perA], b[s*perB:(s+1)*perB], out[s*per:(s+1)*per]
		forEachRun(x.outV.Shape, sa, sb, func(o, ia, ib, n, da, db int) {
			for k := 0; k < n; k++ {
				a, b := int64(as[ia+k*da]), sign*int64(bs[ib+k*db])
				dst[o+k] = clamp32(sat32(mo.apply64(sat32Wide(ma.apply64(a<<addShift)+mb.apply64(b<<addShift)))), op.Lo, op.Hi)
			}
		})
	}
	return nil
}

// wideAddFrac is the number of fraction bits of an Add operand rescaled
// to the output scale when a code is wider than 8 bits (wideAdd).
const wideAddFrac = 12

// wideAdd reports whether an Add reads or writes codes wider than 8 bits.
// Such an Add rescales each operand to the output scale itself, a' =
// round(a·2^F·s_a/s_y), and y = round((a' + b')·2^-F): the 8-bit scheme's
// common scale 2·max(s_a, s_b) would drop the fine operand's resolution
// when the scales differ by the 2^8 between the widths, and its shift by
// addShift would overflow the Multiplier's 32-bit operand.
func wideAdd(a, b, y *Value) bool {
	return a.Bits > 8 || b.Bits > 8 || y.Bits > 8
}

// addShiftFor is the left shift of the operands before their first
// Multiplier: addShift for 8-bit codes, none for a wideAdd.
// sat32Wide saturates the rescaled sum to ±2^31, inside the Multiplier's
// 32-bit operand range: never reached by 8-bit codes (|a'| + |b'| < 2^29) nor
// by a wideAdd within its fraction bits' bound; beyond it the output
// clamps anyway.
func sat32Wide(v int64) int64 {
	return min(max(v, -1<<31), 1<<31)
}

func addShiftFor(a, b, y *Value) int {
	if wideAdd(a, b, y) {
		return 0
	}
	return addShift
}

func checkAdd(x *checkCtx) error {
	n := x.n
	op := x.op
	in := x.in
	out := x.out
	if len(op.Mult) != 3 {
		return fmt.Errorf("%d multipliers, want 3", len(op.Mult))
	}
	shape, err := broadcastShape(in.Shape, n.Values[op.In[1]].Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(shape, out.Shape) {
		return fmt.Errorf("operands %v + %v broadcast to %v, output is %v", in.Shape, n.Values[op.In[1]].Shape, shape, out.Shape)
	}
	return nil
}

func exportAdd(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	tmp := x.tmp
	opType := "Add"
	if op.Mode == addSubtract {
		opType = "Sub"
	}
	w.node(opType, []string{in, w.fname[op.In[1]]}, tmp)
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}

// add emits OpAdd for the sum (Add) or difference (Sub) of two integer
// values, broadcast; an activation and a constant go to constArith.
func (b *builder) add(n *importer.Node) error {
	bin, ok, err := b.binaryOperands(n, "operands must both be activations or an activation and a constant")
	if !ok {
		return err
	}
	x, y, vx, vy, shape := bin.x, bin.y, bin.vx, bin.vy, bin.shape
	out, lo, hi := bin.out, bin.lo, bin.hi
	bits := b.residualBits(out)
	mode, signedOut := 0, bin.signedOut()
	if n.OpType == "Sub" {
		// a difference of non-negative values can be negative
		mode, signedOut = addSubtract, !bin.nonNeg
	}
	sy, signed, clo, chi := b.encodeBits(out, bits, signedOut, lo, hi)
	v := b.newValueBits(out, shape, sy, signed, bits)
	op := Op{Kind: OpAdd, Name: n.Name, In: []int{x, y}, Out: v, Lo: clo, Hi: chi, Mode: mode}
	if wideAdd(&vx, &vy, &b.net.Values[v]) {
		// each operand straight to the output scale with wideAddFrac
		// fraction bits (at most what keeps |a'| below 2^30), one rounding
		// of the sum
		frac := wideAddFrac
		for _, w := range []*Value{&vx, &vy} {
			lo, hi := w.Range()
			frac = min(frac, 30-int(math.Ceil(math.Log2(math.Max(-float64(lo), float64(hi))*w.Scale/sy))))
		}
		frac = max(frac, 0)
		op.Mult = []Multiplier{NewMultiplier(math.Ldexp(vx.Scale/sy, frac)), NewMultiplier(math.Ldexp(vy.Scale/sy, frac)),
			NewMultiplier(math.Ldexp(1, -frac))}
	} else {
		twice := 2 * math.Max(vx.Scale, vy.Scale)
		op.Mult = []Multiplier{NewMultiplier(vx.Scale / twice), NewMultiplier(vy.Scale / twice),
			NewMultiplier(twice / (float64(int64(1)<<addShift) * sy))}
	}
	b.emit(op)
	return nil
}
