package mapper

import "fmt"

// colsim is the paper's method: inside each strip, bit-columns with the same
// h-bit pattern form a group; the all-zero group is dropped; every other
// group keeps one physical column per MaxShare owners (all of them when
// MaxShare is 0), and each owner gets an index entry (n, i, sign). Kept
// columns are packed densely, OUCols per OU.
type colsim struct{ about }

func init() {
	register(colsim{about{name: "colsim", maxShare: true, order: 40,
		summary: "the paper's column similarity: identical bit columns of a strip share one physical column (max-share owners each)"}})
}

func (colsim) MapGroup(in *GroupInput) (*GroupMap, error) {
	if in.Opts.MaxShare < 0 {
		return nil, fmt.Errorf("mapper: colsim: max share %d < 0", in.Opts.MaxShare)
	}
	return mapStrips(in, nil, colsimEmitter(in, false)), nil
}

// Index: one entry per owner of ceil(log2 N) output bits + ceil(log2 D)
// digit-position bits (D = B with 1-bit cells) + 1 sign (subtract) bit + 1
// "last owner of this column" bit that delimits the entries of consecutive
// kept columns; an OU activation reads the entries of its columns.
func (colsim) Index(g *GroupMap, d Dims) Index { return ownerIndex(g, d, 2, 0) }

// ownerIndex is the model of the colsim family: every OU activation reads
// the owner entries of its columns (ownerEntryBits with flags flag bits),
// plus permEntries read once per input vector.
func ownerIndex(g *GroupMap, d Dims, flags, permEntries int64) Index {
	return perOUIndex(g, d, ownerEntryBits(d, flags), permEntries, func(_ OU, owners int64) IndexReads {
		return IndexReads{Owners: owners}
	})
}

// colsimEmitter returns a factory of strip emitters that merge columns,
// each with its own grouper (one per goroutine).
func colsimEmitter(in *GroupInput, comp bool) func() emitter {
	return func() emitter {
		dig := in.digits()
		gr := newGrouper(in.N*len(dig), in.Geo, comp)
		return func(b *builder, pat []uint64, ncol int) { gr.emit(b, pat, ncol, dig, in.Opts.MaxShare) }
	}
}

// grouper groups the columns of one strip by pattern with an open-addressing
// hash table that is reused strip after strip (generation stamps instead of
// clearing). With comp set, a pattern and its complement over the strip's
// rows fall into one group. With 2-bit cells a pattern is both bit planes
// and its complement is the NOT of both (level 3 − l).
type grouper struct {
	words int
	rw    int // words per bit plane
	top   int // word offset of the top bit plane: canonical forms have its row 0 clear
	comp  bool
	slots []int32  // group id per slot
	stamp []uint32 // generation that wrote the slot
	gen   uint32
	// per strip
	key   []uint64 // canonical pattern per column
	gid   []int32  // group id per column, -1 = dropped
	rep   []int32  // first column of each group
	count []int32  // members per group
	start []int32  // counting-sort offsets
	pos   []int32
	order []int32  // columns sorted by group, dense order inside a group
	ones  []int32  // all-ones columns (comp)
	mask  []uint64 // the strip's row mask in every plane (comp): the all-top-level column
	tmp   []uint64
}

func newGrouper(ncol int, geo Geometry, comp bool) *grouper {
	size := 1
	for size < 2*ncol {
		size <<= 1
	}
	words, rw := geo.words(), geo.rowWords()
	return &grouper{
		words: words, rw: rw, top: words - rw, comp: comp,
		slots: make([]int32, size), stamp: make([]uint32, size),
		key: make([]uint64, ncol*words), gid: make([]int32, ncol),
		order: make([]int32, ncol), mask: make([]uint64, words), tmp: make([]uint64, words),
	}
}

