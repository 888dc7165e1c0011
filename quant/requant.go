package quant

import (
	"math"
)

// Multiplier is a positive real factor M in fixed point, M ≈ M0 · 2^-Shift
// with M0 an int32 in [2^30, 2^31) (or M0 = 0 for M = 0). Applying it to an
// integer v gives round(v · M0 / 2^Shift), to nearest with ties to even (the
// rule of ONNX QuantizeLinear, so that an exported QDQ model rounds like the
// integer model), in a single rounding over the exact 64-bit product (not
// gemmlowp's double rounding SaturatingRoundingDoublingHighMul +
// RoundingDivideByPOT): the result is the exact rational rounding of
// v·M0/2^Shift, which the tests check against math/big. Shift is in [0, 62]; a multiplier too large for that
// (M ≥ 2^31) or too small (M < 2^-32) is clamped when it is built.
type Multiplier struct {
	M0    int32
	Shift uint8
}

// NewMultiplier converts m ≥ 0 to fixed point. The relative error of the
// representation is below 2^-30.
func NewMultiplier(m float64) Multiplier {
	if !(m > 0) || math.IsInf(m, 0) {
		return Multiplier{}
	}
	frac, exp := math.Frexp(m) // m = frac·2^exp, frac in [0.5, 1)
	q := int64(math.Round(frac * (1 << 31)))
	if q == 1<<31 { // rounding reached the next power of two
		q >>= 1
		exp++
	}
	shift := 31 - exp // m ≈ q·2^-shift
	if shift < 0 {
		// m ≥ 2^31: larger than any useful requantization factor; saturate.
		return Multiplier{M0: math.MaxInt32, Shift: 0}
	}
	for shift > 62 {
		// tiny m: drop precision instead of a shift the 64-bit product cannot hold.
		q >>= 1
		shift--
	}
	if q == 0 {
		return Multiplier{}
	}
	return Multiplier{M0: int32(q), Shift: uint8(shift)}
}

// Float returns the real value M0·2^-Shift.
func (m Multiplier) Float() float64 {
	return math.Ldexp(float64(m.M0), -int(m.Shift))
}

// Apply returns round(v·M0/2^Shift), ties to even, saturated to int32.
func (m Multiplier) Apply(v int32) int32 {
	return sat32(m.apply64(int64(v)))
}

// apply64 is Apply for |v| < 2^32 without saturation: the product stays
// below 2^63. The quotient is rounded to nearest, ties to even.
func (m Multiplier) apply64(v int64) int64 {
	p := v * int64(m.M0)
	if m.Shift == 0 {
		return p
	}
	// floor((p + half - 1 + lsb(floor(p/2^s))) / 2^s): adds the carry exactly
	// when the remainder is above half, or equal to it with an odd quotient.
	half := int64(1) << (m.Shift - 1)
	return (p + half - 1 + (p>>m.Shift)&1) >> m.Shift
}

func sat32(v int64) int32 {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	if v < math.MinInt32 {
		return math.MinInt32
	}
	return int32(v)
}

func clamp32(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// roundDiv returns a/b for b > 0 rounded to nearest, ties to even.
func roundDiv(a, b int64) int64 {
	q := a / b
	r := a - q*b
	if r < 0 { // floor division
		q--
		r += b
	}
	if 2*r > b || 2*r == b && q&1 != 0 {
		q++
	}
	return q
}

// roundSat32 rounds a float64 to the nearest integer, ties to even (as
// ONNX QuantizeLinear), saturated to int32.
func roundSat32(x float64) int32 {
	r := math.RoundToEven(x)
	if r > math.MaxInt32 {
		return math.MaxInt32
	}
	if r < math.MinInt32 {
		return math.MinInt32
	}
	if math.IsNaN(r) {
		return 0
	}
	return int32(r)
}
