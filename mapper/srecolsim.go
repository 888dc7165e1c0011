package mapper

import (
	"cmp"
	"math/bits"
	"slices"
)

// sreColsim combines SRE's row compression with colsim's column merging,
// choosing per column band whichever needs fewer OU activations.
//
// The N·D logical columns are cut, as in sre, into column groups of OUCols.
// A band is a run of 2^L groups aligned to a multiple of 2^L (a node of the
// binary tree over the groups). A band is mapped in one of two ways:
//
//   - plain: the K rows are cut into strips of OURows consecutive rows, as
//     in colsim, and each strip's band columns are merged as in colsim;
//   - compressed: the rows that are zero in every column of the band are
//     removed (over the whole K, as in sre), the remaining rows, ascending,
//     are cut into strips of OURows, and each strip's band columns are
//     merged as in colsim (all-zero columns dropped, identical ones share a
//     physical column, MaxShare owners each); for bands of at most 64
//     columns the compressed rows are also tried ordered by their
//     nonzero-column mask over the band (rows nonzero in the same columns
//     share strips, so the strips' other columns are zero and dropped).
//
// Either way a strip's kept columns are packed OUCols per OU, so a strip
// costs ceil(kept/OUCols) OU activations per input bit. The cost of every
// band of the tree in both ways is counted, and a bottom-up pass keeps for
// each node the cheapest of: plain, compressed (ascending, then
// mask-ordered), or its two halves mapped independently (ties: plain, then
// compressed ascending, then mask-ordered, then the halves). The
// layout follows the chosen bands.
//
// Guarantees (per group, hence per layer): a one-group band compressed is
// sre's OUs for that group exactly (its strips are sre's, each kept
// column set fits one OU), so the chosen layout never needs more OU
// activations than sre; the whole-width band plain is colsim exactly, so it
// never needs more than colsim with the same MaxShare either.
//
// Placement: strip j of a band whose first group is g0 lies in row tile
// j / stripsPerTile, its k-th OU in column tile (g0 + k) / ousPerTile; a
// strip has at most as many OUs as its band has groups, so bands never
// share an OU slot.
type sreColsim struct{ about }

func init() {
	register(sreColsim{about{name: "sre-colsim", maxShare: true, order: 70,
		summary: "per column band the cheaper of SRE row compression and plain strips, colsim merging inside; never more OU activations than sre or colsim"}})
}

// Index: colsim's owner entries (output, digit, sign, last owner) for every
// OU, plus, for an OU of a compressed band (rows not an ascending run), an
// input entry of ceil(log2 K) bits per wordline, as in sre.
func (sreColsim) Index(g *GroupMap, d Dims) Index {
	return perOUIndex(g, d, ownerEntryBits(d, 2), 0, func(ou OU, owners int64) IndexReads {
		r := IndexReads{Owners: owners}
		rows := g.RowIdx[ou.RowStart : ou.RowStart+ou.RowCount]
		for j := 1; j < len(rows); j++ {
			if rows[j] != rows[j-1]+1 {
				r.Inputs = int64(ou.RowCount)
				break
			}
		}
		return r
	})
}

func (sreColsim) MapGroup(in *GroupInput) (*GroupMap, error) {
	p := newBandPlanner(in)
	return p.build(p.plan()), nil
}

// bandPlanner holds the sizes and scratch space of one group.
type bandPlanner struct {
	in          *GroupInput
	dig         []Digit
	nd, ncol    int // digits per output, logical columns
	ngrp        int // column groups of OUCols
	h, w, share int // OU rows and columns, max share (0 = unlimited)
	words, rw   int // words per column pattern and per bit plane
	pat         []uint64
	pc          *patCounter
}

func newBandPlanner(in *GroupInput) *bandPlanner {
	dig := in.digits()
	p := &bandPlanner{in: in, dig: dig, nd: len(dig), ncol: in.N * len(dig),
		h: in.Geo.OURows, w: in.Geo.OUCols, share: in.Opts.MaxShare,
		words: in.Geo.words(), rw: in.Geo.rowWords()}
	p.ngrp = (p.ncol + p.w - 1) / p.w
	p.pat = make([]uint64, p.ncol*p.words)
	p.pc = newPatCounter(p.ncol)
	return p
}

