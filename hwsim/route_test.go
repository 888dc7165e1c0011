package hwsim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/mapper"
)

// routeCase is one hardware point of the route comparison.
type routeCase struct {
	name             string
	xr, xc, h, w     int
	cellBits, adc    int
	adcMode          string
	wantTable, lossy bool // the table route applies; some conversion must lose
}

var routeCases = []routeCase{
	{"9x8/1bit/adc8", 128, 128, 9, 8, 1, 8, ADCSaturate, true, false},
	{"9x8/1bit/adc3/sat", 128, 128, 9, 8, 1, 3, ADCSaturate, true, true},
	{"9x8/1bit/adc3/trunc", 128, 128, 9, 8, 1, 3, ADCTruncate, true, true},
	{"9x8/2bit/adc4/sat", 128, 128, 9, 8, 2, 4, ADCSaturate, true, true},
	{"9x8/2bit/adc4/trunc", 128, 128, 9, 8, 2, 4, ADCTruncate, true, true},
	{"9x8/2bit/adc5", 128, 128, 9, 8, 2, 5, ADCSaturate, true, false},
	{"12x8/1bit/adc3/sat", 128, 128, 12, 8, 1, 3, ADCSaturate, true, true},
	{"16x16/1bit/adc3/sat", 128, 128, 16, 16, 1, 3, ADCSaturate, false, true},
	{"16x16/1bit/adc3/trunc", 128, 128, 16, 16, 1, 3, ADCTruncate, false, true},
	{"16x16/2bit/adc4/sat", 128, 128, 16, 16, 2, 4, ADCSaturate, false, true},
	{"128x128/1bit/adc5/sat", 128, 128, 128, 128, 1, 5, ADCSaturate, false, true},
	{"128x128/2bit/adc6/trunc", 128, 128, 128, 128, 2, 6, ADCTruncate, false, true},
	{"64x64/1bit/adc7", 64, 64, 64, 64, 1, 7, ADCSaturate, false, false},
	{"256x256/1bit/adc6/sat", 256, 256, 256, 256, 1, 6, ADCSaturate, false, true},   // MNSIM's whole-crossbar OU
	{"256x256/2bit/adc6/trunc", 256, 256, 256, 256, 2, 6, ADCTruncate, false, true}, // four-word columns, 2-bit cells
	{"256x256/1bit/adc8", 256, 256, 256, 256, 1, 8, ADCSaturate, false, false},
}

// routeSchemes are the mapper schemes the comparison maps with: plain
// columns, shared columns with and without complement owners, per-OU row
// selection and a whole-layer row permutation.
var routeSchemes = []mapper.Options{
	{Scheme: "dense"}, {Scheme: "colsim", MaxShare: 2}, {Scheme: "colsim-comp", MaxShare: 0},
	{Scheme: "sre"}, {Scheme: "rowreorder"},
}

// routeVariants are the ways a bit-serial MatMul can run.
var routeVariants = []struct {
	name  string
	route string
	set   func(s *Simulator)
}{
	{"generic", routeGeneric, nil},
	{"generic per step", routeSteps, nil},
	{"generic without AVX-512 multi-word kernel", routeScalar, nil},
	{"generic without the 16-row strip kernel", routePerColumn, nil},
	{"table", routeTable, nil},
	{"table in blocks", routeTable, func(s *Simulator) {
		// no tables kept between calls, built in blocks of a few strips
		s.tableBudget.Store(0)
		s.tableBlock = 3 << 12
	}},
	{"portable table", routeTable, func(s *Simulator) { portableTables(s) }},
	{"portable table in blocks", routeTable, func(s *Simulator) {
		portableTables(s)
		s.tableBudget.Store(0)
		s.tableBlock = 3 << 12
	}},
	{"chosen", "", nil},
}

// portableTables turns the AVX-512 table kernels off.
func portableTables(s *Simulator) {
	for _, gs := range s.groups {
		for _, g := range gs {
			if tab := tablePlanOf(g, &s.hw); tab != nil {
				tab.simd = false
			}
		}
	}
}

