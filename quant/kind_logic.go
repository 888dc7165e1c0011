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
// Op.Mode is the function (logicNot...); Not has one input, the others two.

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
	va, vb := &n.Values[op.In[0]], &n.Values[op.In[1]]
	sa, sb, err := broadcastStrides(va.Shape, vb.Shape, x.outV.Shape)
	if err != nil {
		return err
	}
	b := x.vals[op.In[1]]
	per, perA, perB := x.outV.size(), va.size(), vb.size()
	for s := 0; s < x.bs; s++ {
		as, bs, out := a[s*perA:(s+1)*perA], b[s*perB:(s+1)*perB], x.out[s*per:(s+1)*per]
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
	if len(op.In) != want {
		return fmt.Errorf("%s with %d inputs", logicOps[op.Mode], len(op.In))
	}
	shape := in.Shape
	if want == 2 {
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
	var in []int
	for i := range want {
		v, ok := b.input(n, i)
		if !ok {
			b.unsupported(n, "operands must be boolean activations (a constant operand is folded or not supported)")
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
