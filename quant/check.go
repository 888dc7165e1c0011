package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// check validates the structure of a Network before it runs: every index in
// range, every size consistent, so that a hand-built or decoded network gives
// an error instead of a panic.
func (n *Network) check() error {
	nv := len(n.Values)
	if nv == 0 || len(n.Outputs) == 0 || len(n.Outputs) > nv {
		return fmt.Errorf("quant: network: %d outputs for %d values", len(n.Outputs), nv)
	}
	for _, o := range n.Outputs {
		if o.Value < 0 || o.Value >= nv {
			return fmt.Errorf("quant: network: output %q: value %d outside %d values", o.Name, o.Value, nv)
		}
		if o.Post != "" && o.Post != "Softmax" && o.Post != "LogSoftmax" {
			return fmt.Errorf("quant: network: output %q: post op %q", o.Name, o.Post)
		}
	}
	if len(n.Inputs) == 0 || len(n.Inputs) > nv {
		return fmt.Errorf("quant: network: %d inputs for %d values", len(n.Inputs), nv)
	}
	written := make([]bool, nv)
	for _, in := range n.Inputs {
		if in.Value < 0 || in.Value >= nv || written[in.Value] {
			return fmt.Errorf("quant: network: input %q: value %d outside %d values or taken by another input", in.Name, in.Value, nv)
		}
		written[in.Value] = true
	}
	for _, dt := range n.ioTypes() {
		if dt != importer.Undefined && !dt.IsFloat() && !dt.IsWhole() {
			return fmt.Errorf("quant: network: input or output element type %v", dt)
		}
	}
	for i := range n.Values {
		v := &n.Values[i]
		if (v.Bits < 2 || v.Bits > 8) && v.Bits != digitalBits {
			return fmt.Errorf("quant: value %q: %d bits", v.Name, v.Bits)
		}
		if !(v.Scale > 0) {
			return fmt.Errorf("quant: value %q: scale %g", v.Name, v.Scale)
		}
		sz := 1
		for _, d := range v.Shape {
			if d <= 0 || sz > 1<<28/d {
				return fmt.Errorf("quant: value %q: bad shape %v", v.Name, v.Shape)
			}
			sz *= d
		}
	}
	for i, l := range n.Linears {
		if l.Index != i {
			return fmt.Errorf("quant: linear %q: index %d at position %d", l.Name, l.Index, i)
		}
		if l.K <= 0 || l.N <= 0 || l.Groups <= 0 || len(l.Weights) != l.Groups || l.K > 1<<24 || l.N > 1<<24 {
			return fmt.Errorf("quant: linear %q: K=%d N=%d groups=%d with %d weight groups", l.Name, l.K, l.N, l.Groups, len(l.Weights))
		}
		if l.WBits < 2 || l.WBits > 8 {
			return fmt.Errorf("quant: linear %q: %d-bit weights (2..8)", l.Name, l.WBits)
		}
		if len(l.WScale) != 1 && len(l.WScale) != l.Groups*l.N {
			return fmt.Errorf("quant: linear %q: %d weight scales for %d channels", l.Name, len(l.WScale), l.Groups*l.N)
		}
		wlo, whi := codeRange(l.WBits, true)
		for g, w := range l.Weights {
			if len(w) != l.K*l.N {
				return fmt.Errorf("quant: linear %q group %d: %d weights for %d×%d", l.Name, g, len(w), l.K, l.N)
			}
			for _, v := range w {
				if v < wlo || v > whi {
					return fmt.Errorf("quant: linear %q group %d: weight %d outside %d-bit range", l.Name, g, v, l.WBits)
				}
			}
		}
	}
	for i := range n.Ops {
		op := &n.Ops[i]
		if err := n.checkOp(op, written); err != nil {
			return fmt.Errorf("quant: op %d (%s %q): %w", i, op.Kind, op.Name, err)
		}
		written[op.Out] = true
	}
	for _, o := range n.Outputs {
		if !written[o.Value] {
			return fmt.Errorf("quant: output %q: value %d is never written", o.Name, o.Value)
		}
	}
	return nil
}

func (n *Network) checkOp(op *Op, written []bool) error {
	nv := len(n.Values)
	if op.Out < 0 || op.Out >= nv || n.isInput(op.Out) {
		return fmt.Errorf("output value %d invalid", op.Out)
	}
	if written[op.Out] {
		return fmt.Errorf("value %d written twice", op.Out)
	}
	spec := kinds[op.Kind]
	if spec == nil {
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	if op.Mode < 0 || op.Mode >= max(spec.modes, 1) {
		return fmt.Errorf("mode %d of op kind %s", op.Mode, op.Kind)
	}
	wantIn := spec.inputs
	if wantIn == 0 {
		wantIn = 1
	}
	if wantIn > 0 && len(op.In) != wantIn || len(op.In) == 0 {
		return fmt.Errorf("%d inputs", len(op.In))
	}
	for _, v := range op.In {
		if v < 0 || v >= nv || !written[v] {
			return fmt.Errorf("input value %d not available", v)
		}
	}
	in := &n.Values[op.In[0]]
	out := &n.Values[op.Out]
	if op.Lo > op.Hi {
		return fmt.Errorf("clamp range [%d, %d]", op.Lo, op.Hi)
	}
	olo, ohi := out.Range()
	if !spec.keepsEncoding && (op.Lo < olo || op.Hi > ohi) {
		return fmt.Errorf("clamp range [%d, %d] outside output codes [%d, %d]", op.Lo, op.Hi, olo, ohi)
	}
	if spec.check == nil {
		return fmt.Errorf("op kind %s has no check", op.Kind)
	}
	return spec.check(&checkCtx{n: n, op: op, in: in, out: out, olo: olo, ohi: ohi})
}

func checkWindow(w *Window, in *Value) error {
	if w == nil {
		return fmt.Errorf("missing window")
	}
	if len(in.Shape) != 3 || in.Shape[0] != w.InC || in.Shape[1] != w.InH || in.Shape[2] != w.InW {
		return fmt.Errorf("input shape %v does not match window input [%d %d %d]", in.Shape, w.InC, w.InH, w.InW)
	}
	if w.KH <= 0 || w.KW <= 0 || w.StrideH <= 0 || w.StrideW <= 0 || w.DilH <= 0 || w.DilW <= 0 ||
		w.PadT < 0 || w.PadL < 0 || w.PadB < 0 || w.PadR < 0 || w.OutH <= 0 || w.OutW <= 0 ||
		w.KH > 1<<12 || w.KW > 1<<12 || w.PadT > 1<<12 || w.PadL > 1<<12 || w.PadB > 1<<12 || w.PadR > 1<<12 {
		return fmt.Errorf("bad window %+v", *w)
	}
	// every output position must lie inside the padded input
	if (w.OutH-1)*w.StrideH+(w.KH-1)*w.DilH >= w.InH+w.PadT+w.PadB+w.StrideH ||
		(w.OutW-1)*w.StrideW+(w.KW-1)*w.DilW >= w.InW+w.PadL+w.PadR+w.StrideW {
		return fmt.Errorf("output %d×%d too large for window %+v", w.OutH, w.OutW, *w)
	}
	return nil
}

// ioTypes are the element types of every input and every output.
func (n *Network) ioTypes() []importer.DataType {
	dts := make([]importer.DataType, 0, len(n.Inputs)+len(n.Outputs))
	for _, in := range n.Inputs {
		dts = append(dts, in.DType)
	}
	for _, o := range n.Outputs {
		dts = append(dts, o.DType)
	}
	return dts
}
