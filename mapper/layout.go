package mapper

import "github.com/rramc/rramc/quant"

// Geometry is the crossbar and Operation Unit (OU) shape a mapping targets.
type Geometry struct {
	XbarRows int `json:"xbar_rows"` // crossbar size R × C in cells
	XbarCols int `json:"xbar_cols"`
	OURows   int `json:"ou_rows"` // OU size h × w: rows and columns activated at once
	OUCols   int `json:"ou_cols"`
	CellBits int `json:"cell_bits"` // bits per cell: 1, or 2 (levels 0..3; doc.go "Digit columns")
}

// Owner says where the ADC result of one physical column goes: shifted left
// by Bit, negated when Negate (the sign bit B-1 of two's complement), and
// added into output column Out of the layer group. With 2-bit cells Bit is
// the shift of the digit the column holds (Digit.Shift). When Complement is
// set the column serves the bitwise NOT of its stored cells (level
// 2^CellBits−1−l): the contribution is (sum column's result) − (column's
// result), the sum column storing the top level on every wordline.
type Owner struct {
	Out        int32
	Bit        uint8
	Negate     bool
	Complement bool
}

// OU is one Operation Unit activation target: a set of input rows (wordlines)
// and physical columns (bitlines) of one crossbar that fire together.
type OU struct {
	Crossbar int32 // crossbar index within the layer group
	// RowIdx[RowStart:RowStart+RowCount] are the logical input rows (indices
	// into K) on this OU's wordlines, in wordline order. This is the input
	// index: for dense mappings it is a contiguous range.
	RowStart, RowCount int32
	// Columns ColStart..ColStart+ColCount-1 of GroupMap are this OU's bitlines.
	ColStart, ColCount int32
	// SumCol is the physical column whose ADC result is the sum of this OU's
	// active inputs (an all-ones column on the same wordlines, possibly in a
	// sibling OU of the same strip), used by Complement owners; -1 when the
	// OU has no Complement owner and needs none.
	SumCol int32
}

// GroupMap is the physical layout of one group of one layer.
type GroupMap struct {
	OUs    []OU
	RowIdx []int32
	// Words is the number of uint64 words per physical column:
	// CellBits·ceil(OURows/64), one bit plane of ceil(OURows/64) words per
	// cell bit.
	Words int
	// ColBits[c*Words : (c+1)*Words] are the cells of physical column c;
	// bit j (word j/64, bit j%64) is the cell on the OU's j-th wordline.
	// With 2-bit cells the low bit plane comes first and the high plane
	// follows at word offset Words/2: the level of the cell on wordline j is
	// low_j + 2·high_j.
	ColBits []uint64
	// Owners[OwnerStart[c]:OwnerStart[c+1]] are the index entries of column c.
	OwnerStart []int32
	Owners     []Owner
	// Crossbars is the number of crossbars this group occupies.
	Crossbars int
}

// Columns returns the number of physical columns in the group.
func (g *GroupMap) Columns() int { return len(g.OwnerStart) - 1 }

// Mapping is a whole network laid onto crossbars by one scheme. It holds
// everything the simulator needs, so a mapping file can be simulated without
// the ONNX model it came from.
type Mapping struct {
	Scheme   string // "dense", "zerocol", "sre", "colsim", ...
	MaxShare int    // colsim: owners per kept column (0 = unlimited)
	// Window is the rowreorder candidate window (0 for other schemes).
	Window   int
	Geometry Geometry
	// Net is the quantized network whose Linears are mapped.
	Net *quant.Network
	// Layers[i] maps Net.Linears[i].
	Layers []*LayerMap
}

// LayerMap is the layout of one linear layer: one GroupMap per Conv group.
type LayerMap struct {
	Name   string
	Groups []*GroupMap
}
