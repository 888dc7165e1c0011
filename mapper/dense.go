package mapper

// dense maps every bit-column of every strip, zero or not: the layout of a
// crossbar accelerator that ignores sparsity.
type dense struct{}

func init() { register(dense{}) }

func (dense) Name() string { return "dense" }

func (dense) MapGroup(in *GroupInput) (*GroupMap, error) {
	return mapStrips(in, func(b *builder, pat []uint64, ncol int) {
		for c := 0; c < ncol; c++ {
			b.addColumn(pat[c*b.words:], ownerOf(c, in.Bits))
		}
	}), nil
}

// IndexBits: none, the position of a column in the strip is its logical
// column (n, i).
func (dense) IndexBits(*GroupMap, Dims) int64 { return 0 }

// mapStrips runs a strip-based scheme: rows 0..K-1 in order are cut into
// strips of OURows; emit adds the strip's physical columns given the
// patterns of its N·B logical columns.
func mapStrips(in *GroupInput, emit func(b *builder, pat []uint64, ncol int)) *GroupMap {
	return mapStripsRows(in, nil, emit)
}

// mapStripsRows is mapStrips over a row order perm (nil = identity).
func mapStripsRows(in *GroupInput, perm []int32, emit func(b *builder, pat []uint64, ncol int)) *GroupMap {
	h := in.Geo.OURows
	ncol := in.N * in.Bits
	nstrips := (in.K + h - 1) / h
	b := newBuilder(in.Geo, nstrips*ncol/2+1, in.K)
	pat := make([]uint64, ncol*b.words)
	rows := make([]int32, 0, h)
	for s := 0; s < nstrips; s++ {
		lo, hi := s*h, min(s*h+h, in.K)
		if perm != nil {
			rows = append(rows[:0], perm[lo:hi]...)
		} else {
			rows = contiguous(rows, lo, hi)
		}
		stripPatterns(in.W, in.N, in.Bits, rows, b.words, pat)
		b.beginStrip(rows)
		emit(b, pat, ncol)
		b.endStrip()
	}
	return b.finish()
}
