package mapper

import (
	"fmt"
	"math/rand/v2"

	"github.com/rramc/rramc/quant"
)

// randWeights returns k×n B-bit weights where a share p is zero and the
// others have uniformly random bits (so a few of them are zero as well).
func randWeights(r *rand.Rand, k, n, bits int, p float64) []int32 {
	w := make([]int32, k*n)
	half := int32(1) << (bits - 1)
	for i := range w {
		if r.Float64() < p {
			continue
		}
		w[i] = r.Int32N(2*half) - half
	}
	return w
}

// randLinear builds a layer with random weights.
func randLinear(r *rand.Rand, name string, k, n, groups, bits int, p float64) *quant.Linear {
	l := &quant.Linear{Name: name, Op: "Conv", K: k, N: n, Groups: groups, WBits: bits, ABits: 8}
	for g := 0; g < groups; g++ {
		l.Weights = append(l.Weights, randWeights(r, k, n, bits, p))
	}
	return l
}

// randNet builds a network holding only Linears (enough for the mapper).
func randNet(ls ...*quant.Linear) *quant.Network {
	net := &quant.Network{}
	for i, l := range ls {
		l.Index = i
		net.Linears = append(net.Linears, l)
	}
	return net
}

// structuredLinear makes weights with many identical and complementary
// bit-columns: outputs copy a few prototypes, some negated bitwise.
func structuredLinear(r *rand.Rand, name string, k, n, bits int) *quant.Linear {
	protos := randWeights(r, k, 3, bits, 0.3)
	w := make([]int32, k*n)
	lo, hi := int32(-1)<<(bits-1), int32(1)<<(bits-1)-1
	for j := 0; j < n; j++ {
		src := r.IntN(3)
		inv := r.IntN(2) == 0
		for kk := 0; kk < k; kk++ {
			v := protos[kk*3+src]
			if inv {
				v = ^v // bitwise NOT stays in range in two's complement
			}
			w[kk*n+j] = min(max(v, lo), hi)
		}
	}
	return &quant.Linear{Name: name, Op: "Gemm", K: k, N: n, Groups: 1, WBits: bits, ABits: 8, Weights: [][]int32{w}}
}

var testGeometries = []Geometry{
	{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 1},
	{XbarRows: 16, XbarCols: 16, OURows: 16, OUCols: 16, CellBits: 1},
	{XbarRows: 32, XbarCols: 8, OURows: 32, OUCols: 8, CellBits: 1},
	{XbarRows: 64, XbarCols: 64, OURows: 64, OUCols: 64, CellBits: 1},
	{XbarRows: 20, XbarCols: 13, OURows: 3, OUCols: 5, CellBits: 1},
	{XbarRows: 200, XbarCols: 64, OURows: 100, OUCols: 3, CellBits: 1}, // 2 words per column
	{XbarRows: 7, XbarCols: 7, OURows: 7, OUCols: 7, CellBits: 1},
}

func geoName(g Geometry) string {
	return fmt.Sprintf("%dx%d_ou%dx%d", g.XbarRows, g.XbarCols, g.OURows, g.OUCols)
}

// validNet wraps Linears into a network that passes quant's validation (so
// that it can be marshaled into a mapping file): every layer reads the
// network input, reshaped to [K·G, S/(K·G), 1] and run as a 1×1 Conv, where
// S is the least common multiple of all K·G.
func validNet(ls ...*quant.Linear) *quant.Network {
	s := 1
	for _, l := range ls {
		s = lcm(s, l.K*l.Groups)
	}
	net := randNet(ls...)
	v := func(shape ...int) int {
		net.Values = append(net.Values, quant.Value{Name: fmt.Sprintf("v%d", len(net.Values)), Shape: shape, Scale: 1, Signed: true, Bits: 8})
		return len(net.Values) - 1
	}
	net.Inputs = []quant.Input{{Value: v(s)}}
	for i, l := range ls {
		if l.WScale == nil {
			l.WScale = []float64{0.01}
		}
		l.ABits, l.InputSigned = 8, true
		c := l.K * l.Groups
		h := s / c
		in := v(c, h, 1)
		net.Ops = append(net.Ops, quant.Op{Kind: quant.OpReshape, Name: fmt.Sprintf("r%d", i), In: []int{net.Inputs[0].Value}, Out: in, Lo: -128, Hi: 127})
		out := v(l.Groups*l.N, h, 1)
		net.Ops = append(net.Ops, quant.Op{Kind: quant.OpLinear, Name: l.Name, In: []int{in}, Out: out, Linear: i,
			Win:  &quant.Window{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, InC: c, InH: h, InW: 1, OutH: h, OutW: 1},
			Bias: make([]int32, l.Groups*l.N), Mult: []quant.Multiplier{quant.NewMultiplier(0.01)}, Lo: -128, Hi: 127})
		net.Outputs = []quant.Output{{Value: out}}
	}
	return net
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func lcm(a, b int) int { return a / gcd(a, b) * b }
