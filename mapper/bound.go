package mapper

import "math/bits"

// Lower bound on OU activations.
//
// The packing problem every scheme solves: cover the nonzero digits of a
// group's K × N·D logical (digit) matrix with strips. A strip drives a set R
// of at most OURows input rows (any rows, in any order: sre and rowreorder
// pick them freely) and serves a set C of logical columns; column c, served
// by the strip, receives the strip's cells over R as its digits there,
// directly or (colsim-comp) as the complement of a stored column plus the
// strip's all-ones sum column. A physical column serves at most MaxShare
// logical columns (any number when 0). The strip needs as many physical
// columns as the minimum over the two ways of serving complements (below),
// and ceil(physical columns / OUCols) OU activations per input bit. Every
// scheme's layout is such a cover (its strips: colsim's strips, sre's and
// sre-colsim's row chunks, rowreorder's permuted strips), with every
// nonzero digit served exactly once; the bound allows serving a digit more
// than once, which can only lower the optimum, so it stays a lower bound.
//
// Two relaxations give the bound of any group (ActivationBound):
//
//   - rows: a nonzero digit (k, c) needs an owner entry of c on a physical
//     column of an OU driving row k; an OU has at most OUCols·MaxShare
//     owner entries, so row k with z_k nonzero digits is driven by at least
//     ceil(z_k / (OUCols·MaxShare)) OUs (1 when z_k > 0 and MaxShare is 0);
//     an OU drives at most OURows rows: OUs ≥ ceil(Σ_k that / OURows);
//   - columns (MaxShare > 0): a column with s_c nonzero digits is served by
//     at least ceil(s_c / OURows) OUs, one owner entry in each, and an OU
//     has at most OUCols·MaxShare entries: OUs ≥ ceil(Σ_c ceil(s_c /
//     OURows) / (OUCols·MaxShare)).
//
// For tiny groups (exactLimit) the bound is the exact optimum of the
// packing problem, found by a memoized search over the set of digits still
// uncovered.
//
// Unlimited sharing makes the problem loose: a one-row strip serves a
// whole row with one physical column per nonzero level, so the optimum
// never exceeds the number of nonzero rows, whatever N.

// ActivationBound returns, per layer of m's network, a lower bound on the
// OU activations per input bit of any layout of the layer on m's geometry
// with m's max share (summed over the groups).
func (m *Mapping) ActivationBound() []int64 {
	out := make([]int64, len(m.Net.Linears))
	for li, l := range m.Net.Linears {
		d := Dims{K: l.K, N: l.N, Bits: l.WBits, CellBits: m.Geometry.CellBits}
		for _, w := range l.Weights {
			out[li] += ActivationBound(w, d, m.Geometry, m.MaxShare)
		}
	}
	return out
}

// ActivationBound returns a lower bound on the OU activations per input
// bit of any layout of one K×N group w (row-major, d.Bits-bit two's
// complement) on geo, with at most maxShare owners per physical column (0 =
// unlimited): the exact optimum for tiny groups, else the larger of the row
// and column relaxations.
func ActivationBound(w []int32, d Dims, geo Geometry, maxShare int) int64 {
	dig := Digits(d.Bits, geo.CellBits)
	nd := len(dig)
	h, ouw := int64(geo.OURows), int64(geo.OUCols)
	slots := ouw * int64(maxShare) // owner entries per OU (0 = unlimited)
	colDigits := make([]int64, d.N*nd)
	var rowSlots int64
	pairs := 0
	// nonzero digits of v: a bit mask over the digit indices
	nzDigits := func(v int32) uint32 {
		var m uint32
		for j, dg := range dig {
			if dg.level(v) != 0 {
				m |= 1 << j
			}
		}
		return m
	}
	if geo.CellBits == 1 { // digit j is bit j
		mask := uint32(1)<<d.Bits - 1
		nzDigits = func(v int32) uint32 { return uint32(v) & mask }
	}
	for k := 0; k < d.K; k++ {
		var z int64
		for n, v := range w[k*d.N : (k+1)*d.N] {
			if v == 0 {
				continue
			}
			u := nzDigits(v)
			z += int64(bits.OnesCount32(u))
			if slots > 0 {
				for ; u != 0; u &= u - 1 {
					colDigits[n*nd+bits.TrailingZeros32(u)]++
				}
			}
		}
		pairs += int(z)
		switch {
		case z == 0:
		case slots == 0:
			rowSlots++
		default:
			rowSlots += (z + slots - 1) / slots
		}
	}
	bound := (rowSlots + h - 1) / h
	if slots > 0 {
		var entries int64
		for _, s := range colDigits {
			entries += (s + h - 1) / h
		}
		bound = max(bound, (entries+slots-1)/slots)
	}
	if pairs <= exactLimit.pairs && d.K <= exactLimit.rows && d.N*nd <= exactLimit.cols {
		bound = max(bound, exactPacking(w, d, dig, geo, maxShare))
	}
	return bound
}

