package hwsim

import (
	"testing"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// The pipelined cycle model by hand, on two dense layers with the default
// hardware (9×8 OUs, 100 ns cycles, 4 unsigned input bits = 4 steps):
//
//	layer 0: K = 10, N = 2, B = 4: 8 columns, strips of 9 and 1 rows:
//	         2 OUs on one crossbar; V = 3: cycles 3·4·2 = 24, 2400 ns
//	layer 1: K = 9, N = 1, B = 4: 4 columns, one 9×4 OU; V = 5:
//	         cycles 5·4·1 = 20, 2000 ns
//
//	iso-crossbar: cycles 24 + 20 = 44, latency 4400 ns, no period
//	pipelined:    cycles max(24, 20) = 24, period 2400 ns,
//	              throughput 1e9/2400 = 416666.67 images/s,
//	              latency 2400 + 2000 = 4400 ns
//
// Energy, area and crossbars do not depend on the schedule.
func TestPipelinedByHand(t *testing.T) {
	l0 := &quant.Linear{Name: "fc0", Op: "Gemm", K: 10, N: 2, Groups: 1, WBits: 4, ABits: 4,
		Weights: [][]int32{{1, -2, 3, 4, -5, 6, 7, -8, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, 0, 5}}}
	l1 := &quant.Linear{Name: "fc1", Op: "Gemm", K: 9, N: 1, Groups: 1, WBits: 4, ABits: 4,
		Weights: [][]int32{{1, 2, 3, 4, 5, 6, 7, -1, -2}}}
	net := &quant.Network{Linears: []*quant.Linear{l0, l1}}
	costs := map[string]*Cost{}
	for _, model := range []string{CyclesIsoCrossbar, CyclesPipelined} {
		hw := Defaults()
		hw.CycleModel = model
		mp, err := mapper.Map(net, geoOf(hw), mapper.Options{Scheme: "dense"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Simulate(net, mp, hw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		counts, err := AnalyticCounts(mp, hw, []int64{3, 5})
		if err != nil {
			t.Fatal(err)
		}
		if costs[model], err = s.Cost(counts); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		model                          string
		cycles                         int64
		latency, period, throughputIPS float64
	}{
		{CyclesIsoCrossbar, 44, 4400, 0, 0},
		{CyclesPipelined, 24, 4400, 2400, 1e9 / 2400},
	} {
		got := costs[c.model]
		if got.Layers[0].Cycles != 24 || got.Layers[1].Cycles != 20 {
			t.Fatalf("%s: layer cycles %d and %d, want 24 and 20", c.model, got.Layers[0].Cycles, got.Layers[1].Cycles)
		}
		if got.Cycles != c.cycles || !near(got.LatencyNs, c.latency) || !near(got.PeriodNs, c.period) || !near(got.ThroughputIPS, c.throughputIPS) {
			t.Errorf("%s: cycles %d latency %v ns period %v ns throughput %v/s; want %d, %v, %v, %v",
				c.model, got.Cycles, got.LatencyNs, got.PeriodNs, got.ThroughputIPS, c.cycles, c.latency, c.period, c.throughputIPS)
		}
	}
	iso, pip := costs[CyclesIsoCrossbar], costs[CyclesPipelined]
	if !near(iso.EnergyPJ.Total, pip.EnergyPJ.Total) || !near(iso.AreaUM2.Total, pip.AreaUM2.Total) || iso.Crossbars != pip.Crossbars {
		t.Errorf("schedule changed the cost: energy %v vs %v pJ, area %v vs %v µm², crossbars %d vs %d",
			iso.EnergyPJ.Total, pip.EnergyPJ.Total, iso.AreaUM2.Total, pip.AreaUM2.Total, iso.Crossbars, pip.Crossbars)
	}
}

// With a chip hierarchy the layers already form a pipeline: pipelined
// keeps the chip's latency, period, energy and placement (iso-crossbar),
// and only reports the slowest layer's cycles instead of their sum.
func TestPipelinedWithChip(t *testing.T) {
	net, _ := quantizedModel(t, lenet5Path(t), 0.5)
	costs := map[string]*Cost{}
	for _, model := range []string{CyclesIsoCrossbar, CyclesPipelined} {
		hw, err := Preset("mnsim")
		if err != nil {
			t.Fatal(err)
		}
		hw.CycleModel = model
		mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: "zerocol"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Simulate(net, mp, hw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		vectors := make([]int64, len(s.work))
		for i, w := range s.work {
			vectors[i] = w.vectors
		}
		counts, err := AnalyticCounts(mp, hw, vectors)
		if err != nil {
			t.Fatal(err)
		}
		if costs[model], err = s.Cost(counts); err != nil {
			t.Fatal(err)
		}
	}
	iso, pip := costs[CyclesIsoCrossbar], costs[CyclesPipelined]
	var sum, slowest int64
	for _, l := range iso.Layers {
		sum += l.Cycles
		slowest = max(slowest, l.Cycles)
	}
	if iso.Cycles != sum || pip.Cycles != slowest || slowest >= sum {
		t.Errorf("cycles: iso-crossbar %d (sum %d), pipelined %d (slowest %d)", iso.Cycles, sum, pip.Cycles, slowest)
	}
	if !near(iso.LatencyNs, pip.LatencyNs) || !near(iso.PeriodNs, pip.PeriodNs) || !near(iso.EnergyPJ.Total, pip.EnergyPJ.Total) ||
		!near(iso.AreaUM2.Total, pip.AreaUM2.Total) || iso.Tiles != pip.Tiles {
		t.Errorf("chip schedule changed: latency %v/%v ns, period %v/%v ns, energy %v/%v pJ, area %v/%v µm², tiles %d/%d",
			iso.LatencyNs, pip.LatencyNs, iso.PeriodNs, pip.PeriodNs, iso.EnergyPJ.Total, pip.EnergyPJ.Total, iso.AreaUM2.Total, pip.AreaUM2.Total, iso.Tiles, pip.Tiles)
	}
}