// band is a run of column groups [g0, g1) and how it is mapped.
type band struct {
	g0, g1     int
	compressed bool
	// sorted: the compressed rows ordered by their nonzero-column mask
	// over the band (bands of at most 64 columns) instead of ascending
	sorted bool
}

// cols returns the band's logical columns [c0, c1).
func (p *bandPlanner) cols(b band) (int, int) { return b.g0 * p.w, min(b.g1*p.w, p.ncol) }

// plan counts every tree band both ways and returns the chosen bands in
// column order.
func (p *bandPlanner) plan() []band {
	type node struct {
		plain, comp, sorted, best int64
		choice                    int // 0 plain, 1 compressed, 2 halves, 3 compressed sorted
	}
	var levels [][]node
	for size := 1; ; size *= 2 {
		levels = append(levels, make([]node, (p.ngrp+size-1)/size))
		if size >= p.ngrp {
			break
		}
	}
	// plain: every strip's patterns once, counted over every band
	nstrips := (p.in.K + p.h - 1) / p.h
	rows := make([]int32, 0, p.h)
	ids := make([]int32, p.ncol)
	bc := &bandCounter{}
	for s := 0; s < nstrips; s++ {
		rows = contiguous(rows, s*p.h, min(s*p.h+p.h, p.in.K))
		if p.in.Geo.CellBits == 2 {
			stripDigits(p.in.W, p.in.N, p.dig, rows, p.rw, p.pat)
		} else {
			stripPatterns(p.in.W, p.in.N, p.in.Bits, rows, p.words, p.pat)
		}
		// group the strip's columns by pattern once, then count each
		// band's physical columns from the group ids
		p.pc.group(p.pat, p.words, p.ncol, ids)
		for li, lv := range levels {
			size := 1 << li
			for i := range lv {
				c0, c1 := p.cols(band{g0: i * size, g1: (i + 1) * size})
				lv[i].plain += p.ous(bc.kept(ids[c0:c1], p.share))
			}
		}
	}
	// compressed: the band's nonzero rows, a leaf's from the weights, a
	// parent's the union of its children's
	list := p.groupRows()
	for li, lv := range levels {
		size := 1 << li
		for i := range lv {
			b := band{g0: i * size, g1: min((i+1)*size, p.ngrp)}
			lv[i].comp = p.compressedCost(b, list[i])
			lv[i].sorted = 1 << 62
			if c0, c1 := p.cols(b); c1-c0 <= 64 {
				lv[i].sorted = p.compressedCost(b, p.sortByMask(list[i], c0, c1))
			}
		}
		if li+1 < len(levels) {
			next := make([][]int32, len(levels[li+1]))
			for i := range next {
				next[i] = list[2*i]
				if 2*i+1 < len(list) {
					next[i] = mergeRows(list[2*i], list[2*i+1])
				}
			}
			list = next
		}
	}
	// bottom-up choice
	for li, lv := range levels {
		for i := range lv {
			n := &lv[i]
			n.best, n.choice = n.plain, 0
			if n.comp < n.best {
				n.best, n.choice = n.comp, 1
			}
			if n.sorted < n.best {
				n.best, n.choice = n.sorted, 3
			}
			if li > 0 {
				prev := levels[li-1]
				halves := prev[2*i].best
				if 2*i+1 < len(prev) {
					halves += prev[2*i+1].best
				}
				if halves < n.best {
					n.best, n.choice = halves, 2
				}
			}
		}
	}
	var out []band
	var walk func(li, i int)
	walk = func(li, i int) {
		size := 1 << li
		b := band{g0: i * size, g1: min((i+1)*size, p.ngrp)}
		switch levels[li][i].choice {
		case 0:
			out = append(out, b)
		case 1, 3:
			b.compressed, b.sorted = true, levels[li][i].choice == 3
			out = append(out, b)
		default:
			walk(li-1, 2*i)
			if 2*i+1 < len(levels[li-1]) {
				walk(li-1, 2*i+1)
			}
		}
	}
	walk(len(levels)-1, 0)
	return out
}

