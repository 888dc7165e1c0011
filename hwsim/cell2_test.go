package hwsim

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// hw2 is hwFor with 2-bit cells.
func hw2(xr, xc, h, w, adcBits int, mode string) HW {
	hw := hwFor(xr, xc, h, w, adcBits, mode)
	hw.CellBits = 2
	return hw
}

func geoOf2(hw HW) mapper.Geometry {
	g := geoOf(hw)
	g.CellBits = hw.CellBits
	return g
}

// mapOrFail maps net with the real mapper.
func mapOrFail(t testing.TB, net *quant.Network, geo mapper.Geometry, o mapper.Options) *mapper.Mapping {
	t.Helper()
	mp, err := mapper.Map(net, geo, o)
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

// refSim2 is refSim for cells of cellBits bits (1-bit DACs, ideal cells):
// per vector and input bit b, every physical column's sum is
// s = Σ_j bit_b(x[row_j])·level_j with level_j = Σ_p plane_p,j·2^p, read cell
// by cell; the ADC saturates at 2^r-1 or clears the low D bits, D =
// bitlen(h·(2^cellBits-1)) - r; owners add ±q·2^(b+Bit) (q[SumCol]-q for a
// complement owner). It returns the outputs and the lossy conversions.
func refSim2(gm *mapper.GroupMap, l *quant.Linear, x []int32, m, h, cellBits, adcBits int, truncate bool) ([]int32, int64) {
	out := make([]int32, m*l.N)
	maxCode := int64(1)<<adcBits - 1
	d := max(0, bits.Len(uint(h*(1<<cellBits-1)))-adcBits)
	rw := gm.Words / cellBits
	var lossy int64
	q := make([]int64, gm.Columns())
	for r := 0; r < m; r++ {
		acc := make([]int64, l.N)
		for b := 0; b < l.ABits; b++ {
			sign := int64(1)
			if l.InputSigned && b == l.ABits-1 {
				sign = -1
			}
			for _, ou := range gm.OUs {
				rows := gm.RowIdx[ou.RowStart : ou.RowStart+ou.RowCount]
				for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
					var s int64
					for j, k := range rows {
						var level int64
						for p := 0; p < cellBits; p++ {
							level += int64(gm.ColBits[int(c)*gm.Words+p*rw+j/64]>>(j%64)&1) << p
						}
						s += int64(uint32(x[r*l.K+int(k)])>>b&1) * level
					}
					v := s
					if truncate {
						v = s >> d << d
					} else if v > maxCode {
						v = maxCode
					}
					if v != s {
						lossy++
					}
					q[c] = v
				}
			}
			for _, ou := range gm.OUs {
				for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
					for _, o := range gm.Owners[gm.OwnerStart[c]:gm.OwnerStart[c+1]] {
						v := q[c]
						if o.Complement {
							v = q[ou.SumCol] - q[c]
						}
						v = sign * v << (b + int(o.Bit))
						if o.Negate {
							v = -v
						}
						acc[o.Out] += v
					}
				}
			}
		}
		for c, v := range acc {
			out[r*l.N+c] = int32(v)
		}
	}
	return out, lossy
}

