package mapper

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/quant"
)

// checkNeverWorse maps net with sre, colsim and sre-colsim (same max share)
// and requires, per layer, no more OU activations than either and an exact
// reconstruction. It returns the per-layer activations of the three.
func checkNeverWorse(t *testing.T, where string, net *quant.Network, geo Geometry, share int) (sre, col, hyb []int64) {
	t.Helper()
	ous := func(scheme string) []int64 {
		m := mustMap(t, net, geo, Options{Scheme: scheme, MaxShare: share})
		if scheme == "sre-colsim" {
			if err := m.Verify(); err != nil {
				t.Fatalf("%s: sre-colsim does not reconstruct: %v", where, err)
			}
		}
		per, _ := mustStats(t, m)
		var out []int64
		for _, s := range per {
			out = append(out, s.OUActivations)
		}
		return out
	}
	sre, col, hyb = ous("sre"), ous("colsim"), ous("sre-colsim")
	for i := range hyb {
		if hyb[i] > sre[i] || hyb[i] > col[i] {
			t.Errorf("%s layer %d: sre-colsim %d OU activations, sre %d, colsim/%d %d", where, i, hyb[i], sre[i], share, col[i])
		}
	}
	return sre, col, hyb
}

// sre-colsim never needs more OU activations than sre or than colsim with
// the same max share, on random layers of every sparsity, geometry and
// cell width, and rebuilds the weights exactly.
func TestSreColsimNeverWorseRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	geos := append(slices.Clone(testGeometries),
		Geometry{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 2},
		Geometry{XbarRows: 64, XbarCols: 32, OURows: 5, OUCols: 4, CellBits: 2})
	better := 0
	for _, geo := range geos {
		for _, p := range []float64{0, 0.3, 0.6, 0.8, 0.95} {
			net := randNet(
				randLinear(r, "a", 1+r.IntN(120), 1+r.IntN(40), 1, 8, p),
				randLinear(r, "b", 1+r.IntN(60), 1+r.IntN(20), 2, 2+r.IntN(7), p),
				structuredLinear(r, "c", 1+r.IntN(50), 1+r.IntN(12), 6),
			)
			for _, share := range []int{0, 2, 3} {
				sre, col, hyb := checkNeverWorse(t, fmt.Sprintf("%s cell %d p=%.2f share %d", geoName(geo), geo.CellBits, p, share), net, geo, share)
				for i := range hyb {
					if hyb[i] < min(sre[i], col[i]) {
						better++
					}
				}
			}
		}
	}
	// not a requirement per layer, but the combination must pay somewhere
	if better == 0 {
		t.Error("sre-colsim never beat both sre and colsim")
	}
	t.Logf("%d layers where sre-colsim beats both", better)
}

// The same on the trained test models, pruned 0, 0.5 and 0.9, pairs and
// unlimited sharing.
func TestSreColsimNeverWorseModels(t *testing.T) {
	prunes := []float64{0, 0.5, 0.9}
	if testing.Short() {
		prunes = []float64{0.5}
	}
	forTrainedNets(t, prunes, func(t *testing.T, prune float64, net *quant.Network) {
		for _, share := range []int{2, 0} {
			sre, col, hyb := checkNeverWorse(t, fmt.Sprintf("prune %.1f share %d", prune, share), net, DefaultGeometry(), share)
			var s, c, h int64
			for i := range hyb {
				s, c, h = s+sre[i], c+col[i], h+hyb[i]
			}
			t.Logf("prune %.1f share %d: OU activations sre %d colsim %d sre-colsim %d", prune, share, s, c, h)
		}
	})
}
