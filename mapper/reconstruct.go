package mapper

import (
	"fmt"

	"github.com/rramc/rramc/quant"
)

// Validate checks that g is a well-formed layout for a K×N group of B-bit
// weights on geometry geo: every index in range, every OU inside its
// crossbar and the OU size, the columns of the OUs contiguous and covering
// all physical columns, no cell set outside its OU's wordlines, every owner
// a valid (n, i) with the sign on bit B-1 (with 2-bit cells i a digit
// shift), every SumCol an all-ones (top level) column on the same
// wordlines. Decoded mappings are validated before use, so that
// simulating or reconstructing them cannot panic.
func (g *GroupMap) Validate(geo Geometry, d Dims) error {
	ncols := len(g.OwnerStart) - 1
	switch {
	case ncols < 0:
		return fmt.Errorf("empty owner start table")
	case g.Words != geo.words():
		return fmt.Errorf("%d words per column, geometry needs %d", g.Words, geo.words())
	case len(g.ColBits) != ncols*g.Words:
		return fmt.Errorf("%d column words for %d columns of %d words", len(g.ColBits), ncols, g.Words)
	case g.OwnerStart[0] != 0 || int(g.OwnerStart[ncols]) != len(g.Owners):
		return fmt.Errorf("owner table bounds %d..%d for %d owners", g.OwnerStart[0], g.OwnerStart[ncols], len(g.Owners))
	case g.Crossbars < 0:
		return fmt.Errorf("%d crossbars", g.Crossbars)
	}
	for c := 0; c < ncols; c++ {
		if g.OwnerStart[c] > g.OwnerStart[c+1] {
			return fmt.Errorf("column %d: owner range %d..%d decreasing", c, g.OwnerStart[c], g.OwnerStart[c+1])
		}
	}
	for i, o := range g.Owners {
		if o.Out < 0 || int(o.Out) >= d.N || int(o.Bit) >= d.Bits || o.Negate != (int(o.Bit) == d.Bits-1) || !IsDigitShift(int(o.Bit), d.Bits, geo.CellBits) {
			return fmt.Errorf("owner %d: output %d bit %d negate %v invalid for N=%d B=%d, %d-bit cells", i, o.Out, o.Bit, o.Negate, d.N, d.Bits, geo.CellBits)
		}
	}
	rw := geo.rowWords()
	for i, r := range g.RowIdx {
		if r < 0 || int(r) >= d.K {
			return fmt.Errorf("row index %d: %d outside K=%d", i, r, d.K)
		}
	}
	next := int32(0)
	for i := range g.OUs {
		ou := &g.OUs[i]
		switch {
		case ou.Crossbar < 0 || int(ou.Crossbar) >= g.Crossbars:
			return fmt.Errorf("OU %d: crossbar %d of %d", i, ou.Crossbar, g.Crossbars)
		case ou.RowCount <= 0 || int(ou.RowCount) > geo.OURows || ou.RowStart < 0 || int64(ou.RowStart)+int64(ou.RowCount) > int64(len(g.RowIdx)):
			return fmt.Errorf("OU %d: rows %d+%d outside the %d-entry row index or OU height %d", i, ou.RowStart, ou.RowCount, len(g.RowIdx), geo.OURows)
		case ou.ColCount <= 0 || int(ou.ColCount) > geo.OUCols || ou.ColStart != next || int64(ou.ColStart)+int64(ou.ColCount) > int64(ncols):
			return fmt.Errorf("OU %d: columns %d+%d (expected start %d, %d columns, OU width %d)", i, ou.ColStart, ou.ColCount, next, ncols, geo.OUCols)
		}
		next = ou.ColStart + ou.ColCount
		for c := ou.ColStart; c < next; c++ {
			col := g.ColBits[int(c)*g.Words : int(c+1)*g.Words]
			for wi, v := range col {
				if v&^rowMask(wi%rw, int(ou.RowCount)) != 0 {
					return fmt.Errorf("OU %d column %d: cells set beyond its %d wordlines", i, c, ou.RowCount)
				}
			}
		}
	}
	if int(next) != ncols {
		return fmt.Errorf("OUs cover %d of %d columns", next, ncols)
	}
	// every SumCol is an all-ones column on the same wordlines
	colOU := make([]int32, ncols)
	for i, ou := range g.OUs {
		for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
			colOU[c] = int32(i)
		}
	}
	for i, ou := range g.OUs {
		if ou.SumCol == -1 {
			for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
				for _, o := range g.Owners[g.OwnerStart[c]:g.OwnerStart[c+1]] {
					if o.Complement {
						return fmt.Errorf("OU %d column %d: complement owner without a sum column", i, c)
					}
				}
			}
			continue
		}
		if ou.SumCol < 0 || int(ou.SumCol) >= ncols {
			return fmt.Errorf("OU %d: sum column %d of %d", i, ou.SumCol, ncols)
		}
		so := g.OUs[colOU[ou.SumCol]]
		if so.RowStart != ou.RowStart || so.RowCount != ou.RowCount {
			return fmt.Errorf("OU %d: sum column %d is on other wordlines", i, ou.SumCol)
		}
		col := g.ColBits[int(ou.SumCol)*g.Words : int(ou.SumCol+1)*g.Words]
		for wi, v := range col {
			if v != rowMask(wi%rw, int(ou.RowCount)) {
				return fmt.Errorf("OU %d: sum column %d is not all ones", i, ou.SumCol)
			}
		}
	}
	return nil
}

