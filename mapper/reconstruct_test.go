package mapper

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/quant"
)

// TestReconstructExact checks, for every scheme and for 1- and 2-bit cells,
// that the physical layout alone rebuilds every weight matrix exactly, over
// random matrices of varied sparsity and shapes that are not multiples of
// the OU. 2-bit cells add B = 2..8 (odd and even), 1-row and 1-column
// layers, every test geometry (including 2-word planes) and max shares
// 0..3, and check the plane words per column.
func TestReconstructExact(t *testing.T) {
	type shape struct{ k, n, groups, bits int }
	shapes := []shape{{1, 1, 1, 2}, {1, 7, 1, 8}, {13, 1, 1, 3}, {10, 3, 2, 4}, {37, 11, 1, 8}, {130, 17, 1, 5}, {65, 9, 3, 6}, {9, 8, 1, 7}}
	type structured struct {
		name     string
		k, n, wb int
	}
	sparsities := []float64{0, 0.3, 0.7, 0.95, 1}
	for _, cc := range []struct {
		cellBits int
		seed     uint64
		shapes   []shape
		structs  []structured
	}{
		{1, 1, shapes, []structured{{"struct", 50, 12, 4}}},
		{2, 21, append(slices.Clone(shapes), shape{20, 5, 1, 2}), []structured{{"struct", 50, 12, 4}, {"struct8", 31, 9, 8}}},
	} {
		r := rand.New(rand.NewPCG(cc.seed, 2))
		for _, g1 := range testGeometries {
			geo := g1
			geo.CellBits = cc.cellBits
			var ls []*quant.Linear
			for si, s := range cc.shapes {
				for pi, p := range sparsities {
					ls = append(ls, randLinear(r, fmt.Sprintf("l%d_%d", si, pi), s.k, s.n, s.groups, s.bits, p))
				}
			}
			for _, s := range cc.structs {
				ls = append(ls, structuredLinear(r, s.name, s.k, s.n, s.wb))
			}
			net := randNet(ls...)
			for _, name := range SchemeNames() {
				for _, share := range []int{0, 1, 2, 3} {
					if share > 0 && !UsesMaxShare(name) {
						continue
					}
					t.Run(fmt.Sprintf("cells%d/%s/%s/share%d", cc.cellBits, geoName(geo), name, share), func(t *testing.T) {
						m, err := Map(net, geo, Options{Scheme: name, MaxShare: share, Window: 5})
						if err != nil {
							t.Fatal(err)
						}
						if err := m.Verify(); err != nil {
							t.Fatal(err)
						}
						checkShare(t, m, share)
						for _, lm := range m.Layers {
							for _, g := range lm.Groups {
								if g.Words != cc.cellBits*geo.rowWords() {
									t.Fatalf("%d words per column, want %d", g.Words, cc.cellBits*geo.rowWords())
								}
							}
						}
					})
				}
			}
		}
	}
}

// checkShare checks the owner bound of every physical column.
func checkShare(t *testing.T, m *Mapping, share int) {
	t.Helper()
	for li, lm := range m.Layers {
		for gi, g := range lm.Groups {
			for c := 0; c < g.Columns(); c++ {
				n := int(g.OwnerStart[c+1] - g.OwnerStart[c])
				if share > 0 && n > share {
					t.Fatalf("layer %d group %d column %d: %d owners > max share %d", li, gi, c, n, share)
				}
			}
		}
	}
}

// TestReconstructDetectsChange makes sure Verify is not vacuous: flipping
// one stored cell or one owner changes the rebuilt matrix.
func TestReconstructDetectsChange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	net := randNet(randLinear(r, "a", 40, 10, 1, 8, 0.5))
	for _, name := range SchemeNames() {
		m, err := Map(net, DefaultGeometry(), Options{Scheme: name})
		if err != nil {
			t.Fatal(err)
		}
		g := m.Layers[0].Groups[0]
		g.ColBits[0] ^= 1
		if err := m.Verify(); err == nil {
			t.Errorf("%s: flipped cell not detected", name)
		}
		g.ColBits[0] ^= 1
		c := 0 // a column with a set cell and an owner, so that moving it matters
		for isZero(g.ColBits[c*g.Words:(c+1)*g.Words]) || g.OwnerStart[c] == g.OwnerStart[c+1] {
			c++
		}
		o := &g.Owners[g.OwnerStart[c]]
		o.Out = (o.Out + 1) % 10
		if err := m.Verify(); err == nil {
			t.Errorf("%s: changed owner not detected", name)
		}
	}
}

// TestColsimMatchesBruteForce compares the number of kept columns of every
// strip with a brute-force count of distinct nonzero patterns (unlimited
// share) and ceil(group size / share) per pattern.
func TestColsimMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	geo := Geometry{XbarRows: 64, XbarCols: 64, OURows: 4, OUCols: 8, CellBits: 1}
	l := randLinear(r, "a", 23, 13, 1, 4, 0.6)
	for _, share := range []int{0, 2, 3} {
		m, err := Map(randNet(l), geo, Options{Scheme: "colsim", MaxShare: share})
		if err != nil {
			t.Fatal(err)
		}
		bitsOf := make([]func(int32) byte, l.WBits)
		for i := range bitsOf {
			bitsOf[i] = func(w int32) byte { return byte(uint32(w) >> i & 1) }
		}
		want := colsimBruteForce(l, 4, share, bitsOf)
		if got := m.Layers[0].Groups[0].Columns(); got != want {
			t.Errorf("share %d: %d kept columns, brute force %d", share, got, want)
		}
	}
}

// colsimBruteForce counts the columns colsim keeps for l (group 0) with
// strips of h rows and the given max share: per strip, the distinct
// nonzero patterns of cell values, over every output and every cell
// function of a weight (its bits, or its digits' levels), each pattern
// once (unlimited share) or ceil(group size / share) times.
func colsimBruteForce(l *quant.Linear, h, share int, cells []func(int32) byte) int {
	want := 0
	for s := 0; s*h < l.K; s++ {
		groups := map[string]int{}
		for n := 0; n < l.N; n++ {
			for _, cell := range cells {
				var key []byte
				zero := true
				for k := s * h; k < min(s*h+h, l.K); k++ {
					v := cell(l.Weights[0][k*l.N+n])
					zero = zero && v == 0
					key = append(key, v)
				}
				if !zero {
					groups[string(key)]++
				}
			}
		}
		for _, c := range groups {
			if share == 0 {
				want++
			} else {
				want += (c + share - 1) / share
			}
		}
	}
	return want
}

// TestDeterministic maps with 1 and 2 workers and compares the layouts.
func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	net := randNet(randLinear(r, "a", 100, 20, 1, 8, 0.5), randLinear(r, "b", 30, 40, 2, 4, 0.2), randLinear(r, "c", 7, 3, 1, 8, 0))
	for _, name := range SchemeNames() {
		a, err := Map(net, DefaultGeometry(), Options{Scheme: name, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Map(net, DefaultGeometry(), Options{Scheme: name, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		for li := range a.Layers {
			for gi := range a.Layers[li].Groups {
				x, y := a.Layers[li].Groups[gi], b.Layers[li].Groups[gi]
				if !slices.Equal(x.ColBits, y.ColBits) || !slices.Equal(x.Owners, y.Owners) || !slices.Equal(x.OUs, y.OUs) || !slices.Equal(x.RowIdx, y.RowIdx) {
					t.Fatalf("%s: layer %d group %d differs between 1 and 2 workers", name, li, gi)
				}
			}
		}
	}
}
