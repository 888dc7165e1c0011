package quant

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpLayerNorm: LayerNormalization over the trailing axes
// (from its axis to the last: one row of D codes) in fixed point, the same
// integers in the golden model and the simulator.
//
// For one row of D input codes x_i (scale s_x):
//
//	S1 = Σ x_i, S2 = Σ x_i², V = D·S2 − S1² + E   (E = round(ε·D²/s_x²))
//	d_i = D·x_i − S1                              (D²·variance = V − E)
//	n_i = round(d_i·2^16 / √V)                    (the normalized value, Q16)
//	y_i = clamp(±M_i(n_i) + Bias_i)               (M_i = |γ_i|/(s_y·2^16), Bias_i = round(β_i/s_y))
//
// √V is computed as R = isqrt(V·4^k) ≈ √V·2^k with k chosen so that R has
// about 31 significant bits, and n_i = round(|d_i|·2^(16+k) / R) with a
// 128-bit product and quotient, so no step overflows or depends on float
// arithmetic. Op fields: Mult, Neg, Bias per feature; Table = E as
// [E mod 2^31] or, when E ≥ 2^31 (a fine scale: digitalBits-wide input),
// [E mod 2^31, ⌊E/2^31⌋].

// layerNormFrac is the number of fraction bits of the normalized value n_i.
const layerNormFrac = 16

// maxLayerNormFeatures bounds D so that every intermediate fits: for 8-bit
// codes |d_i| < 2^29, V < 2^62, |n_i| ≤ √D·2^16 < 2^26.
const maxLayerNormFeatures = 1 << 20

// maxWideLayerNormFeatures is the bound for digitalBits-wide input codes:
// V ≤ D²·2^30 < 2^62, |n_i| ≤ √D·2^16 < 2^24.
const maxWideLayerNormFeatures = 1 << 15

// layerNormFeatureLimit is the largest D for input codes of the given width.
func layerNormFeatureLimit(bits int) int {
	if bits > 8 {
		return maxWideLayerNormFeatures
	}
	return maxLayerNormFeatures
}

// layerNormEps reads E from the op's Table (see the kind's comment).
func layerNormEps(op *Op) int64 {
	e := int64(op.Table[0])
	if len(op.Table) > 1 {
		e += int64(op.Table[1]) << 31
	}
	return e
}

func init() {
	registerKind(OpLayerNorm, kindSpec{exec: execLayerNorm, check: checkLayerNorm, export: exportLayerNorm, work: workLayerNorm})
	registerBuilder("LayerNormalization", (*builder).layerNorm)
}

func execLayerNorm(x *execCtx) error {
	op := x.op
	in := x.vals[op.In[0]]
	d := len(op.Mult)
	eps := layerNormEps(op)
	for r := 0; r+d <= len(in); r += d {
		layerNormRow(in[r:r+d], x.out[r:r+d], op, eps)
	}
	return nil
}

// layerNormRow normalizes one row (see the kind's comment).
func layerNormRow(x, y []int32, op *Op, eps int64) {
	s1, root, k := layerNormStats(x, eps)
	d := int64(len(x))
	for i, xi := range x {
		n := int64(0)
		if root > 0 {
			n = layerNormQ16(d*int64(xi)-s1, root, k)
		}
		if op.Neg[i] {
			n = -n
		}
		y[i] = clamp32(sat32(op.Mult[i].apply64(n)+int64(op.Bias[i])), op.Lo, op.Hi)
	}
}

// layerNormStats returns the row sum S1 and R = isqrt(V·4^k) with its k
// (R = 0 for V = 0: a constant row and ε = 0, every deviation is 0).
func layerNormStats(x []int32, eps int64) (s1 int64, root uint64, k int) {
	d := int64(len(x))
	var s2 int64
	for _, v := range x {
		s1 += int64(v)
		s2 += int64(v) * int64(v)
	}
	v := uint64(d*s2 - s1*s1 + eps)
	if v == 0 {
		return s1, 0, 0
	}
	k = max(0, (62-bits.Len64(v))/2)
	return s1, isqrt64(v << (2 * k)), k
}

// layerNormQ16 is round(dev·2^(16+k) / root), half up on the magnitude:
// the deviation dev = D·x_i − S1 divided by √V, in Q16.
func layerNormQ16(dev int64, root uint64, k int) int64 {
	mag := uint64(dev)
	if dev < 0 {
		mag = uint64(-dev)
	}
	hi, lo := bits.Mul64(mag, 1<<(layerNormFrac+k))
	q, rem := bits.Div64(hi, lo, root)
	if rem >= root-rem {
		q++
	}
	if dev < 0 {
		return -int64(q)
	}
	return int64(q)
}

// isqrt64 is ⌊√v⌋ exactly.
func isqrt64(v uint64) uint64 {
	r := uint64(math.Sqrt(float64(v)))
	for r > 0 && (r > math.MaxUint32 || r*r > v) {
		r--
	}
	for r+1 <= math.MaxUint32 && (r+1)*(r+1) <= v {
		r++
	}
	return r
}