// ous is the OU count of a strip with kept physical columns.
func (p *bandPlanner) ous(kept int) int64 { return int64((kept + p.w - 1) / p.w) }

// compressedCost is the OU count of band b mapped compressed over its
// nonzero rows.
func (p *bandPlanner) compressedCost(b band, rows []int32) int64 {
	c0, c1 := p.cols(b)
	cs := c0 / p.nd * p.nd
	var n int64
	for lo := 0; lo < len(rows); lo += p.h {
		p.bandPatterns(rows[lo:min(lo+p.h, len(rows))], cs, c0, c1)
		n += p.ous(p.pc.kept(p.pat, p.words, c0-cs, c1-cs, p.share))
	}
	return n
}

// sortByMask returns rows ordered by their nonzero-column mask over the
// logical columns [c0, c1) (at most 64), ties in row order: rows that are
// nonzero in the same columns share strips, so a strip's other columns are
// all zero and dropped.
func (p *bandPlanner) sortByMask(rows []int32, c0, c1 int) []int32 {
	type keyed struct {
		mask uint64
		row  int32
	}
	ks := make([]keyed, len(rows))
	n0, n1 := c0/p.nd, (c1-1)/p.nd
	oneBit := p.in.Geo.CellBits != 2
	bmask := uint64(1)<<p.in.Bits - 1
	for i, r := range rows {
		var m uint64
		row := p.in.W[int(r)*p.in.N:]
		for n := n0; n <= n1; n++ {
			v := row[n]
			if v == 0 {
				continue
			}
			var u uint64 // nonzero digits of v
			if oneBit {
				u = uint64(uint32(v)) & bmask
			} else {
				for j, d := range p.dig {
					if d.level(v) != 0 {
						u |= 1 << j
					}
				}
			}
			// place digit j of output n at bit n·D+j−c0 (within [0, 64))
			if sh := n*p.nd - c0; sh >= 0 {
				m |= u << sh
			} else {
				m |= u >> -sh
			}
		}
		if w := c1 - c0; w < 64 {
			m &= 1<<w - 1
		}
		ks[i] = keyed{m, r}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.mask, b.mask) })
	out := make([]int32, len(rows))
	for i, k := range ks {
		out[i] = k.row
	}
	return out
}

// groupRows lists, per column group, the rows that are nonzero in it, in
// increasing order.
func (p *bandPlanner) groupRows() [][]int32 {
	rows := make([][]int32, p.ngrp)
	seen := make([]int32, p.ngrp) // last row + 1 that marked the group
	for k := 0; k < p.in.K; k++ {
		for n, v := range p.in.W[k*p.in.N : (k+1)*p.in.N] {
			if v == 0 {
				continue
			}
			for j, d := range p.dig {
				if d.level(v) == 0 {
					continue
				}
				if g := (n*p.nd + j) / p.w; seen[g] != int32(k+1) {
					seen[g] = int32(k + 1)
					rows[g] = append(rows[g], int32(k))
				}
			}
		}
	}
	return rows
}

// bandRows lists the rows that are nonzero in band b, in increasing order.
func (p *bandPlanner) bandRows(b band) []int32 {
	c0, c1 := p.cols(b)
	var rows []int32
	for k := 0; k < p.in.K; k++ {
		if p.rowNonzero(k, c0, c1) {
			rows = append(rows, int32(k))
		}
	}
	return rows
}

// rowNonzero reports whether row k has a nonzero digit in columns [c0, c1).
func (p *bandPlanner) rowNonzero(k, c0, c1 int) bool {
	for n := c0 / p.nd; n <= (c1-1)/p.nd; n++ {
		v := p.in.W[k*p.in.N+n]
		if v == 0 {
			continue
		}
		for j, d := range p.dig {
			if c := n*p.nd + j; c >= c0 && c < c1 && d.level(v) != 0 {
				return true
			}
		}
	}
	return false
}