func hashWords(p []uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range p {
		h = (h ^ v) * 0xff51afd7ed558ccd
		h ^= h >> 32
	}
	return h
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// emit adds the strip's kept columns to b.
func (gr *grouper) emit(b *builder, pat []uint64, ncol int, dig []Digit, maxShare int) {
	W, top := gr.words, gr.top
	gr.gen++
	if gr.gen == 0 { // wrapped: old stamps could alias
		clear(gr.stamp)
		gr.gen = 1
	}
	gr.rep, gr.count, gr.ones = gr.rep[:0], gr.count[:0], gr.ones[:0]
	if gr.comp {
		clear(gr.mask)
		for j := 0; j < int(b.rowCount); j++ {
			for p := 0; p < W; p += gr.rw {
				gr.mask[p+j/64] |= 1 << (j % 64)
			}
		}
	}
	tmask := uint64(len(gr.slots) - 1)
	for c := 0; c < ncol; c++ {
		p := pat[c*W : (c+1)*W]
		gr.gid[c] = -1
		if isZero(p) {
			continue
		}
		k := gr.key[c*W : (c+1)*W]
		copy(k, p)
		if gr.comp && p[top]&1 != 0 { // canonical form has row 0 clear in the top plane
			for i := range k {
				k[i] = ^k[i] & gr.mask[i]
			}
			if isZero(k) { // all ones: served by the strip's sum column
				gr.ones = append(gr.ones, int32(c))
				continue
			}
		}
		s := hashWords(k) & tmask
		for {
			if gr.stamp[s] != gr.gen {
				gr.stamp[s] = gr.gen
				gr.slots[s] = int32(len(gr.rep))
				gr.gid[c] = int32(len(gr.rep))
				gr.rep = append(gr.rep, int32(c))
				gr.count = append(gr.count, 1)
				break
			}
			g := gr.slots[s]
			r := int(gr.rep[g])
			if equalWords(gr.key[r*W:(r+1)*W], k) {
				gr.gid[c] = g
				gr.count[g]++
				break
			}
			s = (s + 1) & tmask
		}
	}
	// counting sort of the columns by group, stable (dense order inside)
	gr.start = append(gr.start[:0], make([]int32, len(gr.rep)+1)...)
	for g, n := range gr.count {
		gr.start[g+1] = gr.start[g] + n
	}
	gr.pos = append(gr.pos[:0], gr.start[:len(gr.rep)]...)
	pos := gr.pos
	for c := 0; c < ncol; c++ {
		if g := gr.gid[c]; g >= 0 {
			gr.order[pos[g]] = int32(c)
			pos[g]++
		}
	}
	share := maxShare
	if share <= 0 {
		share = ncol
	}
	owners := make([]Owner, 0, min(share, ncol))
	// the shared all-ones column comes first: it serves the all-ones columns
	// and gives the input sum to every Complement owner of the strip
	needSum := false
	if gr.comp {
		for c := 0; c < ncol; c++ {
			if g := gr.gid[c]; g >= 0 {
				r := int(gr.rep[g])
				if pat[r*W+top]&1 != pat[c*W+top]&1 {
					needSum = true
					break
				}
			}
		}
	}
	if needSum || len(gr.ones) > 0 {
		first := b.ncols()
		for i := 0; i == 0 || i < len(gr.ones); i += share {
			owners = owners[:0]
			for _, c := range gr.ones[i:min(i+share, len(gr.ones))] {
				owners = append(owners, ownerOf(int(c), dig))
			}
			b.addColumn(gr.mask, owners...)
		}
		if needSum {
			b.sumCol = first
		}
	}
	for g := range gr.rep {
		mem := gr.order[gr.start[g]:gr.start[g+1]]
		for i := 0; i < len(mem); i += share {
			chunk := mem[i:min(i+share, len(mem))]
			stored := pat[int(chunk[0])*W : int(chunk[0])*W+W]
			owners = owners[:0]
			for _, c := range chunk {
				o := ownerOf(int(c), dig)
				o.Complement = pat[int(c)*W+top]&1 != stored[top]&1
				owners = append(owners, o)
			}
			b.addColumn(stored, owners...)
		}
	}
}
