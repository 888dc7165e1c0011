package hwsim

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/mapper"
)

// strip16Cols equals its definition (adding to out), column by column, for every column
// count around the 32-column blocks (the lanes past n neither written nor
// counted), 1- and 2-bit cells, saturating and truncating converters, the
// sign step anywhere, all-zero and all-one patterns.
func TestStrip16Cols(t *testing.T) {
	if !hasStrip16 {
		t.Skip("no AVX-512BW/BITALG")
	}
	rng := rand.New(rand.NewPCG(16, 16))
	for _, tc := range []struct {
		name      string
		keep, top uint64
		twoBit    bool
	}{
		{"lossless", 0xFFFF, 0xFFFF, false},
		{"sat3", 0xFFFF, 7, false},
		{"trunc3", 0xFFFF &^ 3, 7 << 2, false},
		{"2bit/sat4", 0xFFFF, 15, true},
		{"2bit/trunc4", 0xFFFF &^ 7, 15 << 3, true},
	} {
		for _, n := range []int{1, 7, 31, 32, 33, 64, 100} {
			t.Run(fmt.Sprintf("%s/n=%d", tc.name, n), func(t *testing.T) {
				padded := (n + 31) &^ 31
				lo := make([]uint16, padded)
				for i := range lo {
					lo[i] = uint16(rng.Uint32()) // past n too: must not count
				}
				lo[0] = 0xFFFF // a column of all ones: the largest sums
				var hi []uint16
				var hp *uint16
				if tc.twoBit {
					hi = make([]uint16, padded)
					for i := range hi {
						hi[i] = uint16(rng.Uint32())
					}
					hi[0] = 0xFFFF
					hp = &hi[0]
				}
				pats := []uint16{0xFFFF, 0, uint16(rng.Uint32()), uint16(rng.Uint32()), 0x00FF, uint16(rng.Uint32()), 0x8001, uint16(rng.Uint32())}
				shifts := []uint64{0, 1, 2, 3, 4, 5, 6, 7}
				for _, neg := range []int{-1, 0, 7} {
					out := make([]int32, padded+1)
					for i := range out {
						out[i] = 12345 // sentinels past n
					}
					got := strip16Cols(&lo[0], hp, n, &pats[0], &shifts[0], len(pats), neg, tc.keep, tc.top, &out[0])
					var want int
					for c := 0; c < n; c++ {
						var acc int64
						for s, p := range pats {
							sum := int64(bits.OnesCount16(p & lo[c]))
							if hi != nil {
								sum += 2 * int64(bits.OnesCount16(p&hi[c]))
							}
							q := min(sum&int64(tc.keep), int64(tc.top))
							if q != sum {
								want++
							}
							if s == neg {
								acc -= q << shifts[s]
							} else {
								acc += q << shifts[s]
							}
						}
						if int64(out[c]) != 12345+acc {
							t.Fatalf("neg=%d column %d: %d, want 12345 + %d", neg, c, out[c], acc)
						}
					}
					for c := n; c < len(out); c++ {
						if out[c] != 12345 {
							t.Fatalf("neg=%d: column %d past n written", neg, c)
						}
					}
					if got != want {
						t.Fatalf("neg=%d: %d lossy conversions, want %d", neg, got, want)
					}
				}
			})
		}
	}
}

// The 16-row strip kernel route (vector16) computes the outputs and the
// counts of the per-column route (ouSimple, ouSimple2) on random groups:
// OUs of 4 to 16 rows (partial last strips), 1- and 2-bit cells,
// saturating and truncating ADCs, signed and unsigned inputs, complement
// owners, inputs all zero, all at the top code (the largest sums) and
// random.
func TestStrip16Route(t *testing.T) {
	if !hasStrip16 {
		t.Skip("no AVX-512BW/BITALG")
	}
	type hwCase struct {
		h, w, cellBits, adc int
		mode                string
	}
	var cases []hwCase
	for _, h := range []int{4, 9, 16} {
		for _, cb := range []int{1, 2} {
			for _, mode := range []string{ADCSaturate, ADCTruncate} {
				cases = append(cases, hwCase{h, 16, cb, 3, mode})
			}
		}
	}
	cases = append(cases, hwCase{16, 16, 1, 8, ADCSaturate}) // lossless
	for _, hc := range cases {
		for _, signed := range []bool{false, true} {
			for _, scheme := range []string{"dense", "colsim-comp"} {
				name := fmt.Sprintf("%dx%d/%dbit/adc%d/%s/signed=%v/%s", hc.h, hc.w, hc.cellBits, hc.adc, hc.mode, signed, scheme)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(hc.h), uint64(hc.cellBits)))
					l, net, abits := randNet(rng, 70, 11, signed)
					const m = 12
					x := randInputs(rng, m, l.K, abits, signed, 0.4)
					clear(x[:l.K]) // every plane zero
					top := int32(1)<<abits - 1
					if signed {
						top = int32(1)<<(abits-1) - 1
					}
					for i := l.K; i < 2*l.K; i++ {
						x[i] = top // every row high: the largest sums
					}
					if signed {
						for i := 2 * l.K; i < 3*l.K; i++ {
							x[i] = -1 << (abits - 1) // the sign plane and no other
						}
					}
					hw := hwFor(128, 128, hc.h, hc.w, hc.adc, hc.mode)
					hw.CellBits = hc.cellBits
					mp := mapOrFail(t, net, geoOf2(hw), mapper.Options{Scheme: scheme})
					var outs [][]int32
					var counts []Counts
					for _, route := range []string{routePerColumn, routeGeneric} {
						s, err := Simulate(net, mp, hw, Options{Workers: 2, Mode: ModeBitSerial, route: route})
						if err != nil {
							t.Fatal(err)
						}
						if route == routeGeneric && !strip16Of(s.groups[0][0], &s.hw) {
							t.Fatal("the strip kernel does not apply")
						}
						outs = append(outs, runLayer(t, s, l, 0, x, m))
						counts = append(counts, s.Counted()[0])
					}
					if !slices.Equal(outs[0], outs[1]) {
						t.Fatalf("outputs differ:\nper column %v\nstrip16    %v", outs[0], outs[1])
					}
					if counts[0] != counts[1] {
						t.Fatalf("counts differ: per column %+v, strip16 %+v", counts[0], counts[1])
					}
					if hc.h*(1<<hc.cellBits-1) > 1<<hc.adc-1 && counts[0].ADCClipped+counts[0].ADCTruncated == 0 {
						t.Fatal("no lossy conversion: the case tests nothing lossy")
					}
				})
			}
		}
	}
}
