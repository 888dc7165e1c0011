package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpClamp: Relu and Clip as a clamp of the codes (same
// scale).

func init() {
	registerKind(OpClamp, kindSpec{exec: execClamp, check: checkClamp, export: exportClamp, work: perOutput(activationWork)})
	registerBuilder("Relu", (*builder).relu)
	registerBuilder("Clip", (*builder).clip)
}

func execClamp(x *execCtx) error {
	op := x.op
	vals := x.vals
	out := x.out
	for i, v := range vals[op.In[0]] {
		out[i] = clamp32(v, op.Lo, op.Hi)
	}
	return nil
}

func exportClamp(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	out := x.out
	tmp := x.tmp
	s := float32(out.Scale)
	mn := w.floats(out.Name+"_min", nil, []float32{float32(op.Lo) * s})
	mx := w.floats(out.Name+"_max", nil, []float32{float32(op.Hi) * s})
	w.node("Clip", []string{in, mn, mx}, tmp)
	w.fname[op.Out] = tmp
	return nil
}

func checkClamp(x *checkCtx) error {
	if x.in.size() != x.out.size() {
		return fmt.Errorf("input %v output %v", x.in.Shape, x.out.Shape)
	}
	return nil
}

// relu is Relu as a clamp at 0.
func (b *builder) relu(n *importer.Node) error {
	return b.clampOp(n, 0, math.Inf(1))
}

// clip is Clip as a clamp to its constant bounds.
func (b *builder) clip(n *importer.Node) error {
	lo, hi, ok := b.clipBounds(n)
	if !ok {
		b.unsupported(n, "non-constant bounds")
		return nil
	}
	return b.clampOp(n, lo, hi)
}

// clipBounds reads Clip's min/max (attributes before opset 11, constant
// inputs after).
func (b *builder) clipBounds(n *importer.Node) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if b.p.opset < 11 {
		return float64(attrFloat(n, "min", float32(math.Inf(-1)))), float64(attrFloat(n, "max", float32(math.Inf(1)))), true
	}
	for i, dst := range []*float64{&lo, &hi} {
		if len(n.Inputs) <= i+1 || n.Inputs[i+1] == "" {
			continue
		}
		v, okc := constFloats(b.g, n.Inputs[i+1])
		if !okc || len(v) != 1 {
			return 0, 0, false
		}
		*dst = float64(v[0])
	}
	return lo, hi, true
}

// clampOp emits a standalone Relu/Clip: same scale, codes clamped.
func (b *builder) clampOp(n *importer.Node, lo, hi float64) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	signed := vx.Signed && lo < 0
	v := b.aliasValue(n.Outputs[0], x, vx.Shape)
	b.net.Values[v].Signed = signed
	clo, chi := clampCodes(lo, hi, vx.Scale, vx.Bits, vx.Signed)
	olo, ohi := codeRange(vx.Bits, signed)
	b.emit(Op{Kind: OpClamp, Name: n.Name, In: []int{x}, Out: v, Lo: max(clo, olo), Hi: min(chi, ohi)})
	return nil
}
