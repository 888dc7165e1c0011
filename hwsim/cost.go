package hwsim

import (
	"fmt"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// LayerCost is the cost of one linear layer.
type LayerCost struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	Op          string `json:"op"`
	K           int    `json:"k"`
	N           int    `json:"n"`
	Groups      int    `json:"groups"`
	WBits       int    `json:"wbits"`
	ABits       int    `json:"abits"`
	InputSigned bool   `json:"input_signed"`
	// Steps is the number of input steps per vector (A for 1-bit DACs).
	Steps int `json:"steps"`
	// Layout: crossbars, OUs, physical columns, owner entries, the OUs one
	// crossbar fires in turn per input step under the cycle model
	// (SerialOUs; cycles = vectors per group · Steps · SerialOUs), and
	// index storage in bits.
	Crossbars       int   `json:"crossbars"`
	OUs             int   `json:"ous"`
	PhysicalColumns int   `json:"physical_columns"`
	OwnerEntries    int   `json:"owner_entries"`
	SerialOUs       int64 `json:"serial_ous"`
	IndexBits       int64 `json:"index_bits"`
	Counts
	// Tiles is the number of tiles the layer is placed on (chip hierarchy
	// only).
	Tiles     int       `json:"tiles,omitempty"`
	Cycles    int64     `json:"cycles"`
	LatencyNs float64   `json:"latency_ns"`
	EnergyPJ  Breakdown `json:"energy_pj"`
	AreaUM2   Breakdown `json:"area_um2"`
}

// Cost is the cost of a network: per layer and totals. Without a chip
// hierarchy layers run one after the other: cycles and latency add up.
// With one (HW.Chip) the layers form a pipeline: LatencyNs is one image's
// latency with the layers overlapping, PeriodNs the time between two
// images (the longest stage), ThroughputIPS images per second, and the
// energy includes every tile's static power over one period per image.
type Cost struct {
	Layers        []LayerCost `json:"layers"`
	Counts        Counts      `json:"counts"`
	Cycles        int64       `json:"cycles"`
	LatencyNs     float64     `json:"latency_ns"`
	PeriodNs      float64     `json:"period_ns,omitempty"`
	ThroughputIPS float64     `json:"throughput_ips,omitempty"`
	EnergyPJ      Breakdown   `json:"energy_pj"`
	AreaUM2       Breakdown   `json:"area_um2"`
	StaticPowerMW float64     `json:"static_power_mw,omitempty"`
	Crossbars     int         `json:"crossbars"`
	Tiles         int         `json:"tiles"`
	IndexBits     int64       `json:"index_bits"`
}

// layerShape is what the cost model needs from a layer's layout.
type layerShape struct {
	lin                     *quant.Linear
	steps                   int
	crossbars, ous, columns int
	owners                  int
	serialOUs               []int64 // per group: OUs one crossbar fires in turn (cycle model)
	indexBits               int64
	// denseCrossbars is what the iso-crossbar model provisions: the dense
	// layout's crossbars (or the scheme's own, when larger); rowBlocks the
	// dense layout's row tiles over all groups.
	denseCrossbars int
	rowBlocks      int
}

