package quant

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/rramc/rramc/importer"
)

// The integer op kinds OpReduceLogSum and OpReduceLogSumExp over the groups
// of a grouped reduction (index map as in kind_reduce.go), in fixed point
// with one final rounding to a signed output of its own scale s_y.
//
// LogSum: S = Σx exactly; log(S·s_x) = ln2·log2(S) + ln(s_x). log2(S) is
// computed on integers by log2Fixed (the exponent, then logFrac fraction
// bits by repeated squaring of the 30-bit mantissa, each truncated), with
// an error below 2^-(logFrac-2). With G = logGuard guard bits,
//
//	y = round((A·L + B) / 2^G),  A = ln2·2^G/(2^logFrac·s_y) (Multiplier),
//	                             B = round(ln(s_x)·2^G/s_y) (Bias[0])
//
// A group whose sum is not positive has no real logarithm (the float op
// gives −∞ or NaN): its code is the lowest.
//
// LogSumExp: with m the group's largest code,
// log Σ exp(x·s_x) = m·s_x + log Σ exp(−(m−x)·s_x). Each term is an
// exp-table entry E[m−x] = round(exp(−(m−x)·s_x)·2^expFrac) (Bias holds
// the table over the input's code span; E[0] = 2^expFrac), summed exactly
// to T ≥ 2^expFrac, so
//
//	y = round((M1·m + A·(log2Fixed(T) − expFrac·2^logFrac)) / 2^G),
//	M1 = s_x·2^G/s_y, A as above.
//
// The table's rounding changes T by at most n/2 in T ≥ 2^expFrac (a
// relative 2^-21 per term), the log by at most n·2^-21: within one output
// code for any group the 32-bit sum allows. Mult holds [A] (LogSum) or
// [M1, A] (LogSumExp).

const (
	logFrac  = 20 // fraction bits of log2Fixed
	logGuard = 10 // fraction bits of the sum before the final rounding
	expFrac  = 20 // fraction bits of the exp table
)

func init() {
	registerKind(OpReduceLogSum, kindSpec{exec: execReduceLog, check: checkReduceLog, export: exportReduce, work: reduceLogWork})
	registerKind(OpReduceLogSumExp, kindSpec{exec: execReduceLog, check: checkReduceLog, export: exportReduce, work: reduceLogWork})
	registerReduction("ReduceLogSum", OpReduceLogSum, encodeReduceLog, true)
	registerReduction("ReduceLogSumExp", OpReduceLogSumExp, encodeReduceLog, true)
}

// reduceLogWork: one addition per entry (LogSumExp: a comparison for the
// maximum and an exp-table lookup too), and per output code a logarithm
// (an activation) and its rescale.
func reduceLogWork(n *Network, op *Op) DigitalWork {
	g, ok := decodeGroups(op.Table)
	if !ok {
		return DigitalWork{}
	}
	e := int64(g.planes) * int64(len(g.idx))
	w := DigitalWork{PoolOps: e, Requant: int64(len(op.Mult)) * n.elems(op.Out), Activations: n.elems(op.Out)}
	if op.Kind == OpReduceLogSumExp {
		w.PoolOps += e
		w.Activations += e
	}
	return w
}

// log2Fixed returns log2(v) for v ≥ 1 with logFrac fraction bits: the
// exponent e = ⌊log2 v⌋, then the bits of log2 of the mantissa v/2^e in
// [1, 2) (held with 30 fraction bits) one at a time: squaring the mantissa
// doubles its logarithm, whose integer part is then the next bit.
func log2Fixed(v uint64) int64 {
	e := bits.Len64(v) - 1
	var m uint64 // v/2^e with 30 fraction bits
	if e >= 30 {
		m = v >> (e - 30)
	} else {
		m = v << (30 - e)
	}
	r := int64(e) << logFrac
	for i := logFrac - 1; i >= 0; i-- {
		m = m * m >> 30
		if m >= 2<<30 {
			m >>= 1
			r |= 1 << i
		}
	}
	return r
}

func execReduceLog(x *execCtx) error { return execGroups(x, reduceLogGroup) }

