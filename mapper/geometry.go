package mapper

import "fmt"

// DefaultGeometry is a 128×128 crossbar with 9×8 OUs and 1-bit cells, the
// configuration of METHOD.md in this package.
func DefaultGeometry() Geometry {
	return Geometry{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 1}
}

// Limits that keep every derived size (words per column, tile counts) small
// and every index within int32.
const (
	maxXbarDim = 4096
	maxMatDim  = 1 << 24
	maxBits    = 16
)

// Validate reports whether the geometry can be mapped onto: positive sizes,
// the OU inside the crossbar, one or two bits per cell.
func (g Geometry) Validate() error {
	switch {
	case g.XbarRows <= 0 || g.XbarCols <= 0:
		return fmt.Errorf("mapper: crossbar %d×%d: sizes must be positive", g.XbarRows, g.XbarCols)
	case g.XbarRows > maxXbarDim || g.XbarCols > maxXbarDim:
		return fmt.Errorf("mapper: crossbar %d×%d: larger than %d", g.XbarRows, g.XbarCols, maxXbarDim)
	case g.OURows <= 0 || g.OUCols <= 0:
		return fmt.Errorf("mapper: OU %d×%d: sizes must be positive", g.OURows, g.OUCols)
	case g.OURows > g.XbarRows || g.OUCols > g.XbarCols:
		return fmt.Errorf("mapper: OU %d×%d does not fit in crossbar %d×%d", g.OURows, g.OUCols, g.XbarRows, g.XbarCols)
	case g.CellBits != 1 && g.CellBits != 2:
		return fmt.Errorf("mapper: %d bits per cell: only 1- and 2-bit cells are implemented", g.CellBits)
	}
	return nil
}

// String formats the geometry as "xbar RxC ou hxw", followed by
// " cell 2b" for 2-bit cells.
func (g Geometry) String() string {
	s := fmt.Sprintf("xbar %dx%d ou %dx%d", g.XbarRows, g.XbarCols, g.OURows, g.OUCols)
	if g.CellBits > 1 {
		s += fmt.Sprintf(" cell %db", g.CellBits)
	}
	return s
}

// rowWords is the number of uint64 words of one bit plane of a column (one
// bit per wordline).
func (g Geometry) rowWords() int { return (g.OURows + 63) / 64 }

// words is the number of uint64 words that hold one physical column: one
// bit plane per cell bit (low plane first).
func (g Geometry) words() int { return max(g.CellBits, 1) * g.rowWords() }

// stripsPerTile is the number of OU-height strips in one crossbar row tile:
// a row tile has floor(R/h)·h rows so that no strip straddles two crossbars.
func (g Geometry) stripsPerTile() int { return g.XbarRows / g.OURows }

// ousPerTile is the number of OU column slots in one crossbar column tile of
// floor(C/w)·w columns.
func (g Geometry) ousPerTile() int { return g.XbarCols / g.OUCols }

// DenseCrossbars is the number of crossbars the dense mapping of a K-row
// matrix with bitCols bit (or digit) columns occupies: DenseRowTiles(k)
// row tiles times the column tiles of its OU-wide column groups,
// ousPerTile groups per crossbar column tile.
func (g Geometry) DenseCrossbars(k, bitCols int) int {
	groups := (bitCols + g.OUCols - 1) / g.OUCols
	opt := g.ousPerTile()
	return g.DenseRowTiles(k) * ((groups + opt - 1) / opt)
}

// DenseRowTiles is the number of crossbar row tiles the dense mapping of a
// K-row matrix spans: rows cut into OU-height strips, stripsPerTile strips
// per row tile.
func (g Geometry) DenseRowTiles(k int) int {
	strips := (k + g.OURows - 1) / g.OURows
	spt := g.stripsPerTile()
	return (strips + spt - 1) / spt
}
