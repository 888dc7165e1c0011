package hwsim

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rramc/rramc/mapper"
)

// ComputesGolden holds for every scheme of the mapper on the test models
// under lossless ideal hardware, and then the simulated output codes are
// the golden model's and InferenceCounts equals the counts of a simulated
// run divided by its images; it fails for a lossy ADC, the bit-serial
// mode, stuck cells and a mapping with one cell flipped.
func TestComputesGolden(t *testing.T) {
	const images = 12
	paths := testModels(t)
	if testing.Short() {
		paths = paths[:1]
	}
	for _, path := range paths {
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
			hw := Defaults()
			for _, scheme := range mapper.SchemeNames() {
				for _, share := range []int{2, 0} {
					name := fmt.Sprintf("%s/%d", scheme, share)
					mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: scheme, MaxShare: share})
					if err != nil {
						t.Fatal(err)
					}
					s, err := Simulate(net, mp, hw, Options{})
					if err != nil {
						t.Fatal(err)
					}
					if !s.ComputesGolden() {
						t.Fatalf("%s: lossless ideal hardware, exact mapping: ComputesGolden false", name)
					}
					got, _, err := net.RunCodes(x, s.MatMul, 0)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, gold) {
						t.Fatalf("%s: ComputesGolden, but the outputs differ from the golden model's", name)
					}
					ran, err := s.PerImage(s.Counted(), images)
					if err != nil {
						t.Fatal(err)
					}
					inf, err := s.InferenceCounts()
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(ran, inf) {
						t.Fatalf("%s: InferenceCounts\n%+v\nsimulated run / images\n%+v", name, inf, ran)
					}
				}
			}

			mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: "colsim", MaxShare: 2})
			if err != nil {
				t.Fatal(err)
			}
			lossy := hw.Clone()
			lossy.SetADCBits(3)
			stuck := hw.Clone()
			stuck.StuckAt1Rate = 0.01
			for _, c := range []struct {
				name string
				hw   HW
				opts Options
			}{{"3-bit ADC", lossy, Options{}}, {"bit-serial mode", hw, Options{Mode: ModeBitSerial}}, {"stuck at 1", stuck, Options{}}} {
				s, err := Simulate(net, mp, c.hw, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				if s.ComputesGolden() {
					t.Errorf("%s: ComputesGolden true", c.name)
				}
			}
			// One cell flipped: the fast path still applies, the folded
			// matrix no longer equals the weights.
			gm := mp.Layers[0].Groups[0]
			gm.ColBits[0] ^= 1
			s, err := Simulate(net, mp, hw, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.ComputesGolden() {
				t.Error("a flipped cell: ComputesGolden true")
			}
		})
	}
}
