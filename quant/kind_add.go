package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpAdd: the elementwise sum of two values, rescaled to a
// common scale.

func init() {
	registerKind(OpAdd, kindSpec{inputs: 2, exec: execAdd, check: checkAdd, export: exportAdd, work: perOutput(addWork)})
	registerBuilder("Add", (*builder).add)
}

func execAdd(x *execCtx) error {
	op := x.op
	vals := x.vals
	out := x.out
	a, b := vals[op.In[0]], vals[op.In[1]]
	ma, mb, mo := op.Mult[0], op.Mult[1], op.Mult[2]
	va, vb := &x.n.Values[op.In[0]], &x.n.Values[op.In[1]]
	if slices.Equal(va.Shape, vb.Shape) {
		for i := range out {
			sa := ma.apply64(int64(a[i]) << addShift)
			sb := mb.apply64(int64(b[i]) << addShift)
			out[i] = clamp32(sat32(mo.apply64(sa+sb)), op.Lo, op.Hi)
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
				a, b := int64(as[ia+k*da]), int64(bs[ib+k*db])
				dst[o+k] = clamp32(sat32(mo.apply64(ma.apply64(a<<addShift)+mb.apply64(b<<addShift))), op.Lo, op.Hi)
			}
		})
	}
	return nil
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
	w.node("Add", []string{in, w.fname[op.In[1]]}, tmp)
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}

// add emits OpAdd for the sum of two integer values of the same shape.
func (b *builder) add(n *importer.Node) error {
	x, ok1 := b.input(n, 0)
	y, ok2 := b.input(n, 1)
	if ok1 != ok2 {
		return b.constArith(n) // an activation plus a constant
	}
	if !ok1 || !ok2 {
		b.unsupported(n, "operands must both be activations (constant addends are only fused after MatMul)")
		return nil
	}
	vx, vy := b.net.Values[x], b.net.Values[y]
	shape, err := broadcastShape(vx.Shape, vy.Shape)
	if err != nil {
		b.unsupported(n, err.Error())
		return nil
	}
	out := n.Outputs[0]
	act, actOut, lo, hi, nonNeg := b.activation(out)
	if act != nil {
		b.done[act] = true
		out = actOut
	}
	sy, signed, clo, chi := b.encode(out, !(nonNeg || !vx.Signed && !vy.Signed), lo, hi)
	v := b.newValue(out, shape, sy, signed)
	twice := 2 * math.Max(vx.Scale, vy.Scale)
	op := Op{Kind: OpAdd, Name: n.Name, In: []int{x, y}, Out: v,
		Mult: []Multiplier{NewMultiplier(vx.Scale / twice), NewMultiplier(vy.Scale / twice),
			NewMultiplier(twice / (float64(int64(1)<<addShift) * sy))}}
	op.Lo, op.Hi = clo, chi
	b.emit(op)
	return nil
}
