package hwsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// This file is the one home of the cost model's vocabulary: the actions the
// accelerator is charged for (counters) and the parts of the chip they are
// charged to (components). A new cost component is one Counts field with
// its row in counters, one HW field (with its line in HARDWARE.md) and one
// row in components; the simulator's kernel, AnalyticCounts, per-image
// division, pricing, JSON and the CLI table all iterate over the tables.

// Counts are the actions of the accelerator for one layer (or a whole
// network) over some number of input vectors. doc.go gives the formulas.
type Counts struct {
	// Vectors is the number of input vectors (rows of the im2col matrix)
	// fed to each group of the layer.
	Vectors int64 `json:"vectors"`
	// OUActivations counts OU firings: one per OU per input step per vector.
	OUActivations int64 `json:"ou_activations"`
	// ADCConversions counts column conversions (OU columns × activations).
	ADCConversions int64 `json:"adc_conversions"`
	// CellReads counts cells read (OU rows × columns × activations).
	CellReads int64 `json:"cell_reads"`
	// DACDrives counts wordline drives (OU rows × activations).
	DACDrives int64 `json:"dac_drives"`
	// ShiftAdds counts shift-and-add/subtract operations: one per owner
	// entry per conversion.
	ShiftAdds int64 `json:"shift_adds"`
	// OwnerIndexReads and InputIndexReads count index-table entries read;
	// IndexReadBits their total size in bits.
	OwnerIndexReads int64 `json:"owner_index_reads"`
	InputIndexReads int64 `json:"input_index_reads"`
	IndexReadBits   int64 `json:"index_read_bits"`
	// BufferReadBits (input codes) and BufferWriteBits (output codes) are
	// the crossbars' buffer traffic; BufferAccesses = the sum of
	// ceil(bits/access) over the four buffer traffic counters.
	BufferReadBits  int64 `json:"buffer_read_bits"`
	BufferWriteBits int64 `json:"buffer_write_bits"`
	// DigitalReadBits and DigitalWriteBits are the buffer traffic of the
	// digital units (pooling, residual adds, tables, copies...): the codes
	// their ops read and write, each at its value's width
	// (quant.DigitalWork), so a 16-bit code costs twice the bits of an
	// 8-bit one. BufferAccesses counts them too.
	DigitalReadBits  int64 `json:"digital_read_bits"`
	DigitalWriteBits int64 `json:"digital_write_bits"`
	BufferAccesses   int64 `json:"buffer_accesses"`
	// ADCClipped counts conversions clipped at the top code (saturating
	// ADC); ADCTruncated conversions that lost low bits (truncating ADC).
	// Only a simulation fills them.
	ADCClipped   int64 `json:"adc_clipped"`
	ADCTruncated int64 `json:"adc_truncated"`
	// The digital work of the golden program charged to the layer's tile
	// (requantizations, activations, pooling comparisons/additions,
	// residual additions) and the bits its output sends to the next
	// layer's tile; counted per image from the integer program.
	RequantOps    int64 `json:"requant_ops"`
	ActivationOps int64 `json:"activation_ops"`
	PoolOps       int64 `json:"pool_ops"`
	AddOps        int64 `json:"add_ops"`
	NoCBits       int64 `json:"noc_bits"`
	// With a chip that charges the periphery by read rounds
	// (chip.dac_demux, chip.adc_mux; zero otherwise): DAC drives and ADC
	// conversions charged (powered DACs and ADCs times the rounds they
	// are powered for), cell reads times rounds (priced at
	// 1/(dac_demux·adc_mux) each), and the rounds of the tiles' pooling
	// units (output positions × ceil(channels / pooling units)).
	DACRoundDrives      int64 `json:"dac_round_drives,omitempty"`
	ADCRoundConversions int64 `json:"adc_round_conversions,omitempty"`
	CellRoundReads      int64 `json:"cell_round_reads,omitempty"`
	PoolRounds          int64 `json:"pool_rounds,omitempty"`
	// MergeOps counts the output partial sums the layer's crossbars
	// produce per input vector (each crossbar's outputs), merged on their
	// tile; charged only with chip.merge_pj.
	MergeOps int64 `json:"merge_ops,omitempty"`
}

// Counter names one action count of Counts.
type Counter int

