package hwsim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// hwFor returns the defaults with the given geometry and ADC.
func hwFor(xr, xc, h, w, adcBits int, mode string) HW {
	hw := Defaults()
	hw.XbarRows, hw.XbarCols, hw.OURows, hw.OUCols = xr, xc, h, w
	hw.ADCBits, hw.ADCMode = adcBits, mode
	for b := 1; b <= 16; b++ {
		if _, ok := hw.ADCEnergyPJ[b]; !ok {
			hw.ADCEnergyPJ[b] = float64(b) * 0.2
			hw.ADCAreaUM2[b] = float64(b) * 150
		}
	}
	return hw
}

func geoOf(hw HW) mapper.Geometry {
	g := hw.Geometry
	g.CellBits = 1 // the tests' hand-built mappings are for 1-bit cells
	return g
}

// runLayer feeds x through layer li group g of a simulator.
func runLayer(t *testing.T, s *Simulator, l *quant.Linear, g int, x []int32, m int) []int32 {
	t.Helper()
	out := make([]int32, m*l.N)
	if err := s.MatMul(l, g, x, m, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// build is a named way to map a network for some hardware.
type build struct {
	name string
	mp   func(t testing.TB, net *quant.Network, hw HW) *mapper.Mapping
}

// handBuilds maps with the hand-built schemes of maps_test.go (1-bit
// cells), named by scheme.
func handBuilds(prefix string) []build {
	var out []build
	for _, sc := range schemes {
		out = append(out, build{prefix + sc.name, func(_ testing.TB, net *quant.Network, hw HW) *mapper.Mapping {
			return mapNet(net, geoOf(hw), sc)
		}})
	}
	return out
}

// mapperBuilds maps with every scheme of the real mapper for the cells of
// the hardware, named scheme and max share ("colsim2").
func mapperBuilds(prefix string) []build {
	var out []build
	for _, o := range mapperSchemes {
		out = append(out, build{fmt.Sprintf("%s%s%d", prefix, o.Scheme, o.MaxShare), func(t testing.TB, net *quant.Network, hw HW) *mapper.Mapping {
			return mapOrFail(t, net, geoOf2(hw), o)
		}})
	}
	return out
}

type idealCase struct {
	xr, xc, h, w int
	dac          int
	adc          int
	wbits, abits int
	signed       bool
	k, n, groups int
	zeroW        float64
}

// Ideal, lossless settings: every scheme's simulated product equals the
// brute-force integer GEMM exactly, on the fast path and on the bit-serial
// path, and the fast path is taken. 1-bit cells use the hand-built
// mappings, 2-bit cells every scheme of the real mapper.
func TestIdealLosslessBitIdentical(t *testing.T) {
	for _, cc := range []struct {
		cellBits int
		stream   uint64
		m        int
		builds   []build
		cases    []idealCase
	}{
		{1, 7, 37, handBuilds(""), []idealCase{
			{128, 128, 9, 8, 1, 4, 8, 8, false, 75, 13, 1, 0.5},  // default geometry, 4-bit ADC lossless for 9 rows
			{128, 128, 9, 8, 1, 8, 8, 8, true, 40, 10, 2, 0.3},   // signed inputs, grouped
			{128, 128, 16, 16, 1, 5, 4, 6, false, 50, 7, 1, 0.7}, // 16x16 OU, 5-bit ADC
			{128, 128, 100, 8, 1, 7, 8, 8, true, 230, 5, 1, 0.2}, // two-word columns
			{64, 64, 9, 8, 2, 5, 8, 8, false, 30, 6, 1, 0.5},     // 2-bit DAC: 9·3 = 27 ≤ 31
			{64, 64, 9, 8, 2, 5, 6, 7, true, 30, 6, 1, 0.5},      // 2-bit DAC, signed, odd A
			{128, 128, 1, 1, 1, 1, 3, 3, true, 7, 3, 1, 0.0},     // 1x1 OUs, 1-bit ADC
		}},
		{2, 17, 23, mapperBuilds(""), []idealCase{
			{128, 128, 9, 8, 1, 5, 8, 8, false, 75, 13, 1, 0.5},  // 9·3 = 27 ≤ 31
			{128, 128, 9, 8, 1, 5, 7, 8, true, 40, 10, 2, 0.3},   // signed inputs, odd B, grouped
			{128, 128, 16, 16, 1, 6, 4, 6, false, 50, 7, 1, 0.7}, // 16·3 = 48 ≤ 63
			{128, 128, 100, 8, 1, 9, 5, 8, true, 230, 5, 1, 0.2}, // two-word planes: 300 ≤ 511
			{64, 64, 9, 8, 2, 7, 8, 8, false, 30, 6, 1, 0.5},     // 2-bit DAC: 9·3·3 = 81 ≤ 127
			{64, 64, 9, 8, 2, 7, 6, 7, true, 30, 6, 1, 0.5},      // 2-bit DAC, signed, odd A
			{128, 128, 1, 1, 1, 2, 3, 3, true, 7, 3, 1, 0.0},     // 1x1 OUs: 3 ≤ 3
			{20, 13, 3, 5, 1, 4, 2, 8, false, 1, 1, 1, 0.0},      // 1×1 layer, B = 2
			{128, 128, 9, 8, 1, 5, 8, 8, false, 17, 1, 1, 0.1},   // one output column
		}},
	} {
		t.Run(fmt.Sprintf("cells%d", cc.cellBits), func(t *testing.T) {
			for ci, tc := range cc.cases {
				rng := rand.New(rand.NewPCG(uint64(ci), cc.stream))
				l := randLinear(rng, 0, tc.k, tc.n, tc.groups, tc.wbits, tc.abits, tc.signed, tc.zeroW)
				net := &quant.Network{Linears: []*quant.Linear{l}}
				hw := hwFor(tc.xr, tc.xc, tc.h, tc.w, tc.adc, ADCSaturate)
				hw.CellBits, hw.DACBits = cc.cellBits, tc.dac
				m := cc.m
				for _, b := range cc.builds {
					mp := b.mp(t, net, hw)
					for _, mode := range []string{ModeAuto, ModeBitSerial} {
						t.Run(fmt.Sprintf("case%d/%s/%s", ci, b.name, mode), func(t *testing.T) {
							s, err := Simulate(net, mp, hw, Options{Mode: mode, Workers: 2})
							if err != nil {
								t.Fatal(err)
							}
							if mode == ModeAuto && s.groups[0][0].fast == nil {
								t.Fatal("fast path not taken for a lossless ideal configuration")
							}
							for g := 0; g < tc.groups; g++ {
								x := randInputs(rng, m, tc.k, tc.abits, tc.signed, 0.4)
								want := exactGEMM(x, m, tc.k, l.Weights[g], tc.n)
								got := runLayer(t, s, l, g, x, m)
								if !slices.Equal(got, want) {
									t.Fatalf("group %d: simulated product differs from the exact GEMM\n got %v\nwant %v", g, got[:tc.n], want[:tc.n])
								}
							}
							for _, c := range s.Counted() {
								if c.ADCClipped != 0 || c.ADCTruncated != 0 {
									t.Fatalf("lossless run counted %d clipped, %d truncated conversions", c.ADCClipped, c.ADCTruncated)
								}
							}
						})
					}
				}
			}
		})
	}
}

// The fast path (effective weights) must equal the bit-serial path also
// when stuck-at faults change the cells. With 2-bit cells (faults at level
// 0 or 3) every scheme of the real mapper is checked, complement owners
// included: output 1 = NOT output 0.
func TestFastPathMatchesBitSerialWithFaults(t *testing.T) {
	for _, cc := range []struct {
		cellBits   int
		stream     uint64
		adc        int
		complement bool
		builds     []build
	}{{1, 3, 4, false, handBuilds("")}, {2, 33, 5, true, mapperBuilds("")}} {
		t.Run(fmt.Sprintf("cells%d", cc.cellBits), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, cc.stream))
			l := randLinear(rng, 0, 60, 9, 1, 8, 8, true, 0.5)
			if cc.complement {
				for k := 0; k < l.K; k++ {
					l.Weights[0][k*l.N+1] = ^l.Weights[0][k*l.N]
				}
			}
			net := &quant.Network{Linears: []*quant.Linear{l}}
			hw := hwFor(128, 128, 9, 8, cc.adc, ADCSaturate)
			hw.CellBits = cc.cellBits
			hw.StuckAt0Rate, hw.StuckAt1Rate = 0.05, 0.05
			x := randInputs(rng, 50, l.K, 8, true, 0.3)
			for _, b := range cc.builds {
				mp := b.mp(t, net, hw)
				fast, err := Simulate(net, mp, hw, Options{Seed: 11})
				if err != nil {
					t.Fatal(err)
				}
				if fast.groups[0][0].fast == nil {
					t.Fatalf("%s: fast path not taken", b.name)
				}
				slow, err := Simulate(net, mp, hw, Options{Seed: 11, Mode: ModeBitSerial})
				if err != nil {
					t.Fatal(err)
				}
				a, bs := runLayer(t, fast, l, 0, x, 50), runLayer(t, slow, l, 0, x, 50)
				if !slices.Equal(a, bs) {
					t.Fatalf("%s: fast path and bit-serial path differ with stuck-at faults", b.name)
				}
				if slices.Equal(a, exactGEMM(x, 50, l.K, l.Weights[0], l.N)) {
					t.Fatalf("%s: 10%% stuck cells left the product unchanged", b.name)
				}
			}
		})
	}
}

