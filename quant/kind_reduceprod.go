package quant

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpReduceProd: the product of each group of a grouped
// reduction (index map as in kind_reduce.go, every group of the same
// length n), exact on codes and requantized once to an output of its own
// scale s_y:
//
//	y = clamp(round(Π x · M0/2^Shift), lo, hi),  M = s_x^n/s_y
//
// The product of the codes is exact in 64 bits, which bounds n: n codes of
// magnitude up to 2^k fit when n·k ≤ 62. A longer product is refused at
// quantization (its exact value would need more than 64 bits, and a
// wrapped product would be silently wrong). The rounding of Π x·M0/2^Shift
// is exact (ties to even) on the 95-bit product.

func init() {
	registerKind(OpReduceProd, kindSpec{exec: execReduceProd, check: checkReduceProd, export: exportReduce, work: reduceProdWork})
	registerReduction("ReduceProd", OpReduceProd, encodeReduceProd, true)
}

// reduceProdWork: one multiplication of codes per entry, one multiplier
// application per output code.
func reduceProdWork(n *Network, op *Op) DigitalWork {
	g, ok := decodeGroups(op.Table)
	if !ok {
		return DigitalWork{}
	}
	return DigitalWork{Requant: int64(g.planes)*int64(len(g.idx)) + n.elems(op.Out)}
}

func execReduceProd(x *execCtx) error { return execGroups(x, reduceProdGroup) }

func reduceProdGroup(op *Op, plane, taps []int32) int32 {
	p := int64(1)
	for _, i := range taps {
		if i >= 0 {
			p *= int64(plane[i])
		}
	}
	return clamp32(sat32(mulRoundWide(p, op.Mult[0])), op.Lo, op.Hi)
}

// mulRoundWide returns round(p·M0/2^Shift), ties to even, for any int64 p,
// saturated to int64.
func mulRoundWide(p int64, m Multiplier) int64 {
	v := new(big.Int).Mul(big.NewInt(p), big.NewInt(int64(m.M0)))
	den := new(big.Int).Lsh(big.NewInt(1), uint(m.Shift))
	q, r := new(big.Int).DivMod(v, den, new(big.Int)) // r ≥ 0
	if c := r.Lsh(r, 1).Cmp(den); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		if q.Sign() > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return q.Int64()
}

// prodBits is the number of bits the product of a group of g can need:
// n·⌈log2(largest code magnitude)⌉.
func prodBits(in *Value, g groupMap) int {
	lo, hi := in.Range()
	m := max(-int64(lo), int64(hi))
	return g.longest() * bits.Len64(uint64(m))
}

// equalGroups reports whether every group of g has the same length.
func equalGroups(g groupMap) bool {
	for j := 0; j < g.groups; j++ {
		if g.off[j+1]-g.off[j] != g.off[1]-g.off[0] {
			return false
		}
	}
	return true
}

func checkReduceProd(x *checkCtx) error {
	g, err := checkGroups(x)
	if err != nil {
		return err
	}
	if len(x.op.Mult) != 1 {
		return fmt.Errorf("%d multipliers, want 1", len(x.op.Mult))
	}
	if !equalGroups(g) {
		return fmt.Errorf("groups of different lengths (one multiplier s_x^n/s_y)")
	}
	if b := prodBits(x.in, g); b > 62 {
		return fmt.Errorf("a product of %d codes of %d bits needs %d bits", g.longest(), x.in.Bits, b)
	}
	return nil
}

// encodeReduceProd refuses products that can pass 64 bits and gives the
// others an output of their own scale and the multiplier s_x^n/s_y.
func encodeReduceProd(b *builder, n *importer.Node, op Op, x int, shape []int, g groupMap) (Op, string) {
	vx := b.net.Values[x]
	if nb := prodBits(&vx, g); nb > 62 {
		return op, fmt.Sprintf("the product of %d codes of %d bits needs up to %d bits: beyond the exact 64-bit product, refused rather than wrapped", g.longest(), vx.Bits, nb)
	}
	name := n.Outputs[0]
	sy, signed, lo, hi := b.encode(name, vx.Signed, math.Inf(-1), math.Inf(1))
	op.Out = b.newValue(name, shape, sy, signed)
	op.Lo, op.Hi = lo, hi
	op.Mult = []Multiplier{NewMultiplier(math.Pow(vx.Scale, float64(g.longest())) / sy)}
	return op, ""
}
