package hwsim

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/quant"
)

// Chip is the whole-chip hierarchy of a hardware description: crossbars in
// processing elements (PEs), PEs in tiles, tiles on a chip joined by an
// interconnect. Without it (HW.Chip nil) the cost model charges only the
// crossbar periphery, with one buffer per xbars_per_tile crossbars, and
// layers run one after the other: the model every RESULTS.md figure before
// the whole-chip model used. HARDWARE.md documents every field.
type Chip struct {
	// XbarsPerPE crossbars share a PE's registers and shift-and-add units;
	// PEsPerTile PEs share a tile's buffer, digital units and router.
	XbarsPerPE int `json:"xbars_per_pe"`
	PEsPerTile int `json:"pes_per_tile"`
	// DACsPerXbar is the number of wordlines one crossbar drives at once
	// (OU rows may not exceed it); ADCsPerXbar the ADCs of one crossbar,
	// which convert an OU's columns in ceil(ou_cols/adcs_per_xbar) rounds.
	DACsPerXbar int `json:"dacs_per_xbar"`
	ADCsPerXbar int `json:"adcs_per_xbar"`
	// ShiftAddsPerPE is the number of shift-and-add units of a PE.
	ShiftAddsPerPE int `json:"shift_adds_per_pe"`

	// Static (leakage, or always-on) power of the crossbar-level parts, per
	// instance, in mW.
	XbarStaticMW     float64 `json:"xbar_static_mw"`
	DACStaticMW      float64 `json:"dac_static_mw"`
	ADCStaticMW      float64 `json:"adc_static_mw"`
	ShiftAddStaticMW float64 `json:"shift_add_static_mw"`
	// BufferStaticMW is the static power of one tile buffer.
	BufferStaticMW float64 `json:"buffer_static_mw"`

	// Per PE: the input register (energy per bit written, one per input
	// code bit fed to a crossbar) and the output register (per output code
	// bit).
	InputRegister  Unit `json:"input_register"`
	OutputRegister Unit `json:"output_register"`
	// Per tile: the tile's output register (per output code bit), pooling
	// units (per comparison or addition of a pooling window), activation
	// units (per activation applied), adders (per requantization or
	// residual addition), the buffer-to-PE bus and the router (energy per
	// bit sent to another tile).
	TileRegister Unit `json:"tile_register"`
	Pooling      Unit `json:"pooling"`
	Activation   Unit `json:"activation"`
	Adder        Unit `json:"adder"`
	Bus          Unit `json:"bus"`
	Router       Unit `json:"router"`
	// NoCBitsPerNs is the bandwidth between two tiles in bits per ns: a
	// layer's output crosses it to the next layer's tile.
	NoCBitsPerNs float64 `json:"noc_bits_per_ns"`
	// BufferBitsPerNs is a tile buffer's bandwidth in bits per ns: a
	// layer's stage also reads its inputs from and writes its outputs to
	// the buffer, in series with the crossbar work (0 = not a limit).
	BufferBitsPerNs float64 `json:"buffer_bits_per_ns"`
	// BufferBusyMW is the power (mW) every tile buffer of a layer draws
	// while the layer moves its inputs and outputs through the buffer
	// (its buffer bits over buffer_bits_per_ns), on every tile the layer
	// occupies: a buffer charged by the time it is busy rather than per
	// access, as MNSIM 2.0 charges its tile buffers. It is added to the
	// buffer's energy per access; it needs buffer_bits_per_ns.
	BufferBusyMW float64 `json:"buffer_busy_mw"`
	// RowBlockTiles places each row tile of a layer (the crossbars that
	// share its input rows) on tiles of its own, so partial sums of one
	// tile never mix input blocks; otherwise a layer's crossbars are
	// packed into as few tiles as hold them.
	RowBlockTiles bool `json:"row_block_tiles"`

	// DACDemux and ADCMux, when both are set, charge the crossbar
	// periphery by read rounds, as MNSIM 2.0 does, instead of one drive
	// per row and one conversion per column: a DAC serves DACDemux rows
	// through a demultiplexer and an ADC ADCMux columns through a
	// multiplexer. A crossbar reads its used rows R in
	// ceil(R/dacs_per_xbar) rounds (one per OU of dacs_per_xbar rows) and
	// converts an OU's c columns in ceil(c/adcs_per_xbar) rounds; in every
	// round it powers ceil(R/dac_demux) DACs, ceil(c/adc_mux) ADCs and
	// 1/(dac_demux·adc_mux) of the OU's cells. 0 = not modelled.
	DACDemux int `json:"dac_demux,omitempty"`
	ADCMux   int `json:"adc_mux,omitempty"`
	// PoolingRoundPJ is the energy of one round of a tile's pooling units
	// (their power over one pooling step): a pooling layer takes, per
	// output position, ceil(channels/pooling.count) rounds, as MNSIM 2.0
	// times and charges its pooling module. Added to the pooling unit's
	// energy per operation.
	PoolingRoundPJ float64 `json:"pooling_round_pj,omitempty"`
	// MergePJ is the energy of merging one output's partial sums from the
	// PEs of a tile, per input vector and tile (MNSIM 2.0's joint module),
	// charged to the adder.
	MergePJ float64 `json:"merge_pj,omitempty"`
}