// The counters, in Counts field order.
const (
	OUActivations Counter = iota
	ADCConversions
	CellReads
	DACDrives
	ShiftAdds
	OwnerIndexReads
	InputIndexReads
	IndexReadBits
	BufferReadBits
	BufferWriteBits
	DigitalReadBits
	DigitalWriteBits
	BufferAccesses
	ADCClipped
	ADCTruncated
	RequantOps
	ActivationOps
	PoolOps
	AddOps
	NoCBits
	DACRoundDrives
	ADCRoundConversions
	CellRoundReads
	PoolRounds
	MergeOps
	numCounters
)

// ouWork is what one activation of one OU does: the input of the
// per-activation counters.
type ouWork struct {
	rows, cols int64   // wordlines driven, columns converted
	owners     int64   // owner entries applied to the conversions
	index      ouIndex // index-table entries read
	indexBits  int64   // their size in bits
	// Read-round charges (chip.dac_demux and chip.adc_mux set, else 0):
	// DACs and ADCs powered times their rounds, cells times rounds.
	dacRounds, adcRounds, cellRounds int64
}

// xbarRows returns, for each OU of gm, the rows its crossbar uses: the
// rows of the distinct row strips of the crossbar's OUs.
func xbarRows(gm *mapper.GroupMap) []int64 {
	type strip struct{ xbar, start int32 }
	seen := map[strip]bool{}
	used := map[int32]int64{}
	for _, ou := range gm.OUs {
		s := strip{ou.Crossbar, ou.RowStart}
		if !seen[s] {
			seen[s] = true
			used[ou.Crossbar] += int64(ou.RowCount)
		}
	}
	out := make([]int64, len(gm.OUs))
	for i, ou := range gm.OUs {
		out[i] = used[ou.Crossbar]
	}
	return out
}

// newOUWork is the work of one activation of an OU of rows × cols on a
// crossbar whose used rows are xbarRows (all its OUs' row strips).
//
// Charged by read rounds (HW.Chip.roundCharge), a crossbar with R used rows
// reads them in rr = ceil(R/dacs_per_xbar) rounds, one per OU row strip,
// and converts an OU's columns in cr = ceil(cols/adcs_per_xbar) rounds;
// every round powers ceil(R/dac_demux) DACs, ceil(cols/adc_mux) ADCs and
// the OU's cells (each priced at 1/(dac_demux·adc_mux) of a read). Each
// strip carries its own rows' share of the DACs in all rr rounds, so one
// activation charges ceil(rows/dac_demux)·rr·cr DAC rounds,
// ceil(cols/adc_mux)·cr ADC rounds and rows·cols·rr·cr cell rounds; summed
// over a crossbar's strips this is MNSIM 2.0's per-crossbar charge (up to
// rounding each strip's DACs up on its own).
func newOUWork(hw *HW, rows, cols, xbarRows, owners int64, index ouIndex, indexBits int64) ouWork {
	w := ouWork{rows: rows, cols: cols, owners: owners, index: index, indexBits: indexBits}
	if c := hw.Chip; c.roundCharge() {
		rr := ceilDiv(max(xbarRows, rows), int64(c.DACsPerXbar))
		cr := ceilDiv(cols, int64(c.ADCsPerXbar))
		w.dacRounds = ceilDiv(rows, int64(c.DACDemux)) * rr * cr
		w.adcRounds = ceilDiv(cols, int64(c.ADCMux)) * cr
		w.cellRounds = rows * cols * rr * cr
	}
	return w
}

// vectorWork is what one input vector of one layer group does besides its
// OU activations.
type vectorWork struct {
	lin *quant.Linear
	ix  *indexLayout
	// outputs is the number of output partial sums the group's crossbars
	// produce per vector: each crossbar's columns (those of one of its row
	// strips) over the digit columns of one output.
	outputs int64
}

// newVectorWork is the per-vector work of group gm of layer l; the partial
// sums are counted only when the hardware charges their merging.
func newVectorWork(hw *HW, l *quant.Linear, ix *indexLayout, gm *mapper.GroupMap) vectorWork {
	v := vectorWork{lin: l, ix: ix}
	if hw.Chip != nil && hw.Chip.MergePJ > 0 {
		digits := int64(mapper.DigitCount(l.WBits, hw.CellBits))
		first := map[int32]int32{} // crossbar → its first row strip
		for _, ou := range gm.OUs {
			if s, ok := first[ou.Crossbar]; !ok || ou.RowStart < s {
				first[ou.Crossbar] = ou.RowStart
			}
		}
		cols := map[int32]int64{}
		for _, ou := range gm.OUs {
			if ou.RowStart == first[ou.Crossbar] {
				cols[ou.Crossbar] += int64(ou.ColCount)
			}
		}
		for _, c := range cols {
			v.outputs += ceilDiv(c, digits)
		}
	}
	return v
}

