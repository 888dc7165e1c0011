package quant

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

// exactRound is round(v·m0/2^shift), ties to even, with math/big.
func exactRound(v int64, m Multiplier) int64 {
	num := new(big.Int).Mul(big.NewInt(v), big.NewInt(int64(m.M0)))
	den := new(big.Int).Lsh(big.NewInt(1), uint(m.Shift))
	return ratRoundEven(new(big.Rat).SetFrac(num, den))
}

// ratRoundEven rounds r to the nearest integer, ties to even.
func ratRoundEven(r *big.Rat) int64 {
	fl := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: floor for a positive denominator
	frac := new(big.Rat).Sub(r, new(big.Rat).SetInt(fl))
	switch frac.Cmp(big.NewRat(1, 2)) {
	case 1:
		fl.Add(fl, big.NewInt(1))
	case 0:
		if fl.Bit(0) == 1 {
			fl.Add(fl, big.NewInt(1))
		}
	}
	return fl.Int64()
}

func TestMultiplierExactRounding(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	ms := []float64{1, 0.5, 0.25, 1e-3, 3.7e-5, 0.999999, 1.5, 7.25, 1e-9, 123.456}
	for i := 0; i < 200; i++ {
		ms = append(ms, math.Exp(r.Float64()*20-15))
	}
	for _, mf := range ms {
		m := NewMultiplier(mf)
		if m.M0 < 1<<30 && mf > 1e-9 {
			t.Fatalf("multiplier %g: M0 %d not normalized", mf, m.M0)
		}
		if rel := math.Abs(m.Float()-mf) / mf; rel > 1.0/(1<<30) {
			t.Fatalf("multiplier %g represented as %g (rel err %g)", mf, m.Float(), rel)
		}
		vals := []int64{0, 1, -1, math.MaxInt32, math.MinInt32, 1 << 20, -(1 << 20)}
		for j := 0; j < 300; j++ {
			vals = append(vals, int64(int32(r.Uint32())), int64(r.Intn(1<<16))-1<<15)
		}
		// values that hit exact ties
		if m.Shift > 0 && m.Shift < 40 {
			vals = append(vals, int64(1)<<(m.Shift-1), -(int64(1) << (m.Shift - 1)))
		}
		for _, v := range vals {
			if v < math.MinInt32 || v > math.MaxInt32 {
				continue
			}
			want := exactRound(v, m)
			got := m.apply64(v)
			if got != want {
				t.Fatalf("M=%g (%d>>%d) v=%d: got %d, want %d", mf, m.M0, m.Shift, v, got, want)
			}
			sat := want
			if sat > math.MaxInt32 {
				sat = math.MaxInt32
			}
			if sat < math.MinInt32 {
				sat = math.MinInt32
			}
			if a := m.Apply(int32(v)); int64(a) != sat {
				t.Fatalf("Apply saturation: got %d want %d", a, sat)
			}
		}
	}
	if m := NewMultiplier(0); m.Apply(12345) != 0 {
		t.Fatal("zero multiplier")
	}
}

func TestRoundDiv(t *testing.T) {
	for a := int64(-50); a <= 50; a++ {
		for b := int64(1); b <= 9; b++ {
			want := ratRoundEven(big.NewRat(a, b))
			if got := roundDiv(a, b); got != want {
				t.Fatalf("roundDiv(%d,%d) = %d, want %d", a, b, got, want)
			}
		}
	}
}