// roundCharge reports whether the crossbar periphery is charged by read
// rounds (DACDemux and ADCMux set).
func (c *Chip) roundCharge() bool { return c != nil && c.DACDemux > 0 && c.ADCMux > 0 }

// Unit is one kind of digital unit of a PE or a tile: how many there are
// per PE or tile (a fraction for a unit shared by several tiles), and per
// instance its area, static power and energy per action.
type Unit struct {
	Count    float64 `json:"count"`
	AreaUM2  float64 `json:"area_um2"`
	StaticMW float64 `json:"static_mw"`
	EnergyPJ float64 `json:"energy_pj"`
}

// area and static are the totals of the unit's instances in one PE or tile.
func (u Unit) area() float64   { return u.Count * u.AreaUM2 }
func (u Unit) static() float64 { return u.Count * u.StaticMW }

func (c *Chip) validate(h *HW) error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"chip.xbars_per_pe", c.XbarsPerPE}, {"chip.pes_per_tile", c.PEsPerTile},
		{"chip.dacs_per_xbar", c.DACsPerXbar}, {"chip.adcs_per_xbar", c.ADCsPerXbar},
		{"chip.shift_adds_per_pe", c.ShiftAddsPerPE},
	} {
		if f.v < 1 || f.v > 1<<16 {
			return hwErr(f.name, "%d out of range [1, %d]", f.v, 1<<16)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"chip.dac_demux", c.DACDemux}, {"chip.adc_mux", c.ADCMux}} {
		if f.v < 0 || f.v > 1<<16 {
			return hwErr(f.name, "%d out of range [0, %d]", f.v, 1<<16)
		}
	}
	if (c.DACDemux > 0) != (c.ADCMux > 0) {
		return hwErr("chip.adc_mux", "%d with chip.dac_demux %d: set both or neither", c.ADCMux, c.DACDemux)
	}
	if h.OURows > c.DACsPerXbar {
		return hwErr("chip.dacs_per_xbar", "%d DACs cannot drive %d-row OUs", c.DACsPerXbar, h.OURows)
	}
	if c.DACsPerXbar > h.XbarRows || c.ADCsPerXbar > h.XbarCols {
		return hwErr("chip.dacs_per_xbar", "%d DACs and %d ADCs for a %d×%d crossbar", c.DACsPerXbar, c.ADCsPerXbar, h.XbarRows, h.XbarCols)
	}
	floats := []struct {
		name string
		v    float64
	}{
		{"chip.xbar_static_mw", c.XbarStaticMW}, {"chip.dac_static_mw", c.DACStaticMW},
		{"chip.adc_static_mw", c.ADCStaticMW}, {"chip.shift_add_static_mw", c.ShiftAddStaticMW},
		{"chip.buffer_static_mw", c.BufferStaticMW}, {"chip.buffer_busy_mw", c.BufferBusyMW},
		{"chip.pooling_round_pj", c.PoolingRoundPJ}, {"chip.merge_pj", c.MergePJ},
	}
	for _, u := range []struct {
		name string
		u    Unit
	}{{"input_register", c.InputRegister}, {"output_register", c.OutputRegister}, {"tile_register", c.TileRegister},
		{"pooling", c.Pooling}, {"activation", c.Activation}, {"adder", c.Adder}, {"bus", c.Bus}, {"router", c.Router}} {
		floats = append(floats, []struct {
			name string
			v    float64
		}{{"chip." + u.name + ".count", u.u.Count}, {"chip." + u.name + ".area_um2", u.u.AreaUM2},
			{"chip." + u.name + ".static_mw", u.u.StaticMW}, {"chip." + u.name + ".energy_pj", u.u.EnergyPJ}}...)
	}
	for _, f := range floats {
		if math.IsNaN(f.v) || f.v < 0 || f.v > maxAreaUM2 {
			return hwErr(f.name, "%v out of range [0, %v]", f.v, maxAreaUM2)
		}
	}
	if math.IsNaN(c.BufferBitsPerNs) || c.BufferBitsPerNs < 0 || c.BufferBitsPerNs > 1e9 {
		return hwErr("chip.buffer_bits_per_ns", "%v out of range [0, 1e9]", c.BufferBitsPerNs)
	}
	if c.BufferBusyMW > 0 && c.BufferBitsPerNs == 0 {
		return hwErr("chip.buffer_busy_mw", "%v mW needs a buffer time: chip.buffer_bits_per_ns is 0", c.BufferBusyMW)
	}
	if !(c.NoCBitsPerNs > 0) || c.NoCBitsPerNs > 1e9 {
		return hwErr("chip.noc_bits_per_ns", "%v out of range (0, 1e9]", c.NoCBitsPerNs)
	}
	return nil
}

