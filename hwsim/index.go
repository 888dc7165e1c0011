package hwsim

import (
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// Index tables. A scheme that moves columns or rows away from their dense
// position needs tables telling the periphery where each converted column
// goes (owner entries) or which input drives each wordline (input entries).
// The storage follows the mapper's scheme definitions (mapper.Scheme
// IndexBits); the reads are charged per OU activation for the entries of
// that OU, and per input vector for a whole-layer input permutation.
//
// With 2-bit cells B below reads D, the digit columns per output
// (mapper.DigitCount), and the bit position is a digit index.
//
//	dense        none
//	zerocol      one column index of ceil(log2(N·B)) bits per physical column
//	sre          one input index of ceil(log2 K) bits per OU wordline
//	colsim       one owner entry per owner: ceil(log2 N) + ceil(log2 B) + 2 bits
//	             (output, bit position, sign, last-owner flag)
//	colsim-comp  colsim's entry + 1 complement bit
//	rowreorder   colsim's entries + an input permutation of K·ceil(log2 K)
//	             bits when the row order is not the identity, read once per
//	             input vector
//
// A mapping of another (unregistered) scheme is classified from its data:
// an OU whose columns are one aligned dense column group with plain owners
// needs no owner entries, others need one per owner of ceil(log2 N) +
// ceil(log2 B) (+1 per flag the layer uses: several owners per column,
// complement, a sign not implied by the bit); an OU whose rows are not a
// contiguous ascending range needs an input entry per wordline.

// indexLayout is the index model of one layer group.
type indexLayout struct {
	scheme    string
	known     bool
	cellBits  int
	ownerBits int64 // bits per owner (or column) entry
	inputBits int64 // bits per input entry
	// permEntries is the number of input-permutation entries read once per
	// input vector (rowreorder with a non-identity order).
	permEntries int64
}

// ouIndex is what one activation of an OU reads from the index tables.
type ouIndex struct {
	ownerEntries, inputEntries int64
}

// ceilLog2 is ceil(log2 n), 0 for n ≤ 1 (the mapper's convention).
func ceilLog2(n int) int64 {
	b := int64(0)
	for v := 1; v < n; v <<= 1 {
		b++
	}
	return b
}

func newIndexLayout(scheme string, l *quant.Linear, gm *mapper.GroupMap, cellBits int) indexLayout {
	ix := indexLayout{scheme: scheme, known: true, inputBits: ceilLog2(l.K), cellBits: cellBits}
	// D digit columns per output (B with 1-bit cells)
	nd := mapper.DigitCount(l.WBits, cellBits)
	switch scheme {
	case "dense":
	case "zerocol":
		ix.ownerBits = ceilLog2(l.N * nd)
	case "sre":
	case "colsim":
		ix.ownerBits = ceilLog2(l.N) + ceilLog2(nd) + 2
	case "colsim-comp":
		ix.ownerBits = ceilLog2(l.N) + ceilLog2(nd) + 3
	case "rowreorder":
		ix.ownerBits = ceilLog2(l.N) + ceilLog2(nd) + 2
		for i, r := range gm.RowIdx {
			if r != int32(i) {
				ix.permEntries = int64(l.K)
				break
			}
		}
	default:
		ix.known = false
		multi, comp, oddNeg := false, false, false
		for c := 0; c+1 < len(gm.OwnerStart); c++ {
			if gm.OwnerStart[c+1]-gm.OwnerStart[c] > 1 {
				multi = true
			}
		}
		for _, o := range gm.Owners {
			comp = comp || o.Complement
			oddNeg = oddNeg || o.Negate != (int(o.Bit) == l.WBits-1)
		}
		ix.ownerBits = int64(bitsFor(l.N) + bitsFor(nd))
		for _, f := range []bool{multi, comp, oddNeg} {
			if f {
				ix.ownerBits++
			}
		}
		ix.inputBits = int64(bitsFor(l.K))
	}
	return ix
}

// forOU returns the entries one activation of ou reads. owners is the
// number of owner entries of its columns.
func (ix *indexLayout) forOU(gm *mapper.GroupMap, ou mapper.OU, owners int64, l *quant.Linear, ouCols int) ouIndex {
	switch ix.scheme {
	case "dense":
		return ouIndex{}
	case "zerocol":
		return ouIndex{ownerEntries: int64(ou.ColCount)}
	case "sre":
		return ouIndex{inputEntries: int64(ou.RowCount)}
	case "colsim", "colsim-comp", "rowreorder":
		return ouIndex{ownerEntries: owners}
	}
	var r ouIndex
	if !positional(gm, ou, l.WBits, ix.cellBits, l.N, ouCols) {
		r.ownerEntries = owners
	}
	if !contiguous(gm.RowIdx[ou.RowStart : ou.RowStart+ou.RowCount]) {
		r.inputEntries = int64(ou.RowCount)
	}
	return r
}

// bits returns the size in bits of the entries e.
func (ix *indexLayout) bits(e ouIndex) int64 {
	return e.ownerEntries*ix.ownerBits + e.inputEntries*ix.inputBits
}

// storage returns the index storage of a group in bits: the mapper's
// figure for registered schemes, the sum over OUs plus the permutation
// otherwise.
func (ix *indexLayout) storage(gm *mapper.GroupMap, l *quant.Linear, perOU int64) int64 {
	if ix.known {
		if s, err := mapper.LookupScheme(ix.scheme); err == nil {
			return s.IndexBits(gm, mapper.Dims{K: l.K, N: l.N, Bits: l.WBits, CellBits: ix.cellBits})
		}
	}
	return perOU + ix.permEntries*ix.inputBits
}

// contiguous reports whether rows is an ascending run r, r+1, ...
func contiguous(rows []int32) bool {
	for j := 1; j < len(rows); j++ {
		if rows[j] != rows[j-1]+1 {
			return false
		}
	}
	return true
}

// positional reports whether the OU's columns need no owner index: each
// has one plain owner (no complement, sign implied by the bit) and the
// owners are consecutive logical columns L = Out·D+j (or j·N+Out), j the
// digit index of Bit (D = B, j = Bit with 1-bit cells), starting at a
// multiple of the OU width, i.e. the OU holds one aligned column group of
// the dense bit-sliced matrix, so the periphery knows each column's output
// and shift from its position.
func positional(gm *mapper.GroupMap, ou mapper.OU, wbits, cellBits, n, w int) bool {
	nd := mapper.DigitCount(wbits, cellBits)
	if ou.ColCount == 0 {
		return true
	}
	okA, okB := true, true
	var firstA, firstB int
	for i := int32(0); i < ou.ColCount; i++ {
		c := ou.ColStart + i
		if gm.OwnerStart[c+1]-gm.OwnerStart[c] != 1 {
			return false
		}
		o := gm.Owners[gm.OwnerStart[c]]
		j := mapper.DigitIndex(int(o.Bit), wbits, cellBits)
		if o.Complement || o.Negate != (int(o.Bit) == wbits-1) || j < 0 {
			return false
		}
		la := int(o.Out)*nd + j
		lb := j*n + int(o.Out)
		if i == 0 {
			firstA, firstB = la, lb
			okA = la%w == 0
			okB = lb%w == 0
			continue
		}
		if la != firstA+int(i) {
			okA = false
		}
		if lb != firstB+int(i) {
			okB = false
		}
	}
	return okA || okB
}