// rowMask is the mask of word wi of a column with n wordlines.
func rowMask(wi, n int) uint64 {
	lo := wi * 64
	switch {
	case n <= lo:
		return 0
	case n >= lo+64:
		return ^uint64(0)
	}
	return 1<<(n-lo) - 1
}

// Reconstruct rebuilds the K×N integer weight matrix of a group from its
// physical layout alone: every cell of level l (1-bit cells: every set
// cell) adds ±l·2^Bit to W[RowIdx[row]][Out]; for a Complement owner the
// level is 2^CellBits−1−l (1-bit cells: every clear cell on the OU's
// wordlines adds ±2^Bit).
func (g *GroupMap) Reconstruct(geo Geometry, d Dims) ([]int32, error) {
	if err := g.Validate(geo, d); err != nil {
		return nil, err
	}
	d.CellBits = geo.CellBits
	return g.reconstruct(d), nil
}

// reconstruct is Reconstruct on a validated layout (d.CellBits set).
func (g *GroupMap) reconstruct(d Dims) []int32 {
	w := make([]int32, d.K*d.N)
	cb := max(d.CellBits, 1)
	rw := g.Words / cb
	top := int32(1)<<cb - 1
	for _, ou := range g.OUs {
		rows := g.RowIdx[ou.RowStart : ou.RowStart+ou.RowCount]
		for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
			col := g.ColBits[int(c)*g.Words : int(c+1)*g.Words]
			for _, o := range g.Owners[g.OwnerStart[c]:g.OwnerStart[c+1]] {
				v := int32(1) << o.Bit
				if o.Negate {
					v = -v
				}
				for j, r := range rows {
					var l int32
					for p := 0; p < cb; p++ {
						l |= int32(col[p*rw+j/64]>>(j%64)&1) << p
					}
					if o.Complement {
						l = top - l
					}
					w[int(r)*d.N+int(o.Out)] += l * v
				}
			}
		}
	}
	return w
}

// Reconstruct rebuilds every layer's weight matrices, [layer][group], from
// the layouts (the sizes come from m.Net, the weights are not read).
func (m *Mapping) Reconstruct() ([][][]int32, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	out := make([][][]int32, len(m.Layers))
	for li, lm := range m.Layers {
		l := m.Net.Linears[li]
		out[li] = make([][]int32, len(lm.Groups))
		for gi, g := range lm.Groups {
			out[li][gi] = g.reconstruct(Dims{l.K, l.N, l.WBits, m.Geometry.CellBits}) // validated by check
		}
	}
	return out, nil
}

// Verify reconstructs every group and compares it with the network's
// weights, naming the first differing weight.
func (m *Mapping) Verify() error {
	rec, err := m.Reconstruct()
	if err != nil {
		return err
	}
	for li, groups := range rec {
		l := m.Net.Linears[li]
		for gi, w := range groups {
			for i, v := range w {
				if v != l.Weights[gi][i] {
					return fmt.Errorf("mapper: layer %d %q group %d: weight [%d][%d] rebuilt as %d, is %d", li, l.Name, gi, i/l.N, i%l.N, v, l.Weights[gi][i])
				}
			}
		}
	}
	return nil
}

// check verifies that the mapping's layers match its network's Linears and
// that every group is a valid layout.
func (m *Mapping) check() error {
	if m.Net == nil {
		return fmt.Errorf("mapper: mapping has no network")
	}
	if err := m.Geometry.Validate(); err != nil {
		return err
	}
	if len(m.Layers) != len(m.Net.Linears) {
		return fmt.Errorf("mapper: %d layer maps for %d linear layers", len(m.Layers), len(m.Net.Linears))
	}
	for li, lm := range m.Layers {
		l := m.Net.Linears[li]
		if err := checkDims(l); err != nil {
			return fmt.Errorf("mapper: layer %d %q: %w", li, linearName(l), err)
		}
		if lm == nil || len(lm.Groups) != l.Groups {
			return fmt.Errorf("mapper: layer %d %q: group maps do not match %d groups", li, l.Name, l.Groups)
		}
		for gi, g := range lm.Groups {
			if g == nil {
				return fmt.Errorf("mapper: layer %d %q group %d: missing", li, l.Name, gi)
			}
			if err := g.Validate(m.Geometry, Dims{l.K, l.N, l.WBits, m.Geometry.CellBits}); err != nil {
				return fmt.Errorf("mapper: layer %d %q group %d: %w", li, l.Name, gi, err)
			}
		}
	}
	return nil
}

func checkDims(l *quant.Linear) error {
	if l == nil {
		return fmt.Errorf("nil layer")
	}
	if l.K <= 0 || l.N <= 0 || l.K > maxMatDim || l.N > maxMatDim || l.Groups <= 0 || l.WBits < 2 || l.WBits > maxBits {
		return fmt.Errorf("K=%d N=%d groups=%d bits=%d out of range", l.K, l.N, l.Groups, l.WBits)
	}
	return nil
}