// bandPatterns fills p.pat with the cell patterns of logical columns
// [cs, c1) over rows, column c at word (c−cs)·words, bit planes as in
// stripDigits; the columns before c0 (other bands' digits of the first
// output) are left zero, so that colsim drops them.
func (p *bandPlanner) bandPatterns(rows []int32, cs, c0, c1 int) {
	clear(p.pat[:(c1-cs)*p.words])
	if p.in.Geo.CellBits != 2 { // 1-bit cells: digit i is bit i
		nb := p.in.Bits
		mask := uint32(1)<<nb - 1
		for j, r := range rows {
			row := p.in.W[int(r)*p.in.N:]
			word, bit := j/64, uint64(1)<<(j%64)
			for n := cs / nb; n <= (c1-1)/nb; n++ {
				u := uint32(row[n]) & mask
				if u == 0 {
					continue
				}
				base := n * nb
				if base < c0 {
					u &= ^uint32(0) << (c0 - base)
				}
				if base+nb > c1 {
					u &= 1<<(c1-base) - 1
				}
				for u != 0 {
					i := bits.TrailingZeros32(u)
					u &= u - 1
					p.pat[(base+i-cs)*p.words+word] |= bit
				}
			}
		}
		return
	}
	for j, r := range rows {
		row := p.in.W[int(r)*p.in.N:]
		word, bit := j/64, uint64(1)<<(j%64)
		for n := cs / p.nd; n <= (c1-1)/p.nd; n++ {
			v := row[n]
			if v == 0 {
				continue
			}
			for jd, d := range p.dig {
				c := n*p.nd + jd
				if c < c0 || c >= c1 {
					continue
				}
				l := d.level(v)
				base := (c-cs)*p.words + word
				for plane := 0; l != 0; plane, l = plane+1, l>>1 {
					if l&1 != 0 {
						p.pat[base+plane*p.rw] |= bit
					}
				}
			}
		}
	}
}

// build lays out the chosen bands.
func (p *bandPlanner) build(bands []band) *GroupMap {
	geo := p.in.Geo
	b := newBuilder(geo, 0, 0)
	gr := newGrouper(p.ncol, geo, false)
	spt, opt := geo.stripsPerTile(), geo.ousPerTile()
	rows := make([]int32, 0, p.h)
	for _, bd := range bands {
		c0, c1 := p.cols(bd)
		cs := c0 / p.nd * p.nd
		var kept []int32
		nstrips := (p.in.K + p.h - 1) / p.h
		if bd.compressed {
			kept = p.bandRows(bd)
			if bd.sorted {
				kept = p.sortByMask(kept, c0, c1)
			}
			nstrips = (len(kept) + p.h - 1) / p.h
		}
		for s := 0; s < nstrips; s++ {
			if bd.compressed {
				rows = append(rows[:0], kept[s*p.h:min(s*p.h+p.h, len(kept))]...)
			} else {
				rows = contiguous(rows, s*p.h, min(s*p.h+p.h, p.in.K))
			}
			p.bandPatterns(rows, cs, c0, c1)
			b.beginStrip(rows)
			first := len(b.g.Owners)
			gr.emit(b, p.pat, c1-cs, p.dig, p.share)
			for i := range b.g.Owners[first:] {
				b.g.Owners[first+i].Out += int32(cs / p.nd)
			}
			end := b.ncols()
			for k, c := 0, b.colStart; c < end; k, c = k+1, c+int32(p.w) {
				b.addOU(OU{RowStart: b.rowStart, RowCount: b.rowCount, ColStart: c, ColCount: min(int32(p.w), end-c), SumCol: -1},
					int32(s/spt), int32((bd.g0+k)/opt))
			}
		}
	}
	return b.finish()
}

