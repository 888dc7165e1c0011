package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpArgMax: the index of the largest (ArgMax) or
// smallest (ArgMin) code along one per-sample axis, the first index on ties
// or, with select_last_index, the last. Codes are the real values over one
// positive scale, so the index is the float model's exactly. The output is
// a whole number (scale 1, unsigned): a class label, which Run returns as
// the graph's integer output.

// Op.Mode of OpArgMax: bit argModeMin picks the smallest code, bit
// argModeLast the last index among equal ones.
const (
	argModeMin  = 1
	argModeLast = 2
)

func init() {
	registerKind(OpArgMax, kindSpec{modes: 4, exec: execArgMax, check: checkArgMax, export: exportArgMax,
		work: func(n *Network, op *Op) DigitalWork { return DigitalWork{PoolOps: n.elems(op.In[0])} }})
	registerBuilder("ArgMax", (*builder).argMax)
	registerBuilder("ArgMin", (*builder).argMax)
}

// argBetter reports whether code c replaces the current best code at the
// next index (mode as Op.Mode): strictly better keeps the first index on
// ties, better-or-equal moves to the last.
func argBetter(mode int, c, best int32) bool {
	if mode&argModeMin != 0 {
		c, best = best, c
	}
	if mode&argModeLast != 0 {
		return c >= best
	}
	return c > best
}

// argMaxSplit is the input shape around axis: outer blocks of length
// values, each inner elements apart.
func argMaxSplit(shape []int, axis int) (outer, length, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, shape[axis], inner
}

func execArgMax(x *execCtx) error {
	in := x.vals[x.op.In[0]]
	outer, length, inner := argMaxSplit(x.n.Values[x.op.In[0]].Shape, x.op.Axis)
	per := outer * length * inner
	for b := 0; b < x.bs; b++ {
		src := in[b*per : (b+1)*per]
		dst := x.out[b*outer*inner : (b+1)*outer*inner]
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				best := 0
				base := o*length*inner + i
				for j := 1; j < length; j++ {
					if argBetter(x.op.Mode, src[base+j*inner], src[base+best*inner]) {
						best = j
					}
				}
				dst[o*inner+i] = int32(best)
			}
		}
	}
	return nil
}

func checkArgMax(x *checkCtx) error {
	in, out, op := x.in, x.out, x.op
	if op.Axis < 0 || op.Axis >= len(in.Shape) {
		return fmt.Errorf("axis %d of shape %v", op.Axis, in.Shape)
	}
	if out.Scale != 1 || out.Signed || out.size()*in.Shape[op.Axis] != in.size() {
		return fmt.Errorf("output %v scale %g signed %v for input %v", out.Shape, out.Scale, out.Signed, in.Shape)
	}
	if _, hi := out.Range(); int(hi) < in.Shape[op.Axis]-1 {
		return fmt.Errorf("%d indices do not fit %d-bit codes", in.Shape[op.Axis], out.Bits)
	}
	return nil
}

func exportArgMax(x *exportCtx) error {
	keep := int64(0)
	if len(x.out.Shape) == len(x.n.Values[x.op.In[0]].Shape) {
		keep = 1
	}
	op := "ArgMax"
	if x.op.Mode&argModeMin != 0 {
		op = "ArgMin"
	}
	x.w.node(op, []string{x.in}, x.tmp, attrI("axis", int64(x.op.Axis+1)), attrI("keepdims", keep),
		attrI("select_last_index", int64(x.op.Mode/argModeLast)))
	x.w.fname[x.op.Out] = x.tmp
	return nil
}

// argMax builds ArgMax or ArgMin over a per-sample axis (not the batch).
func (b *builder) argMax(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	axis := int(attrInt(n, "axis", 0))
	if axis < 0 {
		axis += len(vx.Shape) + b.lead
	}
	axis += 1 - b.lead // as an axis of [batch, per-sample shape...]
	mode := 0
	if n.OpType == "ArgMin" {
		mode |= argModeMin
	}
	if attrInt(n, "select_last_index", 0) != 0 {
		mode |= argModeLast
	}
	switch {
	case axis == 0:
		b.unsupported(n, "axis 0 is the batch axis: "+b.batchMoveWhy())
		return nil
	case axis < 0 || axis > len(vx.Shape):
		b.unsupported(n, fmt.Sprintf("axis %d outside the input", attrInt(n, "axis", 0)))
		return nil
	}
	axis-- // per-sample
	shape := append([]int(nil), vx.Shape[:axis]...)
	if attrInt(n, "keepdims", 1) != 0 {
		shape = append(shape, 1)
	}
	shape = append(shape, vx.Shape[axis+1:]...)
	v := b.newValue(n.Outputs[0], shape, 1, false)
	if _, hi := b.net.Values[v].Range(); int(hi) < vx.Shape[axis]-1 {
		b.unsupported(n, fmt.Sprintf("%d classes do not fit %d-bit codes", vx.Shape[axis], b.net.Values[v].Bits))
		return nil
	}
	b.emit(Op{Kind: OpArgMax, Name: n.Name, In: []int{x}, Out: v, Axis: axis, Lo: 0, Hi: int32(vx.Shape[axis] - 1), Mode: mode})
	return nil
}
