package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpAffine: y = ±M_j·x + offset_j, with parameters j
// that repeat along the value: a BatchNormalization that could not be
// folded (one per channel), or a Mul, Div, Add or Sub with a constant
// operand broadcast over the activation (ConvNeXt's layer scale, ViT's
// position embedding, attention's 1/√d). Element e of a sample uses
// parameter j = (e / R) mod P, P = len(Mult), run length R = Axis when
// Axis > 0, else size/P (one parameter per channel of a [C, ...] value).

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
	c := len(op.Mult)
	inner := affineRun(op, in)
	src := vals[op.In[0]]
	for i := 0; i < bs*in.size()/inner; i++ {
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
	c := len(op.Mult)
	if c == 0 || len(op.Bias) != c || len(op.Neg) != c || op.Axis < 0 || op.Axis == 0 && in.size()%c != 0 ||
		in.size()%(affineRun(op, in)*c) != 0 {
		return fmt.Errorf("%d/%d/%d parameters, run length %d for input %v", len(op.Mult), len(op.Bias), len(op.Neg), op.Axis, in.Shape)
	}
	return nil
}

// affineRun is the run length R of each parameter (see the kind's comment).
func affineRun(op *Op, in *Value) int {
	if op.Axis > 0 {
		return op.Axis
	}
	return max(1, in.size()/max(1, len(op.Mult)))
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
	if len(op.Mult) != c || affineRun(op, inV)*c != inV.size() {
		return fmt.Errorf("a constant broadcast other than per channel has no QDQ form in this exporter")
	}
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
	out, lo, hi, nonNeg := b.fuseActivation(n.Outputs[0])
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

// constArith builds OpAffine for a Mul, Div, Add or Sub of an activation
// and a constant that broadcasts over it along one block of consecutive
// axes (a scalar, a per-channel [C,1,1], a per-feature [D], a whole
// [L, D] table).
func (b *builder) constArith(n *importer.Node) error {
	if len(n.Inputs) != 2 {
		b.unsupported(n, "two operands expected")
		return nil
	}
	xi := 0
	x, ok := b.input(n, 0)
	if !ok {
		xi = 1
		x, ok = b.input(n, 1)
	}
	c, okc := constFloats(b.g, n.Inputs[1-xi])
	if !ok || !okc {
		b.unsupported(n, "operands must be an activation and a constant")
		return nil
	}
	vx := b.net.Values[x]
	ct := b.g.Initializers[n.Inputs[1-xi]]
	p, run, ok := broadcastBlock(ct.Shape, vx.Shape, b.lead)
	if !ok {
		// any other broadcast (Swin's attention mask [1, W, 1, L, L] over
		// [1, W, heads, L, L]): one parameter per element
		if c, ok = expandConst(ct, vx.Shape, b.lead); !ok {
			b.unsupported(n, fmt.Sprintf("constant %v does not broadcast to %v per sample", ct.Shape, vx.Shape))
			return nil
		}
		p, run = len(c), 1
	}
	// y = a_j·x + s_j per parameter j
	a := make([]float64, p)
	s := make([]float64, p)
	for j := range a {
		v := float64(c[j])
		switch {
		case n.OpType == "Mul":
			a[j] = v
		case n.OpType == "Div" && xi == 0:
			if v == 0 {
				b.unsupported(n, "division by a constant 0")
				return nil
			}
			a[j] = 1 / v
		case n.OpType == "Add":
			a[j], s[j] = 1, v
		case n.OpType == "Sub" && xi == 0:
			a[j], s[j] = 1, -v
		case n.OpType == "Sub":
			a[j], s[j] = -1, v
		default:
			b.unsupported(n, "a constant divided by an activation")
			return nil
		}
	}
	nonNeg := !vx.Signed
	for j := range a {
		nonNeg = nonNeg && a[j] >= 0 && s[j] >= 0
	}
	out, lo, hi, actNonNeg := b.fuseActivation(n.Outputs[0])
	bits := b.cfg.ABits
	if n.OpType == "Add" {
		bits = b.residualBits(out) // a position embedding added to the residual stream
	}
	sy, signed, clo, chi := b.encodeBits(out, bits, !(nonNeg || actNonNeg), lo, hi)
	v := b.newValueBits(out, vx.Shape, sy, signed, bits)
	op := Op{Kind: OpAffine, Name: n.Name, In: []int{x}, Out: v, Lo: clo, Hi: chi, Axis: run,
		Mult: make([]Multiplier, p), Bias: make([]int32, p), Neg: make([]bool, p)}
	for j := range a {
		op.Mult[j] = NewMultiplier(math.Abs(a[j]) * vx.Scale / sy)
		op.Neg[j] = a[j] < 0
		op.Bias[j] = roundSat32(s[j] / sy)
	}
	b.emit(op)
	return nil
}

// broadcastBlock finds how a constant of shape cs broadcasts over a value
// of per-sample shape vs (ONNX rules; with lead 1 the value's batch axis
// is outside vs and the constant may meet it with size 1 only): its axes
// larger than 1 must be one block of consecutive axes equal to vs's. It
// returns the block's element count p and the product run of the axes
// after it.
func broadcastBlock(cs, vs []int, lead int) (p, run int, ok bool) {
	full := len(vs) + lead // rank of the ONNX value
	if len(cs) > full {
		return 0, 0, false
	}
	first, last := -1, -1
	for i, d := range cs {
		ax := full - len(cs) + i - lead // axis of vs (-1: the batch axis)
		if d == 1 {
			continue
		}
		if ax < 0 || d != vs[ax] || first >= 0 && last != ax-1 {
			return 0, 0, false
		}
		if first < 0 {
			first = ax
		}
		last = ax
	}
	p, run = 1, 1
	for ax, d := range vs {
		switch {
		case first >= 0 && ax >= first && ax <= last:
			p *= d
		case first < 0 || ax > last:
			run *= d
		}
	}
	return p, run, true
}

// expandConst broadcasts the float constant t (numpy rules) to a value of
// per-sample shape vs (lead as in broadcastBlock), element by element.
func expandConst(t *importer.Tensor, vs []int, lead int) ([]float32, bool) {
	full := len(vs) + lead
	if len(t.Shape) > full || len(t.Float) != t.Len() {
		return nil, false
	}
	// stride of each axis of vs in t (0 where t broadcasts)
	st := make([]int, len(vs))
	s := 1
	for i := len(t.Shape) - 1; i >= 0; i-- {
		ax := full - len(t.Shape) + i - lead
		d := t.Shape[i]
		switch {
		case ax < 0 && d != 1, ax >= 0 && d != 1 && d != vs[ax]:
			return nil, false
		case ax >= 0 && d != 1:
			st[ax] = s
		}
		s *= d
	}
	size := 1
	for _, d := range vs {
		size *= d
	}
	out := make([]float32, size)
	idx := make([]int, len(vs))
	off := 0
	for e := range out {
		out[e] = t.Float[off]
		for a := len(vs) - 1; a >= 0; a-- {
			idx[a]++
			off += st[a]
			if idx[a] < vs[a] {
				break
			}
			off -= st[a] * vs[a]
			idx[a] = 0
		}
	}
	return out, true
}
