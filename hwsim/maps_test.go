package hwsim

import (
	"cmp"
	"math/rand/v2"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// Hand-built mappings, independent of the mapper package, for the schemes
// the method compares. Logical column L = n·B + i holds bit i of output n
// (two's complement, bit B-1 negative).

// logicalBit returns bit i of weight w (two's complement over B bits).
func logicalBit(w int32, i int) uint64 { return uint64(uint32(w)>>i) & 1 }

type colSpec struct {
	bits   []uint64 // cell bits, one per wordline of the OU's row set
	owners []mapper.Owner
}

// ouBuilder packs OUs into crossbars: a crossbar holds R/h row blocks ×
// C/w column blocks, filled in order.
type ouBuilder struct {
	geo  mapper.Geometry
	gm   *mapper.GroupMap
	slot int // next OU slot
}

func newBuilder(geo mapper.Geometry) *ouBuilder {
	return &ouBuilder{geo: geo, gm: &mapper.GroupMap{Words: (geo.OURows + 63) / 64, OwnerStart: []int32{0}}}
}

// add appends one OU over rows with the given columns; sumCol is the
// physical column giving the input sum to complement owners (-1 = none).
func (b *ouBuilder) add(rows []int32, cols []colSpec, sumCol int32) {
	gm := b.gm
	perXbar := (b.geo.XbarRows / b.geo.OURows) * (b.geo.XbarCols / b.geo.OUCols)
	ou := mapper.OU{Crossbar: int32(b.slot / perXbar), RowStart: int32(len(gm.RowIdx)), RowCount: int32(len(rows)),
		ColStart: int32(gm.Columns()), ColCount: int32(len(cols)), SumCol: sumCol}
	b.slot++
	gm.RowIdx = append(gm.RowIdx, rows...)
	for _, c := range cols {
		words := make([]uint64, gm.Words)
		for j, v := range c.bits {
			words[j/64] |= v << (j % 64)
		}
		gm.ColBits = append(gm.ColBits, words...)
		gm.Owners = append(gm.Owners, c.owners...)
		gm.OwnerStart = append(gm.OwnerStart, int32(len(gm.Owners)))
	}
	gm.OUs = append(gm.OUs, ou)
	gm.Crossbars = int(ou.Crossbar) + 1
}

func plainOwner(n, i, wbits int) mapper.Owner {
	return mapper.Owner{Out: int32(n), Bit: uint8(i), Negate: i == wbits-1}
}

// strips cuts rows 0..K-1 (in the order perm, or natural) into strips of h.
func strips(k, h int, perm []int32) [][]int32 {
	var out [][]int32
	for s := 0; s < k; s += h {
		rows := make([]int32, 0, h)
		for r := s; r < min(s+h, k); r++ {
			if perm != nil {
				rows = append(rows, perm[r])
			} else {
				rows = append(rows, int32(r))
			}
		}
		out = append(out, rows)
	}
	return out
}

func colBits(w []int32, n int, rows []int32, col, bit int) []uint64 {
	b := make([]uint64, len(rows))
	for j, r := range rows {
		b[j] = logicalBit(w[int(r)*n+col], bit)
	}
	return b
}

func allZero(b []uint64) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// packCols cuts columns into OUs of w. With complement owners, an all-ones
// column is put first and every OU of the strip uses it as sum column.
func (b *ouBuilder) packCols(rows []int32, cols []colSpec) {
	sum := int32(-1)
	for _, c := range cols {
		for _, o := range c.owners {
			if o.Complement {
				sum = int32(b.gm.Columns())
			}
		}
	}
	if sum >= 0 {
		ones := make([]uint64, len(rows))
		for j := range ones {
			ones[j] = 1
		}
		cols = append([]colSpec{{bits: ones}}, cols...)
	}
	for c := 0; c < len(cols); c += b.geo.OUCols {
		b.add(rows, cols[c:min(c+b.geo.OUCols, len(cols))], sum)
	}
}

// mapDense maps every bit-column.
func mapDense(w []int32, k, n, wbits int, geo mapper.Geometry, perm []int32) *mapper.GroupMap {
	b := newBuilder(geo)
	for _, rows := range strips(k, geo.OURows, perm) {
		var cols []colSpec
		for col := 0; col < n; col++ {
			for i := 0; i < wbits; i++ {
				cols = append(cols, colSpec{colBits(w, n, rows, col, i), []mapper.Owner{plainOwner(col, i, wbits)}})
			}
		}
		b.packCols(rows, cols)
	}
	return b.gm
}

// mapZeroCol drops all-zero bit-columns per strip.
func mapZeroCol(w []int32, k, n, wbits int, geo mapper.Geometry) *mapper.GroupMap {
	b := newBuilder(geo)
	for _, rows := range strips(k, geo.OURows, nil) {
		var cols []colSpec
		for col := 0; col < n; col++ {
			for i := 0; i < wbits; i++ {
				cb := colBits(w, n, rows, col, i)
				if !allZero(cb) {
					cols = append(cols, colSpec{cb, []mapper.Owner{plainOwner(col, i, wbits)}})
				}
			}
		}
		b.packCols(rows, cols)
	}
	return b.gm
}

// mapColSim merges identical bit-columns per strip (at most maxShare owners
// per kept column, 0 = unlimited); with complement, a column equal to the
// NOT of a kept one is served by it.
func mapColSim(w []int32, k, n, wbits int, geo mapper.Geometry, maxShare int, complement bool) *mapper.GroupMap {
	b := newBuilder(geo)
	for _, rows := range strips(k, geo.OURows, nil) {
		var cols []colSpec
		byPattern := map[string]int{} // pattern -> index of the open kept column
		full := make([]uint64, len(rows))
		for j := range full {
			full[j] = 1
		}
		for col := 0; col < n; col++ {
			for i := 0; i < wbits; i++ {
				cb := colBits(w, n, rows, col, i)
				if allZero(cb) {
					continue
				}
				key := patKey(cb)
				o := plainOwner(col, i, wbits)
				if ci, ok := byPattern[key]; ok && (maxShare == 0 || len(cols[ci].owners) < maxShare) {
					cols[ci].owners = append(cols[ci].owners, o)
					continue
				}
				if complement {
					inv := make([]uint64, len(cb))
					for j := range cb {
						inv[j] = cb[j] ^ 1
					}
					if ci, ok := byPattern[patKey(inv)]; ok && (maxShare == 0 || len(cols[ci].owners) < maxShare) {
						o.Complement = true
						cols[ci].owners = append(cols[ci].owners, o)
						continue
					}
				}
				byPattern[key] = len(cols)
				cols = append(cols, colSpec{cb, []mapper.Owner{o}})
			}
		}
		b.packCols(rows, cols)
	}
	return b.gm
}

func patKey(b []uint64) string {
	s := make([]byte, len(b))
	for i, v := range b {
		s[i] = byte('0' + v)
	}
	return string(s)
}

// mapSRE compresses rows per OU column group: for each group of w logical
// columns, rows whose bits are all zero in those columns are removed, and
// the remaining rows are cut into OUs of h (input index = RowIdx).
func mapSRE(w []int32, k, n, wbits int, geo mapper.Geometry) *mapper.GroupMap {
	b := newBuilder(geo)
	total := n * wbits
	for c0 := 0; c0 < total; c0 += geo.OUCols {
		c1 := min(c0+geo.OUCols, total)
		var kept []int32
		for r := 0; r < k; r++ {
			for L := c0; L < c1; L++ {
				if logicalBit(w[r*n+L/wbits], L%wbits) != 0 {
					kept = append(kept, int32(r))
					break
				}
			}
		}
		for s := 0; s < len(kept); s += geo.OURows {
			rows := kept[s:min(s+geo.OURows, len(kept))]
			var cols []colSpec
			for L := c0; L < c1; L++ {
				cols = append(cols, colSpec{colBits(w, n, rows, L/wbits, L%wbits), []mapper.Owner{plainOwner(L/wbits, L%wbits, wbits)}})
			}
			b.add(rows, cols, -1)
		}
	}
	return b.gm
}

// scheme is a hand-built mapping scheme; index names the registered mapper
// scheme whose index model its layouts follow (the name when empty), since
// a mapping without an index model cannot be simulated.
type scheme struct {
	name  string
	fn    func(w []int32, k, n, wbits int, geo mapper.Geometry) *mapper.GroupMap
	index string
}

var schemes = []scheme{
	{"dense", func(w []int32, k, n, wb int, geo mapper.Geometry) *mapper.GroupMap {
		return mapDense(w, k, n, wb, geo, nil)
	}, ""},
	{"zerocol", mapZeroCol, ""},
	{"sre", mapSRE, ""},
	{"colsim", func(w []int32, k, n, wb int, geo mapper.Geometry) *mapper.GroupMap {
		return mapColSim(w, k, n, wb, geo, 0, false)
	}, ""},
	{"colsim2", func(w []int32, k, n, wb int, geo mapper.Geometry) *mapper.GroupMap {
		return mapColSim(w, k, n, wb, geo, 2, false)
	}, "colsim"},
	{"colsim-comp", func(w []int32, k, n, wb int, geo mapper.Geometry) *mapper.GroupMap {
		return mapColSim(w, k, n, wb, geo, 0, true)
	}, ""},
	{"rowperm", func(w []int32, k, n, wb int, geo mapper.Geometry) *mapper.GroupMap {
		perm := make([]int32, k)
		for i := range perm {
			perm[i] = int32(k - 1 - i)
		}
		return mapDense(w, k, n, wb, geo, perm)
	}, "sre"}, // dense columns on permuted rows: an input index per wordline
}

// randLinear returns a layer with random weights, a share zero of them
// exactly 0 (pruning), the others uniform over the B-bit range.
func randLinear(rng *rand.Rand, index, k, n, groups, wbits, abits int, signed bool, zero float64) *quant.Linear {
	l := &quant.Linear{Index: index, Name: "L" + string(rune('a'+index)), Op: "Gemm", K: k, N: n, Groups: groups,
		WBits: wbits, ABits: abits, InputSigned: signed}
	lo, hi := -(1 << (wbits - 1)), 1<<(wbits-1)-1
	for g := 0; g < groups; g++ {
		w := make([]int32, k*n)
		for i := range w {
			if rng.Float64() >= zero {
				w[i] = int32(lo + rng.IntN(hi-lo+1))
			}
		}
		l.Weights = append(l.Weights, w)
	}
	return l
}

// randNet returns a one-layer network (l its layer: k inputs, n outputs,
// 8-bit weights, 30% of them 0) and its activation width abits: 8-bit
// unsigned or 6-bit signed codes.
func randNet(rng *rand.Rand, k, n int, signed bool) (l *quant.Linear, net *quant.Network, abits int) {
	abits = 8
	if signed {
		abits = 6
	}
	l = randLinear(rng, 0, k, n, 1, 8, abits, signed, 0.3)
	return l, &quant.Network{Linears: []*quant.Linear{l}}, abits
}

// randInputs returns m×k codes; a share zero of them 0 (ReLU-like).
func randInputs(rng *rand.Rand, m, k, abits int, signed bool, zero float64) []int32 {
	x := make([]int32, m*k)
	lo, hi := 0, 1<<abits-1
	if signed {
		lo, hi = -(1 << (abits - 1)), 1<<(abits-1)-1
	}
	for i := range x {
		if rng.Float64() >= zero {
			x[i] = int32(lo + rng.IntN(hi-lo+1))
		}
	}
	return x
}

// mapNet maps every layer of net with the scheme.
func mapNet(net *quant.Network, geo mapper.Geometry, s scheme) *mapper.Mapping {
	mp := &mapper.Mapping{Scheme: cmp.Or(s.index, s.name), Geometry: geo, Net: net}
	for _, l := range net.Linears {
		lm := &mapper.LayerMap{Name: l.Name}
		for g := 0; g < l.Groups; g++ {
			lm.Groups = append(lm.Groups, s.fn(l.Weights[g], l.K, l.N, l.WBits, geo))
		}
		mp.Layers = append(mp.Layers, lm)
	}
	return mp
}

// exactGEMM is the brute-force reference out = x·W in int64.
func exactGEMM(x []int32, m, k int, w []int32, n int) []int32 {
	out := make([]int32, m*n)
	for r := 0; r < m; r++ {
		for c := 0; c < n; c++ {
			var s int64
			for i := 0; i < k; i++ {
				s += int64(x[r*k+i]) * int64(w[i*n+c])
			}
			out[r*n+c] = int32(s)
		}
	}
	return out
}

// refSim is an independent, deliberately plain bit-serial simulation with
// 1-bit DACs and ideal cells: per vector and input bit b, every physical
// column's sum s = Σ_j bit_b(x[row_j])·cell_j is converted (saturating:
// min(s, 2^r-1); truncating: s with its low D bits cleared, D =
// bitlen(h)-r); then each owner adds ±(q, or q[SumCol]-q for a complement
// owner)·2^(b+Bit), minus for the sign bit of signed inputs. It returns the
// outputs and the number of lossy conversions. It is refSim2 with 1-bit
// cells.
func refSim(gm *mapper.GroupMap, l *quant.Linear, x []int32, m int, h, adcBits int, truncate bool) ([]int32, int64) {
	return refSim2(gm, l, x, m, h, 1, adcBits, truncate)
}