// counter defines one action count and where its value comes from: the
// mapping (perActivation and/or perVector), the data (simulated), or the
// other counters (derived), the golden program (perImage).
type counter struct {
	id    Counter
	field func(c *Counts) *int64
	// perActivation is the count added by one activation of an OU.
	perActivation func(o *ouWork) int64
	// perVector is the count added once per input vector of a layer group.
	perVector func(v *vectorWork) int64
	// perImage is the count added once per image (the digital work of the
	// golden program around the layer); it is charged in proportion to the
	// layer's vectors, whole images at a time.
	perImage func(w *imageWork) int64
	// simulated counters depend on the data: only a simulation fills them,
	// and PerImage keeps them as run totals.
	simulated bool
	// derived counters are computed from the others of the same layer (and
	// recomputed after any division).
	derived func(c *Counts, hw *HW) int64
}

// counters lists every counter in Counter order.
var counters = [numCounters]counter{
	{id: OUActivations, field: func(c *Counts) *int64 { return &c.OUActivations },
		perActivation: func(o *ouWork) int64 { return 1 }},
	{id: ADCConversions, field: func(c *Counts) *int64 { return &c.ADCConversions },
		perActivation: func(o *ouWork) int64 { return o.cols }},
	{id: CellReads, field: func(c *Counts) *int64 { return &c.CellReads },
		perActivation: func(o *ouWork) int64 { return o.cols * o.rows }},
	{id: DACDrives, field: func(c *Counts) *int64 { return &c.DACDrives },
		perActivation: func(o *ouWork) int64 { return o.rows }},
	{id: ShiftAdds, field: func(c *Counts) *int64 { return &c.ShiftAdds },
		perActivation: func(o *ouWork) int64 { return o.owners }},
	{id: OwnerIndexReads, field: func(c *Counts) *int64 { return &c.OwnerIndexReads },
		perActivation: func(o *ouWork) int64 { return o.index.ownerEntries }},
	// A whole-layer input permutation is read once per vector.
	{id: InputIndexReads, field: func(c *Counts) *int64 { return &c.InputIndexReads },
		perActivation: func(o *ouWork) int64 { return o.index.inputEntries },
		perVector:     func(v *vectorWork) int64 { return v.ix.permEntries }},
	{id: IndexReadBits, field: func(c *Counts) *int64 { return &c.IndexReadBits },
		perActivation: func(o *ouWork) int64 { return o.indexBits },
		perVector:     func(v *vectorWork) int64 { return v.ix.permEntries * v.ix.inputBits }},
	// Each vector reads its K input codes and writes its N output codes.
	{id: BufferReadBits, field: func(c *Counts) *int64 { return &c.BufferReadBits },
		perVector: func(v *vectorWork) int64 { return int64(v.lin.K) * int64(v.lin.ABits) }},
	{id: BufferWriteBits, field: func(c *Counts) *int64 { return &c.BufferWriteBits },
		perVector: func(v *vectorWork) int64 { return int64(v.lin.N) * int64(v.lin.ABits) }},
	// The digital units read and write the codes of their ops per image.
	{id: DigitalReadBits, field: func(c *Counts) *int64 { return &c.DigitalReadBits },
		perImage: func(w *imageWork) int64 { return w.digitalReadBits }},
	{id: DigitalWriteBits, field: func(c *Counts) *int64 { return &c.DigitalWriteBits },
		perImage: func(w *imageWork) int64 { return w.digitalWriteBits }},
	{id: BufferAccesses, field: func(c *Counts) *int64 { return &c.BufferAccesses },
		derived: func(c *Counts, hw *HW) int64 {
			ab := int64(hw.BufferAccessBits)
			return ceilDiv(c.BufferReadBits, ab) + ceilDiv(c.BufferWriteBits, ab) +
				ceilDiv(c.DigitalReadBits, ab) + ceilDiv(c.DigitalWriteBits, ab)
		}},
	{id: ADCClipped, field: func(c *Counts) *int64 { return &c.ADCClipped }, simulated: true},
	{id: ADCTruncated, field: func(c *Counts) *int64 { return &c.ADCTruncated }, simulated: true},
	{id: RequantOps, field: func(c *Counts) *int64 { return &c.RequantOps },
		perImage: func(w *imageWork) int64 { return w.requant }},
	{id: ActivationOps, field: func(c *Counts) *int64 { return &c.ActivationOps },
		perImage: func(w *imageWork) int64 { return w.activations }},
	{id: PoolOps, field: func(c *Counts) *int64 { return &c.PoolOps },
		perImage: func(w *imageWork) int64 { return w.poolOps }},
	{id: AddOps, field: func(c *Counts) *int64 { return &c.AddOps },
		perImage: func(w *imageWork) int64 { return w.adds }},
	{id: NoCBits, field: func(c *Counts) *int64 { return &c.NoCBits },
		perImage: func(w *imageWork) int64 { return w.nocBits }},
	{id: DACRoundDrives, field: func(c *Counts) *int64 { return &c.DACRoundDrives },
		perActivation: func(o *ouWork) int64 { return o.dacRounds }},
	{id: ADCRoundConversions, field: func(c *Counts) *int64 { return &c.ADCRoundConversions },
		perActivation: func(o *ouWork) int64 { return o.adcRounds }},
	{id: CellRoundReads, field: func(c *Counts) *int64 { return &c.CellRoundReads },
		perActivation: func(o *ouWork) int64 { return o.cellRounds }},
	{id: PoolRounds, field: func(c *Counts) *int64 { return &c.PoolRounds },
		perImage: func(w *imageWork) int64 { return w.poolRounds }},
	{id: MergeOps, field: func(c *Counts) *int64 { return &c.MergeOps },
		perVector: func(v *vectorWork) int64 { return v.outputs }},
}

