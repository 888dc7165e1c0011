package hwsim

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// autoHW returns the defaults with the given OU height, cell and DAC
// widths, an "auto" ADC, and ADC tables covering every resolution (the
// values do not matter here).
func autoHW(ouRows, cellBits, dacBits int) HW {
	hw := Defaults()
	hw.OURows, hw.CellBits, hw.DACBits = ouRows, cellBits, dacBits
	for b := 1; b <= maxBits; b++ {
		hw.ADCEnergyPJ[b], hw.ADCAreaUM2[b] = float64(b), float64(b)
	}
	hw.SetADCBitsAuto()
	return hw
}

// The largest column sum one conversion sees is h·(2^d−1)·(2^c−1); auto is
// its bit length, computed here by hand.
var autoCases = []struct {
	ouRows, cellBits, dacBits int
	want                      int
}{
	{9, 1, 1, 4},    // 9 = 0b1001
	{8, 1, 1, 4},    // 8 = 0b1000
	{7, 1, 1, 3},    // 7 = 0b111
	{1, 1, 1, 1},    // 1
	{9, 2, 1, 5},    // 27 = 0b11011
	{16, 1, 1, 5},   // 16 = 0b10000
	{16, 2, 1, 6},   // 48 = 0b110000
	{9, 1, 2, 5},    // 27
	{5, 2, 2, 6},    // 45 = 0b101101
	{128, 1, 1, 8},  // 128
	{128, 2, 1, 9},  // 384 = 0b110000000
	{255, 1, 1, 8},  // 255
	{256, 1, 1, 9},  // 256
	{21, 2, 1, 6},   // 63
	{22, 2, 1, 7},   // 66
	{128, 2, 8, 17}, // 97920: beyond maxBits, Validate refuses it
}

func TestLosslessADCBits(t *testing.T) {
	for _, c := range autoCases {
		hw := Defaults()
		hw.OURows, hw.CellBits, hw.DACBits = c.ouRows, c.cellBits, c.dacBits
		if got := hw.LosslessADCBits(); got != c.want {
			t.Errorf("h=%d cell_bits=%d dac_bits=%d: %d bits, want %d", c.ouRows, c.cellBits, c.dacBits, got, c.want)
		}
	}
	bad := Defaults()
	bad.OURows = 0
	if got := bad.LosslessADCBits(); got != 0 {
		t.Errorf("ou_rows 0: %d bits, want 0", got)
	}
}

