package hwsim

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// handChip is a small hierarchy with round numbers: 2 crossbars per PE,
// 2 PEs per tile.
func handChip() HW {
	hw := Defaults()
	hw.Chip = &Chip{XbarsPerPE: 2, PEsPerTile: 2, DACsPerXbar: 16, ADCsPerXbar: 8, ShiftAddsPerPE: 1,
		XbarStaticMW: 0.1, DACStaticMW: 0.01, ADCStaticMW: 0.2, ShiftAddStaticMW: 0.3, BufferStaticMW: 1.5,
		InputRegister:  Unit{Count: 1, AreaUM2: 10, StaticMW: 1, EnergyPJ: 0.5},
		OutputRegister: Unit{Count: 1, AreaUM2: 20, StaticMW: 2, EnergyPJ: 0.25},
		TileRegister:   Unit{Count: 1, AreaUM2: 30, StaticMW: 3, EnergyPJ: 0.125},
		Pooling:        Unit{Count: 2, AreaUM2: 40, StaticMW: 4, EnergyPJ: 1},
		Activation:     Unit{Count: 1, AreaUM2: 50, StaticMW: 5, EnergyPJ: 2},
		Adder:          Unit{Count: 1, AreaUM2: 60, StaticMW: 6, EnergyPJ: 3},
		Bus:            Unit{Count: 1, AreaUM2: 70, StaticMW: 7, EnergyPJ: 0.0625},
		Router:         Unit{Count: 0.5, AreaUM2: 80, StaticMW: 8, EnergyPJ: 4},
		NoCBitsPerNs:   8, BufferBitsPerNs: 16}
	return hw
}