// Get returns one counter's value.
func (c *Counts) Get(k Counter) int64 { return *counters[k].field(c) }

func (c *Counts) add(o *Counts) {
	c.Vectors += o.Vectors
	for _, d := range counters {
		*d.field(c) += *d.field(o)
	}
}

// derive fills the derived counters from the others.
func (c *Counts) derive(hw *HW) {
	for _, d := range counters {
		if d.derived != nil {
			*d.field(c) = d.derived(c, hw)
		}
	}
}

// tally holds counter values indexed by Counter: the simulator's
// accumulators.
type tally [numCounters]int64

// addActivations adds the counts of n activations of an OU doing o.
func (t *tally) addActivations(o *ouWork, n int64) {
	for _, d := range counters {
		if d.perActivation != nil {
			t[d.id] += n * d.perActivation(o)
		}
	}
}

// addVectors adds the per-vector counts of n vectors.
func (t *tally) addVectors(v *vectorWork, n int64) {
	for _, d := range counters {
		if d.perVector != nil {
			t[d.id] += n * d.perVector(v)
		}
	}
}

// counts converts a tally of vectors vectors into Counts: the per-image
// counters from w (nil: none) for the images those vectors make, the
// derived counters from the others.
func (t *tally) counts(vectors int64, hw *HW, w *imageWork) Counts {
	c := Counts{Vectors: vectors}
	for _, d := range counters {
		*d.field(&c) = t[d.id]
		if d.perImage != nil && w != nil && w.vectors > 0 {
			*d.field(&c) = vectors * d.perImage(w) / w.vectors
		}
	}
	c.derive(hw)
	return c
}

// footprint is what the area and static power of a component depend on:
// a layer's crossbars, PEs, tiles and index storage, or (without a chip
// hierarchy) the chip's tiles.
type footprint struct {
	crossbars int
	pes       int
	tiles     int
	indexBits int64
}

// component is one part of the chip: its dynamic energy from the counts of
// a layer, its area and static power (mW) from a footprint. Static power is
// charged only with a chip hierarchy (HW.Chip).
type component struct {
	// name is the JSON key in energy_pj and area_um2; label the CLI's.
	name, label string
	energy      func(hw *HW, c *Counts) float64
	area        func(hw *HW, f *footprint) float64
	static      func(c *Chip, f *footprint) float64
	// flatChipLevel parts are, without a chip hierarchy, shared by all
	// layers: their area is charged once for the chip from its tiles.
	flatChipLevel bool
}