// highInputs returns m×k 8-bit codes with the low 6 bits set (signed: the
// positive ones at 127), so that column sums reach their maximum.
func highInputs(rng *rand.Rand, m, k int, signed bool) []int32 {
	x := randInputs(rng, m, k, 8, signed, 0.0)
	for i := range x {
		x[i] |= 0x3f
		if signed && x[i] > 0 {
			x[i] = 127
		}
	}
	return x
}

// checkLossyMatchesReference simulates l (mapped as mp, m vectors x) on the
// lossy hw in simulator mode smode: the fast path is not taken, the outputs
// equal refSim2 exactly and the counted lossy conversions equal the
// reference's. It returns the outputs and the lossy conversions.
func checkLossyMatchesReference(t *testing.T, net *quant.Network, l *quant.Linear, mp *mapper.Mapping, hw HW, smode string, x []int32, m int) ([]int32, int64) {
	t.Helper()
	s, err := Simulate(net, mp, hw, Options{Workers: 2, Mode: smode})
	if err != nil {
		t.Fatal(err)
	}
	if s.groups[0][0].fast != nil {
		t.Fatal("fast path taken for a lossy ADC")
	}
	got := runLayer(t, s, l, 0, x, m)
	want, lossy := refSim2(mp.Layers[0].Groups[0], l, x, m, hw.OURows, hw.CellBits, hw.ADCBits, hw.ADCMode == ADCTruncate)
	if !slices.Equal(got, want) {
		t.Fatalf("simulator differs from the reference\n got %v\nwant %v", got[:6], want[:6])
	}
	c := s.Counted()[0]
	if counted := c.ADCClipped + c.ADCTruncated; counted != lossy {
		t.Fatalf("counted %d lossy conversions, reference %d", counted, lossy)
	}
	return got, lossy
}