// One layer on one tile, every whole-chip component by hand.
//
// The layer of TestHandComputedDenseCost (K = 10, N = 2, B = 4, A = 4,
// 2 OUs of 9×8 and 1×8 on one crossbar) in a program Gemm → MaxPool
// (1×2 window, 2 outputs) → Add (2 outputs), one vector per image:
//
//	counts: OU activations 2·4 = 8, conversions 64, cell reads 320,
//	DAC drives 40, shift-adds 64, buffer 40 bits read, 8 written by the
//	crossbar; the digital units read 2·4 (MaxPool) + 2·2·4 (Add, its
//	operand twice) = 24 bits and write 2·4 + 2·4 = 16 (4 accesses in all,
//	one per counter), requant 2, activations 2 (the clamp of the Gemm),
//	pooling 2·1·2 = 4, adds 2, NoC 2 outputs · 4 bits = 8
//	energy (pJ): crossbar 320·30/16384 = 0.5859375, DAC 40·0.417 = 16.68,
//	ADC 64·1.67 = 106.88, shift-add 64·0.021 = 1.344, buffer 4·20.45 = 81.8,
//	register 40·0.5 + 8·(0.25 + 0.125) = 23, pooling 4·1 = 4,
//	activation 2·2 = 4, adder (2 + 2)·3 = 12, interconnect 40·0.0625 + 8·4
//	= 34.5
//	placement: 1 dense crossbar → 1 tile = 2 PEs = 4 crossbars
//	latency: 1 vector · 4 steps · 2 OUs in turn = 8 cycles of 100 ns = 800
//	ns, + NoC 8/8 = 1 ns, + buffer 48/16 = 3 ns (the crossbar's bits:
//	the digital units' are charged per access) = 804 ns; one layer: period
//	804 ns
//	static power (mW): crossbar 4·0.1 = 0.4, DAC 4·16·0.01 = 0.64, ADC
//	4·8·0.2 = 6.4, shift-add 2·0.3 = 0.6, buffer 1.5, register 2·(1 + 2) +
//	3 = 9, pooling 2·4 = 8, activation 5, adder 6, interconnect 7 + 0.5·8 =
//	11; total 48.54 mW, i.e. 48.54·804 = 39026.16 pJ per image
//	area (µm²): crossbar 4·25 = 100, DAC 4·16·170/1024 = 10.625, ADC 4·8·1200
//	= 38400, shift-add 2·60 = 120, buffer 83000, register 2·30 + 30 = 90,
//	pooling 80, activation 50, adder 60, interconnect 70 + 40 = 110; total
//	122020.625
func TestHandComputedChip(t *testing.T) {
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: 10, N: 2, Groups: 1, WBits: 4, ABits: 4,
		Weights: [][]int32{{1, -2, 3, 4, -5, 6, 7, -8, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, 0, 5}}}
	net := &quant.Network{Linears: []*quant.Linear{l},
		Values: []quant.Value{{Name: "x", Shape: []int{10}, Bits: 4}, {Name: "y", Shape: []int{2, 1, 1}, Bits: 4},
			{Name: "p", Shape: []int{2, 1, 1}, Bits: 4}, {Name: "s", Shape: []int{2, 1, 1}, Bits: 4}},
		Ops: []quant.Op{{Kind: quant.OpLinear, Name: "fc", In: []int{0}, Out: 1},
			{Kind: quant.OpMaxPool, Name: "pool", In: []int{1}, Out: 2, Win: &quant.Window{KH: 1, KW: 2}},
			{Kind: quant.OpAdd, Name: "add", In: []int{2, 2}, Out: 3}},
		Outputs: []quant.Output{{Value: 3}}}
	hw := handChip()
	mp := mapOrFail(t, net, hw.Geometry, mapper.Options{Scheme: "dense"})
	s, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := AnalyticCounts(mp, hw, []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	c := counts[0]
	want := Counts{Vectors: 1, OUActivations: 8, ADCConversions: 64, CellReads: 320, DACDrives: 40, ShiftAdds: 64,
		BufferReadBits: 40, BufferWriteBits: 8, DigitalReadBits: 24, DigitalWriteBits: 16, BufferAccesses: 4, RequantOps: 2, ActivationOps: 2, PoolOps: 4, AddOps: 2, NoCBits: 8}
	if c != want {
		t.Fatalf("counts\n got %+v\nwant %+v", c, want)
	}
	cost, err := s.Cost(counts)
	if err != nil {
		t.Fatal(err)
	}
	static := map[string]float64{"crossbar": 0.4, "dac": 0.64, "adc": 6.4, "shift_add": 0.6, "index": 0, "buffer": 1.5,
		"register": 9, "pooling": 8, "activation": 5, "adder": 6, "interconnect": 11}
	dynamic := map[string]float64{"crossbar": 0.5859375, "dac": 16.68, "adc": 106.88, "shift_add": 1.344, "index": 0, "buffer": 81.8,
		"register": 23, "pooling": 4, "activation": 4, "adder": 12, "interconnect": 34.5}
	area := map[string]float64{"crossbar": 100, "dac": 10.625, "adc": 38400, "shift_add": 120, "index": 0, "buffer": 83000,
		"register": 90, "pooling": 80, "activation": 50, "adder": 60, "interconnect": 110}
	total := 0.0
	for _, name := range ComponentNames() {
		e := dynamic[name] + static[name]*804
		total += e
		if got := cost.EnergyPJ.Get(name); !near(got, e) {
			t.Errorf("energy %s = %v pJ, want %v (dynamic %v + static %v mW · 804 ns)", name, got, e, dynamic[name], static[name])
		}
		if got := cost.AreaUM2.Get(name); !near(got, area[name]) {
			t.Errorf("area %s = %v µm², want %v", name, got, area[name])
		}
	}
	if !near(cost.EnergyPJ.Total, total) || !near(cost.AreaUM2.Total, 122020.625) || !near(cost.StaticPowerMW, 48.54) {
		t.Errorf("totals: energy %v (want %v), area %v (want 122020.625), static %v mW (want 48.54)", cost.EnergyPJ.Total, total, cost.AreaUM2.Total, cost.StaticPowerMW)
	}
	if cost.Cycles != 8 || !near(cost.LatencyNs, 804) || !near(cost.PeriodNs, 804) || !near(cost.ThroughputIPS, 1e9/804) || cost.Tiles != 1 || cost.Layers[0].Tiles != 1 {
		t.Errorf("cycles %d latency %v period %v throughput %v tiles %d", cost.Cycles, cost.LatencyNs, cost.PeriodNs, cost.ThroughputIPS, cost.Tiles)
	}
	// The same counts from a simulation of one image.
	x := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	out := make([]int32, 2)
	if err := s.MatMul(l, 0, x, 1, out); err != nil {
		t.Fatal(err)
	}
	got := s.Counted()[0]
	got.ADCClipped, got.ADCTruncated = 0, 0
	if got != want {
		t.Errorf("simulated counts\n got %+v\nwant %+v", got, want)
	}
	// A buffer charged by busy time: the layer's one tile's buffer draws
	// 2.5 mW for its 48 crossbar buffer bits at 16 bits/ns (3 ns): 7.5 pJ more
	// buffer energy, nothing else changes.
	hw.Chip.BufferBusyMW = 2.5
	busy, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bcost, err := busy.Cost(counts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ComponentNames() {
		e := cost.EnergyPJ.Get(name)
		if name == "buffer" {
			e += 7.5
		}
		if got := bcost.EnergyPJ.Get(name); !near(got, e) {
			t.Errorf("busy buffer: energy %s = %v pJ, want %v", name, got, e)
		}
	}
	if !near(bcost.EnergyPJ.Total, cost.EnergyPJ.Total+7.5) {
		t.Errorf("busy buffer: total %v pJ, want %v", bcost.EnergyPJ.Total, cost.EnergyPJ.Total+7.5)
	}
}

// The periphery charged by read rounds (chip.dac_demux, chip.adc_mux), by
// hand, on the layer of TestHandComputedChip: 9 DACs per crossbar (one
// 9-row OU per round), 4 ADCs, DACs behind a 2:1 demux, ADCs behind a 2:1
// mux. The crossbar uses 10 rows in 2 strips (OUs of 9 and 1 rows, 8
// columns each), so rr = ceil(10/9) = 2 row rounds; an OU's 8 columns
// take cr = ceil(8/4) = 2 conversion rounds. Per input step:
//
//	OU 9×8: DAC ceil(9/2)·rr·cr = 20, ADC ceil(8/2)·cr = 8, cells 9·8·rr·cr = 288
//	OU 1×8: DAC ceil(1/2)·rr·cr = 4,  ADC 8,                cells 1·8·4 = 32
//
// over 4 input steps: 96 DAC rounds, 64 ADC rounds, 1280 cell rounds.
// Energy (pJ): DAC 96·0.417 = 40.032, ADC 64·1.67 = 106.88, crossbar
// 1280·(30/16384)/(2·2) = 0.5859375. MNSIM's per-crossbar rule gives the
// same ADC and cells (4 rounds of ceil(8/2) ADCs and 10·8/4 cells) and 20
// DAC rounds per step against these 24 (ceil(10/2) against ceil(9/2) +
// ceil(1/2)). Latency: 2 OUs of 2 rounds per step, 4 steps: 16 cycles of
// 100 ns, + NoC 1 ns + buffer 3 ns = 1604 ns.
func TestReadRoundCharge(t *testing.T) {
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: 10, N: 2, Groups: 1, WBits: 4, ABits: 4,
		Weights: [][]int32{{1, -2, 3, 4, -5, 6, 7, -8, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, 0, 5}}}
	net := &quant.Network{Linears: []*quant.Linear{l},
		Values: []quant.Value{{Name: "x", Shape: []int{10}, Bits: 4}, {Name: "y", Shape: []int{2}, Bits: 4}},
		Ops:    []quant.Op{{Kind: quant.OpLinear, Name: "fc", In: []int{0}, Out: 1}}, Outputs: []quant.Output{{Value: 1}}}
	hw := handChip()
	hw.Chip.DACsPerXbar, hw.Chip.ADCsPerXbar, hw.Chip.DACDemux, hw.Chip.ADCMux = 9, 4, 2, 2
	mp := mapOrFail(t, net, hw.Geometry, mapper.Options{Scheme: "dense"})
	s, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := AnalyticCounts(mp, hw, []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	c := counts[0]
	if c.DACRoundDrives != 96 || c.ADCRoundConversions != 64 || c.CellRoundReads != 1280 ||
		c.DACDrives != 40 || c.ADCConversions != 64 || c.CellReads != 320 {
		t.Errorf("counts %+v: want 96 DAC, 64 ADC, 1280 cell rounds beside the physical 40, 64, 320", c)
	}
	x := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if err := s.MatMul(l, 0, x, 1, make([]int32, 2)); err != nil {
		t.Fatal(err)
	}
	if got := s.Counted()[0]; got.DACRoundDrives != 96 || got.ADCRoundConversions != 64 || got.CellRoundReads != 1280 {
		t.Errorf("simulated counts %+v differ from the analytic ones", got)
	}
	cost, err := s.Cost(counts)
	if err != nil {
		t.Fatal(err)
	}
	// Each component's energy less its static power over the period (one
	// tile of 2 PEs, 4 crossbars) is its dynamic energy.
	e := cost.Layers[0].EnergyPJ
	fp := footprint{crossbars: 4, pes: 2, tiles: 1}
	for _, d := range []struct {
		name string
		pj   float64
	}{{"dac", 40.032}, {"adc", 106.88}, {"crossbar", 0.5859375}} {
		comp := &components[componentIndex(d.name)]
		if got := e.Get(d.name) - comp.staticMW(&hw, &fp)*cost.PeriodNs; !near(got, d.pj) {
			t.Errorf("%s energy %v pJ, want %v", d.name, got, d.pj)
		}
	}
	if cost.Cycles != 16 || !near(cost.LatencyNs, 1604) {
		t.Errorf("cycles %d latency %v ns, want 16 and 1604", cost.Cycles, cost.LatencyNs)
	}
	// Partial-sum merges (chip.merge_pj): the crossbar's 8 columns hold 2
	// outputs of 4 digit columns, so 2 merges per vector at 2.5 pJ: 5 pJ
	// more adder energy, and none counted without merge_pj.
	if c.MergeOps != 0 {
		t.Errorf("%d merges counted without chip.merge_pj", c.MergeOps)
	}
	hw.Chip.MergePJ = 2.5
	mcounts, err := AnalyticCounts(mp, hw, []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mcost, err := ms.Cost(mcounts)
	if err != nil {
		t.Fatal(err)
	}
	if mcounts[0].MergeOps != 2 || !near(mcost.EnergyPJ.Get("adder"), cost.EnergyPJ.Get("adder")+5) {
		t.Errorf("merges %d, adder %v pJ; want 2 and %v", mcounts[0].MergeOps, mcost.EnergyPJ.Get("adder"), cost.EnergyPJ.Get("adder")+5)
	}
}

// Pooling rounds: output positions × ceil(channels / units).
func TestPoolRounds(t *testing.T) {
	for _, c := range []struct {
		shape []int
		units int64
		want  int64
	}{
		{[]int{6, 14, 14}, 64, 196},   // MNSIM's LeNet pooling: 196 rounds of 100 ns = 19 600 ns
		{[]int{128, 16, 16}, 64, 512}, // its VGG-8 first pooling: 2 channel batches × 256 positions
		{[]int{1024, 1, 1}, 64, 16},
		{[]int{6, 14, 14}, 0, 0},
		{[]int{6}, 64, 0},
	} {
		if got := poolRounds(c.shape, c.units); got != c.want {
			t.Errorf("poolRounds(%v, %d) = %d, want %d", c.shape, c.units, got, c.want)
		}
	}
}

// The layer pipeline by hand: stages of 100 and 50 ns, the second layer
// needing 30 % of the first's output before its first vector and having
// 5 vectors (10 ns each): it starts at 30 ns, would end at 80 ns but must
// process its last vector after the first layer ends: 100 + 10 = 110 ns.
// With a fully connected second layer (fraction 1): 100 + 50 = 150 ns.
func TestPipelineByHand(t *testing.T) {
	for _, c := range []struct {
		frac         float64
		latency, per float64
	}{{0.3, 110, 100}, {1, 150, 100}, {0, 110, 100}} {
		lat, per := pipeline([]float64{100, 50}, []int64{10, 5}, []float64{c.frac, 1})
		if !near(lat, c.latency) || !near(per, c.per) {
			t.Errorf("fraction %v: latency %v period %v, want %v %v", c.frac, lat, per, c.latency, c.per)
		}
	}
}

// Placement: packed into as few tiles as hold the crossbars, or one set of
// tiles per row tile.
func TestPlacement(t *testing.T) {
	hw := handChip() // 4 crossbars per tile
	for _, c := range []struct {
		xbars, blocks int
		rowBlocks     bool
		tiles         int
	}{{1, 1, false, 1}, {4, 1, false, 1}, {5, 1, false, 2}, {6, 3, false, 2}, {6, 3, true, 3}, {8, 2, true, 2}, {12, 2, true, 4}, {9, 1, true, 3}} {
		hw.Chip.RowBlockTiles = c.rowBlocks
		f := hw.placement(c.xbars, c.blocks)
		if f.tiles != c.tiles || f.pes != 2*c.tiles || f.crossbars != 4*c.tiles {
			t.Errorf("%d crossbars in %d row tiles (row-block %v): %+v, want %d tiles", c.xbars, c.blocks, c.rowBlocks, f, c.tiles)
		}
	}
}

// A bad chip description is an error naming the field.
func TestChipValidate(t *testing.T) {
	for _, c := range []struct {
		edit  func(c *Chip)
		field string
	}{
		{func(c *Chip) { c.XbarsPerPE = 0 }, "chip.xbars_per_pe"},
		{func(c *Chip) { c.PEsPerTile = -1 }, "chip.pes_per_tile"},
		{func(c *Chip) { c.DACsPerXbar = 8 }, "chip.dacs_per_xbar"}, // below the 9-row OU
		{func(c *Chip) { c.ADCsPerXbar = 1000 }, "chip.dacs_per_xbar"},
		{func(c *Chip) { c.Pooling.EnergyPJ = -1 }, "chip.pooling.energy_pj"},
		{func(c *Chip) { c.Router.Count = math.NaN() }, "chip.router.count"},
		{func(c *Chip) { c.NoCBitsPerNs = 0 }, "chip.noc_bits_per_ns"},
		{func(c *Chip) { c.BufferBitsPerNs = -1 }, "chip.buffer_bits_per_ns"},
		{func(c *Chip) { c.BufferBusyMW = -1 }, "chip.buffer_busy_mw"},
		{func(c *Chip) { c.BufferBusyMW, c.BufferBitsPerNs = 1, 0 }, "chip.buffer_busy_mw"},
		{func(c *Chip) { c.DACDemux = -1 }, "chip.dac_demux"},
		{func(c *Chip) { c.DACDemux = 2 }, "chip.adc_mux"}, // one without the other
		{func(c *Chip) { c.PoolingRoundPJ = math.Inf(1) }, "chip.pooling_round_pj"},
		{func(c *Chip) { c.MergePJ = -1 }, "chip.merge_pj"},
	} {
		hw := handChip()
		c.edit(hw.Chip)
		err := hw.Validate()
		if err == nil || !errors.Is(err, ErrInvalidHW) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
	hw := handChip()
	if err := hw.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseHW([]byte(`{"chip": {"xbars_per_pe": 1, "bogus": 2}}`)); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown chip field: %v", err)
	}
}
