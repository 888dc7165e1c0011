package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpHardmax: 1 at the first largest code along one
// per-sample axis, 0 elsewhere (Hardmax). As for ArgMax, codes are the real
// values over one positive scale, so the position is the float model's
// exactly; the output is 0/1 at scale 1. Mode hardmaxFlat is Hardmax before
// opset 13: the input is flattened to 2-D around the axis, so the maximum
// is taken over every element from the axis on.

const hardmaxFlat = 1

func init() {
	registerKind(OpHardmax, kindSpec{modes: 2, exec: execHardmax, check: checkHardmax, export: exportHardmax,
		work: func(n *Network, op *Op) DigitalWork { return DigitalWork{PoolOps: n.elems(op.In[0])} }})
	registerBuilder("Hardmax", (*builder).hardmax)
}

// hardmaxSplit is the per-sample shape around the op's axis: outer blocks
// of length candidates, each inner elements apart.
func hardmaxSplit(op *Op, shape []int) (outer, length, inner int) {
	outer, length, inner = argMaxSplit(shape, op.Axis)
	if op.Mode == hardmaxFlat {
		length, inner = length*inner, 1
	}
	return outer, length, inner
}

func execHardmax(x *execCtx) error {
	in := x.vals[x.op.In[0]]
	outer, length, inner := hardmaxSplit(x.op, x.n.Values[x.op.In[0]].Shape)
	per := outer * length * inner
	clear(x.out[:x.bs*per])
	for b := 0; b < x.bs; b++ {
		src := in[b*per : (b+1)*per]
		dst := x.out[b*per : (b+1)*per]
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*length*inner + i
				best := 0
				for j := 1; j < length; j++ {
					if src[base+j*inner] > src[base+best*inner] {
						best = j
					}
				}
				dst[base+best*inner] = 1
			}
		}
	}
	return nil
}

func checkHardmax(x *checkCtx) error {
	in, out, op := x.in, x.out, x.op
	if op.Axis < 0 || op.Axis >= len(in.Shape) {
		return fmt.Errorf("axis %d of shape %v", op.Axis, in.Shape)
	}
	if out.Scale != 1 || out.Signed || out.size() != in.size() || x.ohi < 1 || op.Lo != 0 || op.Hi != 1 {
		return fmt.Errorf("output %v scale %g signed %v for input %v: not 0/1 codes", out.Shape, out.Scale, out.Signed, in.Shape)
	}
	return nil
}

func exportHardmax(x *exportCtx) error {
	if x.op.Mode == hardmaxFlat {
		return fmt.Errorf("Hardmax flattened around an axis (before opset 13) has no form at the exporter's opset 13")
	}
	x.w.node("Hardmax", []string{x.in}, x.tmp, attrI("axis", int64(x.op.Axis+1)))
	x.w.fname[x.op.Out] = x.tmp
	return nil
}

// hardmax builds Hardmax over per-sample axes (not the batch).
func (b *builder) hardmax(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	mode, def := 0, int64(-1)
	if b.p.opset < 13 {
		mode, def = hardmaxFlat, 1
	}
	axis, ok := b.perSampleAxis(n, int(attrInt(n, "axis", def)), len(vx.Shape))
	if !ok {
		return nil
	}
	if len(vx.Shape) == 0 {
		b.unsupported(n, "scalar input")
		return nil
	}
	v := b.newValue(n.Outputs[0], vx.Shape, 1, false)
	b.emit(Op{Kind: OpHardmax, Name: n.Name, In: []int{x}, Out: v, Axis: axis, Lo: 0, Hi: 1, Mode: mode})
	return nil
}

// perSampleAxis turns an ONNX axis of n's input (rank: the per-sample rank
// plus b.lead; negative counts from the end) into an axis of the per-sample
// value. The batch axis, or an axis outside the input, makes n unsupported
// (ok false).
func (b *builder) perSampleAxis(n *importer.Node, axis, rank int) (int, bool) {
	full := rank + b.lead
	if axis < 0 {
		axis += full
	}
	if axis < b.lead || axis >= full {
		if axis == 0 && b.lead == 1 {
			b.unsupported(n, fmt.Sprintf("axis 0 is the batch axis: %s", b.batchMoveWhy()))
		} else {
			b.unsupported(n, fmt.Sprintf("axis %d outside rank %d", axis, full))
		}
		return 0, false
	}
	return axis - b.lead, true
}
