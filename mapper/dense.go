package mapper

// dense maps every bit-column (digit column with 2-bit cells) of every
// strip, zero or not: the layout of a crossbar accelerator that ignores
// sparsity.
type dense struct{ about }

func init() {
	register(dense{about{name: "dense", baseline: true, order: 10,
		summary: "every bit column of every strip, zeros included (no sparsity support)"}})
}

func (dense) MapGroup(in *GroupInput) (*GroupMap, error) {
	dig := in.digits()
	return mapStrips(in, nil, func() emitter {
		return func(b *builder, pat []uint64, ncol int) {
			for c := 0; c < ncol; c++ {
				b.addColumn1(pat[c*b.words:], ownerOf(c, dig))
			}
		}
	}), nil
}

// Index: none, the position of a column in the strip is its logical column
// (n, i) (digit column (n, j) with 2-bit cells) and a strip's rows are its
// position.
func (dense) Index(g *GroupMap, d Dims) Index {
	return perOUIndex(g, d, 0, 0, func(OU, int64) IndexReads { return IndexReads{} })
}
