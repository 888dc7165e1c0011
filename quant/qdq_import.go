package quant

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rramc/rramc/importer"
)

// IsQDQ reports whether m contains QuantizeLinear or DequantizeLinear nodes
// (a pre-quantized model for QuantizeQDQ).
func IsQDQ(m *importer.Model) bool {
	if m == nil || m.Graph == nil {
		return false
	}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "QuantizeLinear" || n.OpType == "DequantizeLinear" {
			return true
		}
	}
	return false
}

// QuantizeQDQ builds the integer network of a pre-quantized QDQ model (as
// written by onnxruntime's quantizer or by WriteQDQ). Weight initializers
// behind DequantizeLinear keep their codes and scales: they must be int8
// with zero point 0 (the two's complement crossbar holds nothing else), one
// scale per tensor or per output channel; anything else is an error naming
// the tensor. QuantizeLinear→DequantizeLinear pairs fix the scale and
// signedness of the activation they quantize (uint8 = unsigned, int8 =
// signed); a nonzero activation zero point z with scale s is converted to the
// symmetric scale covering the same real range, max(|q_min-z|, |q_max-z|)·s.
// Values without such a pair are calibrated on calib (which may be nil when
// every needed value has one). cfg supplies pruning and calibration settings;
// the bit widths come from the file's rramc metadata when present, else 8.
func QuantizeQDQ(m *importer.Model, calib *importer.Tensor, cfg Config) (*Network, error) {
	return quantizeQDQ(m, oneBatch(calib), cfg)
}

// quantizeQDQ is QuantizeQDQ with a calibration batch per graph input.
func quantizeQDQ(m *importer.Model, calib []*importer.Tensor, cfg Config) (*Network, error) {
	if m != nil {
		for key, dst := range map[string]*int{metaWBits: &cfg.WBits, metaABits: &cfg.ABits} {
			*dst = 8
			if v, ok := m.Metadata[key]; ok {
				b, err := strconv.Atoi(v)
				if err != nil || b < 2 || b > 8 {
					return nil, fmt.Errorf("quant: %w: metadata %s=%q", importer.ErrInvalidModel, key, v)
				}
				*dst = b
			}
		}
	}
	if calib == nil && cfg.Calib <= 0 {
		cfg.Calib = 1 // unused without data; keeps Validate's rule for real runs
	}
	p, err := prepareWith(m, calib, cfg, rewriteQDQ, false)
	if err != nil {
		return nil, err
	}
	return p.build(p.cfg)
}

