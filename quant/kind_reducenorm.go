package quant

import (
	"fmt"
	"math"
	"math/big"

	"github.com/rramc/rramc/importer"
)

// The integer op kinds OpReduceL1, OpReduceSumSquare, OpReduceL2: norms of
// the groups of a grouped reduction (index map as in kind_reduce.go),
// computed exactly on codes and requantized once to an unsigned output of
// its own scale s_y:
//
//	L1:        y = round(Σ|x| · M0/2^Shift),   M = s_x/s_y
//	SumSquare: y = round(Σx²  · M0/2^Shift),   M = s_x²/s_y
//	L2:        y = round(√(Σx²) · M0/2^Shift), M = s_x/s_y
//
// The sums are exact in 64 bits (checked: below 2^32, the Multiplier's
// operand range); the first two are rounded by mulDivRound (ties to even).
// L2's root is taken exactly on integers: with U = Σx²·M0², the result is
// y = ⌊(⌊√(4U)⌋ / 2^Shift + 1) / 2⌋, the nearest integer to √U/2^Shift,
// a tie (√U/2^Shift = k + 1/2 exactly) going to the even neighbour. The
// only error against the real norm is M's representation (relative
// 2^-30): within half an output code plus that.

func init() {
	for _, r := range []struct {
		op   string
		kind OpKind
	}{{"ReduceL1", OpReduceL1}, {"ReduceSumSquare", OpReduceSumSquare}, {"ReduceL2", OpReduceL2}} {
		registerKind(r.kind, kindSpec{exec: execReduceNorm, check: checkReduceNorm, export: exportReduce, work: reduceNormWork})
		registerReduction(r.op, r.kind, encodeReduceNorm, true)
	}
}

// reduceNormWork: one addition per entry (after |x| or x², a
// multiplication for the square), and one multiplier application per
// output code (the root of L2 as one more activation).
func reduceNormWork(n *Network, op *Op) DigitalWork {
	g, ok := decodeGroups(op.Table)
	if !ok {
		return DigitalWork{}
	}
	e := int64(g.planes) * int64(len(g.idx))
	w := DigitalWork{PoolOps: e, Requant: n.elems(op.Out)}
	if op.Kind != OpReduceL1 {
		w.Requant += e
	}
	if op.Kind == OpReduceL2 {
		w.Activations = n.elems(op.Out)
	}
	return w
}

func execReduceNorm(x *execCtx) error { return execGroups(x, reduceNormGroup) }

// normSum is Σ|x| (L1) or Σx² (SumSquare, L2) over a group's codes.
func normSum(kind OpKind, plane, taps []int32) int64 {
	var s int64
	for _, i := range taps {
		if i < 0 {
			continue
		}
		v := int64(plane[i])
		if kind == OpReduceL1 {
			s += max(v, -v)
		} else {
			s += v * v
		}
	}
	return s
}

func reduceNormGroup(op *Op, plane, taps []int32) int32 {
	s := normSum(op.Kind, plane, taps)
	if op.Kind == OpReduceL2 {
		return clamp32(sat32(sqrtRound(s, op.Mult[0])), op.Lo, op.Hi)
	}
	return clamp32(sat32(mulDivRound(s, op.Mult[0], 1)), op.Lo, op.Hi)
}

// sqrtRound returns the integer nearest to √s · M0/2^Shift for 0 ≤ s <
// 2^32, ties to even, exactly (see the file comment).
func sqrtRound(s int64, m Multiplier) int64 {
	u := new(big.Int).Mul(big.NewInt(s), big.NewInt(int64(m.M0)))
	u.Mul(u, big.NewInt(int64(m.M0)))
	u.Lsh(u, 2) // 4U
	a := new(big.Int).Sqrt(u)
	tie := new(big.Int).Mul(a, a).Cmp(u) == 0 && a.TrailingZeroBits() >= uint(m.Shift) && a.Bit(int(m.Shift)) == 1
	a.Rsh(a, uint(m.Shift))
	y := (a.Int64() + 1) >> 1
	if tie && y&1 != 0 {
		y-- // √U/2^Shift = y − 1/2 exactly: to the even neighbour
	}
	return y
}

// normBound is the largest Σ|x| or Σx² a group of g can reach.
func normBound(kind OpKind, in *Value, g groupMap) float64 {
	lo, hi := in.Range()
	m := math.Max(-float64(lo), float64(hi))
	if kind != OpReduceL1 {
		m *= m
	}
	return float64(g.longest()) * m
}

func checkReduceNorm(x *checkCtx) error {
	g, err := checkGroups(x)
	if err != nil {
		return err
	}
	if len(x.op.Mult) != 1 {
		return fmt.Errorf("%d multipliers, want 1", len(x.op.Mult))
	}
	if b := normBound(x.op.Kind, x.in, g); b >= 1<<32 {
		return fmt.Errorf("groups of %d codes of %d bits can reach %.0f, beyond the 32-bit operand of the multiplier", g.longest(), x.in.Bits, b)
	}
	return nil
}

// encodeReduceNorm gives a norm its unsigned output of its own scale and
// its multiplier, or refuses groups whose sum could pass 2^32.
func encodeReduceNorm(b *builder, n *importer.Node, op Op, x int, shape []int, g groupMap) (Op, string) {
	vx := b.net.Values[x]
	if bound := normBound(op.Kind, &vx, g); bound >= 1<<32 {
		return op, fmt.Sprintf("groups of %d codes of %d bits can reach %.0f, beyond the 32-bit operand of the requantization", g.longest(), vx.Bits, bound)
	}
	name := n.Outputs[0]
	sy, signed, lo, hi := b.encode(name, false, 0, math.Inf(1))
	op.Out = b.newValue(name, shape, sy, signed)
	op.Lo, op.Hi = lo, hi
	m := vx.Scale / sy
	if op.Kind == OpReduceSumSquare {
		m *= vx.Scale
	}
	op.Mult = []Multiplier{NewMultiplier(m)}
	return op, ""
}