// staticMW is the static power of the component's instances in f.
func (comp *component) staticMW(hw *HW, f *footprint) float64 {
	if hw.Chip == nil || comp.static == nil {
		return 0
	}
	return comp.static(hw.Chip, f)
}

// chipOnly wraps a chip-hierarchy part: nothing without a chip.
func chipOnly[T any](f func(c *Chip, hw *HW, x T) float64) func(hw *HW, x T) float64 {
	return func(hw *HW, x T) float64 {
		if hw.Chip == nil {
			return 0
		}
		return f(hw.Chip, hw, x)
	}
}

// DACs and ADCs per crossbar: a chip hierarchy sets them; otherwise one DAC
// per row and one ADC per OU column.
func (h *HW) dacsPerXbar() int {
	if h.Chip != nil {
		return h.Chip.DACsPerXbar
	}
	return h.XbarRows
}

func (h *HW) adcsPerXbar() int {
	if h.Chip != nil {
		return h.Chip.ADCsPerXbar
	}
	return h.OUCols
}

// shiftAddUnits is the number of shift-and-add units of a footprint: per
// PE with a chip hierarchy, else one per ADC.
func (h *HW) shiftAddUnits(f *footprint) float64 {
	if h.Chip != nil {
		return float64(f.pes) * float64(h.Chip.ShiftAddsPerPE)
	}
	return float64(f.crossbars) * float64(h.OUCols)
}

