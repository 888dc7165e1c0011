package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// The integer op kinds OpGlobalAvg, OpGlobalMax: global average and max
// pooling. Max pooling keeps the input's codes; average pooling keeps them
// too (rounded division by the window) unless its calibrated output range
// is at most half the input's: then the average is requantized to a scale
// of its own, y = clamp(M(Σ x)) with M = s_x/(HW·s_y), which keeps the
// resolution an average of many codes would otherwise lose (ConvNeXt's
// pooled features, squeeze-excitation means). Mult holds M (empty: same
// scale).

func init() {
	registerKind(OpGlobalAvg, kindSpec{exec: execGlobalAvgGlobalMax, check: checkGlobalAvgGlobalMax, export: exportGlobalAvg, work: globalPoolWork})
	registerKind(OpGlobalMax, kindSpec{exec: execGlobalAvgGlobalMax, check: checkGlobalAvgGlobalMax, export: exportGlobalMax, work: globalPoolWork})
	registerBuilder("GlobalAveragePool", (*builder).globalPool)
	registerBuilder("GlobalMaxPool", (*builder).globalPool)
	registerBuilder("ReduceMean", (*builder).reduce)
	registerBuilder("ReduceMax", (*builder).reduce)
}

// globalPoolWork: every input code enters one comparison or addition.
func globalPoolWork(n *Network, op *Op) DigitalWork {
	return DigitalWork{PoolOps: n.elems(op.In[0])}
}

func execGlobalAvgGlobalMax(x *execCtx) error {
	n := x.n
	op := x.op
	vals := x.vals
	out := x.out
	bs := x.bs
	in := &n.Values[op.In[0]]
	c := in.Shape[0]
	hw := in.size() / c
	src := vals[op.In[0]]
	for i := 0; i < bs*c; i++ {
		p := src[i*hw : (i+1)*hw]
		if op.Kind == OpGlobalMax {
			m := p[0]
			for _, v := range p[1:] {
				m = max(m, v)
			}
			out[i] = clamp32(m, op.Lo, op.Hi)
		} else {
			var s int64
			for _, v := range p {
				s += int64(v)
			}
			if len(op.Mult) == 1 {
				out[i] = clamp32(sat32(op.Mult[0].apply64(s)), op.Lo, op.Hi)
			} else {
				out[i] = clamp32(int32(roundDiv(s, int64(hw))), op.Lo, op.Hi)
			}
		}
	}
	return nil
}

func checkGlobalAvgGlobalMax(x *checkCtx) error {
	in := x.in
	out := x.out
	if len(in.Shape) < 1 || out.size() != in.Shape[0] {
		return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
	}
	if len(x.op.Mult) > 1 || len(x.op.Mult) == 1 && (x.op.Kind != OpGlobalAvg || in.size() > 1<<23) {
		return fmt.Errorf("%d multipliers for %s over %d codes", len(x.op.Mult), x.op.Kind, in.size())
	}
	if len(x.op.Mult) == 0 && !in.sameEncoding(out) {
		return fmt.Errorf("pooling without a multiplier changes the encoding")
	}
	return nil
}

func exportGlobalAvg(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	tmp := x.tmp
	w.node("GlobalAveragePool", []string{in}, tmp)
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}

func exportGlobalMax(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	tmp := x.tmp
	w.node("GlobalMaxPool", []string{in}, tmp)
	w.fname[op.Out] = tmp
	return nil
}

// reduce builds ReduceMean/ReduceMax over every per-sample axis but the
// first (the channels): the global pooling of the same codes, followed by a
// reshape when the reduced axes are not kept. Other axes are grouped
// reductions (kind_reduce.go).
func (b *builder) reduce(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	r := len(vx.Shape) + 1
	axes, noop, ok := b.reduceAxesOf(n)
	if !ok || len(axes) == 0 && noop {
		return b.reduceGroups(n) // refused, or no reduction (kind_reduce.go)
	}
	reduced, err := reducedAxes(n, axes, r)
	if err != nil {
		return err
	}
	if len(axes) == 0 || reduced[0] || reduced[1] || r < 3 {
		return b.reduceGroups(n) // other axes: a grouped reduction (kind_reduce.go)
	}
	for a := 2; a < r; a++ {
		if !reduced[a] {
			return b.reduceGroups(n)
		}
	}
	kind := OpGlobalAvg
	if n.OpType == "ReduceMax" {
		kind = OpGlobalMax
	}
	pooled := []int{vx.Shape[0]}
	for range vx.Shape[1:] {
		pooled = append(pooled, 1)
	}
	keep := attrInt(n, "keepdims", 1) != 0
	name := n.Outputs[0]
	if !keep {
		name += "__pooled"
	}
	b.emit(b.pooled(n, kind, name, x, pooled))
	v := b.net.Ops[len(b.net.Ops)-1].Out
	if !keep {
		o := b.aliasValue(n.Outputs[0], v, []int{vx.Shape[0]})
		b.emit(Op{Kind: OpReshape, Name: n.Name, In: []int{v}, Out: o})
	}
	return nil
}

func (b *builder) globalPool(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	if len(vx.Shape) < 2 {
		return fmt.Errorf("quant: %w: %s: input shape %v", importer.ErrInvalidModel, nodeWhere(n), vx.Shape)
	}
	shape := []int{vx.Shape[0]}
	for range vx.Shape[1:] {
		shape = append(shape, 1)
	}
	kind := OpGlobalAvg
	if n.OpType == "GlobalMaxPool" {
		kind = OpGlobalMax
	}
	b.emit(b.pooled(n, kind, n.Outputs[0], x, shape))
	return nil
}

// pooled is the global pooling op of node n writing value name (shape) from
// value x: the input's encoding, or for an average whose calibrated range
// is at most half the input's (or a QDQ model gives it a scale of its own),
// a scale of its own (see the kinds' comment).
func (b *builder) pooled(n *importer.Node, kind OpKind, name string, x int, shape []int) Op {
	vx := b.net.Values[x]
	// The encoding is that of the node's output (calibration statistics and
	// a QDQ model's scale are keyed by it), also when the pooled value is an
	// intermediate before the reshape dropping the reduced axes.
	key := n.Outputs[0]
	_, fixed := b.p.fixed[key] // a QDQ model's own scale for the average
	if kind == OpGlobalAvg && (fixed || b.p.stats[key] != nil) && vx.size() <= 1<<23 {
		sy, signed, lo, hi := b.encode(key, vx.Signed, math.Inf(-1), math.Inf(1))
		if fixed && (sy != vx.Scale || signed != vx.Signed) || !fixed && sy <= vx.Scale/2 {
			hw := vx.size() / vx.Shape[0]
			v := b.newValue(name, shape, sy, signed)
			return Op{Kind: kind, Name: n.Name, In: []int{x}, Out: v, Lo: lo, Hi: hi,
				Mult: []Multiplier{NewMultiplier(vx.Scale / (float64(hw) * sy))}}
		}
	}
	v := b.aliasValue(name, x, shape)
	lo, hi := vx.Range()
	return Op{Kind: kind, Name: n.Name, In: []int{x}, Out: v, Lo: lo, Hi: hi}
}
