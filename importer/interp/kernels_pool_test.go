package interp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestPool2x2Vector checks the vector 2×2/2 max and average pooling against
// the scalar loops bit for bit, over plane sizes around the 16-output
// vector width (odd and even, with ceil_mode and end padding creating
// partial windows) and values that include NaN, ±0 ties and ±Inf.
func TestPool2x2Vector(t *testing.T) {
	if !useAsmKernel || !useAVX512 {
		t.Skip("no vector pooling kernel on this CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -math.MaxFloat32}
	for _, h := range []int{1, 2, 3, 7, 28} {
		for w := 1; w <= 70; w++ {
			for _, ceil := range []bool{false, true} {
				for _, padEnd := range []int{0, 1} {
					p := ConvParams{KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, Pads: [4]int{0, 0, padEnd, padEnd}, CeilMode: ceil}
					g, err := NewConvGeometry(1, h, w, 1, p)
					if err != nil {
						continue // window larger than the input
					}
					in := make([]float32, h*w)
					for i := range in {
						if r.IntN(5) == 0 {
							in[i] = special[r.IntN(len(special))]
						} else {
							in[i] = float32(r.IntN(7) - 3) // ties
						}
					}
					pp := newPoolPlan(&g)
					for _, op := range []string{"max", "avg", "avg-include-pad"} {
						run := func(vector bool) []float32 {
							saved := useAsmKernel
							useAsmKernel = vector
							defer func() { useAsmKernel = saved }()
							out := make([]float32, g.P())
							switch op {
							case "max":
								pp.maxPlane(in, out)
							default:
								pp.avgPlane(in, out, op == "avg-include-pad")
							}
							return out
						}
						got, want := run(true), run(false)
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
								t.Fatalf("%s %dx%d ceil=%v pad=%d: out[%d] = %v, scalar %v", op, h, w, ceil, padEnd, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestGlobalPoolParallelBits checks GlobalAveragePool and GlobalMaxPool on
// an input large enough to split over the workers (a MobileNet's last
// squeeze-excitation, 960×7×7) against one worker, bit for bit, and the
// average against a plain float64 mean.
func TestGlobalPoolParallelBits(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x := importer.NewFloat([]int{1, 960, 7, 7}, randSlice(r, 960*49))
	for _, op := range []string{"GlobalAveragePool", "GlobalMaxPool"} {
		var serial *importer.Tensor
		for _, procs := range []int{1, 2, 3} {
			restore := setProcs(procs)
			got, err := runOp(t, 13, op, nil, x)
			restore()
			if err != nil {
				t.Fatal(err)
			}
			if serial == nil {
				serial = got
				continue
			}
			if !slices.Equal(got.Float, serial.Float) {
				t.Errorf("%s with %d workers differs from one", op, procs)
			}
		}
		if op == "GlobalAveragePool" {
			for c := range 960 {
				var s float64
				for _, v := range x.Float[c*49 : (c+1)*49] {
					s += float64(v)
				}
				if want := float32(s / 49); serial.Float[c] != want {
					t.Fatalf("channel %d: mean %g, want %g", c, serial.Float[c], want)
				}
			}
		}
	}
}