func checkLayerNorm(x *checkCtx) error {
	op, in, out := x.op, x.in, x.out
	d := len(op.Mult)
	if !trailingProduct(in.Shape, d) || d > layerNormFeatureLimit(in.Bits) || in.size() != out.size() {
		return fmt.Errorf("%d features for input %v, output %v", d, in.Shape, out.Shape)
	}
	if len(op.Neg) != d || len(op.Bias) != d || len(op.Table) < 1 || len(op.Table) > 2 || slices.Min(op.Table) < 0 ||
		len(op.Table) == 2 && op.Table[1] >= 1<<24 {
		return fmt.Errorf("%d/%d/%d parameters for %d features", len(op.Neg), len(op.Bias), len(op.Table), d)
	}
	return nil
}

// trailingProduct reports whether d is the product of the last k ≥ 1 axes
// of shape: a row the normalization can read.
func trailingProduct(shape []int, d int) bool {
	if d <= 0 {
		return false
	}
	p := 1
	for i := len(shape) - 1; i >= 0; i-- {
		p *= shape[i]
		if p == d {
			return true
		}
		if p > d || p == 0 {
			return false
		}
	}
	return false
}

func exportLayerNorm(x *exportCtx) error {
	return fmt.Errorf("fixed-point LayerNormalization has no QDQ form at the exporter's opset 13")
}

// workLayerNorm: per element a square and the normalization's product
// (two multiplications), two additions (the row's sum and sum of squares),
// and per row one square root (counted as an activation).
func workLayerNorm(n *Network, op *Op) DigitalWork {
	e := n.elems(op.Out)
	return DigitalWork{Requant: 2 * e, Adds: 2 * e, Activations: e / int64(max(1, len(op.Mult)))}
}

// layerNorm builds OpLayerNorm for a LayerNormalization with constant scale
// and shift. It normalizes over the axes from axis to the last, which the
// op sees as one row of D codes (their product): the statistics are the
// same whatever the row's shape, and the scale and shift are expanded to
// one value per element of the row. An axis reaching the batch axis is
// refused: its statistics would mix samples, and the integer model runs
// each sample on its own.
func (b *builder) layerNorm(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	if slices.ContainsFunc(n.Outputs[min(1, len(n.Outputs)):], func(o string) bool { return o != "" }) {
		b.unsupported(n, "the Mean and InvStdDev outputs (the row statistics a training graph keeps) have no integer kind; only Y is computed")
		return nil
	}
	vx := b.net.Values[x]
	r := len(vx.Shape) + b.lead
	axis := int(attrInt(n, "axis", -1))
	if axis < 0 {
		axis += r
	}
	first := axis - b.lead // the first normalized axis of the per-sample shape
	if axis < 0 || axis >= r || first < 0 || len(vx.Shape) == 0 {
		b.unsupported(n, fmt.Sprintf("normalization over axis %d of rank %d includes the batch axis: statistics over several samples, while the integer model runs every sample on its own", axis, r))
		return nil
	}
	rowShape := vx.Shape[first:]
	d := importer.NumElements(rowShape)
	if d == 0 {
		b.unsupported(n, fmt.Sprintf("empty normalized shape %v", rowShape))
		return nil
	}
	gamma, okg := layerNormParam(b.g, n.Inputs[1], rowShape)
	var beta []float32
	okb := true
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		beta, okb = layerNormParam(b.g, n.Inputs[2], rowShape)
	}
	if !okg || !okb {
		b.unsupported(n, fmt.Sprintf("scale and shift must be constants that broadcast to the normalized shape %v", rowShape))
		return nil
	}
	if limit := layerNormFeatureLimit(vx.Bits); d > limit {
		b.unsupported(n, fmt.Sprintf("%d features (at most %d for %d-bit input)", d, limit, vx.Bits))
		return nil
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	sy, signed, lo, hi := b.encode(n.Outputs[0], true, math.Inf(-1), math.Inf(1))
	v := b.newValue(n.Outputs[0], vx.Shape, sy, signed)
	op := Op{Kind: OpLayerNorm, Name: n.Name, In: []int{x}, Out: v, Lo: lo, Hi: hi,
		Mult: make([]Multiplier, d), Neg: make([]bool, d), Bias: make([]int32, d)}
	for i := 0; i < d; i++ {
		g := float64(gamma[i])
		op.Mult[i] = NewMultiplier(math.Abs(g) / (sy * (1 << layerNormFrac)))
		op.Neg[i] = g < 0
		if beta != nil {
			op.Bias[i] = roundSat32(float64(beta[i]) / sy)
		}
	}
	// E below 2^55 keeps V < 2^62 (ε far above the variance is clamped)
	e := int64(math.Min(math.Round(eps*float64(d)*float64(d)/(vx.Scale*vx.Scale)), 1<<55-1))
	op.Table = []int32{int32(e & (1<<31 - 1))}
	if e >= 1<<31 {
		op.Table = append(op.Table, int32(e>>31))
	}
	b.emit(op)
	return nil
}

// layerNormParam reads a constant scale or shift and expands it to one
// value per element of the normalized shape (ONNX broadcasts it there).
func layerNormParam(g *importer.Graph, name string, rowShape []int) ([]float32, bool) {
	t := g.Initializers[name]
	if t == nil || !t.DType.IsFloat() {
		return nil, false
	}
	return expandConst(t, rowShape, 0)
}
