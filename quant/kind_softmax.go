package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpSoftmax: Softmax over the last axis in fixed point
// (attention weights). For one row of input codes x_i (scale s_x):
//
//	m = max_i x_i; e_i = Table[m − x_i] = round(2^softmaxFrac·exp(−(m − x_i)·s_x))
//	y_i = clamp(M(⌊e_i·2^softmaxQ / Σ_j e_j⌋))   (M = 2^-softmaxQ / s_y)
//
// so the table lookup, the integer sum, one integer division per element
// and one requantization are the whole computation, the same integers in
// the golden model and the simulator. A Softmax (or LogSoftmax) that
// produces a graph output is not an integer op: the network records it
// (Output.Post) and applies it in float to the dequantized output, since
// it does not change the top-1 class.

const (
	// softmaxFrac is the fraction bits of the exponential table (e_i ≤ 2^30).
	softmaxFrac = 30
	// softmaxQ is the fraction bits of the probabilities before
	// requantization (e_i·2^31 < 2^61).
	softmaxQ = 31
	// maxSoftmaxRow bounds the row length so that Σ e_i < 2^62.
	maxSoftmaxRow = 1 << 31
)

func init() {
	registerKind(OpSoftmax, kindSpec{exec: execSoftmax, check: checkSoftmax, export: exportSoftmax, work: workSoftmax})
	registerBuilder("Softmax", (*builder).softmax)
	registerBuilder("LogSoftmax", (*builder).softmax)
}

func execSoftmax(x *execCtx) error {
	op := x.op
	in := x.vals[op.In[0]]
	v := &x.n.Values[op.In[0]]
	d := v.Shape[len(v.Shape)-1]
	mu := op.Mult[0]
	for r := 0; r+d <= len(in); r += d {
		row, out := in[r:r+d], x.out[r:r+d]
		m := row[0]
		for _, c := range row[1:] {
			m = max(m, c)
		}
		var sum int64
		for _, c := range row {
			sum += int64(op.Table[m-c])
		}
		for i, c := range row {
			p := (int64(op.Table[m-c]) << softmaxQ) / sum
			out[i] = clamp32(sat32(mu.apply64(p)), op.Lo, op.Hi)
		}
	}
	return nil
}

func checkSoftmax(x *checkCtx) error {
	op, in, out := x.op, x.in, x.out
	lo, hi := in.Range()
	if len(in.Shape) == 0 || in.size() != out.size() || in.Shape[len(in.Shape)-1] > maxSoftmaxRow {
		return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
	}
	if len(op.Mult) != 1 || len(op.Table) != int(hi-lo)+1 {
		return fmt.Errorf("%d multipliers, table of %d entries for codes [%d, %d]", len(op.Mult), len(op.Table), lo, hi)
	}
	if op.Table[0] <= 0 {
		return fmt.Errorf("table starts at %d: a row's sum could be 0", op.Table[0])
	}
	for _, t := range op.Table {
		if t < 0 || t > 1<<softmaxFrac {
			return fmt.Errorf("table entry %d outside [0, 2^%d]", t, softmaxFrac)
		}
	}
	return nil
}

func exportSoftmax(x *exportCtx) error {
	x.w.node("Softmax", []string{x.in}, x.tmp, attrI("axis", -1))
	x.w.fname[x.op.Out] = x.w.qdq(x.op.Out, x.tmp, x.op.Lo, x.op.Hi)
	return nil
}

// workSoftmax: per element a table lookup (activation), an addition to the
// row's sum and a division with requantization.
func workSoftmax(n *Network, op *Op) DigitalWork {
	e := n.elems(op.Out)
	return DigitalWork{Activations: e, Adds: e, Requant: e}
}

// softmax becomes the float post-op when it produces a graph output no node
// reads, and
// OpSoftmax over the last axis anywhere else.
func (b *builder) softmax(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	def := int64(-1)
	if b.p.opset < 13 {
		def = 1
	}
	axis := int(attrInt(n, "axis", def))
	r := len(b.net.Values[x].Shape) + b.lead
	if axis < 0 {
		axis += r
	}
	if out := n.Outputs[0]; isGraphOutput(b.g, out) && len(b.cons[out]) == 0 {
		if b.p.opset < 13 && axis != r-1 {
			b.unsupported(n, "softmax over flattened trailing axes")
			return nil
		}
		b.posts[out] = Output{Post: n.OpType, PostAxis: axis}
		b.vals[n.Outputs[0]] = x
		return nil
	}
	if n.OpType != "Softmax" || axis != r-1 || r < 2 {
		b.unsupported(n, fmt.Sprintf("only a final %s, or a Softmax over the last axis inside the network", n.OpType))
		return nil
	}
	vx := b.net.Values[x]
	sy, signed, lo, hi := b.encode(n.Outputs[0], false, 0, 1)
	v := b.newValue(n.Outputs[0], vx.Shape, sy, signed)
	qlo, qhi := vx.Range()
	op := Op{Kind: OpSoftmax, Name: n.Name, In: []int{x}, Out: v, Lo: lo, Hi: hi,
		Mult: []Multiplier{NewMultiplier(1 / (sy * (1 << softmaxQ)))}, Table: make([]int32, qhi-qlo+1)}
	for k := range op.Table {
		op.Table[k] = int32(math.Round(math.Ldexp(math.Exp(-float64(k)*vx.Scale), softmaxFrac)))
	}
	b.emit(op)
	return nil
}
