package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kinds OpEltMax, OpEltMin, OpEltSum, OpEltMean: ONNX's
// variadic Max, Min, Sum and Mean of one or more activations, with numpy
// broadcasting over the per-sample axes. Each operand is first rescaled to
// the output scale with F fraction bits,
//
//	a'_i = round(a_i · s_i·2^F / s_y)   (Multiplier M_i)
//
// then combined exactly (largest, smallest, or the 64-bit sum, saturated
// to ±2^31 like Add's), and rounded once to the output codes:
//
//	y = clamp(round(c · 2^-F [/ n for Mean]), lo, hi)   (Multiplier M_out)
//
// Rounding is monotone, so the largest rescaled operand rounds to the
// rescaled largest one: Max and Min differ from the exact result by the
// final rounding only. F is 12 (wideAddFrac) unless the largest operand
// magnitude would then pass 2^30/n. Mult holds [M_1 … M_n, M_out].

func init() {
	for _, k := range []OpKind{OpEltMax, OpEltMin, OpEltSum, OpEltMean} {
		registerKind(k, kindSpec{inputs: -1, exec: execVariadic, check: checkVariadic, export: exportVariadic, work: variadicWork})
	}
	for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
		registerBuilder(op, (*builder).variadic)
	}
}

// variadicOps maps the ONNX op to its kind and back (export).
var variadicOps = map[string]OpKind{"Max": OpEltMax, "Min": OpEltMin, "Sum": OpEltSum, "Mean": OpEltMean}

// variadicWork: every operand's rescale and the final rounding are
// multiplier applications; combining n operands is n-1 additions (Sum,
// Mean) or comparisons (Max, Min) per output code.
func variadicWork(n *Network, op *Op) DigitalWork {
	e := n.elems(op.Out)
	w := DigitalWork{Requant: int64(len(op.In)+1) * e}
	if op.Kind == OpEltSum || op.Kind == OpEltMean {
		w.Adds = int64(len(op.In)-1) * e
	} else {
		w.PoolOps = int64(len(op.In)-1) * e
	}
	return w
}

func execVariadic(x *execCtx) error {
	op, n := x.op, x.n
	k := len(op.In)
	strides := make([][]int, k)
	pers := make([]int, k)
	for i, v := range op.In {
		s, _, err := broadcastStrides(n.Values[v].Shape, x.outV.Shape, x.outV.Shape)
		if err != nil {
			return err
		}
		strides[i], pers[i] = s, n.Values[v].size()
	}
	shape := x.outV.Shape
	per := x.outV.size()
	mo := op.Mult[k]
	idx := make([]int, len(shape))
	pos := make([]int, k)
	for s := 0; s < x.bs; s++ {
		out := x.out[s*per : (s+1)*per]
		clear(idx)
		clear(pos)
		for o := range out {
			var c int64
			for i, v := range op.In {
				a := op.Mult[i].apply64(int64(x.vals[v][s*pers[i]+pos[i]]))
				switch {
				case i == 0:
					c = a
				case op.Kind == OpEltMax:
					c = max(c, a)
				case op.Kind == OpEltMin:
					c = min(c, a)
				default:
					c += a
				}
			}
			out[o] = clamp32(sat32(mo.apply64(sat32Wide(c))), op.Lo, op.Hi)
			for ax := len(shape) - 1; ax >= 0; ax-- {
				idx[ax]++
				for i := range pos {
					pos[i] += strides[i][ax]
				}
				if idx[ax] < shape[ax] {
					break
				}
				for i := range pos {
					pos[i] -= strides[i][ax] * shape[ax]
				}
				idx[ax] = 0
			}
		}
	}
	return nil
}

func checkVariadic(x *checkCtx) error {
	op, n := x.op, x.n
	if len(op.Mult) != len(op.In)+1 {
		return fmt.Errorf("%d multipliers for %d operands, want %d", len(op.Mult), len(op.In), len(op.In)+1)
	}
	shape := n.Values[op.In[0]].Shape
	for _, v := range op.In[1:] {
		s, err := broadcastShape(shape, n.Values[v].Shape)
		if err != nil {
			return err
		}
		shape = s
	}
	if !slices.Equal(shape, x.out.Shape) {
		return fmt.Errorf("operands broadcast to %v, output is %v", shape, x.out.Shape)
	}
	return nil
}