// bufferBusyPJ is the energy (pJ) of the buffers of a layer's tiles while
// the layer moves bits through the buffer: every occupied tile's buffer
// draws buffer_busy_mw for the buffer time (mW·ns = pJ).
func (c *Chip) bufferBusyPJ(tiles int, bits int64) float64 {
	if c.BufferBusyMW == 0 || c.BufferBitsPerNs == 0 {
		return 0
	}
	return float64(tiles) * c.BufferBusyMW * float64(bits) / c.BufferBitsPerNs
}

// ouNs is the time of one OU activation in ns: the crossbar read, and the
// conversion of the OU's columns by the crossbar's ADCs (one per OU column
// without a chip hierarchy), pipelined, never shorter than a clock cycle.
func (h *HW) ouNs() float64 {
	rounds := 1.0
	if h.Chip != nil && !h.Chip.roundCharge() {
		rounds = float64((h.OUCols + h.Chip.ADCsPerXbar - 1) / h.Chip.ADCsPerXbar)
	}
	return math.Max(1000/h.ClockMHz, math.Max(h.XbarReadLatencyNs, rounds*h.ADCLatencyNs))
}

// ouRounds is the number of OU times one activation of an OU converting
// cols columns takes: its conversion rounds when the periphery is charged
// by read rounds, else 1 (ouNs covers the conversion).
func (h *HW) ouRounds(cols int64) int64 {
	if c := h.Chip; c.roundCharge() {
		return ceilDiv(cols, int64(c.ADCsPerXbar))
	}
	return 1
}