// exactLimit is the size up to which ActivationBound solves the packing
// problem exactly: nonzero digits, rows and logical columns.
var exactLimit = struct{ pairs, rows, cols int }{8, 4, 6}

// exactPacking is the minimum total OU activations of a cover of the
// group's nonzero digits by strips (the packing problem above), by a
// memoized search over the uncovered digits (a bit set of at most
// exactLimit.pairs): a move is a strip (R, C) with R ≤ OURows rows, each
// with an uncovered digit, and C the columns it serves, among those with an
// uncovered digit in R (dropping a row or column that covers nothing new
// never adds a physical column: patterns over fewer rows only coincide
// more).
func exactPacking(w []int32, d Dims, dig []Digit, geo Geometry, maxShare int) int64 {
	nd := len(dig)
	ncol := d.N * nd
	level := func(k, c int) uint32 { return dig[c%nd].level(w[k*d.N+c/nd]) }
	// pair index of each nonzero digit
	pairAt := make([]int, d.K*ncol)
	npairs := 0
	for k := 0; k < d.K; k++ {
		for c := 0; c < ncol; c++ {
			pairAt[k*ncol+c] = -1
			if level(k, c) != 0 {
				pairAt[k*ncol+c] = npairs
				npairs++
			}
		}
	}
	top := uint32(1)<<geo.CellBits - 1
	memo := map[uint32]int64{0: 0}
	var solve func(u uint32) int64
	solve = func(u uint32) int64 {
		if v, ok := memo[u]; ok {
			return v
		}
		best := int64(1) << 62
		live := 0 // rows with an uncovered digit
		for k := 0; k < d.K; k++ {
			for c := 0; c < ncol; c++ {
				if p := pairAt[k*ncol+c]; p >= 0 && u&(1<<p) != 0 {
					live |= 1 << k
				}
			}
		}
		for rs := 1; rs < 1<<d.K; rs++ {
			if rs&^live != 0 || bits.OnesCount(uint(rs)) > geo.OURows {
				continue
			}
			// columns with an uncovered digit on these rows
			var cand []int
			var covers []uint32
			for c := 0; c < ncol; c++ {
				var cov uint32
				for k := 0; k < d.K; k++ {
					if rs&(1<<k) != 0 {
						if p := pairAt[k*ncol+c]; p >= 0 && u&(1<<p) != 0 {
							cov |= 1 << p
						}
					}
				}
				if cov != 0 {
					cand = append(cand, c)
					covers = append(covers, cov)
				}
			}
			for cs := 1; cs < 1<<len(cand); cs++ {
				var cov uint32
				var pats [][]uint32
				for i, c := range cand {
					if cs&(1<<i) == 0 {
						continue
					}
					cov |= covers[i]
					var pat []uint32
					for k := 0; k < d.K; k++ {
						if rs&(1<<k) != 0 {
							pat = append(pat, level(k, c))
						}
					}
					pats = append(pats, pat)
				}
				cols := stripColumns(pats, top, maxShare)
				cost := (int64(cols) + int64(geo.OUCols) - 1) / int64(geo.OUCols)
				if cost >= best {
					continue
				}
				if v := cost + solve(u&^cov); v < best {
					best = v
				}
			}
		}
		memo[u] = best
		return best
	}
	return solve(uint32(1)<<npairs - 1)
}

// stripColumns is the fewest physical columns that serve columns with the
// given cell patterns (levels over the strip's rows, top the highest
// level), at most maxShare owners each (0 = unlimited): the cheaper of
// (a) one column per pattern group, ceil(members/maxShare) each, and (b) a
// pattern and its complement (top − level) served together, plus one
// all-ones (top) sum column that also serves the all-top patterns. Zero
// patterns need nothing.
func stripColumns(pats [][]uint32, top uint32, maxShare int) int {
	per := func(n int) int {
		if maxShare <= 0 {
			return min(n, 1)
		}
		return (n + maxShare - 1) / maxShare
	}
	key := func(p []uint32, comp bool) string {
		b := make([]byte, len(p))
		for i, v := range p {
			if comp {
				v = top - v
			}
			b[i] = byte(v)
		}
		return string(b)
	}
	zero := func(p []uint32) bool {
		for _, v := range p {
			if v != 0 {
				return false
			}
		}
		return true
	}
	plain := map[string]int{}
	for _, p := range pats {
		if !zero(p) {
			plain[key(p, false)]++
		}
	}
	a := 0
	for _, n := range plain {
		a += per(n)
	}
	// (b): canonical form = the smaller of a pattern and its complement;
	// the all-top pattern's complement is zero: it joins the sum column
	canon := map[string]int{}
	ones := 0
	for _, p := range pats {
		if zero(p) {
			continue
		}
		k, kc := key(p, false), key(p, true)
		if kc == string(make([]byte, len(p))) {
			ones++
			continue
		}
		canon[min(k, kc)]++
	}
	b := max(per(ones), 1) // the sum column serves up to maxShare all-top columns
	for _, n := range canon {
		b += per(n)
	}
	return min(a, b)
}
