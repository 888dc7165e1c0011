package mapper

// zerocol maps every bit-column (digit column) that has a nonzero cell in
// the strip and skips the all-zero ones: zero-column skipping without
// merging.
type zerocol struct{ about }

func init() {
	register(zerocol{about{name: "zerocol", baseline: true, order: 20,
		summary: "bit columns that are all zero within a strip are skipped"}})
}

func (zerocol) MapGroup(in *GroupInput) (*GroupMap, error) {
	dig := in.digits()
	return mapStrips(in, nil, func() emitter {
		return func(b *builder, pat []uint64, ncol int) {
			for c := 0; c < ncol; c++ {
				p := pat[c*b.words : (c+1)*b.words]
				if !isZero(p) {
					b.addColumn1(p, ownerOf(c, dig))
				}
			}
		}
	}), nil
}

// Index: one logical-column index of ceil(log2(N·D)) bits per physical
// column (D = B digits with 1-bit cells), telling the periphery which
// (n, i) the column is, read by every activation of the column's OU.
func (zerocol) Index(g *GroupMap, d Dims) Index {
	return perOUIndex(g, d, bitsFor(d.N*d.digits()), 0, func(ou OU, _ int64) IndexReads {
		return IndexReads{Owners: int64(ou.ColCount)}
	})
}