// Lossy ADCs: the simulator equals the plain reference simulation exactly,
// counts the same lossy conversions, and the loss is real (outputs differ
// from the exact product).
func TestLossyADCMatchesReference(t *testing.T) {
	for _, mode := range []string{ADCSaturate, ADCTruncate} {
		for _, signed := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(5, 5))
			l := randLinear(rng, 0, 64, 6, 1, 8, 8, signed, 0.1)
			for k := 0; k < l.K; k++ {
				l.Weights[0][k*l.N] = -1 // all bits 1: column sums reach 16
			}
			net := &quant.Network{Linears: []*quant.Linear{l}}
			// 16×16 OUs with a 4-bit ADC: column sums reach 16 > 15.
			hw := hwFor(128, 128, 16, 16, 4, mode)
			// Dense inputs with many high bits set so sums exceed 15.
			x := highInputs(rng, 40, l.K, signed)
			for _, sc := range schemes {
				for _, smode := range []string{ModeAuto, ModeBitSerial} {
					name := fmt.Sprintf("%s/signed=%v/%s/%s", mode, signed, sc.name, smode)
					t.Run(name, func(t *testing.T) {
						mp := mapNet(net, geoOf(hw), sc)
						got, lossy := checkLossyMatchesReference(t, net, l, mp, hw, smode, x, 40)
						if sc.name == "dense" {
							if lossy == 0 {
								t.Fatal("no conversion was lossy: the test does not exercise the ADC")
							}
							if slices.Equal(got, exactGEMM(x, 40, l.K, l.Weights[0], l.N)) {
								t.Fatal("lossy conversions left the product exact")
							}
						}
					})
				}
			}
		}
	}
}

// The same lossless check on the reference itself: it must equal the exact
// GEMM (guards the reference used above).
func TestReferenceIsExactWhenLossless(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	l := randLinear(rng, 0, 33, 5, 1, 8, 8, true, 0.3)
	x := randInputs(rng, 10, l.K, 8, true, 0.2)
	geo := mapper.Geometry{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 1}
	for _, sc := range schemes {
		gm := sc.fn(l.Weights[0], l.K, l.N, l.WBits, geo)
		got, lossy := refSim(gm, l, x, 10, 9, 4, false)
		if lossy != 0 || !slices.Equal(got, exactGEMM(x, 10, l.K, l.Weights[0], l.N)) {
			t.Fatalf("%s: reference simulation is not exact (lossy %d)", sc.name, lossy)
		}
	}
}