func reduceLogGroup(op *Op, plane, taps []int32) int32 {
	if op.Kind == OpReduceLogSum {
		var s int64
		for _, i := range taps {
			if i >= 0 {
				s += int64(plane[i])
			}
		}
		if s <= 0 {
			return op.Lo
		}
		z := op.Mult[0].apply64(log2Fixed(uint64(s))) + int64(op.Bias[0])
		return clamp32(sat32(roundDiv(z, 1<<logGuard)), op.Lo, op.Hi)
	}
	m, found := int32(0), false
	for _, i := range taps {
		if i >= 0 && (!found || plane[i] > m) {
			m, found = plane[i], true
		}
	}
	if !found {
		return op.Lo
	}
	var t uint64
	for _, i := range taps {
		if i >= 0 {
			t += uint64(op.Bias[m-plane[i]])
		}
	}
	z := op.Mult[0].apply64(int64(m)) + op.Mult[1].apply64(log2Fixed(t)-expFrac<<logFrac)
	return clamp32(sat32(roundDiv(z, 1<<logGuard)), op.Lo, op.Hi)
}

func checkReduceLog(x *checkCtx) error {
	g, err := checkGroups(x)
	if err != nil {
		return err
	}
	lo, hi := x.in.Range()
	if x.op.Kind == OpReduceLogSum {
		if len(x.op.Mult) != 1 || len(x.op.Bias) != 1 {
			return fmt.Errorf("%d multipliers and %d offsets, want 1 and 1", len(x.op.Mult), len(x.op.Bias))
		}
		if float64(g.longest())*math.Max(-float64(lo), float64(hi)) >= 1<<32 {
			return fmt.Errorf("groups of %d codes can overflow the 32-bit sum", g.longest())
		}
		return nil
	}
	if len(x.op.Mult) != 2 || len(x.op.Bias) != int(hi-lo)+1 {
		return fmt.Errorf("%d multipliers and an exp table of %d entries, want 2 and %d", len(x.op.Mult), len(x.op.Bias), int(hi-lo)+1)
	}
	if g.longest() > 1<<11 {
		return fmt.Errorf("groups of %d codes: the exp-table sum is bounded for at most 2048", g.longest())
	}
	for _, e := range x.op.Bias {
		if e < 0 || e > 1<<expFrac {
			return fmt.Errorf("exp table entry %d outside [0, 2^%d]", e, expFrac)
		}
	}
	if x.op.Bias[0] != 1<<expFrac {
		return fmt.Errorf("exp table starts at %d, want 2^%d", x.op.Bias[0], expFrac)
	}
	return nil
}

// encodeReduceLog gives LogSum/LogSumExp a signed output of its own scale
// and their fixed-point constants, or refuses what they cannot bound.
func encodeReduceLog(b *builder, n *importer.Node, op Op, x int, shape []int, g groupMap) (Op, string) {
	vx := b.net.Values[x]
	lo, hi := vx.Range()
	if op.Kind == OpReduceLogSum && float64(g.longest())*math.Max(-float64(lo), float64(hi)) >= 1<<32 {
		return op, fmt.Sprintf("groups of %d codes of %d bits can overflow the 32-bit sum", g.longest(), vx.Bits)
	}
	if op.Kind == OpReduceLogSumExp && (g.longest() > 1<<11 || hi-lo >= 1<<16) {
		return op, fmt.Sprintf("groups of %d codes of %d bits: the exp-table sum is bounded for at most 2048 codes of at most 16 bits", g.longest(), vx.Bits)
	}
	name := n.Outputs[0]
	sy, signed, olo, ohi := b.encode(name, true, math.Inf(-1), math.Inf(1))
	op.Out = b.newValue(name, shape, sy, signed)
	op.Lo, op.Hi = olo, ohi
	a := NewMultiplier(math.Ln2 * math.Ldexp(1, logGuard-logFrac) / sy)
	if op.Kind == OpReduceLogSum {
		off := math.Round(math.Log(vx.Scale) * (1 << logGuard) / sy)
		if math.Abs(off) >= 1<<31 {
			return op, fmt.Sprintf("log of the input scale %g is %0.f output codes, beyond the 32-bit offset", vx.Scale, off/(1<<logGuard))
		}
		op.Mult = []Multiplier{a}
		op.Bias = []int32{int32(off)}
		return op, ""
	}
	op.Mult = []Multiplier{NewMultiplier(vx.Scale * (1 << logGuard) / sy), a}
	op.Bias = make([]int32, int(hi-lo)+1)
	for d := range op.Bias {
		op.Bias[d] = int32(math.Round(math.Exp(-float64(d)*vx.Scale) * (1 << expFrac)))
	}
	return op, ""
}