// mergeRows is the sorted union of two increasing row lists.
func mergeRows(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// group sets ids[c] to the pattern group of column c of pat (words per
// column) for the first ncol columns, -1 for an all-zero column.
func (pc *patCounter) group(pat []uint64, words, ncol int, ids []int32) {
	pc.gen++
	if pc.gen == 0 {
		clear(pc.stamp)
		pc.gen = 1
	}
	pc.rep = pc.rep[:0]
	mask := uint64(len(pc.slots) - 1)
	for c := 0; c < ncol; c++ {
		k := pat[c*words : (c+1)*words]
		ids[c] = -1
		if isZero(k) {
			continue
		}
		for s := hashWords(k) & mask; ; s = (s + 1) & mask {
			if pc.stamp[s] != pc.gen {
				pc.stamp[s] = pc.gen
				pc.slots[s] = int32(len(pc.rep))
				ids[c] = int32(len(pc.rep))
				pc.rep = append(pc.rep, int32(c))
				break
			}
			g := pc.slots[s]
			r := int(pc.rep[g])
			if equalWords(pat[r*words:(r+1)*words], k) {
				ids[c] = g
				break
			}
		}
	}
}

// bandCounter counts the physical columns of a run of columns from their
// pattern group ids (patCounter.group).
type bandCounter struct {
	count []int32 // members per group in the current run
	stamp []uint32
	gen   uint32
	seen  []int32 // groups of the current run
}

// kept is the number of physical columns colsim keeps for columns with the
// group ids: ceil(members/share) per group (1 when share is 0).
func (bc *bandCounter) kept(ids []int32, share int) int {
	bc.gen++
	if bc.gen == 0 {
		clear(bc.stamp)
		bc.gen = 1
	}
	bc.seen = bc.seen[:0]
	for _, g := range ids {
		if g < 0 {
			continue
		}
		for int(g) >= len(bc.count) {
			bc.count = append(bc.count, 0)
			bc.stamp = append(bc.stamp, 0)
		}
		if bc.stamp[g] != bc.gen {
			bc.stamp[g] = bc.gen
			bc.count[g] = 0
			bc.seen = append(bc.seen, g)
		}
		bc.count[g]++
	}
	if share <= 0 {
		return len(bc.seen)
	}
	n := 0
	for _, g := range bc.seen {
		n += (int(bc.count[g]) + share - 1) / share
	}
	return n
}

// patCounter counts the physical columns colsim keeps for a run of column
// patterns: distinct nonzero patterns, ceil(count/share) each (1 each when
// share is 0), with an open-addressing table reused between calls
// (generation stamps instead of clearing).
type patCounter struct {
	slots []int32 // pattern group per slot
	stamp []uint32
	gen   uint32
	rep   []int32 // first column of each group
	count []int32
}

func newPatCounter(ncol int) *patCounter {
	size := 1
	for size < 2*ncol {
		size <<= 1
	}
	return &patCounter{slots: make([]int32, size), stamp: make([]uint32, size)}
}

// kept is the number of physical columns for columns [c0, c1) of pat
// (words per column).
func (pc *patCounter) kept(pat []uint64, words, c0, c1, share int) int {
	pc.gen++
	if pc.gen == 0 {
		clear(pc.stamp)
		pc.gen = 1
	}
	pc.rep, pc.count = pc.rep[:0], pc.count[:0]
	mask := uint64(len(pc.slots) - 1)
	for c := c0; c < c1; c++ {
		k := pat[c*words : (c+1)*words]
		if isZero(k) {
			continue
		}
		for s := hashWords(k) & mask; ; s = (s + 1) & mask {
			if pc.stamp[s] != pc.gen {
				pc.stamp[s] = pc.gen
				pc.slots[s] = int32(len(pc.rep))
				pc.rep = append(pc.rep, int32(c))
				pc.count = append(pc.count, 1)
				break
			}
			g := pc.slots[s]
			r := int(pc.rep[g])
			if equalWords(pat[r*words:(r+1)*words], k) {
				pc.count[g]++
				break
			}
		}
	}
	if share <= 0 {
		return len(pc.count)
	}
	n := 0
	for _, c := range pc.count {
		n += (int(c) + share - 1) / share
	}
	return n
}