func exportVariadic(x *exportCtx) error {
	w, op := x.w, x.op
	in := make([]string, len(op.In))
	for i, v := range op.In {
		in[i] = w.fname[v]
	}
	for name, k := range variadicOps {
		if k == op.Kind {
			w.node(name, in, x.tmp)
		}
	}
	w.fname[op.Out] = w.qdq(op.Out, x.tmp, op.Lo, op.Hi)
	return nil
}

// variadic builds Max, Min, Sum or Mean of activations (a constant operand,
// broadcast to the activations' rank, enters as an OpConst value). One operand is
// its own result: a free alias.
func (b *builder) variadic(n *importer.Node) error {
	kind := variadicOps[n.OpType]
	// the activations' rank in the graph, to which constants are broadcast
	rank := -1
	for i := range n.Inputs {
		if v, ok := b.input(n, i); ok {
			rank = max(rank, len(b.net.Values[v].Shape)+b.lead)
		}
	}
	var ins []int
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		v, ok := b.input(n, i)
		if !ok {
			if v, ok = b.constantBroadcast(n, name, rank); !ok {
				b.unsupported(n, fmt.Sprintf("operand %q is neither an activation nor a constant of the activations' layout", name))
				return nil
			}
		}
		ins = append(ins, v)
	}
	if len(ins) == 0 {
		return fmt.Errorf("quant: %w: %s: no operands", importer.ErrInvalidModel, nodeWhere(n))
	}
	if len(ins) == 1 {
		v := b.aliasValue(n.Outputs[0], ins[0], b.net.Values[ins[0]].Shape)
		b.emit(Op{Kind: OpReshape, Name: n.Name, In: ins, Out: v})
		return nil
	}
	shape := b.net.Values[ins[0]].Shape
	anyUnsigned, allUnsigned := false, true
	for _, v := range ins {
		if len(b.net.Values[v].Shape) != len(shape) {
			b.unsupported(n, fmt.Sprintf("operands of ranks %d and %d: the batch axis would broadcast against another axis", len(shape), len(b.net.Values[v].Shape)))
			return nil
		}
		s, err := broadcastShape(shape, b.net.Values[v].Shape)
		if err != nil {
			b.unsupported(n, err.Error())
			return nil
		}
		shape = s
		anyUnsigned = anyUnsigned || !b.net.Values[v].Signed
		allUnsigned = allUnsigned && !b.net.Values[v].Signed
	}
	out, lo, hi, nonNeg := b.fuseActivation(n.Outputs[0])
	// Max is at least its unsigned operand; Min, Sum and Mean of unsigned
	// operands are unsigned.
	signed := !(nonNeg || allUnsigned || kind == OpEltMax && anyUnsigned)
	sy, signed, clo, chi := b.encode(out, signed, lo, hi)
	v := b.newValue(out, shape, sy, signed)
	// fraction bits: every rescaled operand below 2^30/n
	frac := wideAddFrac
	logN := int(math.Ceil(math.Log2(float64(len(ins)))))
	for _, i := range ins {
		w := b.net.Values[i]
		l, h := w.Range()
		frac = min(frac, 30-logN-int(math.Ceil(math.Log2(math.Max(-float64(l), float64(h))*w.Scale/sy))))
	}
	frac = max(frac, 0)
	op := Op{Kind: kind, Name: n.Name, In: ins, Out: v, Lo: clo, Hi: chi}
	for _, i := range ins {
		op.Mult = append(op.Mult, NewMultiplier(math.Ldexp(b.net.Values[i].Scale/sy, frac)))
	}
	final := math.Ldexp(1, -frac)
	if kind == OpEltMean {
		final /= float64(len(ins))
	}
	op.Mult = append(op.Mult, NewMultiplier(final))
	b.emit(op)
	return nil
}
