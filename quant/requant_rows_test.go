package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rramc/rramc/importer/onnx"
)

// TestRequantRowsMatchesApply checks the tiled, branch-free requantisation of
// the fused Conv path against the element-wise definition
// clamp32(sat32(apply64(acc+bias))) on random and extreme accumulators,
// shift 0, saturating multipliers and row counts around the tile size.
func TestRequantRowsMatchesApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 8))
	cases := []struct {
		name         string
		rows, n, ldc int
		lo, hi       int32
		ties         bool // M0 = 1, small shifts and accumulators: every remainder, exact halves included
	}{
		{"relu_u8_tile_edge", requantTile + 1, 5, 16, 0, 255, false},
		{"signed_s8_short", 3, 17, 32, -128, 127, false},
		{"wide_range_many_tiles", 3*requantTile + 7, 32, 32, math.MinInt32, math.MaxInt32, false},
		{"single_code", 10, 3, 4, 7, 7, false},
		{"round_half_to_even", 2*requantTile + 3, 4, 4, -1000, 1000, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acc := make([]int32, tc.rows*tc.ldc)
			for i := range acc {
				if tc.ties {
					acc[i] = rng.Int32N(129) - 64
					continue
				}
				switch rng.IntN(8) {
				case 0:
					acc[i] = math.MaxInt32
				case 1:
					acc[i] = math.MinInt32
				default:
					acc[i] = rng.Int32N(1<<20) - 1<<19
				}
			}
			mults := make([]Multiplier, tc.n)
			biases := make([]int64, tc.n)
			for ch := range mults {
				switch ch % 4 {
				case 0:
					mults[ch] = Multiplier{M0: rng.Int32N(1 << 16), Shift: 0}
				case 1:
					mults[ch] = Multiplier{M0: math.MaxInt32, Shift: uint8(1 + rng.IntN(62))}
				default:
					mults[ch] = NewMultiplier(rng.Float64() * 0.01)
				}
				biases[ch] = rng.Int64N(1<<24) - 1<<23
				if tc.ties {
					mults[ch], biases[ch] = Multiplier{M0: 1, Shift: uint8(ch + 1)}, 0
				}
			}
			got := make([]int32, tc.n*tc.rows)
			requantRows(acc, tc.ldc, tc.rows, mults, biases, tc.lo, tc.hi, got)
			for p := 0; p < tc.rows; p++ {
				for ch := 0; ch < tc.n; ch++ {
					want := clamp32(sat32(mults[ch].apply64(int64(acc[p*tc.ldc+ch])+biases[ch])), tc.lo, tc.hi)
					if g := got[ch*tc.rows+p]; g != want {
						t.Fatalf("row %d channel %d (acc %d, bias %d, %+v): got %d, want %d", p, ch, acc[p*tc.ldc+ch], biases[ch], mults[ch], g, want)
					}
				}
			}
		})
	}
}

// TestFusedConvEqualsNaiveOnRealModels runs the trained Conv models through
// the fused byte path (im2colBytes, VNNI GEMM, requantRows) and through the
// generic path fed by a naive triple-loop GEMM: every output code of a few
// MNIST images must agree (real layer shapes: padding, stride, channel
// counts the toy models do not have).
func TestFusedConvEqualsNaiveOnRealModels(t *testing.T) {
	naive := func(l *Linear, g int, x []int32, m int, out []int32) error {
		for i, v := range naiveGEMM(x, m, l.K, l.Weights[g], l.N) {
			out[i] = int32(v)
		}
		return nil
	}
	for _, name := range []string{"lenet5", "resnet_small"} {
		t.Run(name, func(t *testing.T) {
			var rm realModel
			for _, r := range realModels(t) {
				if r.name == name {
					rm = r
				}
			}
			if rm.path == "" {
				t.Skipf("model %s not available", name)
			}
			m, err := onnx.Load(rm.path)
			if err != nil {
				t.Fatal(err)
			}
			x, calib, _ := mnistFor(t, m, rm, 6, 64)
			cfg := DefaultConfig()
			cfg.Calib = 64
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := net.RunCodes(x, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := net.RunCodes(x, naive, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(b) {
				t.Fatalf("%d fused codes, %d naive", len(a), len(b))
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("output code %d: fused %d, naive %d", i, a[i], b[i])
				}
			}
		})
	}
}