// A 2-bit cell layer computed by hand. K = 2, N = 1, B = 3 weights
// [3, -2] on 2-bit cells: digit 0 = bits 0-1 (level 0..3), digit 1 = the
// sign bit 2.
//
//	3 = 011: levels (3, 0);  -2 = 110: levels (2, 1);  2 − 4 = −2
//
// Dense mapping on one 2×2 crossbar with one 2×2 OU: column c0 holds digit
// 0 (levels 3, 2: low plane 1 0, high plane 1 1), c1 the sign digit
// (levels 0, 1), owner Bit 2 negated. Input x = [5, 6], A = 3 unsigned:
// bit planes b0 = (1, 0), b1 = (0, 1), b2 = (1, 1). Column sums
// popcount(x_b & lo) + 2·popcount(x_b & hi):
//
//	c0: b0 1+2·1 = 3, b1 0+2·1 = 2, b2 1+2·2 = 5 -> 3 + 2·2 + 4·5 = 27 = 5·3 + 6·2
//	c1: b0 0, b1 1, b2 1                      -> 0 + 2·1 + 4·1 = 6
//	out = 27 − 6·2^2 = 3 = 5·3 + 6·(−2)
//
// A lossless ADC needs 2^r − 1 ≥ 2·3 = 6, r = 3. A 2-bit saturating ADC
// clips c0's b2 sum 5 to 3: 3 + 4 + 12 − 24 = −5, one clipped conversion. A
// 2-bit truncating ADC drops D = bitlen(6) − 2 = 1 bit: c0 3→2, 2, 5→4
// and c1 0, 1→0, 1→0: 2 + 4 + 16 − 0 = 22, four truncated conversions.
//
// Costs of one vector (S = 3 steps, 1 OU of 2 rows × 2 columns, 2 owners):
// 3 activations, 6 conversions, 12 cell reads, 6 DAC drives, 6 shift-adds,
// no index; buffer ceil(2·3/256) + ceil(1·3/256) = 2 accesses. With cell
// 1 pJ, DAC 10, ADC 100, shift-add 1000, buffer 10000 pJ: 12 + 60 + 600 +
// 6000 + 20000 = 26672 pJ; 3 cycles. With 1-bit cells the same layer needs
// 3 columns (9 conversions).
func TestHandComputedCell2(t *testing.T) {
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: 2, N: 1, Groups: 1, WBits: 3, ABits: 3, Weights: [][]int32{{3, -2}}}
	net := &quant.Network{Linears: []*quant.Linear{l}}
	x := []int32{5, 6}
	for _, c := range []struct {
		adc       int
		mode      string
		want      int32
		clipped   int64
		truncated int64
	}{
		{3, ADCSaturate, 3, 0, 0}, {2, ADCSaturate, -5, 1, 0}, {2, ADCTruncate, 22, 0, 4},
	} {
		hw := hw2(2, 2, 2, 2, c.adc, c.mode)
		hw.CellReadEnergyPJ, hw.DACEnergyPJ, hw.ADCEnergyPJ[c.adc], hw.ShiftAddEnergyPJ, hw.BufferAccessEnergyPJ = 1, 10, 100, 1000, 10000
		mp := mapOrFail(t, net, geoOf2(hw), mapper.Options{Scheme: "dense"})
		g := mp.Layers[0].Groups[0]
		wantOwners := []mapper.Owner{{Out: 0, Bit: 0}, {Out: 0, Bit: 2, Negate: true}}
		if g.Words != 2 || !slices.Equal(g.ColBits, []uint64{0b01, 0b11, 0b10, 0b00}) || !slices.Equal(g.Owners, wantOwners) || len(g.OUs) != 1 {
			t.Fatalf("layout: words %d cells %b owners %+v OUs %+v", g.Words, g.ColBits, g.Owners, g.OUs)
		}
		for _, mode := range []string{ModeAuto, ModeBitSerial} {
			s, err := Simulate(net, mp, hw, Options{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if got := runLayer(t, s, l, 0, x, 1); got[0] != c.want {
				t.Fatalf("%d-bit %s %s: out %d, want %d", c.adc, c.mode, mode, got[0], c.want)
			}
			cnt := s.Counted()[0]
			if cnt.ADCClipped != c.clipped || cnt.ADCTruncated != c.truncated {
				t.Fatalf("%d-bit %s %s: clipped %d truncated %d, want %d %d", c.adc, c.mode, mode, cnt.ADCClipped, cnt.ADCTruncated, c.clipped, c.truncated)
			}
			if cnt.OUActivations != 3 || cnt.ADCConversions != 6 || cnt.CellReads != 12 || cnt.DACDrives != 6 || cnt.ShiftAdds != 6 || cnt.IndexReadBits != 0 || cnt.BufferAccesses != 2 {
				t.Fatalf("counts %+v", cnt)
			}
			cost, err := s.Cost(s.Counted())
			if err != nil {
				t.Fatal(err)
			}
			if !near(cost.EnergyPJ.Total, 26672) || cost.Cycles != 3 || cost.Crossbars != 1 {
				t.Fatalf("energy %v pJ, %d cycles, %d crossbars; want 26672, 3, 1", cost.EnergyPJ.Total, cost.Cycles, cost.Crossbars)
			}
		}
	}
	one := hwFor(2, 2, 2, 2, 3, ADCSaturate)
	s, err := Simulate(net, mapOrFail(t, net, geoOf(one), mapper.Options{Scheme: "dense"}), one, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := runLayer(t, s, l, 0, x, 1); got[0] != 3 || s.Counted()[0].ADCConversions != 9 {
		t.Fatalf("1-bit cells: out %d, %d conversions", got[0], s.Counted()[0].ADCConversions)
	}
}

// Lossy ADCs with 2-bit cells: 9-row OUs reach column sums of 27, which a
// 4-bit ADC (15) cannot hold. The simulator equals the plain reference
// cell by cell, counts the same lossy conversions, and the loss is real.
// Also the 9×8 OU with a 5-bit ADC is lossless (27 ≤ 31).
func TestCell2LossyADC(t *testing.T) {
	for _, mode := range []string{ADCSaturate, ADCTruncate} {
		for _, signed := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(5, 55))
			l := randLinear(rng, 0, 64, 6, 1, 8, 8, signed, 0.1)
			for k := 0; k < l.K; k++ {
				l.Weights[0][k*l.N] = -1 // every digit at its top level
			}
			net := &quant.Network{Linears: []*quant.Linear{l}}
			x := highInputs(rng, 30, l.K, signed)
			for _, o := range mapperSchemes {
				for _, smode := range []string{ModeAuto, ModeBitSerial} {
					t.Run(fmt.Sprintf("%s/signed=%v/%s%d/%s", mode, signed, o.Scheme, o.MaxShare, smode), func(t *testing.T) {
						hw := hw2(128, 128, 9, 8, 4, mode)
						mp := mapOrFail(t, net, geoOf2(hw), o)
						got, lossy := checkLossyMatchesReference(t, net, l, mp, hw, smode, x, 30)
						if lossy == 0 {
							t.Fatal("no conversion was lossy: the test does not exercise the ADC")
						}
						if o.Scheme == "dense" && slices.Equal(got, exactGEMM(x, 30, l.K, l.Weights[0], l.N)) {
							t.Fatal("lossy conversions left the product exact")
						}
						// one more ADC bit is lossless for 9 rows of level 3
						hw5 := hw2(128, 128, 9, 8, 5, mode)
						s5, err := Simulate(net, mp, hw5, Options{Mode: smode})
						if err != nil {
							t.Fatal(err)
						}
						if got := runLayer(t, s5, l, 0, x, 30); !slices.Equal(got, exactGEMM(x, 30, l.K, l.Weights[0], l.N)) {
							t.Fatal("5-bit ADC on 9-row OUs of 2-bit cells is not exact")
						}
					})
				}
			}
		}
	}
}