// TilePeak is one fully provisioned tile at full activity: every crossbar
// fires a full OU every OU time, every unit draws its static power.
type TilePeak struct {
	PowerMW float64 `json:"power_mw"`
	AreaUM2 float64 `json:"area_um2"`
	// By component name.
	PowerByComponentMW map[string]float64 `json:"power_by_component_mw"`
	AreaByComponentUM2 map[string]float64 `json:"area_by_component_um2"`
}

// TilePeak computes one tile's peak power and area from the per-component
// figures; it needs a chip hierarchy.
func (h *HW) TilePeak() (*TilePeak, error) {
	if h.Chip == nil {
		return nil, fmt.Errorf("hwsim: tile peak: hardware %q has no chip hierarchy", h.Name)
	}
	c := h.Chip
	xbars := int64(c.PEsPerTile) * int64(c.XbarsPerPE)
	f := footprint{crossbars: int(xbars), pes: c.PEsPerTile, tiles: 1}
	// Actions of one OU time of a full tile.
	var fire tally
	w := newOUWork(h, int64(h.OURows), int64(h.OUCols), int64(h.OURows), 0, ouIndex{}, 0)
	fire.addActivations(&w, xbars)
	n := fire.counts(0, h, nil)
	e := priceEnergy(h, &n)
	a := priceArea(h, &f, false)
	t := &TilePeak{PowerByComponentMW: map[string]float64{}, AreaByComponentUM2: map[string]float64{}}
	ns := h.ouNs() * float64(h.ouRounds(int64(h.OUCols)))
	for i, comp := range components {
		p := e.parts[i]/ns + comp.staticMW(h, &f) // pJ/ns = mW
		t.PowerByComponentMW[comp.name] = p
		t.AreaByComponentUM2[comp.name] = a.parts[i]
		t.PowerMW += p
	}
	t.AreaUM2 = a.Total
	return t, nil
}

// imageWork is what one image asks of a layer's tile besides its crossbar
// work, from the golden model's integer program: the digital operations of
// the layer and of the ops that follow it up to the next linear layer, and
// the traffic to the next layer's tile.
type imageWork struct {
	vectors     int64 // input vectors per image, all groups
	requant     int64 // requantizations (linear outputs, concat and affine rescales)
	activations int64 // activations applied (the clamp fused into a linear, Relu/Clip, table lookups)
	poolOps     int64 // comparisons or additions of pooling windows
	poolRounds  int64 // pooling rounds: output positions × ceil(channels/pooling units)
	adds        int64 // elementwise additions (residual adds)
	nocBits     int64 // bits sent to the next layer's tile
	// the digital units' buffer traffic: bits of the codes their ops read
	// and write (quant.DigitalWork.ReadBits, WriteBits)
	digitalReadBits, digitalWriteBits int64
	nextStartFrac                     float64
}

