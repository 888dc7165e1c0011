package mapper

import "fmt"

// colsimComp is colsim with complement merging: a column equal to the
// bitwise NOT of a kept column c (over the strip's rows) is served by c with
// Owner.Complement, its contribution being Σx − x·c. Σx comes from one
// all-ones physical column per strip (OU.SumCol), which is a real column:
// it costs cells and ADC conversions like any other, and it also serves the
// strip's all-ones logical columns as their owner. With 2-bit cells the
// complement of a level l is 3 − l (the NOT of both bits), the sum column
// stores level 3 on every wordline and gives 3·Σx.
type colsimComp struct{}

func init() { register(colsimComp{}) }

func (colsimComp) Name() string { return "colsim-comp" }

func (colsimComp) MapGroup(in *GroupInput) (*GroupMap, error) {
	if in.Opts.MaxShare < 0 {
		return nil, fmt.Errorf("mapper: colsim-comp: max share %d < 0", in.Opts.MaxShare)
	}
	return mapStrips(in, nil, colsimEmitter(in, true)), nil
}

// IndexBits: colsim's entry (output, bit, sign, last-owner) plus one
// complement bit per entry.
func (colsimComp) IndexBits(g *GroupMap, d Dims) int64 {
	return int64(len(g.Owners)) * (bitsFor(d.N) + bitsFor(d.digits()) + 3)
}
