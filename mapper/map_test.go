package mapper

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/quant"
)

// TestMapErrors: bad geometry, scheme, options and layers give errors that
// name the problem (and the layer), never a panic.
func TestMapErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	good := func() *quant.Linear { return randLinear(r, "conv7", 10, 4, 1, 4, 0.5) }
	geo := DefaultGeometry()
	cases := []struct {
		name string
		net  *quant.Network
		geo  Geometry
		opts Options
		want string
	}{
		{"nil net", nil, geo, Options{Scheme: "dense"}, "nil network"},
		{"zero crossbar", randNet(good()), Geometry{0, 128, 9, 8, 1}, Options{Scheme: "dense"}, "must be positive"},
		{"zero OU", randNet(good()), Geometry{128, 128, 9, 0, 1}, Options{Scheme: "dense"}, "must be positive"},
		{"OU too tall", randNet(good()), Geometry{16, 16, 17, 8, 1}, Options{Scheme: "dense"}, "does not fit"},
		{"OU too wide", randNet(good()), Geometry{16, 16, 8, 32, 1}, Options{Scheme: "dense"}, "does not fit"},
		{"huge crossbar", randNet(good()), Geometry{1 << 20, 16, 8, 8, 1}, Options{Scheme: "dense"}, "larger than"},
		{"3-bit cells", randNet(good()), Geometry{128, 128, 9, 8, 3}, Options{Scheme: "dense"}, "bits per cell"},
		{"unknown scheme", randNet(good()), geo, Options{Scheme: "magic"}, `unknown scheme "magic"`},
		{"negative share", randNet(good()), geo, Options{Scheme: "colsim", MaxShare: -1}, "max share"},
		{"weight out of range", randNet(func() *quant.Linear { l := good(); l.Weights[0][5] = 8; return l }()), geo, Options{Scheme: "colsim"}, `"conv7"`},
		{"short weights", randNet(func() *quant.Linear { l := good(); l.Weights[0] = l.Weights[0][:3]; return l }()), geo, Options{Scheme: "zerocol"}, "3 weights"},
		{"missing group", randNet(func() *quant.Linear { l := good(); l.Groups = 2; return l }()), geo, Options{Scheme: "sre"}, "weight groups"},
		{"bad bits", randNet(func() *quant.Linear { l := good(); l.WBits = 1; return l }()), geo, Options{Scheme: "dense"}, "weight bits"},
		{"nil layer", &quant.Network{Linears: []*quant.Linear{nil}}, geo, Options{Scheme: "dense"}, "nil layer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Map(c.net, c.geo, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestCrossbarPlacement checks the crossbar numbering of a dense layer that
// spans several row and column tiles against the tiling rule of doc.go.
func TestCrossbarPlacement(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	// K=300 with h=9: 34 strips, 14 per row tile -> 3 row tiles.
	// N·B=512 columns, w=8: 64 OUs per strip, 16 per column tile -> 4 tiles.
	m := mustMap(t, randNet(randLinear(r, "a", 300, 64, 1, 8, 0.3)), DefaultGeometry(), Options{Scheme: "dense"})
	g := m.Layers[0].Groups[0]
	if g.Crossbars != 12 {
		t.Fatalf("%d crossbars, want 12", g.Crossbars)
	}
	for i, ou := range g.OUs {
		strip, j := i/64, i%64
		want := int32(strip/14*4 + j/16)
		if ou.Crossbar != want || ou.RowStart != int32(strip*9) || ou.ColStart != int32(i*8) {
			t.Fatalf("OU %d: crossbar %d rows %d cols %d, want crossbar %d rows %d cols %d", i, ou.Crossbar, ou.RowStart, ou.ColStart, want, strip*9, i*8)
		}
	}
	// the same layer with colsim: every OU's crossbar still follows its
	// strip's row tile, and no crossbar holds more OU slots than it has
	m = mustMap(t, randNet(randLinear(r, "a", 300, 64, 1, 8, 0.9)), DefaultGeometry(), Options{Scheme: "colsim"})
	g = m.Layers[0].Groups[0]
	slots := map[[2]int32]int{} // (crossbar, row start) -> OUs
	for _, ou := range g.OUs {
		slots[[2]int32{ou.Crossbar, ou.RowStart}]++
	}
	for k, n := range slots {
		if n > 16 {
			t.Errorf("crossbar %d rows %d: %d OUs in 16 slots", k[0], k[1], n)
		}
	}
}

// TestCrossbarNumberingPaths checks that the sorted numbering used for huge
// tile grids gives the same crossbars as the flat one.
func TestCrossbarNumberingPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	net := randNet(randLinear(r, "a", 200, 30, 1, 8, 0.7), randLinear(r, "b", 50, 100, 2, 4, 0.3))
	geo := Geometry{XbarRows: 20, XbarCols: 24, OURows: 6, OUCols: 5, CellBits: 1}
	for _, name := range SchemeNames() {
		a := mustMap(t, net, geo, Options{Scheme: name})
		old := tileGridLimit
		tileGridLimit = 0
		b := mustMap(t, net, geo, Options{Scheme: name})
		tileGridLimit = old
		for li := range a.Layers {
			for gi := range a.Layers[li].Groups {
				x, y := a.Layers[li].Groups[gi], b.Layers[li].Groups[gi]
				if x.Crossbars != y.Crossbars || !slices.Equal(x.OUs, y.OUs) {
					t.Fatalf("%s layer %d group %d: numbering differs (%d vs %d crossbars)", name, li, gi, x.Crossbars, y.Crossbars)
				}
			}
		}
	}
}
