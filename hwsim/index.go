package hwsim

import (
	"fmt"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// Index tables. A scheme that moves columns or rows away from their dense
// position needs tables telling the periphery where each converted column
// goes (owner entries) or which input drives each wordline (input entries).
// What a scheme stores and what each OU activation reads is the scheme's
// own index model (mapper.Scheme Index; the mapper's doc.go lists them):
// the simulator charges each activation the entries of its OU, and each
// input vector the entries of a whole-group input permutation. A mapping
// whose scheme is not registered has no index model and is refused.

// indexLayout is the index model of one layer group.
type indexLayout struct {
	model     mapper.Index
	inputBits int64 // bits per input entry
	// permEntries is the number of input-permutation entries read once per
	// input vector.
	permEntries int64
}

// ouIndex is what one activation of an OU reads from the index tables.
type ouIndex struct {
	ownerEntries, inputEntries int64
}

// newIndexLayout is the index model of gm, a group of l mapped by the
// scheme; gm's OUs and owner ranges must be valid.
func newIndexLayout(scheme string, l *quant.Linear, gm *mapper.GroupMap, cellBits int) (indexLayout, error) {
	s, err := mapper.LookupScheme(scheme)
	if err != nil {
		return indexLayout{}, fmt.Errorf("hwsim: no index model: %w", err)
	}
	m := s.Index(gm, mapper.Dims{K: l.K, N: l.N, Bits: l.WBits, CellBits: cellBits})
	return indexLayout{model: m, inputBits: m.InputBits, permEntries: m.PermEntries}, nil
}

// forOU returns the entries one activation of OU i reads.
func (ix *indexLayout) forOU(i int) ouIndex {
	r := ix.model.Reads(i)
	return ouIndex{ownerEntries: r.Owners, inputEntries: r.Inputs}
}

// bits returns the size in bits of the entries e.
func (ix *indexLayout) bits(e ouIndex) int64 {
	return ix.model.Bits(mapper.IndexReads{Owners: e.ownerEntries, Inputs: e.inputEntries})
}

// storage returns the index storage of the group in bits.
func (ix *indexLayout) storage() int64 { return ix.model.StorageBits }
