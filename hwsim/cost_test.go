package hwsim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// feed runs v random vectors through every group of every layer.
func feed(t *testing.T, s *Simulator, net *quant.Network, vectors []int64, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	for li, l := range net.Linears {
		for g := 0; g < l.Groups; g++ {
			m := int(vectors[li])
			x := randInputs(rng, m, l.K, l.ABits, l.InputSigned, 0.3)
			runLayer(t, s, l, g, x, m)
		}
	}
}

// A dense layer small enough to count by hand.
//
// K = 10 inputs, N = 2 outputs, B = 4 weight bits, A = 4 unsigned input
// bits, default hardware (128×128 crossbars, 9×8 OUs, 1-bit DACs, 8-bit
// ADC), V = 3 vectors.
//
// Dense mapping: N·B = 8 logical columns = one OU column group; rows cut
// into strips 0..8 (9 rows) and 9 (1 row): 2 OUs of 9×8 and 1×8 on the same
// crossbar. S = A = 4 steps.
//
//	OU activations = V·S·#OUs            = 3·4·2         = 24
//	conversions    = V·S·Σ w_o           = 3·4·(8+8)     = 192
//	cell reads     = V·S·Σ h_o·w_o       = 3·4·(72+8)    = 960
//	DAC drives     = V·S·Σ h_o           = 3·4·(9+1)     = 120
//	shift-and-adds = V·S·Σ owners        = 3·4·(8+8)     = 192
//	index          = 0 (dense)
//	buffer         = ceil(3·10·4/256) + ceil(3·2·4/256) = 1 + 1 = 2 accesses
//	cycles         = V·S·max OUs per crossbar = 3·4·2 = 24; latency 24·100 ns
//
//	energy: crossbar 960·30/16384 = 1.7578125 pJ, DAC 120·0.417 = 50.04,
//	ADC 192·1.67 = 320.64, shift-add 192·0.021 = 4.032, buffer 2·20.45 = 40.9,
//	total 417.3698125 pJ
//	area: crossbar 25, ADC 8·1200 = 9600, DAC 128·170/1024 = 21.25,
//	shift-add 8·60 = 480, index 0, buffer 1 tile · 83000; total 93126.25 µm²
func TestHandComputedDenseCost(t *testing.T) {
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: 10, N: 2, Groups: 1, WBits: 4, ABits: 4,
		Weights: [][]int32{{1, -2, 3, 4, -5, 6, 7, -8, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, 0, 5}}}
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := Defaults()
	for _, build := range []struct {
		name string
		mp   func() (*mapper.Mapping, error)
	}{
		{"hand", func() (*mapper.Mapping, error) { return mapNet(net, geoOf(hw), schemes[0]), nil }},
		{"mapper", func() (*mapper.Mapping, error) {
			return mapper.Map(net, geoOf(hw), mapper.Options{Scheme: "dense"})
		}},
	} {
		mp, err := build.mp()
		if err != nil {
			t.Fatal(err)
		}
		s, err := Simulate(net, mp, hw, Options{Mode: ModeBitSerial})
		if err != nil {
			t.Fatal(err)
		}
		feed(t, s, net, []int64{3}, 1)
		cost, err := s.Cost(s.Counted())
		if err != nil {
			t.Fatal(err)
		}
		lc := cost.Layers[0]
		want := Counts{Vectors: 3, OUActivations: 24, ADCConversions: 192, CellReads: 960, DACDrives: 120,
			ShiftAdds: 192, BufferReadBits: 120, BufferWriteBits: 24, BufferAccesses: 2}
		got := lc.Counts
		got.ADCClipped, got.ADCTruncated = 0, 0
		if got != want {
			t.Fatalf("%s: counts\n got %+v\nwant %+v", build.name, got, want)
		}
		if lc.Cycles != 24 || cost.Cycles != 24 || !near(cost.LatencyNs, 2400) {
			t.Fatalf("%s: cycles %d latency %v, want 24 and 2400 ns", build.name, cost.Cycles, cost.LatencyNs)
		}
		e := cost.EnergyPJ
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"crossbar", e.Get("crossbar"), 1.7578125}, {"dac", e.Get("dac"), 50.04}, {"adc", e.Get("adc"), 320.64},
			{"shift_add", e.Get("shift_add"), 4.032}, {"index", e.Get("index"), 0}, {"buffer", e.Get("buffer"), 40.9},
			{"total", e.Total, 417.3698125},
			{"area crossbar", cost.AreaUM2.Get("crossbar"), 25}, {"area adc", cost.AreaUM2.Get("adc"), 9600},
			{"area dac", cost.AreaUM2.Get("dac"), 21.25}, {"area shift_add", cost.AreaUM2.Get("shift_add"), 480},
			{"area buffer", cost.AreaUM2.Get("buffer"), 83000}, {"area total", cost.AreaUM2.Total, 93126.25},
		} {
			if !near(c.got, c.want) {
				t.Errorf("%s: %s = %v, want %v", build.name, c.name, c.got, c.want)
			}
		}
	}
}

