package mapper

import (
	"fmt"
	"math/bits"
)

// Stats describes a layer (or, summed, a network) as mapped by one scheme.
// Every count is derived from the physical layout, except the bit counts
// (from the weights) and the Dense* references (computed for the same
// geometry with the dense scheme's formulas).
type Stats struct {
	Name string `json:"name"`
	// Crossbars occupied, physical columns, cells used (Σ over physical
	// columns of the wordlines of its OU) and OU activations per input bit
	// of one input vector (every OU fires once per input bit).
	Crossbars     int64 `json:"crossbars"`
	Columns       int64 `json:"columns"`
	Cells         int64 `json:"cells"`
	OUActivations int64 `json:"ou_activations"`
	// Wordlines is Σ over OUs of their rows; RowEntries the input-index
	// entries (len RowIdx).
	Wordlines int64 `json:"wordlines"`
	// Owners is the number of index entries (n, i) over all physical
	// columns; Merged how many of them share a column with an earlier owner
	// (owners − columns that have owners).
	Owners int64 `json:"owners"`
	Merged int64 `json:"merged"`
	// Bits and ZeroBits count the logical bit matrix K × N·B of every group.
	Bits     int64 `json:"bits"`
	ZeroBits int64 `json:"zero_bits"`
	// IndexBits is the index-table storage of the scheme (doc.go).
	IndexBits int64 `json:"index_bits"`
	// OUActivationBound is a lower bound on the OU activations per input
	// bit of any layout of the layer on the geometry with the mapping's max
	// share (ActivationBound).
	OUActivationBound int64 `json:"ou_activation_bound"`
	// Dense reference for the same layer and geometry.
	DenseCrossbars     int64 `json:"dense_crossbars"`
	DenseCells         int64 `json:"dense_cells"`
	DenseOUActivations int64 `json:"dense_ou_activations"`
}

// BitSparsity is the share of zero bits in the bit-sliced weights.
func (s *Stats) BitSparsity() float64 { return ratio(s.ZeroBits, s.Bits) }

// MergedShare is the share of index entries served by a column they share
// with an earlier owner: 0 without merging.
func (s *Stats) MergedShare() float64 { return ratio(s.Merged, s.Owners) }

// CompressionRatio is dense cells / cells used.
func (s *Stats) CompressionRatio() float64 { return ratio(s.DenseCells, s.Cells) }

// ActivationRatio is dense OU activations / OU activations.
func (s *Stats) ActivationRatio() float64 { return ratio(s.DenseOUActivations, s.OUActivations) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Stats) add(o *Stats) {
	s.Crossbars += o.Crossbars
	s.Columns += o.Columns
	s.Cells += o.Cells
	s.OUActivations += o.OUActivations
	s.Wordlines += o.Wordlines
	s.Owners += o.Owners
	s.Merged += o.Merged
	s.Bits += o.Bits
	s.ZeroBits += o.ZeroBits
	s.IndexBits += o.IndexBits
	s.OUActivationBound += o.OUActivationBound
	s.DenseCrossbars += o.DenseCrossbars
	s.DenseCells += o.DenseCells
	s.DenseOUActivations += o.DenseOUActivations
}

// Stats returns the statistics of every layer and their total.
func (m *Mapping) Stats() ([]Stats, Stats, error) {
	if err := m.check(); err != nil {
		return nil, Stats{}, err
	}
	s, err := LookupScheme(m.Scheme)
	if err != nil {
		return nil, Stats{}, err
	}
	per := make([]Stats, len(m.Layers))
	total := Stats{Name: "total"}
	for li, lm := range m.Layers {
		l := m.Net.Linears[li]
		d := Dims{l.K, l.N, l.WBits, m.Geometry.CellBits}
		st := Stats{Name: lm.Name}
		for gi, g := range lm.Groups {
			st.add(groupStats(g, m.Geometry, d, s))
			if gi < len(l.Weights) {
				z := zeroBits(l.Weights[gi], l.WBits)
				st.ZeroBits += z
				st.OUActivationBound += ActivationBound(l.Weights[gi], d, m.Geometry, m.MaxShare)
			}
		}
		per[li] = st
		total.add(&st)
	}
	return per, total, nil
}

func groupStats(g *GroupMap, geo Geometry, d Dims, s Scheme) *Stats {
	st := &Stats{Crossbars: int64(g.Crossbars), Columns: int64(g.Columns()), OUActivations: int64(len(g.OUs))}
	for _, ou := range g.OUs {
		st.Cells += int64(ou.ColCount) * int64(ou.RowCount)
		st.Wordlines += int64(ou.RowCount)
	}
	st.Owners = int64(len(g.Owners))
	for c := 0; c < g.Columns(); c++ {
		if g.OwnerStart[c+1] > g.OwnerStart[c] {
			st.Merged += int64(g.OwnerStart[c+1]-g.OwnerStart[c]) - 1
		}
	}
	st.Bits = int64(d.K) * int64(d.N) * int64(d.Bits)
	st.IndexBits = s.Index(g, d).StorageBits
	h, w := int64(geo.OURows), int64(geo.OUCols)
	ncol := int64(d.N) * int64(d.digits())
	strips := (int64(d.K) + h - 1) / h
	ous := (ncol + w - 1) / w
	st.DenseCells = int64(d.K) * ncol
	st.DenseOUActivations = strips * ous
	st.DenseCrossbars = int64(geo.DenseCrossbars(d.K, int(ncol)))
	return st
}

// zeroBits counts the zero bits of B-bit two's complement weights.
func zeroBits(w []int32, nbits int) int64 {
	mask := uint32(1)<<nbits - 1
	ones := 0
	for _, v := range w {
		ones += bits.OnesCount32(uint32(v) & mask)
	}
	return int64(len(w))*int64(nbits) - int64(ones)
}

// String formats the statistics on one line.
func (s *Stats) String() string {
	return fmt.Sprintf("%s: %d crossbars, %d cells (%.2fx), %d OU act/bit (%.2fx), bit sparsity %.3f, merged %.3f, index %d bits",
		s.Name, s.Crossbars, s.Cells, s.CompressionRatio(), s.OUActivations, s.ActivationRatio(), s.BitSparsity(), s.MergedShare(), s.IndexBits)
}