func noisyHW() HW {
	hw := hwFor(128, 128, 9, 8, 4, ADCSaturate)
	hw.VariationSigma = 0.1
	hw.StuckAt0Rate, hw.StuckAt1Rate = 0.01, 0.01
	hw.ADCNoiseSigmaLSB = 0.3
	return hw
}

// Non-idealities are a function of the seed only: the same seed gives the
// same outputs whatever the worker count and the split of the vectors over
// calls; another seed gives other outputs.
func TestNonIdealReproducible(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := randLinear(rng, 0, 80, 10, 1, 8, 8, false, 0.3)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := noisyHW()
	mp := mapNet(net, geoOf(hw), schemes[3])
	const m = 64
	x := randInputs(rng, m, l.K, 8, false, 0.3)
	run := func(seed uint64, workers int, split bool) []int32 {
		s, err := Simulate(net, mp, hw, Options{Seed: seed, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if !split {
			return runLayer(t, s, l, 0, x, m)
		}
		a := runLayer(t, s, l, 0, x[:20*l.K], 20)
		b := runLayer(t, s, l, 0, x[20*l.K:], m-20)
		return append(a, b...)
	}
	ref := run(42, 1, false)
	if !slices.Equal(ref, run(42, 2, false)) {
		t.Fatal("same seed, 2 workers: different outputs")
	}
	if !slices.Equal(ref, run(42, 2, true)) {
		t.Fatal("same seed, split calls: different outputs")
	}
	if slices.Equal(ref, run(43, 1, false)) {
		t.Fatal("different seeds gave identical outputs")
	}
	if slices.Equal(ref, exactGEMM(x, m, l.K, l.Weights[0], l.N)) {
		t.Fatal("non-idealities left the product exact")
	}
	// Reset restarts the noise counters: a rerun reproduces the first.
	s, err := Simulate(net, mp, hw, Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	first := runLayer(t, s, l, 0, x, m)
	s.Reset()
	if !slices.Equal(first, runLayer(t, s, l, 0, x, m)) {
		t.Fatal("rerun after Reset differs")
	}
}

// Each non-ideality alone changes results and is reproducible.
func TestEachNonIdeality(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	l := randLinear(rng, 0, 64, 8, 1, 8, 8, false, 0.3)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	x := randInputs(rng, 32, l.K, 8, false, 0.2)
	checkEachNonIdeality(t, net, l, x, 32, hwFor(128, 128, 9, 8, 4, ADCSaturate), handBuilds("")[0])
}

// checkEachNonIdeality sets each non-ideality alone on base and maps net
// with b: the product of l over the m vectors x changes, the same seed
// reproduces it and another seed changes it.
func checkEachNonIdeality(t *testing.T, net *quant.Network, l *quant.Linear, x []int32, m int, base HW, b build) {
	t.Helper()
	exact := exactGEMM(x, m, l.K, l.Weights[0], l.N)
	for _, tc := range []struct {
		name string
		set  func(*HW)
	}{
		{"variation", func(h *HW) { h.VariationSigma = 0.2 }},
		{"stuck-at-0", func(h *HW) { h.StuckAt0Rate = 0.05 }},
		{"stuck-at-1", func(h *HW) { h.StuckAt1Rate = 0.05 }},
		{"adc-noise", func(h *HW) { h.ADCNoiseSigmaLSB = 0.5 }},
	} {
		hw := base
		tc.set(&hw)
		mp := b.mp(t, net, hw)
		var outs [][]int32
		for _, seed := range []uint64{1, 1, 2} {
			s, err := Simulate(net, mp, hw, Options{Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, runLayer(t, s, l, 0, x, m))
		}
		if slices.Equal(outs[0], exact) {
			t.Errorf("%s: product unchanged", tc.name)
		}
		if !slices.Equal(outs[0], outs[1]) {
			t.Errorf("%s: same seed, different outputs", tc.name)
		}
		if slices.Equal(outs[0], outs[2]) {
			t.Errorf("%s: different seeds, same outputs", tc.name)
		}
	}
}

// Extreme non-idealities change results but never panic or error.
func TestExtremeNonIdealitiesDoNotPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	l := randLinear(rng, 0, 30, 4, 1, 8, 8, true, 0.3)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	x := randInputs(rng, 8, l.K, 8, true, 0.2)
	for _, set := range []func(*HW){
		func(h *HW) { h.VariationSigma = maxSigma },
		func(h *HW) { h.StuckAt1Rate = 1 },
		func(h *HW) { h.StuckAt0Rate = 1 },
		func(h *HW) { h.ADCNoiseSigmaLSB = 1000 },
		func(h *HW) { h.ADCMode = ADCTruncate; h.VariationSigma = 3; h.ADCNoiseSigmaLSB = 5 },
	} {
		runExtreme(t, net, l, x[:8*l.K], 8, hwFor(128, 128, 16, 16, 3, ADCSaturate), set, handBuilds(""))
	}
}

// runExtreme applies set to base and runs the m vectors x through l mapped
// with every build: no error, no panic.
func runExtreme(t *testing.T, net *quant.Network, l *quant.Linear, x []int32, m int, base HW, set func(*HW), builds []build) {
	t.Helper()
	for _, b := range builds {
		hw := base
		set(&hw)
		s, err := Simulate(net, b.mp(t, net, hw), hw, Options{Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		runLayer(t, s, l, 0, x, m)
	}
}

// Out-of-range input codes and mismatched sizes are errors.
func TestMatMulRejectsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	l := randLinear(rng, 0, 10, 3, 1, 8, 4, false, 0)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := hwFor(128, 128, 9, 8, 4, ADCSaturate)
	s, err := Simulate(net, mapNet(net, geoOf(hw), schemes[0]), hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int32, 10)
	x[3] = 16 // 4-bit unsigned: max 15
	if err := s.MatMul(l, 0, x, 1, make([]int32, 3)); err == nil {
		t.Fatal("code 16 accepted for 4-bit inputs")
	}
	x[3] = 0
	if err := s.MatMul(l, 0, x, 2, make([]int32, 6)); err == nil {
		t.Fatal("size mismatch accepted")
	}
	if err := s.MatMul(l, 1, x, 1, make([]int32, 3)); err == nil {
		t.Fatal("group 1 of 1 accepted")
	}
	other := randLinear(rng, 5, 10, 3, 1, 8, 4, false, 0)
	if err := s.MatMul(other, 0, x, 1, make([]int32, 3)); err == nil {
		t.Fatal("unmapped layer accepted")
	}
}

// Corrupt mappings are errors naming the layer, never panics.
func TestCorruptMappingRejected(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	l := randLinear(rng, 0, 20, 3, 1, 8, 8, false, 0)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := hwFor(128, 128, 9, 8, 4, ADCSaturate)
	corrupt := []struct {
		name string
		f    func(gm *mapper.GroupMap)
	}{
		{"row index", func(gm *mapper.GroupMap) { gm.RowIdx[0] = 20 }},
		{"negative row", func(gm *mapper.GroupMap) { gm.RowIdx[1] = -1 }},
		{"owner out", func(gm *mapper.GroupMap) { gm.Owners[0].Out = 3 }},
		{"owner bit", func(gm *mapper.GroupMap) { gm.Owners[0].Bit = 8 }},
		{"crossbar", func(gm *mapper.GroupMap) { gm.OUs[0].Crossbar = 99 }},
		{"col range", func(gm *mapper.GroupMap) { gm.OUs[0].ColCount = 100 }},
		{"row range", func(gm *mapper.GroupMap) { gm.OUs[0].RowStart = 1000 }},
		{"too many rows", func(gm *mapper.GroupMap) { gm.OUs[0].RowCount = 10 }},
		{"words", func(gm *mapper.GroupMap) { gm.Words = 2 }},
		{"colbits", func(gm *mapper.GroupMap) { gm.ColBits = gm.ColBits[1:] }},
		{"owner start", func(gm *mapper.GroupMap) { gm.OwnerStart[1] = 1000 }},
		{"owner start end", func(gm *mapper.GroupMap) { gm.OwnerStart[len(gm.OwnerStart)-1]-- }},
		{"shared column", func(gm *mapper.GroupMap) { gm.OUs[1].ColStart = 0 }},
		{"empty owner start", func(gm *mapper.GroupMap) { gm.OwnerStart = nil }},
	}
	for _, c := range corrupt {
		mp := mapNet(net, geoOf(hw), schemes[0])
		c.f(mp.Layers[0].Groups[0])
		if _, err := Simulate(net, mp, hw, Options{}); err == nil {
			t.Errorf("%s: corrupt mapping accepted", c.name)
		}
	}
	mp := mapNet(net, geoOf(hw), schemes[0])
	hw2 := hw
	hw2.OURows = 16
	if _, err := Simulate(net, mp, hw2, Options{}); err == nil {
		t.Error("geometry mismatch accepted")
	}
}
