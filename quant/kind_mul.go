package quant

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpMul: the elementwise product of two activations
// (squeeze-and-excitation gates x·σ(fc(pool(x))), SiLU x·σ(x), HardSwish
// written as x·HardSigmoid(x)), with numpy broadcasting over the per-sample
// axes:
//
//	y = clamp(round(a·b · s_a·s_b/s_y), lo, hi)
//
// The product of two codes is exact in 64 bits and is rounded once, by one
// Multiplier application.

func init() {
	registerKind(OpMul, kindSpec{inputs: 2, exec: execMul, check: checkMul, export: exportMul, work: mulWork})
	registerBuilder("Mul", (*builder).mul)
}

// mulWork: each output code is a product of two codes and its rescale, two
// multiplications of the digital units.
func mulWork(n *Network, op *Op) DigitalWork {
	return DigitalWork{Requant: 2 * n.elems(op.Out)}
}

func execMul(x *execCtx) error {
	op := x.op
	n := x.n
	m := op.Mult[0]
	sa, sb, err := broadcastStrides(n.Values[op.In[0]].Shape, n.Values[op.In[1]].Shape, x.outV.Shape)
	if err != nil {
		return err
	}
	a, b := x.vals[op.In[0]], x.vals[op.In[1]]
	per := x.outV.size()
	perA, perB := n.Values[op.In[0]].size(), n.Values[op.In[1]].size()
	for s := 0; s < x.bs; s++ {
		as, bs, out := a[s*perA:(s+1)*perA], b[s*perB:(s+1)*perB], x.out[s*per:(s+1)*per]
		forEachRun(x.outV.Shape, sa, sb, func(o, ia, ib, n, da, db int) {
			for k := 0; k < n; k++ {
				out[o+k] = clamp32(sat32(m.apply64(int64(as[ia+k*da])*int64(bs[ib+k*db]))), op.Lo, op.Hi)
			}
		})
	}
	return nil
}

func checkMul(x *checkCtx) error {
	n := x.n
	op := x.op
	if len(op.Mult) != 1 {
		return fmt.Errorf("%d multipliers, want 1", len(op.Mult))
	}
	shape, err := broadcastShape(x.in.Shape, n.Values[op.In[1]].Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(shape, x.out.Shape) {
		return fmt.Errorf("operands %v × %v broadcast to %v, output is %v", x.in.Shape, n.Values[op.In[1]].Shape, shape, x.out.Shape)
	}
	return nil
}

func exportMul(x *exportCtx) error {
	w := x.w
	op := x.op
	w.node("Mul", []string{x.in, w.fname[op.In[1]]}, x.tmp)
	w.fname[op.Out] = w.qdq(op.Out, x.tmp, op.Lo, op.Hi)
	return nil
}

// mul emits OpMul for the product of two integer values.
func (b *builder) mul(n *importer.Node) error {
	bin, ok, err := b.binaryOperands(n, "operands must both be activations (a constant factor is folded into the neighbouring linear layer or BatchNorm)")
	if !ok {
		return err
	}
	x, y, vx, vy, shape := bin.x, bin.y, bin.vx, bin.vy, bin.shape
	out, lo, hi := bin.out, bin.lo, bin.hi
	sy, signed, clo, chi := b.encode(out, bin.signedOut(), lo, hi)
	v := b.newValue(out, shape, sy, signed)
	b.emit(Op{Kind: OpMul, Name: n.Name, In: []int{x, y}, Out: v, Lo: clo, Hi: chi,
		Mult: []Multiplier{NewMultiplier(vx.Scale * vy.Scale / sy)}})
	return nil
}

// binaryOperands are the two activation operands of an elementwise binary
// node (Add, Mul) and the output value it writes, after a following
// activation is fused into its output clamp.
type binaryOperands struct {
	x, y   int   // operand values
	vx, vy Value // their descriptions
	shape  []int // the numpy broadcast of their per-sample shapes
	out    string
	lo, hi float64 // the output's calibrated range
	nonNeg bool    // the output is known to be non-negative
}

// binaryOperands reads the operands of a binary node. An activation with a
// constant operand goes to constArith instead; two constants, or shapes that
// do not broadcast, mark the node unsupported (why says what the kind
// needs). ok is false when the node has been handled or refused, and err
// is then what the caller returns.
func (b *builder) binaryOperands(n *importer.Node, why string) (bin binaryOperands, ok bool, err error) {
	x, ok1 := b.input(n, 0)
	y, ok2 := b.input(n, 1)
	if ok1 != ok2 {
		return bin, false, b.constArith(n) // an activation and a constant
	}
	if !ok1 || !ok2 {
		b.unsupported(n, why)
		return bin, false, nil
	}
	vx, vy := b.net.Values[x], b.net.Values[y]
	shape, err := broadcastShape(vx.Shape, vy.Shape)
	if err != nil {
		b.unsupported(n, err.Error())
		return bin, false, nil
	}
	out, lo, hi, nonNeg := b.fuseActivation(n.Outputs[0])
	return binaryOperands{x: x, y: y, vx: vx, vy: vy, shape: shape, out: out, lo: lo, hi: hi, nonNeg: nonNeg}, true, nil
}

// signedOut reports whether the output needs signed codes: unless it is
// known non-negative or both operands are unsigned.
func (o binaryOperands) signedOut() bool { return !(o.nonNeg || !o.vx.Signed && !o.vy.Signed) }

// broadcastShape is the numpy broadcast of two per-sample shapes (the batch
// dimension, first and equal for both, is not part of them).
func broadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range out {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// broadcastStrides returns, for every axis of out, the step in a's and b's
// per-sample codes (0 along a broadcast axis).
func broadcastStrides(a, b, out []int) (sa, sb []int, err error) {
	shape, err := broadcastShape(a, b)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Equal(shape, out) {
		return nil, nil, fmt.Errorf("operands %v and %v do not broadcast to %v", a, b, out)
	}
	return operandStrides(a, out), operandStrides(b, out), nil
}

// forEachRun walks the per-sample output in order by runs: f gets the
// first output index o of a run of n codes and the operands' first indices
// and steps along it. Trailing axes along which both operands step
// uniformly are merged, so equal shapes give one run and a per-channel
// gate [C,1,1] over [C,H,W] one run per channel.
func forEachRun(out, sa, sb []int, f func(o, ia, ib, n, da, db int)) {
	// Axes of size 1 move nothing: drop them.
	var dims, as, bs []int
	for ax, d := range out {
		if d != 1 {
			dims, as, bs = append(dims, d), append(as, sa[ax]), append(bs, sb[ax])
		}
	}
	r := len(dims)
	if r == 0 {
		f(0, 0, 0, 1, 0, 0)
		return
	}
	inner, n := r-1, dims[r-1]
	for inner > 0 && as[inner-1] == as[inner]*dims[inner] && bs[inner-1] == bs[inner]*dims[inner] {
		inner--
		n *= dims[inner]
	}
	da, db := as[r-1], bs[r-1]
	idx := make([]int, inner)
	total := 1
	for _, d := range dims[:inner] {
		total *= d
	}
	ia, ib := 0, 0
	for o := 0; o < total; o++ {
		f(o*n, ia, ib, n, da, db)
		for ax := inner - 1; ax >= 0; ax-- {
			idx[ax]++
			ia += as[ax]
			ib += bs[ax]
			if idx[ax] < dims[ax] {
				break
			}
			ia -= as[ax] * dims[ax]
			ib -= bs[ax] * dims[ax]
			idx[ax] = 0
		}
	}
}
