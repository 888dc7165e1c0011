package mapper

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/quant"
)

// The bound never exceeds the OU activations of any scheme (at the bound's
// max share; baselines serve one owner per column, so any limit holds for
// them), on random layers of every sparsity, geometry and cell width.
func TestActivationBoundBelowEverySchemeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	geos := append(slices.Clone(testGeometries),
		Geometry{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 2},
		Geometry{XbarRows: 8, XbarCols: 8, OURows: 2, OUCols: 2, CellBits: 1},
		Geometry{XbarRows: 8, XbarCols: 8, OURows: 3, OUCols: 2, CellBits: 2})
	for _, geo := range geos {
		for _, p := range []float64{0, 0.5, 0.8, 0.95} {
			net := randNet(
				randLinear(r, "a", 1+r.IntN(80), 1+r.IntN(30), 1, 8, p),
				randLinear(r, "b", 1+r.IntN(5), 1+r.IntN(2), 2, 2+r.IntN(3), p), // tiny: exact
				structuredLinear(r, "c", 1+r.IntN(40), 1+r.IntN(10), 5),
			)
			for _, share := range []int{0, 1, 2, 3} {
				checkBoundBelowSchemes(t, fmt.Sprintf("%s cell %d p=%.2f share %d", geoName(geo), geo.CellBits, p, share), net, geo, share)
			}
		}
	}
}

func checkBoundBelowSchemes(t *testing.T, where string, net *quant.Network, geo Geometry, share int) []int64 {
	t.Helper()
	var bound []int64
	for _, s := range Schemes() {
		m := mustMap(t, net, geo, Options{Scheme: s.Name(), MaxShare: share})
		if bound == nil {
			at := *m
			at.MaxShare = share // a baseline records 0
			bound = at.ActivationBound()
		}
		per, _ := mustStats(t, m)
		for li, st := range per {
			if st.OUActivations < bound[li] {
				t.Errorf("%s: %s layer %d: %d OU activations below the bound %d", where, s.Name(), li, st.OUActivations, bound[li])
			}
			if st.OUActivationBound != bound[li] && s.UsesMaxShare() {
				t.Errorf("%s: %s layer %d: Stats bound %d, ActivationBound %d", where, s.Name(), li, st.OUActivationBound, bound[li])
			}
		}
	}
	return bound
}

// On tiny groups the bound is the optimum of the packing problem, found
// here by an independent exhaustive search (iterative deepening over
// strips, its own column count), and the two relaxations never exceed it.
func TestActivationBoundExactOnTinyGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 19))
	checked, gap := 0, 0
	defer func() {
		t.Logf("%d tiny groups, %d where the relaxations are below the optimum", checked, gap)
		if checked < 50 || gap == 0 {
			t.Errorf("only %d tiny groups checked", checked)
		}
	}()
	for i := 0; i < 300; i++ {
		cellBits := 1 + r.IntN(2)
		geo := Geometry{XbarRows: 8, XbarCols: 8, OURows: 1 + r.IntN(3), OUCols: 1 + r.IntN(3), CellBits: cellBits}
		bitsW := 2 + r.IntN(2)
		d := Dims{K: 1 + r.IntN(3), N: 1 + r.IntN(2), Bits: bitsW, CellBits: cellBits}
		w := randWeights(r, d.K, d.N, bitsW, r.Float64())
		share := r.IntN(3)
		dig := Digits(bitsW, cellBits)
		if nz := countDigits(w, dig); nz > 7 || d.N*len(dig) > 4 {
			continue
		}
		checked++
		got := ActivationBound(w, d, geo, share)
		want := bruteForcePacking(w, d, dig, geo, share)
		if got != want {
			t.Fatalf("case %d: K=%d N=%d B=%d cell %d OU %dx%d share %d w=%v: bound %d, brute-force optimum %d",
				i, d.K, d.N, bitsW, cellBits, geo.OURows, geo.OUCols, share, w, got, want)
		}
		saved := exactLimit
		exactLimit.pairs = -1 // relaxations only
		relaxed := ActivationBound(w, d, geo, share)
		exactLimit = saved
		if relaxed < want {
			gap++
		}
		if relaxed > want {
			t.Fatalf("case %d: relaxation %d above the optimum %d", i, relaxed, want)
		}
	}
}

