package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpConst: the codes of a constant tensor that enters the
// integer program as an operand of its own (ViT's class token, concatenated
// in front of the patch embeddings), quantized once at a scale of its own and
// written for every sample: Table holds one sample's codes. Its one input is
// the first network input, which only orders the op; no arithmetic is done, so it
// is no digital work (the codes sit in the buffer like weights).

func init() {
	registerKind(OpConst, kindSpec{exec: execConst, check: checkConst, export: exportConst, traffic: noTraffic})
}

func execConst(x *execCtx) error {
	per := len(x.op.Table)
	for s := 0; s < x.bs; s++ {
		copy(x.out[s*per:(s+1)*per], x.op.Table)
	}
	return nil
}

func checkConst(x *checkCtx) error {
	if !x.n.isInput(x.op.In[0]) {
		return fmt.Errorf("input %d is not a network input", x.op.In[0])
	}
	if len(x.op.Table) != x.out.size() {
		return fmt.Errorf("%d codes for %v", len(x.op.Table), x.out.Shape)
	}
	for _, c := range x.op.Table {
		if c < x.olo || c > x.ohi {
			return fmt.Errorf("code %d outside the value's codes", c)
		}
	}
	return nil
}

func exportConst(x *exportCtx) error {
	return fmt.Errorf("a constant operand has no QDQ form in this exporter")
}

// constant makes the float initializer name an integer value of its own
// (OpConst), for node n, which reads it beside activations. Its shape must
// match the values it meets: with the batch axis outside the values
// (lead 1) it must have a leading axis of size 1, which is dropped.
func (b *builder) constant(n *importer.Node, name string) (int, bool) {
	t := b.g.Initializers[name]
	if t == nil {
		return 0, false
	}
	return b.constantShaped(n, name, t.Shape)
}

// constantBroadcast is constant for an operand that may have a lower rank
// than the activations it meets (ONNX aligns shapes from the right, so it
// never reaches the batch axis): its shape is padded with leading axes of
// size 1 to rank, the activations' rank in the graph.
func (b *builder) constantBroadcast(n *importer.Node, name string, rank int) (int, bool) {
	t := b.g.Initializers[name]
	if t == nil || len(t.Shape) > rank {
		return 0, false
	}
	shape := make([]int, rank-len(t.Shape), rank)
	for i := range shape {
		shape[i] = 1
	}
	return b.constantShaped(n, name, append(shape, t.Shape...))
}

// constantShaped is constant with the initializer's shape given as shape
// (same number of elements).
func (b *builder) constantShaped(n *importer.Node, name string, shape []int) (int, bool) {
	t := b.g.Initializers[name]
	if t == nil || !t.DType.IsFloat() || len(t.Float) != t.Len() || len(shape) < b.lead || b.lead == 1 && shape[0] != 1 {
		return 0, false
	}
	m, signed := 0.0, false
	for _, v := range t.Float {
		m = math.Max(m, math.Abs(float64(v)))
		signed = signed || v < 0
	}
	if !(m > 0) || math.IsInf(m, 0) {
		m = 1
	}
	_, qmax := codeRange(b.cfg.ABits, signed)
	s := shortScale(m / float64(qmax))
	v := b.newValue(name, slices.Clone(shape[b.lead:]), s, signed)
	lo, hi := codeRange(b.cfg.ABits, signed)
	op := Op{Kind: OpConst, Name: n.Name, In: []int{b.net.Inputs[0].Value}, Out: v, Lo: lo, Hi: hi, Table: make([]int32, len(t.Float))}
	for i, f := range t.Float {
		op.Table[i] = clamp32(roundSat32(float64(f)/s), lo, hi)
	}
	b.emit(op)
	return v, true
}
