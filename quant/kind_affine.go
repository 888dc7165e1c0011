package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpAffine: a BatchNormalization that could not be folded:
// y = ±M_c·x + offset_c per channel.

func init() {
	registerKind(OpAffine, kindSpec{exec: execAffine, check: checkAffine, export: exportAffine, work: perOutput(requantWork)})
	registerBuilder("BatchNormalization", (*builder).batchNorm)
}

func execAffine(x *execCtx) error {
	n := x.n
	op := x.op
	vals := x.vals
	out := x.out
	bs := x.bs
	in := &n.Values[op.In[0]]
	c := in.Shape[0]
	inner := in.size() / c
	src := vals[op.In[0]]
	for i := 0; i < bs*c; i++ {
		ch := i % c
		m, off, neg := op.Mult[ch], int64(op.Bias[ch]), op.Neg[ch]
		for j := i * inner; j < (i+1)*inner; j++ {
			v := m.apply64(int64(src[j]))
			if neg {
				v = -v
			}
			out[j] = clamp32(sat32(v+off), op.Lo, op.Hi)
		}
	}
	return nil
}

func checkAffine(x *checkCtx) error {
	op := x.op
	in := x.in
	out := x.out
	if len(in.Shape) < 1 || in.size() != out.size() {
		return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
	}
	c := in.Shape[0]
	if len(op.Mult) != c || len(op.Bias) != c || len(op.Neg) != c {
		return fmt.Errorf("%d channels, %d/%d/%d parameters", c, len(op.Mult), len(op.Bias), len(op.Neg))
	}
	return nil
}

func exportAffine(x *exportCtx) error {
	w := x.w
	n := x.n
	op := x.op
	in := x.in
	out := x.out
	tmp := x.tmp
	inV := &n.Values[op.In[0]]
	c := inV.Shape[0]
	dims := []int64{int64(c)}
	for range inV.Shape[1:] {
		dims = append(dims, 1)
	}
	a := make([]float32, c)
	b := make([]float32, c)
	for i := 0; i < c; i++ {
		f := op.Mult[i].Float() * out.Scale / inV.Scale
		if op.Neg[i] {
			f = -f
		}
		a[i] = float32(f)
		b[i] = float32(float64(op.Bias[i]) * out.Scale)
	}
	t := w.name(out.Name + "_mul")
	w.node("Mul", []string{in, w.floats(out.Name+"_a", dims, a)}, t)
	w.node("Add", []string{t, w.floats(out.Name+"_b", dims, b)}, tmp)
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}

// batchNorm handles a BatchNormalization that could not be folded into a
// preceding linear layer: y = a_c·x + b_c with a_c = γ/√(σ²+ε),
// b_c = β - μ·a_c, as OpAffine y_q = ±M_c(x_q) + round(b_c/s_y) with
// M_c = |a_c|·s_x/s_y.
func (b *builder) batchNorm(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok || len(n.Inputs) < 5 {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	vx := b.net.Values[x]
	var par [4][]float32
	for i := range par {
		v, okc := constFloats(b.g, n.Inputs[i+1])
		if !okc || len(vx.Shape) == 0 || len(v) != vx.Shape[0] {
			b.unsupported(n, "parameters are not constant per-channel vectors")
			return nil
		}
		par[i] = v
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	out := n.Outputs[0]
	act, actOut, lo, hi, nonNeg := b.activation(out)
	if act != nil {
		b.done[act] = true
		out = actOut
	}
	sy, signed, clo, chi := b.encode(out, !nonNeg, lo, hi)
	v := b.newValue(out, vx.Shape, sy, signed)
	c := vx.Shape[0]
	op := Op{Kind: OpAffine, Name: n.Name, In: []int{x}, Out: v, Mult: make([]Multiplier, c), Bias: make([]int32, c), Neg: make([]bool, c)}
	for i := 0; i < c; i++ {
		a := float64(par[0][i]) / math.Sqrt(float64(par[3][i])+eps)
		bb := float64(par[1][i]) - float64(par[2][i])*a
		op.Mult[i] = NewMultiplier(math.Abs(a) * vx.Scale / sy)
		op.Neg[i] = a < 0
		op.Bias[i] = roundSat32(bb / sy)
	}
	op.Lo, op.Hi = clo, chi
	b.emit(op)
	return nil
}