// Every bit-serial route computes the same outputs and the same counts,
// lossy conversions included, as the generic per-column route and as the
// cell-by-cell reference simulation (refSim2), on random layers with
// saturating and truncating ADCs, for 1- and 2-bit cells and OU heights
// that do and do not take the table route.
func TestRoutesAgree(t *testing.T) {
	for _, rc := range routeCases {
		for _, signed := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(uint64(rc.h), uint64(rc.adc)))
			l, net, abits := randNet(rng, 150, 13, signed)
			const m = 40
			x := randInputs(rng, m, l.K, abits, signed, 0.4)
			if rc.lossy {
				// Half the vectors drive many rows high so that sums overflow
				// the ADC range.
				hx := highInputs(rng, m/2, l.K, signed)
				for i := range hx {
					hx[i] >>= 8 - abits
				}
				copy(x, hx)
			}
			schemes := routeSchemes
			if testing.Short() {
				// complement owners and gathered rows; all schemes in the full run
				schemes = []mapper.Options{{Scheme: "dense"}, {Scheme: "colsim-comp", MaxShare: 0}, {Scheme: "sre"}}
			}
			for _, o := range schemes {
				name := fmt.Sprintf("%s/signed=%v/%s%d", rc.name, signed, o.Scheme, o.MaxShare)
				t.Run(name, func(t *testing.T) {
					hw := hwFor(rc.xr, rc.xc, rc.h, rc.w, rc.adc, rc.adcMode)
					hw.CellBits = rc.cellBits
					mp := mapOrFail(t, net, geoOf2(hw), o)
					var outs [][]int32
					var counts []Counts
					for _, v := range routeVariants {
						s, err := Simulate(net, mp, hw, Options{Workers: 2, Mode: ModeBitSerial, route: v.route})
						if err != nil {
							t.Fatal(err)
						}
						g := s.groups[0][0]
						tablePlanOf(g, &s.hw)
						if (g.tab != nil) != rc.wantTable {
							t.Fatalf("table route applies: %v, want %v", g.tab != nil, rc.wantTable)
						}
						if g.tab != nil && o.Scheme == "dense" && !rc.lossy && abits <= 8 && g.tab.simd != hasTableSIMD {
							t.Fatalf("AVX-512 table kernels apply: %v, want %v", g.tab.simd, hasTableSIMD)
						}
						if v.set != nil {
							v.set(s)
						}
						outs = append(outs, runLayer(t, s, l, 0, x, m))
						counts = append(counts, s.Counted()[0])
					}
					want, lossy := refSim2(mp.Layers[0].Groups[0], l, x, m, hw.OURows, hw.CellBits, hw.ADCBits, hw.ADCMode == ADCTruncate)
					if rc.lossy != (lossy > 0) {
						t.Fatalf("reference lossy conversions %d, want lossy %v", lossy, rc.lossy)
					}
					for i, v := range routeVariants {
						route := v.name
						if !slices.Equal(outs[i], want) {
							t.Fatalf("%s route differs from the reference", route)
						}
						if counts[i] != counts[0] {
							t.Fatalf("%s route counts %+v, generic %+v", route, counts[i], counts[0])
						}
						if got := counts[i].ADCClipped + counts[i].ADCTruncated; got != lossy {
							t.Fatalf("%s route counted %d lossy conversions, reference %d", route, got, lossy)
						}
					}
				})
			}
		}
	}
}

// bitPlanes equals its definition: bit i of plane b is bit b of code i.
func TestBitPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 44))
	for _, n := range []int{1, 7, 8, 9, 63, 64, 65, 200} {
		for _, a := range []int{1, 3, 8, 11, 16} {
			src := make([]int32, n)
			for i := range src {
				src[i] = int32(rng.Uint32())
			}
			words := (n+63)/64 + 1
			bp := make([]uint64, a*words)
			for i := range bp {
				bp[i] = rng.Uint64() // must be cleared
			}
			bitPlanes(bp, src, a, words)
			for b := 0; b < a; b++ {
				for i := 0; i < words*64; i++ {
					want := uint64(0)
					if i < n {
						want = uint64(src[i]) >> b & 1
					}
					if got := bp[b*words+i/64] >> (i % 64) & 1; got != want {
						t.Fatalf("n=%d a=%d: plane %d bit %d = %d, want %d", n, a, b, i, got, want)
					}
				}
			}
		}
	}
}
