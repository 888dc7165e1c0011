package mapper

import (
	"math/bits"
	"slices"
)

// builder assembles a GroupMap. OUs are recorded with their (row tile,
// column tile) coordinates; finish turns the occupied tiles into crossbar
// indices.
type builder struct {
	geo   Geometry
	words int
	g     *GroupMap
	rt    []int32 // row tile of each OU
	ct    []int32 // column tile of each OU
	// strip state (strip-based schemes)
	strip    int   // strips begun so far
	rowStart int32 // RowIdx offset of the current strip
	rowCount int32
	colStart int32 // first column of the current strip
	sumCol   int32
}

func newBuilder(geo Geometry, estCols, estRows int) *builder {
	w := geo.words()
	return &builder{
		geo:   geo,
		words: w,
		g: &GroupMap{
			Words:      w,
			RowIdx:     make([]int32, 0, estRows),
			ColBits:    make([]uint64, 0, estCols*w),
			OwnerStart: append(make([]int32, 0, estCols+1), 0),
			Owners:     make([]Owner, 0, estCols),
		},
	}
}

// addColumn appends one physical column with the given cell bits and owners.
func (b *builder) addColumn(pat []uint64, owners ...Owner) {
	if b.words == 1 { // the common case, without a copy call
		b.g.ColBits = append(b.g.ColBits, pat[0])
	} else {
		b.g.ColBits = append(b.g.ColBits, pat[:b.words]...)
	}
	for _, o := range owners {
		b.g.Owners = append(b.g.Owners, o)
	}
	b.g.OwnerStart = append(b.g.OwnerStart, int32(len(b.g.Owners)))
}

// addColumn1 is addColumn with a single owner.
func (b *builder) addColumn1(pat []uint64, o Owner) {
	if b.words == 1 {
		b.g.ColBits = append(b.g.ColBits, pat[0])
	} else {
		b.g.ColBits = append(b.g.ColBits, pat[:b.words]...)
	}
	b.g.Owners = append(b.g.Owners, o)
	b.g.OwnerStart = append(b.g.OwnerStart, int32(len(b.g.Owners)))
}

// ncols is the number of physical columns so far.
func (b *builder) ncols() int32 { return int32(len(b.g.OwnerStart) - 1) }

// beginStrip starts a strip on the given logical rows (at most OURows).
func (b *builder) beginStrip(rows []int32) {
	b.rowStart = int32(len(b.g.RowIdx))
	b.rowCount = int32(len(rows))
	b.g.RowIdx = append(b.g.RowIdx, rows...)
	b.colStart = b.ncols()
	b.sumCol = -1
}

// endStrip cuts the strip's columns into OUs of OUCols columns. Strip s lies
// in row tile s / stripsPerTile; its j-th OU in column tile j / ousPerTile.
func (b *builder) endStrip() {
	w := int32(b.geo.OUCols)
	rt := int32(b.strip / b.geo.stripsPerTile())
	opt := b.geo.ousPerTile()
	end := b.ncols()
	for j, c := 0, b.colStart; c < end; j, c = j+1, c+w {
		cnt := min(w, end-c)
		b.addOU(OU{RowStart: b.rowStart, RowCount: b.rowCount, ColStart: c, ColCount: cnt, SumCol: b.sumCol}, rt, int32(j/opt))
	}
	b.strip++
}

func (b *builder) addOU(ou OU, rt, ct int32) {
	b.g.OUs = append(b.g.OUs, ou)
	b.rt = append(b.rt, rt)
	b.ct = append(b.ct, ct)
}

// tileGridLimit is the largest tile grid finish numbers with a flat array
// (a variable so that the tests can force the sorted path).
var tileGridLimit int64 = 1 << 22

// finish numbers the occupied crossbars: the crossbar index of an OU is the
// rank of its (row tile, column tile) pair among all occupied pairs in
// row-major order, and Crossbars is the number of occupied pairs.
func (b *builder) finish() *GroupMap {
	var nrt, nct int64
	for i := range b.rt {
		nrt = max(nrt, int64(b.rt[i])+1)
		nct = max(nct, int64(b.ct[i])+1)
	}
	if nrt*nct <= tileGridLimit {
		// small tile grid: mark the occupied tiles, number them in order
		used := make([]int32, nrt*nct)
		for i := range b.rt {
			used[int64(b.rt[i])*nct+int64(b.ct[i])] = 1
		}
		n := int32(0)
		for i, u := range used {
			if u != 0 {
				used[i] = n
				n++
			}
		}
		for i := range b.g.OUs {
			b.g.OUs[i].Crossbar = used[int64(b.rt[i])*nct+int64(b.ct[i])]
		}
		b.g.Crossbars = int(n)
		return b.g
	}
	// huge sparse grid (tiny crossbars, huge layers): rank sorted keys
	keys := make([]int64, len(b.rt))
	for i := range b.rt {
		keys[i] = int64(b.rt[i])*nct + int64(b.ct[i])
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(keys)))
	for i, k := range keys {
		r, _ := slices.BinarySearch(uniq, k)
		b.g.OUs[i].Crossbar = int32(r)
	}
	b.g.Crossbars = len(uniq)
	return b.g
}

// stripPatterns fills pat (N·B columns × words) with the cell bits of every
// logical column (n, i) = n·B+i over the given rows: bit j of column c is bit
// i of weight W[rows[j]][n].
func stripPatterns(w []int32, n, nbits int, rows []int32, words int, pat []uint64) {
	clear(pat[:n*nbits*words])
	mask := uint32(1)<<nbits - 1
	for j, r := range rows {
		row := w[int(r)*n : int(r)*n+n]
		word, bit := j/64, uint64(1)<<(j%64)
		base := word
		for _, v := range row {
			u := uint32(v) & mask
			for u != 0 {
				i := bits.TrailingZeros32(u)
				pat[base+i*words] |= bit
				u &= u - 1
			}
			base += nbits * words
		}
	}
}

// isZero reports whether every word of p is zero.
func isZero(p []uint64) bool {
	for _, v := range p {
		if v != 0 {
			return false
		}
	}
	return true
}

// ownerOf is the index entry of logical (digit) column c = n·D+j, D =
// len(dig): output n, digit j's shift, negated for the sign digit. With
// 1-bit cells digit j is bit j.
func ownerOf(c int, dig []Digit) Owner {
	d := dig[c%len(dig)]
	return Owner{Out: int32(c / len(dig)), Bit: d.Shift, Negate: d.Neg}
}

// contiguous returns the row indices lo..hi-1 in buf.
func contiguous(buf []int32, lo, hi int) []int32 {
	buf = buf[:0]
	for r := lo; r < hi; r++ {
		buf = append(buf, int32(r))
	}
	return buf
}