// AnalyticCounts computes, straight from the mapping, the action counts of
// each layer when every group of layer i receives vectors[i] input vectors.
// It does not simulate anything (the clipping counters stay 0); the
// simulator's counters must equal it for the same vectors.
func AnalyticCounts(mp *mapper.Mapping, hw HW, vectors []int64) ([]Counts, error) {
	if err := hw.Validate(); err != nil {
		return nil, err
	}
	if mp == nil || mp.Net == nil || len(mp.Layers) != len(mp.Net.Linears) {
		return nil, fmt.Errorf("hwsim: analytic counts: mapping without a matching network")
	}
	if len(vectors) != len(mp.Layers) {
		return nil, fmt.Errorf("hwsim: analytic counts: %d vector counts for %d layers", len(vectors), len(mp.Layers))
	}
	work, err := imageWorkOf(mp.Net, &hw)
	if err != nil {
		return nil, err
	}
	out := make([]Counts, len(mp.Layers))
	for li, lm := range mp.Layers {
		l := mp.Net.Linears[li]
		if lm == nil || len(lm.Groups) != l.Groups {
			return nil, fmt.Errorf("hwsim: analytic counts: layer %d: group maps do not match", li)
		}
		ns := int64(len(inputSteps(l.ABits, hw.DACBits, l.InputSigned)))
		v := vectors[li]
		var t tally
		for _, gm := range lm.Groups {
			ix, err := newIndexLayout(mp.Scheme, l, gm, mp.Geometry.CellBits)
			if err != nil {
				return nil, fmt.Errorf("hwsim: analytic counts: layer %d: %w", li, err)
			}
			xr := xbarRows(gm)
			for oi, ou := range gm.OUs {
				var owners int64
				for col := ou.ColStart; col < ou.ColStart+ou.ColCount; col++ {
					owners += int64(gm.OwnerStart[col+1] - gm.OwnerStart[col])
				}
				idx := ix.forOU(oi)
				w := newOUWork(&hw, int64(ou.RowCount), int64(ou.ColCount), xr[oi], owners, idx, ix.bits(idx))
				t.addActivations(&w, v*ns)
			}
			vw := newVectorWork(&hw, l, &ix, gm)
			t.addVectors(&vw, v)
		}
		out[li] = t.counts(v*int64(len(lm.Groups)), &hw, &work[li])
	}
	return out, nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// Counted returns what the simulation counted per layer since the last
// Reset (or since New).
func (s *Simulator) Counted() []Counts {
	out := make([]Counts, len(s.counts))
	for li := range s.counts {
		out[li] = s.counts[li].load(&s.hw, &s.work[li])
	}
	return out
}

// VectorsPerLayer returns the input vectors each layer group received since
// the last Reset.
func (s *Simulator) VectorsPerLayer() []int64 {
	v := make([]int64, len(s.groups))
	for li, gs := range s.groups {
		if len(gs) > 0 {
			v[li] = gs[0].vectorsSeen.Load()
		}
	}
	return v
}

// Cost prices the given per-layer counts (from Counted, AnalyticCounts, or
// either divided by the number of images) with the simulator's hardware.
func (s *Simulator) Cost(counts []Counts) (*Cost, error) {
	if len(counts) != len(s.groups) {
		return nil, fmt.Errorf("hwsim: cost: %d count rows for %d layers", len(counts), len(s.groups))
	}
	shapes := make([]layerShape, len(s.groups))
	for li, gs := range s.groups {
		sh := &shapes[li]
		sh.lin = s.net.Linears[li]
		sh.steps = len(inputSteps(sh.lin.ABits, s.hw.DACBits, sh.lin.InputSigned))
		for _, g := range gs {
			sh.crossbars += g.crossbars
			sh.ous += len(g.ous)
			sh.columns += g.physCols
			sh.owners += len(g.own)
			sh.serialOUs = append(sh.serialOUs, g.serialOUs(s.hw.CycleModel))
			sh.indexBits += g.indexBits
			sh.denseCrossbars += max(g.denseXbars, g.crossbars)
			sh.rowBlocks += s.hw.DenseRowTiles(g.k)
		}
	}
	return priceCounts(&s.hw, shapes, counts, s.work), nil
}

// serialOUs is the number of OU activations one crossbar of the group
// performs in turn per input step and vector under the cycle model: the
// busiest crossbar of the scheme's own layout (packed), or the group's OUs
// spread evenly over the dense layout's crossbars (iso-crossbar).
func (g *group) serialOUs(model string) int64 {
	if model == CyclesPacked || g.denseXbars <= 0 {
		return g.maxOUsXbar
	}
	// A layout larger than dense (possible only when a scheme's index
	// columns outgrow its savings) keeps its own crossbars.
	return ceilDiv(g.rounds, int64(max(g.denseXbars, g.crossbars)))
}

// priceCounts applies the cost model (doc.go) to counts; work is the
// golden program's work per image and layer (for the pipeline).
func priceCounts(hw *HW, shapes []layerShape, counts []Counts, work []imageWork) *Cost {
	cost := &Cost{Layers: make([]LayerCost, len(shapes))}
	cycleNs := hw.CycleNs()
	for li, sh := range shapes {
		c := counts[li]
		l := sh.lin
		lc := LayerCost{Index: li, Name: l.Name, Op: l.Op, K: l.K, N: l.N, Groups: l.Groups, WBits: l.WBits,
			ABits: l.ABits, InputSigned: l.InputSigned, Steps: sh.steps, Crossbars: sh.crossbars, OUs: sh.ous,
			PhysicalColumns: sh.columns, OwnerEntries: sh.owners, IndexBits: sh.indexBits, Counts: c}
		// Groups run on their own crossbars in parallel, and so do the
		// crossbars of a group; the OUs of one crossbar take turns.
		perGroup := int64(0)
		if l.Groups > 0 {
			perGroup = c.Vectors / int64(l.Groups)
		}
		for _, m := range sh.serialOUs {
			lc.SerialOUs = max(lc.SerialOUs, m)
		}
		lc.Cycles = perGroup * int64(sh.steps) * lc.SerialOUs
		lc.LatencyNs = float64(lc.Cycles) * cycleNs
		lc.EnergyPJ = priceEnergy(hw, &c)
		fp := footprint{crossbars: sh.crossbars, indexBits: sh.indexBits}
		if hw.Chip != nil {
			provisioned := sh.crossbars
			if hw.isoCrossbar() {
				provisioned = sh.denseCrossbars
			}
			fp = hw.placement(provisioned, sh.rowBlocks)
			fp.indexBits = sh.indexBits
			lc.Tiles = fp.tiles
			// The layer's output crosses to the next layer's tile; its
			// inputs and outputs pass through the tile buffer.
			// The buffer's bandwidth and busy power (MNSIM's, calibrated on
			// the crossbars' traffic) are those of the crossbars' inputs and
			// outputs; the digital units' traffic is charged per access.
			lc.LatencyNs += float64(c.NoCBits) / hw.Chip.NoCBitsPerNs
			if bw := hw.Chip.BufferBitsPerNs; bw > 0 {
				lc.LatencyNs += float64(c.BufferReadBits+c.BufferWriteBits) / bw
			}
			lc.EnergyPJ.addTo("buffer", hw.Chip.bufferBusyPJ(fp.tiles, c.BufferReadBits+c.BufferWriteBits))
		}
		lc.AreaUM2 = priceArea(hw, &fp, false)
		cost.Layers[li] = lc
		cost.Counts.add(&lc.Counts)
		cost.Cycles += lc.Cycles
		cost.LatencyNs += lc.LatencyNs
		cost.AreaUM2.add(&lc.AreaUM2)
		cost.Crossbars += sh.crossbars
		cost.IndexBits += sh.indexBits
		cost.Tiles += lc.Tiles
	}
	if hw.Chip != nil || hw.CycleModel == CyclesPipelined {
		pipelineLayers(hw, cost, counts, work)
	}
	for li := range cost.Layers {
		cost.EnergyPJ.add(&cost.Layers[li].EnergyPJ)
	}
	if hw.Chip == nil {
		// Chip-level parts (the tiles' buffers) are shared by the layers.
		cost.Tiles = int(ceilDiv(int64(cost.Crossbars), int64(hw.XbarsPerTile)))
		chip := priceArea(hw, &footprint{crossbars: cost.Crossbars, indexBits: cost.IndexBits, tiles: cost.Tiles}, true)
		cost.AreaUM2.add(&chip)
	}
	return cost
}

// pipelineLayers schedules the layers as a pipeline (pipeline in
// chip.go). With a chip hierarchy a layer starts once its predecessor has
// produced what its first output needs, and every layer's tiles are
// charged their static power for the time between two images, times the
// images counted. Without one (cycle_model pipelined) a layer starts when
// its predecessor has finished its image, as in ISAAC's and PUMA's
// inter-layer pipeline: latency is the sum of the stages, the period the
// slowest. Under cycle_model pipelined cost.Cycles becomes the slowest
// layer's cycles (the cycles between two images leaving the pipeline), so
// that a scheme's speed-up is its gain in throughput.
func pipelineLayers(hw *HW, cost *Cost, counts []Counts, work []imageWork) {
	n := len(cost.Layers)
	stages := make([]float64, n)
	vectors := make([]int64, n)
	frac := make([]float64, n)
	images := int64(1)
	for li := range cost.Layers {
		stages[li] = cost.Layers[li].LatencyNs
		vectors[li] = counts[li].Vectors
		frac[li] = 1
		if li < len(work) {
			if hw.Chip != nil {
				frac[li] = work[li].nextStartFrac
			}
			if li == 0 && work[0].vectors > 0 && counts[0].Vectors >= work[0].vectors {
				images = counts[0].Vectors / work[0].vectors
			}
		}
	}
	// Stage times are for all counted images: the pipeline is per image.
	for li := range stages {
		stages[li] /= float64(images)
		vectors[li] /= images
	}
	latency, period := pipeline(stages, vectors, frac)
	cost.LatencyNs = latency
	cost.PeriodNs = period
	if period > 0 {
		cost.ThroughputIPS = 1e9 / period
	}
	if hw.CycleModel == CyclesPipelined {
		cost.Cycles = 0
		for li := range cost.Layers {
			cost.Cycles = max(cost.Cycles, cost.Layers[li].Cycles)
		}
	}
	if hw.Chip == nil {
		return
	}
	for li := range cost.Layers {
		lc := &cost.Layers[li]
		fp := footprint{crossbars: lc.Tiles * hw.Chip.PEsPerTile * hw.Chip.XbarsPerPE, pes: lc.Tiles * hw.Chip.PEsPerTile, tiles: lc.Tiles}
		var static Breakdown
		for i, comp := range components {
			mw := comp.staticMW(hw, &fp)
			cost.StaticPowerMW += mw
			static.parts[i] = mw * period * float64(images) // mW·ns = pJ
			static.Total += static.parts[i]
		}
		lc.EnergyPJ.add(&static)
	}
}

// PerImage divides run counts by the number of images n, giving the
// counts of one inference. It fails unless each layer's vectors divide
// evenly. The clipping counters are data-dependent totals and are kept as
// they are.
func (s *Simulator) PerImage(counts []Counts, n int64) ([]Counts, error) {
	if n <= 0 {
		return nil, fmt.Errorf("hwsim: per-image counts over %d images", n)
	}
	out := make([]Counts, len(counts))
	for i, c := range counts {
		if c.Vectors%n != 0 {
			return nil, fmt.Errorf("hwsim: layer %d: %d vectors are not a multiple of %d images", i, c.Vectors, n)
		}
		o := Counts{Vectors: c.Vectors / n}
		for _, d := range counters {
			switch {
			case d.simulated:
				*d.field(&o) = *d.field(&c)
			case d.derived == nil:
				*d.field(&o) = *d.field(&c) / n
			}
		}
		o.derive(&s.hw)
		out[i] = o
	}
	return out, nil
}
