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
type colsimComp struct{ about }

func init() {
	register(colsimComp{about{name: "colsim-comp", maxShare: true, order: 50,
		summary: "colsim where a column equal to the NOT of a kept column is served by it and a per-strip sum column"}})
}

func (colsimComp) MapGroup(in *GroupInput) (*GroupMap, error) {
	if in.Opts.MaxShare < 0 {
		return nil, fmt.Errorf("mapper: colsim-comp: max share %d < 0", in.Opts.MaxShare)
	}
	return mapStrips(in, nil, colsimEmitter(in, true)), nil
}

// Index: colsim's entry (output, bit, sign, last-owner) plus one
// complement bit per entry.
func (colsimComp) Index(g *GroupMap, d Dims) Index { return ownerIndex(g, d, 3, 0) }
