package mapper

// zerocol maps every bit-column (digit column) that has a nonzero cell in
// the strip and skips the all-zero ones: zero-column skipping without
// merging.
type zerocol struct{}

func init() { register(zerocol{}) }

func (zerocol) Name() string { return "zerocol" }

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

// IndexBits: one logical-column index of ceil(log2(N·D)) bits per physical
// column (D = B digits with 1-bit cells), telling the periphery which
// (n, i) the column is.
func (zerocol) IndexBits(g *GroupMap, d Dims) int64 {
	return int64(g.Columns()) * bitsFor(d.N*d.digits())
}
