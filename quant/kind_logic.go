package quant

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpLogic: Not, And, Or and Xor of boolean values (0/1
// codes at scale 1, as comparisons, Hardmax-free casts to bool and other
// logic ops write them), with numpy broadcasting. Any nonzero code counts
// as true, so the result is defined for every code; the output is 0/1.
// Op.Mode is the function (logicNot...); Not has one input, the others two
// activations, or one activation and a constant bool operand from the
// model file (a fixed mask): then Table holds the constant as 0/1, already
// broadcast to the output's per-sample shape (the same for every sample),
// and the activation broadcasts to it.

const (
	logicNot = iota
	logicAnd
	logicOr
	logicXor
	logicModes
)

// logicOps are the ONNX op types by Mode.
var logicOps = [logicModes]string{"Not", "And", "Or", "Xor"}

func init() {
	registerKind(OpLogic, kindSpec{inputs: -1, modes: logicModes, exec: execLogic, check: checkLogic,
		export: func(*exportCtx) error { return fmt.Errorf("logic ops (bool values) have no QDQ form in this exporter") },
		work:   perOutput(addWork)})
	for _, op := range logicOps {
		registerBuilder(op, (*builder).logic)
	}
}

func logicOf(mode int, a, b bool) bool {
	switch mode {
	case logicNot:
		return !a
	case logicAnd:
		return a && b
	case logicOr:
		return a || b
	}
	return a != b
}

func execLogic(x *execCtx) error {
	op, n := x.op, x.n
	bit := func(v bool) int32 {
		if v {
			return 1
		}
		return 0
	}
	a := x.vals[op.In[0]]
	if op.Mode == logicNot {
		for i, q := range a[:x.bs*x.outV.size()] {
			x.out[i] = bit(q == 0)
		}
		return nil
	}
	va := &n.Values[op.In[0]]
	per, perA := x.outV.size(), va.size()
	bShape, b, perB := x.outV.Shape, op.Table, 0 // a constant operand: one mask for every sample
	if len(op.In) == 2 {
		vb := &n.Values[op.In[1]]
		bShape, b, perB = vb.Shape, x.vals[op.In[1]], vb.size()
	}
	sa, sb, err := broadcastStrides(va.Shape, bShape, x.outV.Shape)
	if err != nil {
		return err
	}
	for s := 0; s < x.bs; s++ {
		as, bs, out := a[s*perA:(s+1)*perA], b, x.out[s*per:(s+1)*per]
		if perB > 0 {
			bs = b[s*perB : (s+1)*perB]
		}
		forEachRun(x.outV.Shape, sa, sb, func(o, ia, ib, cnt, da, db int) {
			for k := 0; k < cnt; k++ {
				out[o+k] = bit(logicOf(op.Mode, as[ia+k*da] != 0, bs[ib+k*db] != 0))
			}
		})
	}
	return nil
}

func checkLogic(x *checkCtx) error {
	op, n, in, out := x.op, x.n, x.in, x.out
	if err := checkBoolOut(x); err != nil {
		return err
	}
	want := 2
	if op.Mode == logicNot {
		want = 1
	}
	if len(op.In) != want && (want != 2 || len(op.In) != 1) {
		return fmt.Errorf("%s with %d inputs", logicOps[op.Mode], len(op.In))
	}
	shape := in.Shape
	switch {
	case want == 1 && len(op.Table) != 0:
		return fmt.Errorf("Not with a constant operand")
	case want == 2 && len(op.In) == 1:
		// An activation and a constant mask of the output's shape.
		if len(op.Table) != out.size() {
			return fmt.Errorf("constant operand of %d values for output %v", len(op.Table), out.Shape)
		}
		if i := slices.IndexFunc(op.Table, func(c int32) bool { return c != 0 && c != 1 }); i >= 0 {
			return fmt.Errorf("constant operand holds %d at %d, not 0/1", op.Table[i], i)
		}
		var err error
		if shape, err = broadcastShape(in.Shape, out.Shape); err != nil {
			return err
		}
	case want == 2:
		if len(op.Table) != 0 {
			return fmt.Errorf("two activations and a constant operand")
		}
		var err error
		if shape, err = broadcastShape(in.Shape, n.Values[op.In[1]].Shape); err != nil {
			return err
		}
	}
	if !slices.Equal(shape, out.Shape) {
		return fmt.Errorf("output %v for inputs broadcast to %v", out.Shape, shape)
	}
	return nil
}

// logic builds a logic op of boolean activations.
func (b *builder) logic(n *importer.Node) error {
	mode := slices.Index(logicOps[:], n.OpType)
	want := 2
	if mode == logicNot {
		want = 1
	}
	if len(n.Inputs) != want {
		b.unsupported(n, fmt.Sprintf("%d operands, want %d", len(n.Inputs), want))
		return nil
	}
	if want == 2 {
		x, ok1 := b.input(n, 0)
		y, ok2 := b.input(n, 1)
		switch {
		case ok1 && !ok2:
			return b.logicConst(n, mode, x, n.Inputs[0], n.Inputs[1])
		case ok2 && !ok1:
			// And, Or and Xor are symmetric: the activation goes first.
			return b.logicConst(n, mode, y, n.Inputs[1], n.Inputs[0])
		}
	}
	var in []int
	for i := range want {
		v, ok := b.input(n, i)
		if !ok {
			b.unsupported(n, "operands must be boolean activations or one of them a bool constant (two constants are folded)")
			return nil
		}
		if vv := b.net.Values[v]; b.dtype(n.Inputs[i]) != importer.Bool || vv.Scale != 1 || vv.Signed {
			b.unsupported(n, fmt.Sprintf("operand %q is not a boolean value of 0/1 codes", n.Inputs[i]))
			return nil
		}
		in = append(in, v)
	}
	shape := b.net.Values[in[0]].Shape
	if want == 2 {
		var err error
		if shape, err = broadcastShape(shape, b.net.Values[in[1]].Shape); err != nil {
			b.unsupported(n, err.Error())
			return nil
		}
	}
	v := b.newValue(n.Outputs[0], shape, 1, false)
	b.emit(Op{Kind: OpLogic, Name: n.Name, In: in, Out: v, Lo: 0, Hi: 1, Mode: mode})
	return nil
}

// logicConst builds And, Or or Xor of boolean activation x (graph value
// xName) and the bool constant c: the constant, broadcast with x's shape
// (numpy rules; its batch axis, if it has one, of size 1), becomes the
// op's fixed 0/1 Table over the output's per-sample shape.
func (b *builder) logicConst(n *importer.Node, mode, x int, xName, c string) error {
	vx := b.net.Values[x]
	if b.dtype(xName) != importer.Bool || vx.Scale != 1 || vx.Signed {
		b.unsupported(n, fmt.Sprintf("operand %q is not a boolean value of 0/1 codes", xName))
		return nil
	}
	ct := b.g.Initializers[c]
	if ct == nil || ct.DType != importer.Bool || len(ct.Int) != ct.Len() {
		b.unsupported(n, fmt.Sprintf("operand %q is neither a boolean activation nor a bool constant", c))
		return nil
	}
	// The constant's per-sample shape: without the axis that lines up with
	// the batch axis when the batch is outside the values' shapes.
	cs := ct.Shape
	if b.lead == 1 && len(cs) > len(vx.Shape) {
		if len(cs) > len(vx.Shape)+1 || cs[0] != 1 {
			b.unsupported(n, fmt.Sprintf("constant %q of shape %v would broadcast over the batch axis of %q (per sample %v)", c, ct.Shape, xName, vx.Shape))
			return nil
		}
		cs = cs[1:]
	}
	shape, err := broadcastShape(vx.Shape, cs)
	if err != nil {
		b.unsupported(n, fmt.Sprintf("constant %q: %v", c, err))
		return nil
	}
	mask := &importer.Tensor{DType: importer.Float, Shape: cs, Float: make([]float32, len(ct.Int))}
	for i, v := range ct.Int {
		if v != 0 {
			mask.Float[i] = 1
		}
	}
	vals, ok := expandConst(mask, shape, 0)
	if !ok {
		b.unsupported(n, fmt.Sprintf("constant %q of shape %v does not broadcast to %v", c, ct.Shape, shape))
		return nil
	}
	table := make([]int32, len(vals))
	for i, f := range vals {
		table[i] = int32(f)
	}
	v := b.newValue(n.Outputs[0], shape, 1, false)
	b.emit(Op{Kind: OpLogic, Name: n.Name, In: []int{x}, Out: v, Lo: 0, Hi: 1, Mode: mode, Table: table})
	return nil
}