func countDigits(w []int32, dig []Digit) int {
	n := 0
	for _, v := range w {
		for _, d := range dig {
			if d.level(v) != 0 {
				n++
			}
		}
	}
	return n
}

// bruteForcePacking: the smallest total OU count t for which some sequence
// of strips covers every nonzero digit, each strip chosen to cover the
// first digit still uncovered (any cover can be reordered so), searched by
// iterative deepening on t; a strip's cost counts its physical columns
// both ways (plain groups, or complement pairs plus a sum column).
func bruteForcePacking(w []int32, d Dims, dig []Digit, geo Geometry, share int) int64 {
	nd := len(dig)
	ncol := d.N * nd
	type cell struct{ k, c int }
	var nz []cell
	lv := func(k, c int) int { return int(dig[c%nd].level(w[k*d.N+c/nd])) }
	for k := 0; k < d.K; k++ {
		for c := 0; c < ncol; c++ {
			if lv(k, c) != 0 {
				nz = append(nz, cell{k, c})
			}
		}
	}
	top := 1<<geo.CellBits - 1
	cost := func(rows, cols []int) int {
		count := func(comp bool) int {
			groups := map[string]int{}
			ones := 0
			for _, c := range cols {
				s, sc, allTop, zero := "", "", true, true
				for _, k := range rows {
					s += fmt.Sprint(lv(k, c), ",")
					sc += fmt.Sprint(top-lv(k, c), ",")
					allTop = allTop && lv(k, c) == top
					zero = zero && lv(k, c) == 0
				}
				switch {
				case zero:
				case comp && allTop:
					ones++
				case comp && sc < s:
					groups[sc]++
				default:
					groups[s]++
				}
			}
			n := 0
			need := func(m int) int {
				if share == 0 {
					return 1
				}
				return (m + share - 1) / share
			}
			for _, m := range groups {
				n += need(m)
			}
			if comp {
				n += max(1, need(max(ones, 1)))
			}
			return n
		}
		return (min(count(false), count(true)) + geo.OUCols - 1) / geo.OUCols
	}
	var search func(covered []bool, budget int) bool
	search = func(covered []bool, budget int) bool {
		first := -1
		for i := range nz {
			if !covered[i] {
				first = i
				break
			}
		}
		if first < 0 {
			return true
		}
		// strips containing the first uncovered digit's row and column
		// rows and columns holding an uncovered digit: a strip needs no
		// other (they only split patterns)
		liveRows, liveCols := 0, 0
		for i, z := range nz {
			if !covered[i] {
				liveRows |= 1 << z.k
				liveCols |= 1 << z.c
			}
		}
		for rs := 1; rs < 1<<d.K; rs++ {
			var rows []int
			for k := 0; k < d.K; k++ {
				if rs&(1<<k) != 0 {
					rows = append(rows, k)
				}
			}
			if len(rows) > geo.OURows || rs&(1<<nz[first].k) == 0 || rs&^liveRows != 0 {
				continue
			}
			for cs := 1; cs < 1<<ncol; cs++ {
				if cs&(1<<nz[first].c) == 0 || cs&^liveCols != 0 {
					continue
				}
				var cols []int
				for c := 0; c < ncol; c++ {
					if cs&(1<<c) != 0 {
						cols = append(cols, c)
					}
				}
				cst := cost(rows, cols)
				if cst > budget {
					continue
				}
				next := slices.Clone(covered)
				for i, z := range nz {
					if rs&(1<<z.k) != 0 && cs&(1<<z.c) != 0 {
						next[i] = true
					}
				}
				if search(next, budget-cst) {
					return true
				}
			}
		}
		return false
	}
	for t := 0; ; t++ {
		if search(make([]bool, len(nz)), t) {
			return int64(t)
		}
	}
}