// The reference itself is exact when lossless (guards refSim2), for 1- and
// 2-bit cells.
func TestRefSim2ExactWhenLossless(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 99))
	l := randLinear(rng, 0, 33, 5, 1, 7, 8, true, 0.3)
	x := randInputs(rng, 10, l.K, 8, true, 0.2)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	for cb := 1; cb <= 2; cb++ {
		geo := mapper.Geometry{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: cb}
		for _, o := range mapperSchemes {
			mp := mapOrFail(t, net, geo, o)
			got, lossy := refSim2(mp.Layers[0].Groups[0], l, x, 10, 9, cb, 5, false)
			if lossy != 0 || !slices.Equal(got, exactGEMM(x, 10, l.K, l.Weights[0], l.N)) {
				t.Fatalf("%d-bit cells %s: reference simulation is not exact (lossy %d)", cb, o.Scheme, lossy)
			}
		}
	}
}

// Counted equals AnalyticCounts with 2-bit cells for every scheme, path and
// DAC width; index storage per OU adds up to the mapper's IndexBits; 2-bit
// cells need fewer conversions than 1-bit cells under dense mapping.
func TestCell2CountedMatchesAnalytic(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	net := testNet(rng, true)
	vectors := []int64{13, 7, 5}
	for _, o := range mapperSchemes {
		for _, dac := range []int{1, 3} {
			for _, mode := range []string{ModeAuto, ModeBitSerial} {
				hw := hw2(128, 128, 9, 8, 5, ADCSaturate)
				hw.DACBits = dac
				mp := mapOrFail(t, net, geoOf2(hw), o)
				s, counted := checkCountedMatchesAnalytic(t, fmt.Sprintf("%s dac=%d %s", o.Scheme, dac, mode), net, mp, hw, mode, vectors)
				_, tot, err := mp.Stats()
				if err != nil {
					t.Fatal(err)
				}
				cost, err := s.Cost(counted)
				if err != nil {
					t.Fatal(err)
				}
				if cost.IndexBits != tot.IndexBits || int64(cost.Crossbars) != tot.Crossbars {
					t.Fatalf("%s: cost index %d bits %d crossbars, mapper %d %d", o.Scheme, cost.IndexBits, cost.Crossbars, tot.IndexBits, tot.Crossbars)
				}
			}
		}
	}
	one, two := hwFor(128, 128, 9, 8, 5, ADCSaturate), hw2(128, 128, 9, 8, 5, ADCSaturate)
	c1, err := AnalyticCounts(mapOrFail(t, net, geoOf(one), mapper.Options{Scheme: "dense"}), one, vectors)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := AnalyticCounts(mapOrFail(t, net, geoOf2(two), mapper.Options{Scheme: "dense"}), two, vectors)
	if err != nil {
		t.Fatal(err)
	}
	for li := range c1 {
		// B = 8: 5 digit columns instead of 8 bit columns (6: 4 instead of 6)
		if c2[li].ADCConversions >= c1[li].ADCConversions || c2[li].CellReads >= c1[li].CellReads {
			t.Fatalf("layer %d: 2-bit dense %+v not below 1-bit %+v", li, c2[li], c1[li])
		}
	}
}