// components lists the parts of the chip in report order. Each row names
// where its figures come from in the defaults (HARDWARE.md's table gives
// them with the numbers; a preset file's "sources" object gives its own).
var components = [...]component{
	// cell_read_energy_pj: PUMA/ISAAC, 0.3 mW × 100 ns per 128×128 read
	// spread over its cells; xbar_area_um2: ISAAC. Charged by read rounds,
	// a round's cells draw 1/(demux·mux) of a read each (MNSIM 2.0: only
	// the cells behind the selected demux and mux positions conduct).
	{name: "crossbar", label: "crossbar",
		energy: func(hw *HW, c *Counts) float64 {
			if ch := hw.Chip; ch.roundCharge() {
				return float64(c.CellRoundReads) * hw.CellReadEnergyPJ / float64(ch.DACDemux*ch.ADCMux)
			}
			return float64(c.CellReads) * hw.CellReadEnergyPJ
		},
		area:   func(hw *HW, f *footprint) float64 { return float64(f.crossbars) * hw.XbarAreaUM2 },
		static: func(c *Chip, f *footprint) float64 { return float64(f.crossbars) * c.XbarStaticMW }},
	// dac_energy_pj: ISAAC-action (1-bit DAC); dac_area_um2: ISAAC.
	{name: "dac", label: "DAC",
		energy: func(hw *HW, c *Counts) float64 {
			if hw.Chip.roundCharge() {
				return float64(c.DACRoundDrives) * hw.DACEnergyPJ
			}
			return float64(c.DACDrives) * hw.DACEnergyPJ
		},
		area: func(hw *HW, f *footprint) float64 {
			return float64(f.crossbars) * float64(hw.dacsPerXbar()) * hw.DACAreaUM2
		},
		static: func(c *Chip, f *footprint) float64 {
			return float64(f.crossbars) * float64(c.DACsPerXbar) * c.DACStaticMW
		}},
	// adc_energy_pj: ISAAC-action for 4..8 bits (below: linear
	// extrapolation, an assumption); adc_area_um2: ISAAC for 8 bits,
	// scaled like the energy.
	{name: "adc", label: "ADC",
		energy: func(hw *HW, c *Counts) float64 {
			if hw.Chip.roundCharge() {
				return float64(c.ADCRoundConversions) * hw.ADCEnergy()
			}
			return float64(c.ADCConversions) * hw.ADCEnergy()
		},
		area: func(hw *HW, f *footprint) float64 {
			return float64(f.crossbars) * float64(hw.adcsPerXbar()) * hw.ADCArea()
		},
		static: func(c *Chip, f *footprint) float64 {
			return float64(f.crossbars) * float64(c.ADCsPerXbar) * c.ADCStaticMW
		}},
	// shift_add_energy_pj: ISAAC-action (16-bit shift-and-add);
	// shift_add_area_um2: ISAAC.
	{name: "shift_add", label: "shift-add",
		energy: func(hw *HW, c *Counts) float64 { return float64(c.ShiftAdds) * hw.ShiftAddEnergyPJ },
		area:   func(hw *HW, f *footprint) float64 { return hw.shiftAddUnits(f) * hw.ShiftAddAreaUM2 },
		static: func(c *Chip, f *footprint) float64 {
			return float64(f.pes) * float64(c.ShiftAddsPerPE) * c.ShiftAddStaticMW
		}},
	// index_read_energy_pj_per_bit, index_area_um2_per_bit: assumption,
	// small SRAM like ISAAC's input register.
	{name: "index", label: "index",
		energy: func(hw *HW, c *Counts) float64 { return float64(c.IndexReadBits) * hw.IndexReadEnergyPJPerBit },
		area:   func(hw *HW, f *footprint) float64 { return float64(f.indexBits) * hw.IndexAreaUM2PerBit }},
	// One buffer per tile. buffer_access_energy_pj and buffer_access_bits:
	// ISAAC-action (eDRAM, 256-bit port); buffer_area_um2: ISAAC (64 KB
	// eDRAM). Every bit through it is charged, at its code's width: the
	// crossbars' inputs and outputs and the digital units' operands and
	// results (a 16-bit residual-stream code moves twice the bits of an
	// 8-bit one).
	{name: "buffer", label: "buffer", flatChipLevel: true,
		energy: func(hw *HW, c *Counts) float64 { return float64(c.BufferAccesses) * hw.BufferAccessEnergyPJ },
		area:   func(hw *HW, f *footprint) float64 { return float64(f.tiles) * hw.BufferAreaUM2 },
		static: func(c *Chip, f *footprint) float64 { return float64(f.tiles) * c.BufferStaticMW }},
	// PE input and output registers, tile output registers (chip
	// presets: ISAAC's IR/OR and tile output register, MNSIM's).
	{name: "register", label: "register",
		energy: chipOnly(func(ch *Chip, hw *HW, c *Counts) float64 {
			return float64(c.BufferReadBits)*ch.InputRegister.EnergyPJ +
				float64(c.BufferWriteBits)*(ch.OutputRegister.EnergyPJ+ch.TileRegister.EnergyPJ)
		}),
		area: chipOnly(func(ch *Chip, hw *HW, f *footprint) float64 {
			return float64(f.pes)*(ch.InputRegister.area()+ch.OutputRegister.area()) + float64(f.tiles)*ch.TileRegister.area()
		}),
		static: func(c *Chip, f *footprint) float64 {
			return float64(f.pes)*(c.InputRegister.static()+c.OutputRegister.static()) + float64(f.tiles)*c.TileRegister.static()
		}},
	// chip.pooling: ISAAC's max-pool unit, MNSIM's pooling module.
	{name: "pooling", label: "pooling",
		energy: chipOnly(func(ch *Chip, hw *HW, c *Counts) float64 {
			return float64(c.PoolOps)*ch.Pooling.EnergyPJ + float64(c.PoolRounds)*ch.PoolingRoundPJ
		}),
		area:   chipOnly(func(ch *Chip, hw *HW, f *footprint) float64 { return float64(f.tiles) * ch.Pooling.area() }),
		static: func(c *Chip, f *footprint) float64 { return float64(f.tiles) * c.Pooling.static() }},
	// chip.activation: ISAAC's sigmoid units. Charged per activation: each
	// reads an activation_bits code (16-bit codes feed only adds and
	// LayerNorm).
	{name: "activation", label: "activation",
		energy: chipOnly(func(ch *Chip, hw *HW, c *Counts) float64 { return float64(c.ActivationOps) * ch.Activation.EnergyPJ }),
		area:   chipOnly(func(ch *Chip, hw *HW, f *footprint) float64 { return float64(f.tiles) * ch.Activation.area() }),
		static: func(c *Chip, f *footprint) float64 { return float64(f.tiles) * c.Activation.static() }},
	// Requantization and residual additions. chip.adder: ISAAC's tile
	// shift-and-add, on ISAAC's 16-bit data, charged per operation: 16 bits
	// is the widest code rramc writes, so no operation takes two;
	// chip.merge_pj: MNSIM's joint module.
	{name: "adder", label: "adder",
		energy: chipOnly(func(ch *Chip, hw *HW, c *Counts) float64 {
			return float64(c.RequantOps+c.AddOps)*ch.Adder.EnergyPJ + float64(c.MergeOps)*ch.MergePJ
		}),
		area:   chipOnly(func(ch *Chip, hw *HW, f *footprint) float64 { return float64(f.tiles) * ch.Adder.area() }),
		static: func(c *Chip, f *footprint) float64 { return float64(f.tiles) * c.Adder.static() }},
	// The buffer-to-PE bus (per input bit fed) and the router (per bit
	// sent to the next layer's tile, at its width): ISAAC's bus and router,
	// MNSIM's.
	{name: "interconnect", label: "interconnect",
		energy: chipOnly(func(ch *Chip, hw *HW, c *Counts) float64 {
			return float64(c.BufferReadBits)*ch.Bus.EnergyPJ + float64(c.NoCBits)*ch.Router.EnergyPJ
		}),
		area: chipOnly(func(ch *Chip, hw *HW, f *footprint) float64 {
			return float64(f.tiles) * (ch.Bus.area() + ch.Router.area())
		}),
		static: func(c *Chip, f *footprint) float64 { return float64(f.tiles) * (c.Bus.static() + c.Router.static()) }},
}