// rewriteQDQ turns the QDQ graph into a float graph: constant
// DequantizeLinear nodes become float initializers (recording weight scales),
// QuantizeLinear→DequantizeLinear pairs become Identity (recording the
// activation encoding of the quantized value).
func rewriteQDQ(mc *importer.Model) (map[string]actSpec, map[string]weightSpec, error) {
	g := mc.Graph
	fixed := map[string]actSpec{}
	fixedW := map[string]weightSpec{}
	cons := consumers(g)
	drop := map[*importer.Node]bool{}
	bad := func(n *importer.Node, format string, args ...any) error {
		return fmt.Errorf("quant: %w: %s: %s", importer.ErrInvalidModel, nodeWhere(n), fmt.Sprintf(format, args...))
	}
	for _, n := range g.Nodes {
		if n.OpType != "DequantizeLinear" {
			continue
		}
		if len(n.Inputs) < 2 || len(n.Outputs) != 1 {
			return nil, nil, bad(n, "needs x and x_scale")
		}
		q := g.Initializers[n.Inputs[0]]
		if q == nil {
			continue // activation: handled with its QuantizeLinear below
		}
		if q.DType.IsFloat() || len(q.Int) != q.Len() {
			return nil, nil, bad(n, "input %q is not an integer tensor", n.Inputs[0])
		}
		scale, zp, err := qparams(g, n)
		if err != nil {
			return nil, nil, bad(n, "%v", err)
		}
		axis := int(attrInt(n, "axis", 1))
		if axis < 0 {
			axis += len(q.Shape)
		}
		if len(scale) > 1 && (axis < 0 || axis >= len(q.Shape) || q.Shape[axis] != len(scale)) {
			return nil, nil, bad(n, "%d scales along axis %d of %v", len(scale), axis, q.Shape)
		}
		isWeight := false
		for _, c := range cons[n.Outputs[0]] {
			if isLinearOp(c.OpType) && len(c.Inputs) > 1 && c.Inputs[1] == n.Outputs[0] {
				isWeight = true
			}
		}
		name := n.Inputs[0]
		if isWeight {
			switch q.DType {
			case importer.Int8:
			case importer.Uint8:
				return nil, nil, bad(n, "weight %q is uint8: the two's complement crossbar needs int8 weights with zero point 0", name)
			default:
				return nil, nil, bad(n, "weight %q is %v: wider than the 8 bits a crossbar weight can have", name, q.DType)
			}
			for _, z := range zp {
				if z != 0 {
					return nil, nil, bad(n, "weight %q has zero point %d: the two's complement crossbar needs zero point 0", name, z)
				}
			}
			ws := weightSpec{axis: axis}
			for _, s := range scale {
				ws.scales = append(ws.scales, float64(s))
			}
			fixedW[n.Outputs[0]] = ws
		}
		// dequantize to a float initializer under the node's output name
		inner := 1
		for _, d := range q.Shape[min(axis+1, len(q.Shape)):] {
			inner *= d
		}
		t := &importer.Tensor{DType: importer.Float, Shape: append([]int(nil), q.Shape...), Float: make([]float32, len(q.Int))}
		for i, v := range q.Int {
			c := 0
			if len(scale) > 1 {
				c = (i / inner) % len(scale)
			}
			z := int64(0)
			if len(zp) > 0 {
				z = zp[min(c, len(zp)-1)]
			}
			t.Float[i] = float32(float64(v-z) * float64(scale[c]))
		}
		g.Initializers[n.Outputs[0]] = t
		drop[n] = true
	}
	for _, n := range g.Nodes {
		if n.OpType != "QuantizeLinear" {
			continue
		}
		if len(n.Inputs) < 2 || len(n.Outputs) != 1 {
			return nil, nil, bad(n, "needs x and y_scale")
		}
		scale, zp, err := qparams(g, n)
		if err != nil {
			return nil, nil, bad(n, "%v", err)
		}
		if len(scale) != 1 {
			return nil, nil, bad(n, "per-axis activation quantization is not supported")
		}
		signed := true
		if zt := g.Initializers[n.Inputs[min(2, len(n.Inputs)-1)]]; len(n.Inputs) > 2 && zt != nil {
			switch zt.DType {
			case importer.Uint8:
				signed = false
			case importer.Int8:
			default:
				return nil, nil, bad(n, "activation type %v (int8/uint8 only)", zt.DType)
			}
		} else {
			signed = false // ONNX default zero point is uint8 0
		}
		z := int64(0)
		if len(zp) > 0 {
			z = zp[0]
		}
		qlo, qhi := codeRange(8, signed)
		s := float64(scale[0])
		spec := actSpec{lo: float64(int64(qlo)-z) * s, hi: float64(int64(qhi)-z) * s, signed: signed, scale: s}
		if z != 0 {
			// symmetric scale covering the same real range
			spec.signed = spec.lo < 0
			r := math.Max(math.Abs(spec.lo), math.Abs(spec.hi))
			_, m := codeRange(8, spec.signed)
			spec.scale = float64(float32(r / float64(m)))
		}
		for _, c := range cons[n.Outputs[0]] {
			if c.OpType != "DequantizeLinear" {
				return nil, nil, bad(n, "output feeds %s; only DequantizeLinear may consume quantized values", nodeWhere(c))
			}
			// the pair becomes Identity(x) -> DequantizeLinear output
			c.OpType, c.Inputs, c.Attrs = "Identity", []string{n.Inputs[0]}, map[string]*importer.Attr{}
		}
		x := n.Inputs[0]
		if prev, ok := fixed[x]; ok && prev != spec {
			return nil, nil, bad(n, "value %q is quantized twice with different parameters", x)
		}
		fixed[x] = spec
		drop[n] = true
	}
	// A Clip right before a QuantizeLinear (WriteQDQ's narrow ranges) fixes
	// its input too when nothing else does: the graph input of an A < 8 bit
	// network is quantized after such a Clip.
	for _, n := range g.Nodes {
		if n.OpType != "Clip" || len(n.Inputs) == 0 || len(n.Outputs) != 1 {
			continue
		}
		spec, ok := fixed[n.Outputs[0]]
		x := n.Inputs[0]
		if _, has := fixed[x]; !ok || has || len(cons[x]) != 1 {
			continue
		}
		fixed[x] = spec
	}
	// a DequantizeLinear left without a constant or a QuantizeLinear input
	for _, n := range g.Nodes {
		if n.OpType == "DequantizeLinear" && !drop[n] {
			return nil, nil, bad(n, "input %q is neither a constant nor a QuantizeLinear output", n.Inputs[0])
		}
	}
	kept := g.Nodes[:0]
	for _, n := range g.Nodes {
		if !drop[n] {
			kept = append(kept, n)
		}
	}
	g.Nodes = kept
	return fixed, fixedW, nil
}

// qparams reads the constant scale and zero point inputs of a
// Quantize/DequantizeLinear node.
func qparams(g *importer.Graph, n *importer.Node) (scale []float32, zp []int64, err error) {
	st := g.Initializers[n.Inputs[1]]
	if st == nil || !st.DType.IsFloat() || len(st.Float) == 0 {
		return nil, nil, fmt.Errorf("scale %q is not a constant float tensor", n.Inputs[1])
	}
	for _, s := range st.Float {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, nil, fmt.Errorf("scale %q has value %g", n.Inputs[1], s)
		}
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		zt := g.Initializers[n.Inputs[2]]
		if zt == nil || zt.DType.IsFloat() {
			return nil, nil, fmt.Errorf("zero point %q is not a constant integer tensor", n.Inputs[2])
		}
		if len(zt.Int) != len(st.Float) {
			return nil, nil, fmt.Errorf("zero point %q has %d values for %d scales", n.Inputs[2], len(zt.Int), len(st.Float))
		}
		zp = zt.Int
	}
	return st.Float, zp, nil
}

// QuantizeAny quantizes m with QuantizeQDQ when it is a pre-quantized QDQ
// model (IsQDQ) and with Quantize otherwise: the entry point for tools that
// accept both.
func QuantizeAny(m *importer.Model, calib *importer.Tensor, cfg Config) (*Network, error) {
	return QuantizeInputs(m, oneBatch(calib), cfg)
}