// Non-idealities with 2-bit cells: a vanishing conductance variation takes
// the analog path and still rounds to the exact product (so the analog
// path weighs the levels right); each effect changes results reproducibly;
// extreme settings do not panic.
func TestCell2NonIdealities(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 44))
	l := randLinear(rng, 0, 64, 8, 1, 8, 8, false, 0.3)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	x := randInputs(rng, 32, l.K, 8, false, 0.2)
	exact := exactGEMM(x, 32, l.K, l.Weights[0], l.N)
	for _, o := range mapperSchemes {
		hw := hw2(128, 128, 9, 8, 5, ADCSaturate)
		hw.VariationSigma = 1e-7
		s, err := Simulate(net, mapOrFail(t, net, geoOf2(hw), o), hw, Options{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if s.groups[0][0].fast != nil || s.groups[0][0].cond == nil {
			t.Fatal("variation did not take the analog path")
		}
		if got := runLayer(t, s, l, 0, x, 32); !slices.Equal(got, exact) {
			t.Fatalf("%s: vanishing variation changed the product", o.Scheme)
		}
	}
	colsim2 := build{"colsim2", func(t testing.TB, net *quant.Network, hw HW) *mapper.Mapping {
		return mapOrFail(t, net, geoOf2(hw), mapper.Options{Scheme: "colsim", MaxShare: 2})
	}}
	checkEachNonIdeality(t, net, l, x, 32, hw2(128, 128, 9, 8, 5, ADCSaturate), colsim2)
	// all cells stuck at 1: every level is 3, W_eff = Σ owners ±3·2^Bit
	hw := hw2(128, 128, 9, 8, 5, ADCSaturate)
	hw.StuckAt1Rate = 1
	mp := mapOrFail(t, net, geoOf2(hw), mapper.Options{Scheme: "dense"})
	s, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	all3 := make([]int32, l.K*l.N)
	for i := range all3 {
		for _, d := range mapper.Digits(l.WBits, 2) {
			if d.Neg {
				all3[i] -= 3 << d.Shift
			} else {
				all3[i] += 3 << d.Shift
			}
		}
	}
	if got := runLayer(t, s, l, 0, x, 32); !slices.Equal(got, exactGEMM(x, 32, l.K, all3, l.N)) {
		t.Fatal("cells stuck at 1 are not at level 3")
	}
	for _, set := range []func(*HW){
		func(h *HW) { h.VariationSigma = maxSigma },
		func(h *HW) { h.ADCNoiseSigmaLSB = 1000 },
		func(h *HW) { h.ADCMode = ADCTruncate; h.VariationSigma = 3; h.ADCNoiseSigmaLSB = 5; h.ADCBits = 3 },
	} {
		runExtreme(t, net, l, x[:8*l.K], 8, hw2(128, 128, 16, 16, 3, ADCSaturate), set, mapperBuilds(""))
	}
}

// 2-bit hardware files parse; a 1-bit mapping on 2-bit hardware (or the
// reverse) and a 2-bit group with 1-bit column words are rejected.
func TestCell2Validation(t *testing.T) {
	h, err := ParseHW([]byte(`{"cell_bits": 2, "adc_bits": 5}`))
	if err != nil || h.CellBits != 2 {
		t.Fatalf("cell_bits 2: %v", err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	l := randLinear(rng, 0, 20, 3, 1, 8, 8, false, 0)
	net := &quant.Network{Linears: []*quant.Linear{l}}
	one, two := hwFor(128, 128, 9, 8, 5, ADCSaturate), hw2(128, 128, 9, 8, 5, ADCSaturate)
	if _, err := Simulate(net, mapOrFail(t, net, geoOf(one), mapper.Options{Scheme: "dense"}), two, Options{}); err == nil {
		t.Error("1-bit mapping accepted on 2-bit hardware")
	}
	if _, err := Simulate(net, mapOrFail(t, net, geoOf2(two), mapper.Options{Scheme: "dense"}), one, Options{}); err == nil {
		t.Error("2-bit mapping accepted on 1-bit hardware")
	}
	mp := mapOrFail(t, net, geoOf2(two), mapper.Options{Scheme: "colsim"})
	gm := mp.Layers[0].Groups[0]
	gm.Words = 1
	gm.ColBits = gm.ColBits[:gm.Columns()]
	if _, err := Simulate(net, mp, two, Options{}); err == nil {
		t.Error("2-bit group with one word per column accepted")
	}
}

// The full MNIST test set through lenet5 and the MLP with 2-bit cells and a
// 5-bit ADC (lossless for 9-row OUs): every scheme's simulated output codes
// equal the golden model's on all 10k images (fast path), and on the first
// 50 also on the pure bit-serial path.
func TestCell2MNISTBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("full MNIST check skipped in -short mode")
	}
	for _, name := range []string{"lenet5.onnx", "mlp.onnx"} {
		path := filepath.Join(testmodelsDir, name)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not present", name)
		}
		t.Run(name, func(t *testing.T) {
			hw := Defaults()
			hw.CellBits, hw.ADCBits = 2, 5
			checkMNISTBitIdentical(t, path, hw, 50, true)
		})
	}
}

