package quant

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// The integer op kind OpLRN: local response normalization across channels
// (LRN) in fixed point. For input codes q (scale s) of [C, ...] per sample,
// at every position:
//
//	S = Σ_{i ∈ window(c)} q_i²                    (exact, 64-bit)
//	y = clamp(round(q·F(S) / 2^f))                  F(S) ≈ 2^f·(s/s_y)·(bias + α/size·s²·S)^(−β)
//
// F is a table read by a short floating-point index of S: S itself below
// 2^lrnMant, otherwise its lrnMant leading bits and its exponent, each
// entry computed once (in float64, rounded to an integer) at the middle of
// the range of S it stands for. S is thus known to 2^−lrnMant relative,
// the power to β·2^−lrnMant, and an output code is within
// ½ + |y|·β·2^−lrnMant + 2^−f·|q|/2 of the exact value (for 8-bit codes
// and β = 0.75, ½ + 0.03 codes). The window of channels is interp's
// (LRNWindow), one definition for both models. Op fields: Table = F;
// Perm = [size, f].

// lrnMant is the number of leading bits of S the table distinguishes.
const lrnMant = 12

// maxLRNSize bounds the window so that S stays far below 2^63 for
// digitalBits-wide codes.
const maxLRNSize = 1 << 20

func init() {
	registerKind(OpLRN, kindSpec{exec: execLRN, check: checkLRN, work: workLRN,
		export: func(*exportCtx) error { return fmt.Errorf("fixed-point LRN has no QDQ form in this exporter") }})
	registerBuilder("LRN", (*builder).lrn)
}

// lrnIndex is the table index of a sum of squares S ≥ 0.
func lrnIndex(s int64) int {
	if s < 1<<lrnMant {
		return int(s)
	}
	e := bits.Len64(uint64(s)) - lrnMant
	m := int(s >> e)
	return 1<<lrnMant + (e-1)<<(lrnMant-1) + m - 1<<(lrnMant-1)
}

// lrnRepresentative is the value of S the entry at index idx is computed
// for: S itself, or the middle of the range of sums sharing the index.
func lrnRepresentative(idx int) float64 {
	if idx < 1<<lrnMant {
		return float64(idx)
	}
	r := idx - 1<<lrnMant
	e := r>>(lrnMant-1) + 1
	m := r&(1<<(lrnMant-1)-1) + 1<<(lrnMant-1)
	return (float64(m) + 0.5) * math.Ldexp(1, e)
}

// lrnMaxSum is the largest S for codes in [lo, hi] and a window of size.
func lrnMaxSum(lo, hi int32, size int) int64 {
	m := max(int64(-lo), int64(hi))
	return int64(size) * m * m
}

func workLRN(n *Network, op *Op) DigitalWork {
	if len(op.Perm) != 2 {
		return DigitalWork{}
	}
	e := n.elems(op.Out)
	return DigitalWork{Adds: int64(op.Perm[0]) * e, Requant: e, Activations: e}
}

func execLRN(x *execCtx) error {
	op := x.op
	in := &x.n.Values[op.In[0]]
	channels, plane := in.Shape[0], in.size()/in.Shape[0]
	size, frac := op.Perm[0], uint(op.Perm[1])
	per := in.size()
	half := int64(0)
	if frac > 0 {
		half = 1 << (frac - 1)
	}
	for s := 0; s < x.bs; s++ {
		src := x.vals[op.In[0]][s*per : (s+1)*per]
		dst := x.out[s*per : (s+1)*per]
		for c := 0; c < channels; c++ {
			lo, hi := interp.LRNWindow(c, channels, size)
			for i := 0; i < plane; i++ {
				var sum int64
				for k := lo; k <= hi; k++ {
					v := int64(src[k*plane+i])
					sum += v * v
				}
				q := int64(src[c*plane+i])
				f := int64(op.Table[lrnIndex(sum)])
				mag := (abs64(q)*f + half) >> frac
				if q < 0 {
					mag = -mag
				}
				dst[c*plane+i] = clamp32(sat32(mag), op.Lo, op.Hi)
			}
		}
	}
	return nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func checkLRN(x *checkCtx) error {
	op, in, out := x.op, x.in, x.out
	if len(in.Shape) < 1 || in.Shape[0] < 1 || in.size() != out.size() || len(out.Shape) != len(in.Shape) {
		return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
	}
	if len(op.Perm) != 2 || op.Perm[0] < 1 || op.Perm[0] > maxLRNSize || op.Perm[1] < 0 || op.Perm[1] > 40 {
		return fmt.Errorf("window and fraction bits %v", op.Perm)
	}
	lo, hi := in.Range()
	if want := lrnIndex(lrnMaxSum(lo, hi, op.Perm[0])) + 1; len(op.Table) != want {
		return fmt.Errorf("%d table entries, want %d", len(op.Table), want)
	}
	for _, f := range op.Table {
		if f < 0 {
			return fmt.Errorf("negative table entry %d", f)
		}
	}
	return nil
}

// lrn builds LRN over the channels of [C, ...] per sample.
func (b *builder) lrn(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	p, err := interp.LRNAttrs(n)
	if err != nil {
		return fmt.Errorf("quant: %s: %w", nodeWhere(n), err)
	}
	if len(vx.Shape) < 1 {
		b.unsupported(n, "input has no channel axis")
		return nil
	}
	if p.Size > maxLRNSize {
		b.unsupported(n, fmt.Sprintf("window of %d channels (at most %d)", p.Size, maxLRNSize))
		return nil
	}
	out := n.Outputs[0]
	sy, signed, olo, ohi := b.encode(out, vx.Signed, math.Inf(-1), math.Inf(1))
	v := b.newValue(out, vx.Shape, sy, signed)
	lo, hi := vx.Range()
	entries := lrnIndex(lrnMaxSum(lo, hi, p.Size)) + 1
	factor := func(idx int) float64 {
		d := p.Bias + p.Alpha/float64(p.Size)*vx.Scale*vx.Scale*lrnRepresentative(idx)
		if d == 0 {
			return 0 // S = 0 and bias 0: the code itself is 0
		}
		return vx.Scale / sy * math.Pow(d, -p.Beta)
	}
	largest := 0.0
	for i := 0; i < entries; i++ {
		f := factor(i)
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			b.unsupported(n, fmt.Sprintf("(bias + alpha/size·sum)^-beta is not a finite positive number (bias %g, beta %g)", p.Bias, p.Beta))
			return nil
		}
		largest = math.Max(largest, f)
	}
	// the most fraction bits that keep every entry below 2^30
	frac := 40
	for frac > 0 && largest*math.Ldexp(1, frac) >= 1<<30 {
		frac--
	}
	if largest*math.Ldexp(1, frac) >= 1<<30 {
		b.unsupported(n, "the normalization factor exceeds 2^30 output codes per input code")
		return nil
	}
	op := Op{Kind: OpLRN, Name: n.Name, In: []int{x}, Out: v, Lo: olo, Hi: ohi, Perm: []int{p.Size, frac},
		Table: make([]int32, entries)}
	for i := range op.Table {
		op.Table[i] = int32(math.Round(factor(i) * math.Ldexp(1, frac)))
	}
	b.emit(op)
	return nil
}