// "adc_bits": "auto" in a file resolves after every other field is read,
// records itself in sources, and a resolution missing from the ADC tables
// is an error naming the table and saying that it came from auto.
func TestParseHWADCAuto(t *testing.T) {
	for _, c := range []struct {
		json    string
		want    int
		errPart string
	}{
		{`{"adc_bits": "auto"}`, 4, ""},
		{`{"ou_rows": 16, "adc_bits": "auto", "cell_bits": 2}`, 6, ""},
		{`{"adc_bits": "auto", "ou_rows": 3}`, 2, ""},
		{`{"adc_bits": 6}`, 6, ""},
		{`{"adc_bits": "auto", "ou_rows": 128, "cell_bits": 2}`, 0, "adc_energy_pj: no entry for adc_bits = 9 (auto"},
		{`{"adc_bits": "auto", "ou_rows": 128, "cell_bits": 2, "adc_energy_pj": {"9": 3}, "adc_area_um2": {"9": 2000}}`, 9, ""},
		{`{"adc_bits": "Auto"}`, 0, "adc_bits"},
		{`{"adc_bits": "auto", "bogus": 1}`, 0, "bogus: unknown field"},
		{`{"adc_bits": "auto", "ou_rows": -1}`, 0, "ou_rows"},
	} {
		h, err := ParseHW([]byte(c.json))
		if c.errPart != "" {
			if err == nil || !errors.Is(err, ErrInvalidHW) || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("%s: error %v, want one containing %q", c.json, err, c.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		auto := strings.Contains(c.json, `"auto"`)
		if h.ADCBits != c.want || h.ADCBitsIsAuto() != auto || strings.HasPrefix(h.Sources["adc_bits"], "auto:") != auto {
			t.Errorf("%s: adc_bits %d auto %v source %q, want %d auto %v", c.json, h.ADCBits, h.ADCBitsIsAuto(), h.Sources["adc_bits"], c.want, auto)
		}
	}
	h, err := ParseHW([]byte(`{"adc_bits": "auto"}`))
	if err != nil {
		t.Fatal(err)
	}
	h.SetADCBits(7)
	if h.ADCBitsIsAuto() || h.Sources["adc_bits"] != "" || h.ADCBits != 7 {
		t.Errorf("SetADCBits(7) after auto: adc_bits %d auto %v source %q", h.ADCBits, h.ADCBitsIsAuto(), h.Sources["adc_bits"])
	}
}

// The auto resolution is lossless for the worst input and one bit fewer is
// not: a layer of h rows whose weights are all −1 (every bit a '1' cell)
// driven by inputs of −1 (every bit plane all ones) makes every conversion
// of the dense mapping reach h·(2^d−1)·(2^c−1). At auto bits the simulated
// product equals the exact one with no clipped conversion; at auto−1 the
// first plane already clips and the product is wrong.
func TestADCAutoIsTight(t *testing.T) {
	for _, c := range autoCases {
		if c.want > 8 || c.ouRows > 128 {
			continue
		}
		name := fmt.Sprintf("h%d_cell%d_dac%d", c.ouRows, c.cellBits, c.dacBits)
		t.Run(name, func(t *testing.T) {
			const k, n, m = 2 * 128, 3, 2
			l := &quant.Linear{Name: "fc", Op: "Gemm", K: k, N: n, Groups: 1, WBits: 8, ABits: 8, InputSigned: true, Weights: [][]int32{make([]int32, k*n)}}
			x := make([]int32, m*k)
			for i := range l.Weights[0] {
				l.Weights[0][i] = -1
			}
			for i := range x {
				x[i] = -1
			}
			net := &quant.Network{Linears: []*quant.Linear{l}}
			exact := exactGEMM(x, m, k, l.Weights[0], n)
			hw := autoHW(c.ouRows, c.cellBits, c.dacBits)
			mp := mapOrFail(t, net, hw.Geometry, mapper.Options{Scheme: "dense"})
			for _, bits := range []int{c.want, c.want - 1} {
				if bits < 1 {
					continue
				}
				hw.ADCBits = bits
				for _, mode := range []string{ModeAuto, ModeBitSerial} {
					s, err := Simulate(net, mp, hw, Options{Mode: mode})
					if err != nil {
						t.Fatal(err)
					}
					got := runLayer(t, s, l, 0, x, m)
					clipped := s.Counted()[0].ADCClipped
					lossless := slices.Equal(got, exact) && clipped == 0
					if lossless != (bits == c.want) {
						t.Errorf("%d-bit ADC (auto %d) %s: %d clipped conversions, product exact %v", bits, c.want, mode, clipped, slices.Equal(got, exact))
					}
				}
			}
		})
	}
}

// On the test models (quantized, 50 % pruned), every scheme simulated
// bit-serially with an auto ADC gives the golden model's output codes with
// no clipped conversion, for 9×8 OUs of 1- and 2-bit cells (4 and 5 bits)
// and 16×16 OUs (5 bits).
func TestADCAutoBitExactOnTestModels(t *testing.T) {
	const images = 16
	for _, path := range testModels(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			net, src := quantizedModel(t, path, 0.5)
			x, err := src.Batch(NetInputs(net)[0], 0, images)
			if err != nil {
				t.Fatal(err)
			}
			gold, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range []struct{ rows, cols, cellBits, want int }{{9, 8, 1, 4}, {9, 8, 2, 5}, {16, 16, 1, 5}} {
				hw := autoHW(g.rows, g.cellBits, 1)
				hw.OUCols = g.cols
				if hw.ADCBits != g.want {
					t.Fatalf("%dx%d cell_bits %d: auto %d bits, want %d", g.rows, g.cols, g.cellBits, hw.ADCBits, g.want)
				}
				for _, o := range mapperSchemes {
					mp, err := mapper.Map(net, hw.Geometry, o)
					if err != nil {
						t.Fatal(err)
					}
					s, err := Simulate(net, mp, hw, Options{Mode: ModeBitSerial})
					if err != nil {
						t.Fatal(err)
					}
					got, _, err := net.RunCodes(x, s.MatMul, 0)
					if err != nil {
						t.Fatal(err)
					}
					var clipped int64
					for _, c := range s.Counted() {
						clipped += c.ADCClipped
					}
					if !slices.Equal(got, gold) || clipped != 0 {
						t.Fatalf("%dx%d cell_bits %d %s/%d: output equals golden %v, %d clipped conversions", g.rows, g.cols, g.cellBits, o.Scheme, o.MaxShare, slices.Equal(got, gold), clipped)
					}
				}
			}
		})
	}
}