// imageWorkOf walks the integer program once. Ops before the first linear
// layer are charged to it; every other op to the linear layer before it.
// The pooling rounds need the chip's pooling units and are counted only
// when the chip charges them (chip.pooling_round_pj).
func imageWorkOf(net *quant.Network, hw *HW) ([]imageWork, error) {
	poolUnits := int64(0)
	if hw != nil && hw.Chip != nil && hw.Chip.Pooling.Count >= 1 && hw.Chip.PoolingRoundPJ > 0 {
		poolUnits = int64(hw.Chip.Pooling.Count)
	}
	w := make([]imageWork, len(net.Linears))
	for i := range w {
		w[i].nextStartFrac = 1
	}
	if len(w) == 0 {
		return w, nil
	}
	elems := func(v int) (int64, error) {
		if v < 0 || v >= len(net.Values) {
			return 0, fmt.Errorf("hwsim: program: value %d out of range", v)
		}
		return valueElems(&net.Values[v]), nil
	}
	cur := -1
	for oi := range net.Ops {
		op := &net.Ops[oi]
		out, err := elems(op.Out)
		if err != nil {
			return nil, err
		}
		if op.Kind == quant.OpLinear {
			if op.Linear < 0 || op.Linear >= len(w) || len(op.In) == 0 {
				return nil, fmt.Errorf("hwsim: program: op %q: linear %d of %d", op.Name, op.Linear, len(w))
			}
			in, err := elems(op.In[0])
			if err != nil {
				return nil, err
			}
			l := net.Linears[op.Linear]
			if cur >= 0 {
				w[cur].nocBits += in * int64(net.Values[op.In[0]].Bits)
				if op.Win != nil && op.Win.InH > 0 {
					w[cur].nextStartFrac = math.Min(1, float64(op.Win.KH)/float64(op.Win.InH))
				}
			}
			cur = op.Linear
			if l.N > 0 {
				w[cur].vectors = out / int64(l.N)
			}
		}
		// Each op kind states its own digital work (quant.Network.Work).
		dw := net.Work(op)
		at := &w[max(cur, 0)]
		at.requant += dw.Requant
		at.activations += dw.Activations
		at.poolOps += dw.PoolOps
		if dw.PoolOps > 0 {
			// The tile's pooling units produce the op's output.
			at.poolRounds += poolRounds(net.Values[op.Out].Shape, poolUnits)
		}
		at.adds += dw.Adds
		at.digitalReadBits += dw.ReadBits
		at.digitalWriteBits += dw.WriteBits
	}
	for _, o := range net.Outputs {
		if cur >= 0 && o.Value >= 0 && o.Value < len(net.Values) {
			v := net.Values[o.Value]
			w[cur].nocBits += valueElems(&v) * int64(v.Bits)
		}
	}
	return w, nil
}

// poolRounds is the number of rounds units pooling units take to produce
// a pooled value of the given (channels, positions...) shape: one output
// position of ceil(channels/units) channel batches per round (0 without
// units).
func poolRounds(shape []int, units int64) int64 {
	if units < 1 || len(shape) < 2 {
		return 0
	}
	positions := int64(1)
	for _, d := range shape[1:] {
		positions *= int64(d)
	}
	return positions * ceilDiv(int64(shape[0]), units)
}

// placement is where a layer sits: its provisioned crossbars, PEs and
// tiles (every layer on tiles of its own, as in ISAAC and MNSIM), for
// crossbars spread over rowBlocks row tiles.
func (h *HW) placement(crossbars, rowBlocks int) footprint {
	c := h.Chip
	perTile := c.PEsPerTile * c.XbarsPerPE
	tiles := (crossbars + perTile - 1) / perTile
	if c.RowBlockTiles && rowBlocks > 0 {
		perBlock := (crossbars + rowBlocks - 1) / rowBlocks
		tiles = rowBlocks * ((perBlock + perTile - 1) / perTile)
	}
	return footprint{crossbars: tiles * perTile, pes: tiles * c.PEsPerTile, tiles: tiles}
}

// pipeline schedules the layers of one image: layer l+1 starts once layer
// l has done the fraction of its work the first output of l+1 needs (the
// next convolution's kernel height over its input height; all of it before
// a fully connected layer), and cannot finish before l finished plus its
// own last vector. It returns the latency of one image; the period between
// images is the longest stage.
func pipeline(stages []float64, vectors []int64, startFrac []float64) (latency, period float64) {
	var start, end float64
	for l, s := range stages {
		period = math.Max(period, s)
		if l == 0 {
			start, end = 0, s
			continue
		}
		last := 0.0
		if vectors[l] > 0 {
			last = s / float64(vectors[l])
		}
		start += startFrac[l-1] * stages[l-1]
		end = math.Max(start+s, end+last)
	}
	return end, period
}

// valueElems is the number of elements of one sample of v.
func valueElems(v *quant.Value) int64 {
	n := int64(1)
	for _, d := range v.Shape {
		n *= int64(d)
	}
	return n
}
