package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpConcat: concatenation with every input rescaled to the
// output scale.

func init() {
	registerKind(OpConcat, kindSpec{inputs: -1, exec: execConcat, check: checkConcat, export: exportConcat, work: perOutput(requantWork)})
	registerBuilder("Concat", (*builder).concat)
}

func execConcat(x *execCtx) error {
	n := x.n
	op := x.op
	vals := x.vals
	out := x.out
	outV := x.outV
	bs := x.bs
	outer := 1
	for _, d := range outV.Shape[:op.Axis] {
		outer *= d
	}
	pos := 0
	for b := 0; b < bs*outer; b++ {
		for j, vi := range op.In {
			v := &n.Values[vi]
			inner := v.size() / outer
			src := vals[vi][b*inner : (b+1)*inner]
			m := op.Mult[j]
			for _, c := range src {
				out[pos] = clamp32(m.Apply(c), op.Lo, op.Hi)
				pos++
			}
		}
	}
	return nil
}

func checkConcat(x *checkCtx) error {
	n := x.n
	op := x.op
	out := x.out
	if len(op.Mult) != len(op.In) || op.Axis < 0 || op.Axis >= len(out.Shape) {
		return fmt.Errorf("axis %d, %d multipliers", op.Axis, len(op.Mult))
	}
	outer := 1
	for _, d := range out.Shape[:op.Axis] {
		outer *= d
	}
	tot := 0
	for _, vi := range op.In {
		v := &n.Values[vi]
		if v.size()%outer != 0 {
			return fmt.Errorf("input %v", v.Shape)
		}
		tot += v.size()
	}
	if tot != out.size() {
		return fmt.Errorf("inputs sum to %d elements, output has %d", tot, out.size())
	}
	return nil
}

func exportConcat(x *exportCtx) error {
	w := x.w
	op := x.op
	tmp := x.tmp
	var ins []string
	for _, v := range op.In {
		ins = append(ins, w.fname[v])
	}
	w.node("Concat", ins, tmp, attrI("axis", int64(op.Axis+1)))
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}

// concat rescales every input to the output scale max(s_i): inputs already
// at that scale pass unchanged, the others are requantized.
func (b *builder) concat(n *importer.Node) error {
	var ins []int
	for i := range n.Inputs {
		x, ok := b.input(n, i)
		if !ok {
			if x, ok = b.constant(n, n.Inputs[i]); !ok {
				b.unsupported(n, "every input must be an activation or a constant with a batch axis of 1")
				return nil
			}
		}
		ins = append(ins, x)
	}
	v0 := b.net.Values[ins[0]]
	axis := int(attrInt(n, "axis", 1))
	if axis < 0 {
		axis += len(v0.Shape) + b.lead
	}
	axis += 1 - b.lead // as an axis of [batch, per-sample shape...]
	if axis < 1 || axis > len(v0.Shape) {
		b.unsupported(n, fmt.Sprintf("axis %d", axis))
		return nil
	}
	shape := slices.Clone(v0.Shape)
	shape[axis-1] = 0
	sy, signed := 0.0, false
	for _, x := range ins {
		v := b.net.Values[x]
		if len(v.Shape) != len(shape) {
			return fmt.Errorf("quant: %w: %s: inputs of different rank", importer.ErrInvalidModel, nodeWhere(n))
		}
		for i := range shape {
			if i != axis-1 && v.Shape[i] != v0.Shape[i] {
				return fmt.Errorf("quant: %w: %s: input shapes %v and %v", importer.ErrInvalidModel, nodeWhere(n), v0.Shape, v.Shape)
			}
		}
		shape[axis-1] += v.Shape[axis-1]
		sy = math.Max(sy, v.Scale)
		signed = signed || v.Signed
	}
	bits := b.residualBits(n.Outputs[0])
	if bits != b.cfg.ABits && b.p.stats[n.Outputs[0]] == nil {
		bits = b.cfg.ABits
	}
	if bits != b.cfg.ABits {
		// the start of a residual stream (a class token beside the patch
		// embeddings): its own calibrated scale at the wide width keeps
		// each input's resolution, where max_i s_i would leave a small
		// input (the class token) at a code or two
		sy, signed, _, _ = b.encodeBits(n.Outputs[0], bits, signed, math.Inf(-1), math.Inf(1))
	}
	out := b.newValueBits(n.Outputs[0], shape, sy, signed, bits)
	op := Op{Kind: OpConcat, Name: n.Name, In: ins, Out: out, Axis: axis - 1}
	op.Lo, op.Hi = codeRange(bits, signed)
	for _, x := range ins {
		op.Mult = append(op.Mult, NewMultiplier(b.net.Values[x].Scale/sy))
	}
	b.emit(op)
	return nil
}
