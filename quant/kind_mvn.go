package quant

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// The integer op kind OpMVN: MeanVarianceNormalization over per-sample
// axes in fixed point, as LayerNorm's kind does it. For a group of D input
// codes x_i (scale s_x), the elements sharing their coordinates off the
// normalized axes:
//
//	S1 = Σ x_i, S2 = Σ x_i², V = D·S2 − S1²       (D²·variance/s_x²)
//	d_i = D·x_i − S1                              (D·(x_i − mean)/s_x)
//	n_i = round(d_i·2^16 / (√V + E))              (E = ε·D/s_x: ONNX's ε on the deviation)
//	y_i = clamp(round(n_i·2^-16/s_y))             (one Multiplier)
//
// √V is R = isqrt(V·4^k) ≈ √V·2^k (k as in LayerNorm), E is held as
// E·2^32 and added as ⌊E·2^32 / 2^(32−k)⌋, and the quotient is taken
// with a 128-bit product; a group of equal codes (V = 0) gives 0, as the
// float model does. Op fields: Table = the group of every per-sample
// element (interp.MVNGroups), Mult = [2^-16/s_y], Bias = E·2^32 as
// [low 31 bits, the rest].

// maxMVNEpsilon bounds E so that E·2^32 fits the op's two Bias words.
const maxMVNEpsilon = 1 << 20

func init() {
	registerKind(OpMVN, kindSpec{exec: execMVN, check: checkMVN, work: workMVN,
		export: func(*exportCtx) error {
			return fmt.Errorf("fixed-point MeanVarianceNormalization has no QDQ form in this exporter")
		}})
	registerBuilder("MeanVarianceNormalization", (*builder).mvn)
}

// mvnGroups is the number of groups of the op (its largest group index + 1).
func mvnGroups(op *Op) int {
	g := int32(-1)
	for _, t := range op.Table {
		g = max(g, t)
	}
	return int(g) + 1
}

func workMVN(n *Network, op *Op) DigitalWork {
	e := n.elems(op.Out)
	return DigitalWork{Adds: 2 * e, Requant: 2 * e, Activations: int64(mvnGroups(op))}
}

func execMVN(x *execCtx) error {
	op := x.op
	groups := mvnGroups(op)
	per := len(op.Table)
	d := int64(per / groups)
	e32 := uint64(op.Bias[0]) | uint64(op.Bias[1])<<31
	s1 := make([]int64, groups)
	s2 := make([]int64, groups)
	root := make([]uint64, groups)
	shift := make([]int, groups)
	for s := 0; s < x.bs; s++ {
		src := x.vals[op.In[0]][s*per : (s+1)*per]
		dst := x.out[s*per : (s+1)*per]
		clear(s1)
		clear(s2)
		for i, q := range src {
			g := op.Table[i]
			s1[g] += int64(q)
			s2[g] += int64(q) * int64(q)
		}
		for g := range root {
			v := uint64(d*s2[g] - s1[g]*s1[g])
			root[g], shift[g] = 0, 0
			if v == 0 {
				continue
			}
			k := max(0, (62-bits.Len64(v))/2)
			root[g], shift[g] = isqrt64(v<<(2*k))+e32>>(32-k), k
		}
		for i, q := range src {
			g := op.Table[i]
			n := int64(0)
			if root[g] > 0 {
				n = layerNormQ16(d*int64(q)-s1[g], root[g], shift[g])
			}
			dst[i] = clamp32(sat32(op.Mult[0].apply64(n)), op.Lo, op.Hi)
		}
	}
	return nil
}

func checkMVN(x *checkCtx) error {
	op, in, out := x.op, x.in, x.out
	if !slices.Equal(in.Shape, out.Shape) || len(op.Table) != in.size() || len(op.Mult) != 1 || len(op.Bias) != 2 {
		return fmt.Errorf("input %v output %v, %d groups entries, %d multipliers, %d epsilon words", in.Shape, out.Shape, len(op.Table), len(op.Mult), len(op.Bias))
	}
	if op.Bias[0] < 0 || op.Bias[1] < 0 || op.Bias[1] >= maxMVNEpsilon<<1 {
		return fmt.Errorf("epsilon words %v", op.Bias)
	}
	groups := mvnGroups(op)
	if groups < 1 || len(op.Table)%groups != 0 {
		return fmt.Errorf("%d elements in %d groups", len(op.Table), groups)
	}
	count := make([]int, groups)
	for _, g := range op.Table {
		if g < 0 {
			return fmt.Errorf("group %d", g)
		}
		count[g]++
	}
	d := len(op.Table) / groups
	for _, c := range count {
		if c != d {
			return fmt.Errorf("groups of unequal size %d and %d", c, d)
		}
	}
	if d > layerNormFeatureLimit(in.Bits) {
		return fmt.Errorf("groups of %d codes (at most %d for %d-bit codes)", d, layerNormFeatureLimit(in.Bits), in.Bits)
	}
	return nil
}

// mvn builds MeanVarianceNormalization over per-sample axes.
func (b *builder) mvn(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	full, err := interp.MVNAxes(n, len(vx.Shape)+b.lead)
	if err != nil {
		return fmt.Errorf("quant: %w", err)
	}
	var axes []int
	for _, a := range full {
		if a < b.lead {
			b.unsupported(n, fmt.Sprintf("axes %v include the batch axis: statistics over several samples, while the integer model runs every sample on its own", full))
			return nil
		}
		axes = append(axes, a-b.lead)
	}
	of, groups := interp.MVNGroups(vx.Shape, axes)
	if len(of) == 0 {
		b.unsupported(n, "empty input")
		return nil
	}
	d := len(of) / groups
	if d > layerNormFeatureLimit(vx.Bits) {
		b.unsupported(n, fmt.Sprintf("groups of %d codes (at most %d for %d-bit codes)", d, layerNormFeatureLimit(vx.Bits), vx.Bits))
		return nil
	}
	eps := interp.MVNEpsilon * float64(d) / vx.Scale
	if !(eps < maxMVNEpsilon) {
		b.unsupported(n, fmt.Sprintf("input scale %g too fine for the epsilon term", vx.Scale))
		return nil
	}
	e32 := uint64(math.Round(math.Ldexp(eps, 32)))
	out := n.Outputs[0]
	sy, signed, olo, ohi := b.encode(out, true, math.Inf(-1), math.Inf(1))
	v := b.newValue(out, vx.Shape, sy, signed)
	op := Op{Kind: OpMVN, Name: n.Name, In: []int{x}, Out: v, Lo: olo, Hi: ohi,
		Mult: []Multiplier{NewMultiplier(math.Ldexp(1, -layerNormFrac) / sy)},
		Bias: []int32{int32(e32 & (1<<31 - 1)), int32(e32 >> 31)}, Table: make([]int32, len(of))}
	for i, g := range of {
		op.Table[i] = int32(g)
	}
	b.emit(op)
	return nil
}
