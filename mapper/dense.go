package mapper

// dense maps every bit-column (digit column with 2-bit cells) of every
// strip, zero or not: the layout of a crossbar accelerator that ignores
// sparsity.
type dense struct{}

func init() { register(dense{}) }

func (dense) Name() string { return "dense" }

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

// IndexBits: none, the position of a column in the strip is its logical
// column (n, i) (digit column (n, j) with 2-bit cells).
func (dense) IndexBits(*GroupMap, Dims) int64 { return 0 }
