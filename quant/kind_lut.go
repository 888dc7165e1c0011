package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// The integer op kind OpLUT: elementwise activations by table lookup over the
// input codes; every pointwise activation of the float interpreter
// (interp.PointwiseFunc) is built this way.

func init() {
	registerKind(OpLUT, kindSpec{exec: execLUT, check: checkLUT, export: exportLUT, work: perOutput(activationWork)})
}

func execLUT(x *execCtx) error {
	n := x.n
	op := x.op
	vals := x.vals
	out := x.out
	lo, _ := n.Values[op.In[0]].Range()
	for i, v := range vals[op.In[0]] {
		out[i] = op.Table[v-lo]
	}
	return nil
}

func checkLUT(x *checkCtx) error {
	op := x.op
	in := x.in
	out := x.out
	olo := x.olo
	ohi := x.ohi
	lo, hi := in.Range()
	if len(op.Table) != int(hi-lo)+1 || in.size() != out.size() {
		return fmt.Errorf("table of %d entries for codes [%d, %d]", len(op.Table), lo, hi)
	}
	for _, t := range op.Table {
		if t < olo || t > ohi {
			return fmt.Errorf("table entry %d outside output codes", t)
		}
	}
	return nil
}

func exportLUT(x *exportCtx) error {
	return fmt.Errorf("table-lookup activations have no QDQ form in this exporter")
}

// lut tabulates an elementwise function over every input code:
// Table[q - q_min] = clamp(round(f(q·s_x)/s_y)).
func (b *builder) lut(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	// The function is the float interpreter's own (one definition per
	// activation); the table holds it at every input code.
	f, nonNeg, _, err := interp.PointwiseFunc(n)
	if err != nil {
		return err
	}
	sy, signed, olo, ohi := b.encode(n.Outputs[0], !nonNeg, math.Inf(-1), math.Inf(1))
	v := b.newValue(n.Outputs[0], vx.Shape, sy, signed)
	lo, hi := vx.Range()
	op := Op{Kind: OpLUT, Name: n.Name, In: []int{x}, Out: v, Lo: olo, Hi: ohi, Table: make([]int32, hi-lo+1)}
	for q := lo; q <= hi; q++ {
		y := f(float64(q) * vx.Scale)
		if math.IsNaN(y) {
			b.unsupported(n, fmt.Sprintf("%s is undefined at input %g, inside the calibrated range", n.OpType, float64(q)*vx.Scale))
			return nil
		}
		op.Table[q-lo] = clamp32(roundSat32(y/sy), olo, ohi)
	}
	b.emit(op)
	return nil
}