// Column merging with its index table, by hand.
//
// K = 3, N = 2, B = 2, weights [[1,1],[1,1],[0,0]]: logical columns
// (n=0,i=0) = (1,1,0), (0,1) = 0, (1,0) = (1,1,0), (1,1) = 0. colsim drops
// the zero columns and keeps one column with two owners: 1 OU of 3 rows × 1
// column. A = 4 unsigned, V = 5.
//
//	activations = 5·4·1 = 20, conversions = 20, cell reads = 20·3 = 60,
//	DAC drives = 20·3 = 60, shift-and-adds = 20·2 = 40,
//	owner index reads = 40 of ceil(log2 2)+ceil(log2 2)+2 = 4 bits = 160 bits,
//	index energy = 160 · 124/16384 pJ = 1.2109375 pJ,
//	index storage = 2 entries · 4 bits = 8 bits, area 8 · 2100/16384 µm²,
//	cycles = 5·4·1 = 20.
func TestHandComputedColsimIndexCost(t *testing.T) {
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: 3, N: 2, Groups: 1, WBits: 2, ABits: 4,
		Weights: [][]int32{{1, 1, 1, 1, 0, 0}}}
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := Defaults()
	for _, build := range []string{"hand", "mapper"} {
		mp := mapNet(net, geoOf(hw), schemes[3])
		if build == "mapper" {
			var err error
			if mp, err = mapper.Map(net, geoOf(hw), mapper.Options{Scheme: "colsim"}); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Simulate(net, mp, hw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		feed(t, s, net, []int64{5}, 2)
		cost, err := s.Cost(s.Counted())
		if err != nil {
			t.Fatal(err)
		}
		c := cost.Layers[0].Counts
		if c.OUActivations != 20 || c.ADCConversions != 20 || c.CellReads != 60 || c.DACDrives != 60 ||
			c.ShiftAdds != 40 || c.OwnerIndexReads != 40 || c.InputIndexReads != 0 || c.IndexReadBits != 160 {
			t.Fatalf("%s: counts %+v", build, c)
		}
		if cost.Cycles != 20 || cost.IndexBits != 8 {
			t.Fatalf("%s: cycles %d index bits %d, want 20 and 8", build, cost.Cycles, cost.IndexBits)
		}
		if !near(cost.EnergyPJ.Get("index"), 1.2109375) || !near(cost.AreaUM2.Get("index"), 8*2100.0/16384) {
			t.Fatalf("%s: index energy %v area %v", build, cost.EnergyPJ.Get("index"), cost.AreaUM2.Get("index"))
		}
	}
}

// Cycles follow the busiest crossbar: OUs spread over two crossbars take
// max, not the sum.
func TestCyclesBusiestCrossbar(t *testing.T) {
	// 128×16 crossbars with 9×8 OUs hold 2 OU columns: N·B = 4·8 = 32
	// logical columns need 4 OUs per strip over 2 crossbars; K = 9 is one
	// strip. Each crossbar has 2 OUs: cycles = V·S·2.
	rng := rand.New(rand.NewPCG(8, 8))
	l := randLinear(rng, 0, 9, 4, 1, 8, 8, false, 0)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := hwFor(128, 16, 9, 8, 4, ADCSaturate)
	mp, err := mapper.Map(net, geoOf(hw), mapper.Options{Scheme: "dense"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, s, net, []int64{7}, 3)
	cost, _ := s.Cost(s.Counted())
	if cost.Crossbars != 2 || cost.Layers[0].OUs != 4 || cost.Cycles != 7*8*2 {
		t.Fatalf("crossbars %d OUs %d cycles %d, want 2, 4, %d", cost.Crossbars, cost.Layers[0].OUs, cost.Cycles, 7*8*2)
	}
}

// The cycle models, by hand. K = 252 inputs = 28 strips of 9 rows, 14 per
// 128-row crossbar: 2 row tiles. N = 2 outputs of B = 8 bits = 16 logical
// columns = 2 OUs per strip, 1 column tile. Rows 0..125 hold -1 (all bits
// set), rows 126..251 zero. V = 3 vectors, S = 8 unsigned input steps.
//
//	dense:   56 OUs on X = 2 crossbars, 28 each; X_dense = 2
//	         both models: cycles = 3·8·28 = 672
//	zerocol: strips 14..27 drop every column: 28 OUs, all on crossbar 0, X = 1
//	         packed:       P = 28            cycles = 672 (no speed-up)
//	         iso-crossbar: P = ceil(28/2) = 14, cycles = 336 (2× on the same 2 crossbars)
func TestCycleModels(t *testing.T) {
	const k, n = 252, 2
	w := make([]int32, k*n)
	for i := range 126 * n {
		w[i] = -1
	}
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: k, N: n, Groups: 1, WBits: 8, ABits: 8, Weights: [][]int32{w}}
	net := &quant.Network{Linears: []*quant.Linear{l}}
	for _, c := range []struct {
		scheme, model string
		crossbars     int
		cycles        int64
	}{
		{"dense", CyclesPacked, 2, 672},
		{"dense", CyclesIsoCrossbar, 2, 672},
		{"zerocol", CyclesPacked, 1, 672},
		{"zerocol", CyclesIsoCrossbar, 1, 336},
	} {
		hw := Defaults()
		hw.CycleModel = c.model
		mp, err := mapper.Map(net, geoOf(hw), mapper.Options{Scheme: c.scheme})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Simulate(net, mp, hw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		counts, err := AnalyticCounts(mp, hw, []int64{3})
		if err != nil {
			t.Fatal(err)
		}
		cost, err := s.Cost(counts)
		if err != nil {
			t.Fatal(err)
		}
		if cost.Crossbars != c.crossbars || cost.Cycles != c.cycles {
			t.Errorf("%s %s: crossbars %d cycles %d, want %d and %d", c.scheme, c.model, cost.Crossbars, cost.Cycles, c.crossbars, c.cycles)
		}
	}
}

// mapperSchemes are the real mapper's schemes with their options.
var mapperSchemes = []mapper.Options{
	{Scheme: "dense"}, {Scheme: "zerocol"}, {Scheme: "sre"},
	{Scheme: "colsim", MaxShare: 2}, {Scheme: "colsim", MaxShare: 0},
	{Scheme: "colsim-comp", MaxShare: 0}, {Scheme: "colsim-comp", MaxShare: 2},
	{Scheme: "rowreorder", MaxShare: 0},
}

func testNet(rng *rand.Rand, signed bool) *quant.Network {
	return &quant.Network{Linears: []*quant.Linear{
		randLinear(rng, 0, 27, 6, 1, 8, 8, signed, 0.5),
		randLinear(rng, 1, 54, 16, 2, 8, 8, false, 0.7),
		randLinear(rng, 2, 150, 10, 1, 6, 8, false, 0.3),
	}}
}

// The counts the simulation gathers equal the analytic counts from the
// mapping, for every scheme, both paths and multi-bit DACs; index storage
// per OU adds up to the mapper's IndexBits.
func TestCountedMatchesAnalytic(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	net := testNet(rng, true)
	vectors := []int64{13, 7, 5}
	builds := append(handBuilds("hand/"), mapperBuilds("mapper/")...)
	for _, b := range builds {
		for _, dac := range []int{1, 3} {
			for _, mode := range []string{ModeAuto, ModeBitSerial} {
				hw := hwFor(128, 128, 9, 8, 4, ADCSaturate)
				hw.DACBits = dac
				mp := b.mp(t, net, hw)
				s, counted := checkCountedMatchesAnalytic(t, fmt.Sprintf("%s dac=%d %s", b.name, dac, mode), net, mp, hw, mode, vectors)
				if !slices.Equal(s.VectorsPerLayer(), vectors) {
					t.Fatalf("vectors per layer %v, want %v", s.VectorsPerLayer(), vectors)
				}
				if mp.Scheme == "dense" && counted[0].IndexReadBits != 0 {
					t.Fatalf("%s: dense read %d index bits", b.name, counted[0].IndexReadBits)
				}
			}
		}
	}
}

// checkCountedMatchesAnalytic simulates net (mapped as mp) on hw in mode,
// feeds it the vectors per layer, and checks the counted costs (lossy
// conversions aside) against AnalyticCounts and every group's index
// storage against the per-OU index model. It returns the simulator and its
// counts.
func checkCountedMatchesAnalytic(t *testing.T, name string, net *quant.Network, mp *mapper.Mapping, hw HW, mode string, vectors []int64) (*Simulator, []Counts) {
	t.Helper()
	s, err := Simulate(net, mp, hw, Options{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, s, net, vectors, 4)
	counted := s.Counted()
	want, err := AnalyticCounts(mp, hw, vectors)
	if err != nil {
		t.Fatal(err)
	}
	for li := range counted {
		c := counted[li]
		c.ADCClipped, c.ADCTruncated = 0, 0
		if c != want[li] {
			t.Fatalf("%s layer %d:\ncounted  %+v\nanalytic %+v", name, li, c, want[li])
		}
	}
	for _, gs := range s.groups {
		for _, g := range gs {
			var perOU int64
			for _, o := range g.ous {
				perOU += g.ix.bits(o.idx)
			}
			if sum := perOU + g.ix.permEntries*g.ix.inputBits; sum != g.indexBits {
				t.Fatalf("%s: index storage %d bits, per-OU model %d", name, g.indexBits, sum)
			}
		}
	}
	return s, counted
}

// Every scheme of the real mapper is bit-identical to the exact GEMM under
// ideal lossless settings (both paths), and equal to the reference
// simulation under a lossy ADC.
func TestMapperSchemes(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, signed := range []bool{false, true} {
		net := testNet(rng, signed)
		// make complement merging happen: output 1 = NOT output 0 in layer 0
		l0 := net.Linears[0]
		for k := 0; k < l0.K; k++ {
			l0.Weights[0][k*l0.N+1] = ^l0.Weights[0][k*l0.N]
		}
		for _, o := range mapperSchemes {
			for _, geo := range [][4]int{{128, 128, 9, 8}, {128, 128, 16, 16}, {256, 128, 100, 8}} {
				lossless := hwFor(geo[0], geo[1], geo[2], geo[3], bitsLen(geo[2]), ADCSaturate)
				mp, err := mapper.Map(net, geoOf(lossless), o)
				if err != nil {
					t.Fatal(err)
				}
				if o.Scheme == "colsim-comp" && geo[2] == 9 && !hasComplement(mp) {
					t.Fatal("colsim-comp mapping has no complement owner")
				}
				for _, mode := range []string{ModeAuto, ModeBitSerial} {
					s, err := Simulate(net, mp, lossless, Options{Mode: mode})
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range net.Linears {
						for g := 0; g < l.Groups; g++ {
							x := randInputs(rng, 9, l.K, l.ABits, l.InputSigned, 0.3)
							if got := runLayer(t, s, l, g, x, 9); !slices.Equal(got, exactGEMM(x, 9, l.K, l.Weights[g], l.N)) {
								t.Fatalf("%s/%d %v %s layer %d: differs from exact GEMM", o.Scheme, o.MaxShare, geo, mode, l.Index)
							}
						}
					}
				}
				lossy := hwFor(geo[0], geo[1], geo[2], geo[3], 3, ADCSaturate)
				for mi, mode := range []string{ADCSaturate, ADCTruncate, ADCSaturate, ADCTruncate} {
					lossy.ADCMode = mode
					smode := ModeAuto
					if mi >= 2 {
						smode = ModeBitSerial
					}
					s, err := Simulate(net, mp, lossy, Options{Mode: smode})
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range net.Linears {
						x := randInputs(rng, 6, l.K, l.ABits, l.InputSigned, 0.0)
						got := runLayer(t, s, l, 0, x, 6)
						want, _ := refSim(mp.Layers[l.Index].Groups[0], l, x, 6, geo[2], 3, mode == ADCTruncate)
						if !slices.Equal(got, want) {
							t.Fatalf("%s/%d %v %s layer %d: differs from the reference simulation", o.Scheme, o.MaxShare, geo, mode, l.Index)
						}
					}
				}
			}
		}
	}
}

func bitsLen(h int) int {
	n := 0
	for v := h; v > 0; v >>= 1 {
		n++
	}
	return n
}

func hasComplement(mp *mapper.Mapping) bool {
	for _, lm := range mp.Layers {
		for _, g := range lm.Groups {
			for _, o := range g.Owners {
				if o.Complement {
					return true
				}
			}
		}
	}
	return false
}

// The cost JSON uses snake_case keys.
func TestCostJSONKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	net := testNet(rng, false)
	hw := Defaults()
	s, err := Simulate(net, mapNet(net, geoOf(hw), schemes[3]), hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, s, net, []int64{2, 2, 2}, 5)
	cost, _ := s.Cost(s.Counted())
	b, err := json.Marshal(cost)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cycles", "latency_ns", "energy_pj", "area_um2", "layers", "index_bits"} {
		if _, ok := m[k]; !ok {
			t.Errorf("cost JSON lacks %q", k)
		}
	}
	layer := m["layers"].([]any)[0].(map[string]any)
	for _, k := range []string{"ou_activations", "adc_conversions", "energy_pj", "area_um2", "cycles", "index_bits"} {
		if _, ok := layer[k]; !ok {
			t.Errorf("layer JSON lacks %q", k)
		}
	}
}