// Evaluate on lenet5 with 2-bit cells and 9×8 OUs: a 4-bit ADC clips (sums
// reach 27) and the clipping is counted and visible in the agreement; a
// 5-bit ADC agrees exactly.
func TestCell2EvaluateLossyLeNet(t *testing.T) {
	path := lenet5Path(t)
	limit := 300
	if testing.Short() {
		limit = 50
	}
	net, src := quantizedModel(t, path, 0)
	for _, c := range []struct {
		bits  int
		mode  string
		lossy bool
	}{{4, ADCSaturate, true}, {4, ADCTruncate, true}, {5, ADCSaturate, false}} {
		hw := Defaults()
		hw.CellBits, hw.ADCBits, hw.ADCMode = 2, c.bits, c.mode
		r := evaluateMapped(t, net, src, hw, mapper.Options{Scheme: "colsim", MaxShare: 2}, limit)
		t.Logf("2-bit cells, 9x8 OU, %d-bit %s ADC: int %.4f sim %.4f agreement %.4f clipped %d truncated %d of %d conversions",
			c.bits, c.mode, r.AccuracyInt, r.AccuracySim, r.BitExact, r.ADCClipped, r.ADCTruncated, r.ADCConversions)
		if c.lossy && (r.ADCSaturations == 0 || r.BitExact == 1) {
			t.Fatalf("%d-bit %s: %d lossy conversions, agreement %v", c.bits, c.mode, r.ADCSaturations, r.BitExact)
		}
		if !c.lossy && (r.ADCSaturations != 0 || r.BitExact != 1) {
			t.Fatalf("lossless: %d lossy conversions, agreement %v", r.ADCSaturations, r.BitExact)
		}
	}
}
