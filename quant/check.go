package quant

import "fmt"

// check validates the structure of a Network before it runs: every index in
// range, every size consistent, so that a hand-built or decoded network gives
// an error instead of a panic.
func (n *Network) check() error {
	nv := len(n.Values)
	if nv == 0 || n.Input < 0 || n.Input >= nv || n.Output < 0 || n.Output >= nv {
		return fmt.Errorf("quant: network: input %d / output %d outside %d values", n.Input, n.Output, nv)
	}
	for i := range n.Values {
		v := &n.Values[i]
		if v.Bits < 2 || v.Bits > 8 {
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
	written := make([]bool, nv)
	written[n.Input] = true
	for i := range n.Ops {
		op := &n.Ops[i]
		if err := n.checkOp(op, written); err != nil {
			return fmt.Errorf("quant: op %d (%s %q): %w", i, op.Kind, op.Name, err)
		}
		written[op.Out] = true
	}
	if !written[n.Output] {
		return fmt.Errorf("quant: output value %d is never written", n.Output)
	}
	return nil
}

func (n *Network) checkOp(op *Op, written []bool) error {
	nv := len(n.Values)
	if op.Out < 0 || op.Out >= nv || op.Out == n.Input {
		return fmt.Errorf("output value %d invalid", op.Out)
	}
	if written[op.Out] {
		return fmt.Errorf("value %d written twice", op.Out)
	}
	wantIn := 1
	switch op.Kind {
	case OpAdd:
		wantIn = 2
	case OpConcat:
		wantIn = -1
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
	if op.Kind != OpReshape && op.Kind != OpTranspose && (op.Lo < olo || op.Hi > ohi) {
		return fmt.Errorf("clamp range [%d, %d] outside output codes [%d, %d]", op.Lo, op.Hi, olo, ohi)
	}
	switch op.Kind {
	case OpLinear:
		if op.Linear < 0 || op.Linear >= len(n.Linears) {
			return fmt.Errorf("linear index %d", op.Linear)
		}
		l := n.Linears[op.Linear]
		if l.ABits != in.Bits || l.InputSigned != in.Signed {
			return fmt.Errorf("layer %q expects %d-bit signed=%v input, value has %d-bit signed=%v", l.Name, l.ABits, l.InputSigned, in.Bits, in.Signed)
		}
		cout := l.Groups * l.N
		if len(op.Bias) != cout || (len(op.Mult) != 1 && len(op.Mult) != cout) {
			return fmt.Errorf("%d biases, %d multipliers for %d channels", len(op.Bias), len(op.Mult), cout)
		}
		if op.Win == nil {
			if l.Groups != 1 || in.size()%l.K != 0 || out.size() != in.size()/l.K*l.N {
				return fmt.Errorf("input %v / output %v do not match K=%d N=%d", in.Shape, out.Shape, l.K, l.N)
			}
			return nil
		}
		w := op.Win
		if err := checkWindow(w, in); err != nil {
			return err
		}
		if w.InC%l.Groups != 0 || l.K != w.InC/l.Groups*w.KH*w.KW {
			return fmt.Errorf("K=%d does not match %d channels / %d groups × %d×%d", l.K, w.InC, l.Groups, w.KH, w.KW)
		}
		if len(out.Shape) != 3 || out.Shape[0] != cout || out.Shape[1] != w.OutH || out.Shape[2] != w.OutW {
			return fmt.Errorf("output shape %v, want [%d %d %d]", out.Shape, cout, w.OutH, w.OutW)
		}
	case OpAdd:
		if len(op.Mult) != 3 || in.size() != out.size() || n.Values[op.In[1]].size() != out.size() {
			return fmt.Errorf("operand sizes %d, %d -> %d", in.size(), n.Values[op.In[1]].size(), out.size())
		}
	case OpMaxPool, OpAvgPool:
		if err := checkWindow(op.Win, in); err != nil {
			return err
		}
		w := op.Win
		if len(out.Shape) != 3 || out.Shape[0] != w.InC || out.Shape[1] != w.OutH || out.Shape[2] != w.OutW {
			return fmt.Errorf("output shape %v", out.Shape)
		}
	case OpGlobalAvg, OpGlobalMax:
		if len(in.Shape) < 1 || out.size() != in.Shape[0] {
			return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
		}
	case OpClamp, OpReshape:
		if in.size() != out.size() {
			return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
		}
		if op.Kind == OpReshape && (in.Scale != out.Scale || in.Bits != out.Bits || in.Signed != out.Signed) {
			return fmt.Errorf("reshape changes the encoding")
		}
	case OpTranspose:
		if in.Scale != out.Scale || in.Bits != out.Bits || in.Signed != out.Signed {
			return fmt.Errorf("transpose changes the encoding")
		}
		if len(op.Perm) != len(in.Shape) || len(out.Shape) != len(in.Shape) {
			return fmt.Errorf("perm %v for shape %v", op.Perm, in.Shape)
		}
		seen := make([]bool, len(op.Perm))
		for i, p := range op.Perm {
			if p < 0 || p >= len(seen) || seen[p] || out.Shape[i] != in.Shape[p] {
				return fmt.Errorf("perm %v for shape %v -> %v", op.Perm, in.Shape, out.Shape)
			}
			seen[p] = true
		}
	case OpConcat:
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
	case OpAffine:
		if len(in.Shape) < 1 || in.size() != out.size() {
			return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
		}
		c := in.Shape[0]
		if len(op.Mult) != c || len(op.Bias) != c || len(op.Neg) != c {
			return fmt.Errorf("%d channels, %d/%d/%d parameters", c, len(op.Mult), len(op.Bias), len(op.Neg))
		}
	case OpLUT:
		lo, hi := in.Range()
		if len(op.Table) != int(hi-lo)+1 || in.size() != out.size() {
			return fmt.Errorf("table of %d entries for codes [%d, %d]", len(op.Table), lo, hi)
		}
		for _, t := range op.Table {
			if t < olo || t > ohi {
				return fmt.Errorf("table entry %d outside output codes", t)
			}
		}
	default:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	return nil
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