const numComponents = len(components)

// ComponentNames returns the component names (the keys of energy_pj and
// area_um2 besides "total") in report order.
func ComponentNames() []string {
	names := make([]string, numComponents)
	for i, c := range components {
		names[i] = c.name
	}
	return names
}

// ComponentLabels returns the components' short labels for tables, in
// report order.
func ComponentLabels() []string {
	labels := make([]string, numComponents)
	for i, c := range components {
		labels[i] = c.label
	}
	return labels
}

// Breakdown is an energy (pJ) or area (µm²) split by component, with its
// total. In JSON it is one object keyed by component name plus "total".
type Breakdown struct {
	parts [numComponents]float64
	Total float64
}

// Parts returns the values by component in report order (ComponentNames).
func (b Breakdown) Parts() []float64 { return b.parts[:] }

// Get returns the value of the named component (0 for an unknown name).
func (b Breakdown) Get(name string) float64 {
	if i := componentIndex(name); i >= 0 {
		return b.parts[i]
	}
	return 0
}

// Components returns the value by component name (without the total).
func (b Breakdown) Components() map[string]float64 {
	m := make(map[string]float64, numComponents)
	for i, c := range components {
		m[c.name] = b.parts[i]
	}
	return m
}

// addTo adds pj to the named component (one of ComponentNames).
func (b *Breakdown) addTo(name string, pj float64) {
	b.parts[componentIndex(name)] += pj
	b.Total += pj
}

func (b *Breakdown) add(o *Breakdown) {
	for i := range b.parts {
		b.parts[i] += o.parts[i]
	}
	b.Total += o.Total
}

// MarshalJSON writes {"crossbar": …, …, "total": …} in report order.
func (b Breakdown) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, c := range components {
		v, err := json.Marshal(b.parts[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Fprintf(&buf, "%q:%s,", c.name, v)
	}
	v, err := json.Marshal(b.Total)
	if err != nil {
		return nil, fmt.Errorf("total: %w", err)
	}
	fmt.Fprintf(&buf, "%q:%s}", "total", v)
	return buf.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes; an unknown component is an
// error naming it.
func (b *Breakdown) UnmarshalJSON(data []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*b = Breakdown{}
	for k, v := range m {
		if k == "total" {
			b.Total = v
			continue
		}
		i := componentIndex(k)
		if i < 0 {
			return fmt.Errorf("hwsim: unknown cost component %s", strconv.Quote(k))
		}
		b.parts[i] = v
	}
	return nil
}

func componentIndex(name string) int {
	for i, c := range components {
		if c.name == name {
			return i
		}
	}
	return -1
}

// priceEnergy charges counts to every component.
func priceEnergy(hw *HW, c *Counts) Breakdown {
	var e Breakdown
	for i, comp := range components {
		e.parts[i] = comp.energy(hw, c)
		e.Total += e.parts[i]
	}
	return e
}

// priceArea charges a footprint to the layer-level (chip = false) or,
// without a chip hierarchy, chip-level (chip = true) components.
func priceArea(hw *HW, f *footprint, chip bool) Breakdown {
	var a Breakdown
	for i, comp := range components {
		if (comp.flatChipLevel && hw.Chip == nil) == chip {
			a.parts[i] = comp.area(hw, f)
			a.Total += a.parts[i]
		}
	}
	return a
}
