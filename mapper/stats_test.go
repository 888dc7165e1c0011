package mapper

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rramc/rramc/quant"
)

func mustMap(t testing.TB, net *quant.Network, geo Geometry, opts Options) *Mapping {
	t.Helper()
	m, err := Map(net, geo, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustStats(t testing.TB, m *Mapping) ([]Stats, Stats) {
	t.Helper()
	per, tot, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return per, tot
}

// invariantNet is a network of layers of varied shape and sparsity.
func invariantNet(r *rand.Rand) *quant.Network {
	var ls []*quant.Linear
	for i, p := range []float64{0, 0.3, 0.5, 0.7, 0.9} {
		ls = append(ls, randLinear(r, fmt.Sprintf("p%d", i), 50+13*i, 16+5*i, 1+i%2, 2+i, p))
	}
	ls = append(ls, structuredLinear(r, "s", 40, 20, 8))
	return randNet(ls...)
}

// TestInvariants: colsim never needs more OU activations than zerocol, which
// never needs more than dense; MaxShare 2 never beats unlimited sharing;
// complement merging and row reordering never need more than colsim.
func TestInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	net := invariantNet(r)
	for _, geo := range testGeometries {
		t.Run(geoName(geo), func(t *testing.T) {
			get := func(scheme string, share int) []Stats {
				per, _ := mustStats(t, mustMap(t, net, geo, Options{Scheme: scheme, MaxShare: share}))
				return per
			}
			dense, zc := get("dense", 0), get("zerocol", 0)
			cs0, cs2 := get("colsim", 0), get("colsim", 2)
			comp0, rr0 := get("colsim-comp", 0), get("rowreorder", 0)
			for i := range dense {
				if dense[i].OUActivations != dense[i].DenseOUActivations || dense[i].Cells != dense[i].DenseCells || dense[i].Crossbars != dense[i].DenseCrossbars {
					t.Errorf("layer %d: dense layout %+v differs from the dense formulas", i, dense[i])
				}
				if zc[i].OUActivations > dense[i].OUActivations {
					t.Errorf("layer %d: zerocol %d > dense %d OU activations", i, zc[i].OUActivations, dense[i].OUActivations)
				}
				if cs0[i].OUActivations > zc[i].OUActivations || cs2[i].OUActivations > zc[i].OUActivations {
					t.Errorf("layer %d: colsim %d/%d > zerocol %d OU activations", i, cs0[i].OUActivations, cs2[i].OUActivations, zc[i].OUActivations)
				}
				if cs2[i].OUActivations < cs0[i].OUActivations || cs2[i].Columns < cs0[i].Columns {
					t.Errorf("layer %d: max share 2 (%d OUs, %d cols) beats unlimited (%d, %d)", i, cs2[i].OUActivations, cs2[i].Columns, cs0[i].OUActivations, cs0[i].Columns)
				}
				if rr0[i].OUActivations > cs0[i].OUActivations {
					t.Errorf("layer %d: rowreorder %d > colsim %d", i, rr0[i].OUActivations, cs0[i].OUActivations)
				}
				// complement merging keeps at most one column more per strip
				// (the sum column) and otherwise merges a superset
				strips := (int64(net.Linears[i].K) + int64(geo.OURows) - 1) / int64(geo.OURows) * int64(net.Linears[i].Groups)
				if comp0[i].Columns > cs0[i].Columns+strips {
					t.Errorf("layer %d: colsim-comp %d columns > colsim %d + %d strips", i, comp0[i].Columns, cs0[i].Columns, strips)
				}
				if zc[i].Merged != 0 || dense[i].Merged != 0 {
					t.Errorf("layer %d: baselines merged columns", i)
				}
			}
		})
	}
}

// TestComplementMerges checks on weights built from complemented prototypes
// that complement merging actually serves columns by their complement.
func TestComplementMerges(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	net := randNet(structuredLinear(r, "s", 90, 30, 8))
	geo := DefaultGeometry()
	_, cs := mustStats(t, mustMap(t, net, geo, Options{Scheme: "colsim"}))
	m := mustMap(t, net, geo, Options{Scheme: "colsim-comp"})
	_, cc := mustStats(t, m)
	comp := 0
	for _, o := range m.Layers[0].Groups[0].Owners {
		if o.Complement {
			comp++
		}
	}
	if comp == 0 || cc.Columns >= cs.Columns {
		t.Errorf("complement merging: %d complement owners, %d columns vs colsim %d", comp, cc.Columns, cs.Columns)
	}
}

// TestStatsCounts checks the counts against values computed by hand for a
// small layer.
func TestStatsCounts(t *testing.T) {
	// K=3, N=2, B=2, OU 2×2: strips {0,1} and {2}.
	// weights (two's complement 2-bit): rows [1,-1], [1,0], [0,-2]
	// bits (n,i) columns: c0=(0,0) c1=(0,1) c2=(1,0) c3=(1,1)
	// row0: w=1 -> 01, w=-1 -> 11  => c0=1 c1=0 c2=1 c3=1
	// row1: w=1 -> 01, w=0         => c0=1 c1=0 c2=0 c3=0
	// row2: w=0,    w=-2 -> 10     => c0=0 c1=0 c2=0 c3=1
	l := &quant.Linear{Name: "x", K: 3, N: 2, Groups: 1, WBits: 2, Weights: [][]int32{{1, -1, 1, 0, 0, -2}}}
	geo := Geometry{XbarRows: 4, XbarCols: 4, OURows: 2, OUCols: 2, CellBits: 1}
	cases := []struct {
		scheme                         string
		cols, cells, ous, xbars, index int64
		merged                         int64
	}{
		// both strips lie in one 4×4 crossbar (2 strips and 2 OUs per tile)
		// dense: 2 strips × 4 cols; cells 2·4 + 1·4
		{"dense", 8, 12, 4, 1, 0, 0},
		// zerocol: strip0 {c0=11, c2=10, c3=10}, strip1 {c3=1}; index 3 cols... 4 cols × log2(4)=2
		{"zerocol", 4, 7, 3, 1, 8, 0},
		// colsim: strip0 groups {c0}, {c2,c3}; strip1 {c3}; owners 4 × (1+1+2)
		{"colsim", 3, 5, 2, 1, 16, 1},
		// sre: col group {c0,c1}: rows 0,1 -> 1 OU 2×2; group {c2,c3}: rows 0,2 -> 1 OU 2×2;
		// index 4 row entries × ceil(log2 3)=2
		{"sre", 4, 8, 2, 1, 8, 0},
	}
	for _, c := range cases {
		m := mustMap(t, randNet(l), geo, Options{Scheme: c.scheme})
		per, tot := mustStats(t, m)
		s := per[0]
		if s.Columns != c.cols || s.Cells != c.cells || s.OUActivations != c.ous || s.Crossbars != c.xbars || s.IndexBits != c.index || s.Merged != c.merged {
			t.Errorf("%s: got cols %d cells %d ous %d xbars %d index %d merged %d, want %+v", c.scheme, s.Columns, s.Cells, s.OUActivations, s.Crossbars, s.IndexBits, s.Merged, c)
		}
		if s.Bits != 12 || s.ZeroBits != 7 || tot.Cells != s.Cells || s.DenseCells != 12 || s.DenseOUActivations != 4 {
			t.Errorf("%s: bits %d zero %d dense cells %d dense ous %d", c.scheme, s.Bits, s.ZeroBits, s.DenseCells, s.DenseOUActivations)
		}
	}
}

// TestStripStatistics measures, on i.i.d. random bits where a share p of the
// weights is zero, the rate of all-zero strip columns and of identical
// column pairs (columns of two different outputs, same bit) and compares
// them with (0.5+0.5p)^h and (0.5+0.5p²)^h. The tolerance is 5 binomial
// standard deviations with the effective sample size of independent units:
// the B columns of one weight column are correlated (they share the zero
// weights), so only strips × N (zero rate) and strips × N/2 (pairs)
// independent units are counted.
func TestStripStatistics(t *testing.T) {
	r := rand.New(rand.NewPCG(2025, 11))
	const k, n, bits = 2700, 256, 8
	hs, ps := []int{1, 2, 4, 9}, []float64{0, 0.3, 0.5, 0.7, 0.9}
	if testing.Short() {
		hs, ps = []int{2, 9}, []float64{0, 0.5, 0.9}
	}
	for _, h := range hs {
		for _, p := range ps {
			l := randLinear(r, "s", k, n, 1, bits, p)
			geo := Geometry{XbarRows: 128, XbarCols: 128, OURows: h, OUCols: 8, CellBits: 1}
			// zero rate from the zerocol mapping: dropped strip columns
			m := mustMap(t, randNet(l), geo, Options{Scheme: "zerocol"})
			strips := k / h
			total := float64(strips * n * bits)
			zero := (total - float64(m.Layers[0].Groups[0].Columns())) / total
			// identical pairs (2m, i) vs (2m+1, i) from the strip patterns
			words := geo.words()
			pat := make([]uint64, n*bits*words)
			rows := make([]int32, 0, h)
			same := 0
			for s := 0; s < strips; s++ {
				rows = contiguous(rows, s*h, s*h+h)
				stripPatterns(l.Weights[0], n, bits, rows, words, pat)
				for j := 0; j < n; j += 2 {
					for i := 0; i < bits; i++ {
						a, b := (j*bits+i)*words, ((j+1)*bits+i)*words
						if equalWords(pat[a:a+words], pat[b:b+words]) {
							same++
						}
					}
				}
			}
			pairs := float64(strips * n / 2 * bits)
			pair := float64(same) / pairs
			wantZero := math.Pow(0.5+0.5*p, float64(h))
			wantPair := math.Pow(0.5+0.5*p*p, float64(h))
			tolZero := 5 * math.Sqrt(wantZero*(1-wantZero)/float64(strips*n))
			tolPair := 5 * math.Sqrt(wantPair*(1-wantPair)/float64(strips*n/2))
			t.Logf("h=%d p=%.1f: zero %.5f (want %.5f ± %.5f), pairs %.5f (want %.5f ± %.5f)", h, p, zero, wantZero, tolZero, pair, wantPair, tolPair)
			if math.Abs(zero-wantZero) > tolZero+1e-12 {
				t.Errorf("h=%d p=%.1f: all-zero column rate %.5f, want %.5f ± %.5f", h, p, zero, wantZero, tolZero)
			}
			if math.Abs(pair-wantPair) > tolPair+1e-12 {
				t.Errorf("h=%d p=%.1f: identical pair rate %.5f, want %.5f ± %.5f", h, p, pair, wantPair, tolPair)
			}
		}
	}
}

// TestRowReorderGroupsRows: rows alternate between two disjoint output
// supports, so identity strips mix them while a good permutation separates
// them; rowreorder must find a layout with fewer OU activations than colsim
// and still reconstruct exactly.
func TestRowReorderGroupsRows(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const k, n, bits = 90, 32, 4
	w := make([]int32, k*n)
	for kk := 0; kk < k; kk++ {
		for j := 0; j < n; j++ {
			if (j < n/2) == (kk%2 == 0) {
				w[kk*n+j] = r.Int32N(16) - 8
			}
		}
	}
	l := &quant.Linear{Name: "alt", K: k, N: n, Groups: 1, WBits: bits, Weights: [][]int32{w}}
	geo := Geometry{XbarRows: 64, XbarCols: 64, OURows: 4, OUCols: 8, CellBits: 1}
	_, cs := mustStats(t, mustMap(t, randNet(l), geo, Options{Scheme: "colsim", MaxShare: 2}))
	m := mustMap(t, randNet(l), geo, Options{Scheme: "rowreorder", MaxShare: 2})
	_, rr := mustStats(t, m)
	if err := m.Verify(); err != nil {
		t.Fatal(err)
	}
	if rr.OUActivations >= cs.OUActivations {
		t.Errorf("rowreorder %d OU activations, colsim %d: the permutation did not help", rr.OUActivations, cs.OUActivations)
	}
	if rr.IndexBits < int64(k)*bitsFor(k) {
		t.Errorf("rowreorder index %d bits does not count the permutation", rr.IndexBits)
	}
	t.Logf("colsim %d OU act, rowreorder %d", cs.OUActivations, rr.OUActivations)
}
