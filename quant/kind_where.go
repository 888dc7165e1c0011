package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpWhere: per element, the code of X where the
// condition (0/1 codes; nonzero is true) holds and the code of Y elsewhere,
// with numpy broadcasting of the three. The output has a scale of its own
// (its calibrated range), so the selected code is requantized to it:
// y = clamp(M·q) with M = s_operand/s_out, Mult[i] for the i-th value
// operand after the condition. A constant X or Y is quantized once at the
// output scale into Table (one code per output element): Mode
// whereConstY means In = [cond, X] and Table holds Y; whereConstX means In
// = [cond, Y] and Table holds X.

const (
	whereValues = iota
	whereConstY
	whereConstX
	whereModes
)

func init() {
	registerKind(OpWhere, kindSpec{inputs: -1, modes: whereModes, exec: execWhere, check: checkWhere,
		export: func(*exportCtx) error { return fmt.Errorf("Where (a bool condition) has no QDQ form in this exporter") },
		work:   perOutput(requantWork)})
	registerBuilder("Where", (*builder).where)
}

// operandStrides is, for every axis of out, the step in the codes of an
// operand of shape s broadcast to out (0 along a broadcast axis).
func operandStrides(s, out []int) []int {
	st := make([]int, len(out))
	step := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			st[i+len(out)-len(s)] = step
		}
		step *= s[i]
	}
	return st
}

func execWhere(x *execCtx) error {
	op, n := x.op, x.n
	out := x.outV.Shape
	per := x.outV.size()
	r := len(out)
	k := len(op.In)
	strides := make([][]int, k)
	pers := make([]int, k)
	for i, v := range op.In {
		strides[i] = operandStrides(n.Values[v].Shape, out)
		pers[i] = n.Values[v].size()
	}
	idx := make([]int, r)
	off := make([]int, k)
	for s := 0; s < x.bs; s++ {
		clear(idx)
		clear(off)
		dst := x.out[s*per : (s+1)*per]
		for o := range dst {
			cond := x.vals[op.In[0]][s*pers[0]+off[0]] != 0
			var pick int // 1: X, 2: Y; 0: the constant in Table
			switch {
			case op.Mode == whereValues && cond:
				pick = 1
			case op.Mode == whereValues:
				pick = 2
			case op.Mode == whereConstY && cond, op.Mode == whereConstX && !cond:
				pick = 1
			}
			if pick == 0 {
				dst[o] = op.Table[o]
			} else {
				q := x.vals[op.In[pick]][s*pers[pick]+off[pick]]
				dst[o] = clamp32(op.Mult[pick-1].Apply(q), op.Lo, op.Hi)
			}
			for a := r - 1; a >= 0; a-- {
				idx[a]++
				for i := range off {
					off[i] += strides[i][a]
				}
				if idx[a] < out[a] {
					break
				}
				for i := range off {
					off[i] -= strides[i][a] * out[a]
				}
				idx[a] = 0
			}
		}
	}
	return nil
}

func checkWhere(x *checkCtx) error {
	op, n, out := x.op, x.n, x.out
	want := 3
	if op.Mode != whereValues {
		want = 2
		if len(op.Table) != out.size() {
			return fmt.Errorf("%d constant codes for output %v", len(op.Table), out.Shape)
		}
		for _, c := range op.Table {
			if c < op.Lo || c > op.Hi {
				return fmt.Errorf("constant code %d outside [%d, %d]", c, op.Lo, op.Hi)
			}
		}
	}
	if len(op.In) != want || len(op.Mult) != want-1 {
		return fmt.Errorf("%d inputs and %d multipliers in mode %d", len(op.In), len(op.Mult), op.Mode)
	}
	shape := []int{}
	for _, v := range op.In {
		var err error
		if shape, err = broadcastShape(shape, n.Values[v].Shape); err != nil {
			return err
		}
	}
	if !slices.Equal(shape, out.Shape) {
		return fmt.Errorf("operands broadcast to %v, output is %v", shape, out.Shape)
	}
	return nil
}

// where builds Where of a boolean activation condition and two operands,
// activations or (one of them) a float constant.
func (b *builder) where(n *importer.Node) error {
	if len(n.Inputs) != 3 {
		b.unsupported(n, "three operands expected")
		return nil
	}
	c, ok := b.input(n, 0)
	if !ok || b.dtype(n.Inputs[0]) != importer.Bool || b.net.Values[c].Scale != 1 || b.net.Values[c].Signed {
		b.unsupported(n, "the condition must be a boolean activation of 0/1 codes")
		return nil
	}
	xv, okx := b.input(n, 1)
	yv, oky := b.input(n, 2)
	mode := whereValues
	in := []int{c}
	var constName string
	switch {
	case okx && oky:
		in = append(in, xv, yv)
	case okx:
		mode, constName = whereConstY, n.Inputs[2]
		in = append(in, xv)
	case oky:
		mode, constName = whereConstX, n.Inputs[1]
		in = append(in, yv)
	default:
		b.unsupported(n, "both X and Y are constants")
		return nil
	}
	shape := []int{}
	signed := false
	for _, v := range in {
		var err error
		if shape, err = broadcastShape(shape, b.net.Values[v].Shape); err != nil {
			b.unsupported(n, err.Error())
			return nil
		}
	}
	for _, v := range in[1:] {
		signed = signed || b.net.Values[v].Signed
	}
	var cvals []float32
	if constName != "" {
		ct := b.g.Initializers[constName]
		if ct == nil || !ct.DType.IsFloat() || len(ct.Float) != ct.Len() {
			b.unsupported(n, "a constant operand must be a float constant")
			return nil
		}
		var ok bool
		if cvals, ok = expandConst(ct, shape, b.lead); !ok {
			b.unsupported(n, fmt.Sprintf("constant %v does not broadcast to %v per sample", ct.Shape, shape))
			return nil
		}
		for _, f := range cvals {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				b.unsupported(n, "a NaN or infinite constant operand has no code")
				return nil
			}
			signed = signed || f < 0
		}
	}
	sy, signed, lo, hi := b.encode(n.Outputs[0], signed, math.Inf(-1), math.Inf(1))
	v := b.newValue(n.Outputs[0], shape, sy, signed)
	op := Op{Kind: OpWhere, Name: n.Name, In: in, Out: v, Lo: lo, Hi: hi, Mode: mode}
	for _, x := range in[1:] {
		op.Mult = append(op.Mult, NewMultiplier(b.net.Values[x].Scale/sy))
	}
	if cvals != nil {
		op.Table = make([]int32, len(cvals))
		for i, f := range cvals {
			op.Table[i] = clamp32(roundSat32(float64(f)/sy), lo, hi)
		}
	}
	b.emit(op)
	return nil
}
