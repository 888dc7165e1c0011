package mapper

import (
	"fmt"
	"math/bits"
	"slices"
)

// rowreorder permutes the K input rows before striping so that rows with
// similar bit patterns share strips, then merges columns like colsim. The
// permutation is free at the input buffer, and RowIdx (the strips' input
// index) absorbs it.
//
// Greedy clustering: every row gets its nonzero mask over the N·B logical
// columns (the N·D digit columns with 2-bit cells); rows are visited in order of increasing popcount (then index). A
// strip is seeded with the first unassigned row, then grown to OURows rows by
// picking, among the next Window unassigned rows, the one that adds the
// fewest new nonzero columns to the strip (popcount(row &^ strip)), ties to
// the earlier row. Rows sharing their zero columns give all-zero columns and
// more identical columns. The group keeps the permuted layout only when it
// needs fewer OU activations than the identity order (ties: identity), so
// rowreorder never needs more than colsim.
type rowreorder struct{ about }

func init() {
	register(rowreorder{about{name: "rowreorder", maxShare: true, order: 60,
		summary: "colsim after a greedy permutation of the input rows that puts rows with similar bit patterns into one strip"}})
}

// DefaultWindow is rowreorder's default candidate window.
const DefaultWindow = 64

// Canonical: Window (candidate rows per pick) is rowreorder's own option,
// DefaultWindow when 0.
func (r rowreorder) Canonical(o Options) (Options, error) {
	win := o.Window
	o, err := r.about.Canonical(o)
	if win == 0 {
		win = DefaultWindow
	}
	o.Window = win
	return o, err
}

func (rowreorder) MapGroup(in *GroupInput) (*GroupMap, error) {
	if in.Opts.MaxShare < 0 {
		return nil, fmt.Errorf("mapper: rowreorder: max share %d < 0", in.Opts.MaxShare)
	}
	win := in.Opts.Window
	if win <= 0 {
		win = DefaultWindow
	}
	emit := colsimEmitter(in, false)
	base := mapStrips(in, nil, emit)
	perm := greedyRowOrder(in, win)
	if perm == nil {
		return base, nil
	}
	re := mapStrips(in, perm, emit)
	if len(re.OUs) < len(base.OUs) {
		return re, nil
	}
	return base, nil
}

// Index: colsim's owner entries, plus the input permutation, K entries of
// ceil(log2 K) bits read once per input vector, when the kept layout is not
// in identity order.
func (rowreorder) Index(g *GroupMap, d Dims) Index {
	var perm int64
	for i, r := range g.RowIdx {
		if r != int32(i) {
			perm = int64(d.K)
			break
		}
	}
	return ownerIndex(g, d, 2, perm)
}

// greedyRowOrder returns the greedy row permutation, or nil when K fits in
// one strip (nothing to reorder).
func greedyRowOrder(in *GroupInput, win int) []int32 {
	h := in.Geo.OURows
	if in.K <= h {
		return nil
	}
	dig := in.digits()
	ncol := in.N * len(dig)
	words := (ncol + 63) / 64
	rv := make([]uint64, in.K*words)
	pc := make([]int32, in.K)
	mask := uint32(1)<<in.Bits - 1
	for k := 0; k < in.K; k++ {
		v := rv[k*words : (k+1)*words]
		for n, x := range in.W[k*in.N : (k+1)*in.N] {
			if in.Geo.CellBits != 1 { // nonzero digit columns
				for j, d := range dig {
					if c := n*len(dig) + j; d.level(x) != 0 {
						v[c/64] |= 1 << (c % 64)
					}
				}
				continue
			}
			u := uint32(x) & mask
			for u != 0 {
				c := n*in.Bits + bits.TrailingZeros32(u)
				u &= u - 1
				v[c/64] |= 1 << (c % 64)
			}
		}
		for _, x := range v {
			pc[k] += int32(bits.OnesCount64(x))
		}
	}
	pool := make([]int32, in.K)
	for i := range pool {
		pool[i] = int32(i)
	}
	slices.SortStableFunc(pool, func(a, b int32) int { return int(pc[a] - pc[b]) })
	// doubly linked list over pool positions of the unassigned rows
	next := make([]int32, in.K+1)
	prev := make([]int32, in.K+1)
	for i := 0; i <= in.K; i++ {
		next[i] = int32(i + 1) // position K+... acts as end
		prev[i] = int32(i - 1)
	}
	head := int32(0)
	end := int32(in.K)
	remove := func(p int32) {
		if prev[p] >= 0 {
			next[prev[p]] = next[p]
		} else {
			head = next[p]
		}
		if next[p] < end {
			prev[next[p]] = prev[p]
		}
	}
	perm := make([]int32, 0, in.K)
	acc := make([]uint64, words)
	for head < end {
		seed := head
		remove(seed)
		r := pool[seed]
		perm = append(perm, r)
		copy(acc, rv[int(r)*words:int(r+1)*words])
		for j := 1; j < h && head < end; j++ {
			best, bestCost := int32(-1), int(^uint(0)>>1)
			for p, t := head, 0; p < end && t < win; p, t = next[p], t+1 {
				v := rv[int(pool[p])*words : int(pool[p]+1)*words]
				cost := 0
				for i, x := range v {
					cost += bits.OnesCount64(x &^ acc[i])
				}
				if cost < bestCost {
					best, bestCost = p, cost
				}
			}
			remove(best)
			r := pool[best]
			perm = append(perm, r)
			for i, x := range rv[int(r)*words : int(r+1)*words] {
				acc[i] |= x
			}
		}
	}
	return perm
}
