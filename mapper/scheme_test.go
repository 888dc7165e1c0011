package mapper

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/quant"
)

// Every registered scheme describes itself: a name, a summary, a rank of
// its own; the listings derive from the schemes and keep the order the
// sweep and the tables were built on.
func TestSchemeRegistry(t *testing.T) {
	if got, want := SchemeNames(), []string{"dense", "zerocol", "sre", "colsim", "colsim-comp", "rowreorder"}; !slices.Equal(got[:len(want)], want) {
		t.Errorf("SchemeNames() = %v, want it to start with %v", got, want)
	}
	if got, want := Baselines(), []string{"dense", "zerocol", "sre"}; !slices.Equal(got, want) {
		t.Errorf("Baselines() = %v, want %v", got, want)
	}
	for _, s := range Schemes() {
		if s.Summary() == "" || s.Name() == "" {
			t.Errorf("scheme %q: empty name or summary", s.Name())
		}
		if IsBaseline(s.Name()) != s.Baseline() || UsesMaxShare(s.Name()) != s.UsesMaxShare() {
			t.Errorf("%s: IsBaseline/UsesMaxShare disagree with the scheme", s.Name())
		}
		if s.Baseline() && s.UsesMaxShare() {
			t.Errorf("%s: a baseline is run once, without a max-share limit", s.Name())
		}
		o, err := s.Canonical(Options{Scheme: s.Name(), MaxShare: 3})
		if err != nil {
			t.Fatal(err)
		}
		if (o.MaxShare == 3) != s.UsesMaxShare() {
			t.Errorf("%s: Canonical kept max share %d (uses it: %v)", s.Name(), o.MaxShare, s.UsesMaxShare())
		}
	}
	if IsBaseline("no-such-scheme") || UsesMaxShare("no-such-scheme") {
		t.Error("an unknown scheme is a baseline or uses max-share")
	}
	// register refuses what would make a listing ambiguous
	for _, c := range []struct {
		s    Scheme
		want string
	}{
		{dense{about{name: "", summary: "x", order: 1}}, "must be non-empty"},
		{dense{about{name: "a b", summary: "x", order: 1}}, "without spaces"},
		{dense{about{name: "new", order: 1}}, "no summary"},
		{dense{about{name: "colsim", summary: "x", order: 1}}, "registered twice"},
		{dense{about{name: "new", summary: "x", order: schemes["sre"].rank()}}, "same rank"},
		{nil, "nil scheme"},
	} {
		if err := checkScheme(c.s, schemes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("checkScheme(%v) = %v, want an error containing %q", c.s, err, c.want)
		}
	}
	if err := checkScheme(dense{about{name: "new", summary: "x", order: 1}}, schemes); err != nil {
		t.Errorf("a well-formed scheme is refused: %v", err)
	}
}

// Map records the options as the scheme canonicalizes them: the window
// only for rowreorder (DefaultWindow when 0), max share only for the
// schemes that use it.
func TestMapCanonicalOptions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	net := randNet(randLinear(r, "a", 20, 5, 1, 4, 0.3))
	for _, s := range Schemes() {
		m := mustMap(t, net, DefaultGeometry(), Options{Scheme: s.Name(), MaxShare: 2, Window: 0})
		want, err := s.Canonical(Options{Scheme: s.Name(), MaxShare: 2})
		if err != nil {
			t.Fatal(err)
		}
		if m.MaxShare != want.MaxShare || m.Window != want.Window {
			t.Errorf("%s: mapping records max share %d window %d, want %d %d", s.Name(), m.MaxShare, m.Window, want.MaxShare, want.Window)
		}
	}
	if m := mustMap(t, net, DefaultGeometry(), Options{Scheme: "rowreorder"}); m.Window != DefaultWindow {
		t.Errorf("rowreorder window %d, want %d", m.Window, DefaultWindow)
	}
	if m := mustMap(t, net, DefaultGeometry(), Options{Scheme: "colsim", Window: 5}); m.Window != 0 {
		t.Errorf("colsim recorded window %d", m.Window)
	}
}

// Every scheme's index model is checked against what its layouts need,
// counted by brute force from the GroupMap alone:
//   - an OU that reads no owner entry holds one aligned column group of
//     the dense bit-sliced matrix with plain owners (its position tells
//     each column's output and shift); otherwise it reads one entry per
//     owner of its columns;
//   - an OU that reads no input entry drives an ascending run of rows, or
//     the group has a whole input permutation (read per vector, K entries)
//     and the OU's rows are a run of it; otherwise it reads one entry per
//     wordline;
//   - an owner entry has room for an output and a digit position, plus one
//     bit for every flag the layout uses (several owners per column, a
//     complement, a sign the position does not imply); an input entry for
//     ceil(log2 K) bits;
//   - the storage holds every entry an OU reads once, and the permutation.
func TestIndexModelsAgainstLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	geos := append(slices.Clone(testGeometries[:5]), Geometry{XbarRows: 64, XbarCols: 32, OURows: 5, OUCols: 4, CellBits: 2})
	for _, geo := range geos {
		for _, p := range []float64{0, 0.5, 0.9} {
			ls := []*quant.Linear{
				randLinear(r, "a", 40, 7, 1, 8, p),
				randLinear(r, "b", 13, 3, 2, 4, p),
				structuredLinear(r, "c", 30, 6, 6),
			}
			net := randNet(ls...)
			for _, s := range Schemes() {
				for _, share := range []int{0, 2} {
					m := mustMap(t, net, geo, Options{Scheme: s.Name(), MaxShare: share})
					for li, lm := range m.Layers {
						l := net.Linears[li]
						d := Dims{K: l.K, N: l.N, Bits: l.WBits, CellBits: geo.CellBits}
						for gi, g := range lm.Groups {
							where := fmt.Sprintf("%s/%d %s p=%.1f layer %d group %d", s.Name(), share, geoName(geo), p, li, gi)
							checkIndexModel(t, where, g, d, geo, s.Index(g, d))
						}
					}
				}
			}
		}
	}
}

func checkIndexModel(t *testing.T, where string, g *GroupMap, d Dims, geo Geometry, x Index) {
	t.Helper()
	nd := d.digits()
	// flags the layout uses
	multi, comp, oddNeg := false, false, false
	for c := 0; c < g.Columns(); c++ {
		multi = multi || g.OwnerStart[c+1]-g.OwnerStart[c] > 1
	}
	for _, o := range g.Owners {
		comp = comp || o.Complement
		oddNeg = oddNeg || o.Negate != (int(o.Bit) == d.Bits-1)
	}
	perm := isPermutation(g.RowIdx, d.K) && x.PermEntries == int64(d.K)
	if x.PermEntries != 0 && !perm {
		t.Fatalf("%s: %d permutation entries, but RowIdx is not a permutation of the %d rows", where, x.PermEntries, d.K)
	}
	var needOwner, needInput, storage int64
	for i, ou := range g.OUs {
		rd := x.Reads(i)
		owners := ouOwners(g, ou)
		switch {
		case rd.Owners == 0 && !positionalOU(g, ou, d, geo.OUCols):
			t.Fatalf("%s: OU %d reads no owner entry but its columns are not a dense column group", where, i)
		case rd.Owners != 0 && rd.Owners != owners:
			t.Fatalf("%s: OU %d reads %d owner entries, its columns have %d owners", where, i, rd.Owners, owners)
		}
		rows := g.RowIdx[ou.RowStart : ou.RowStart+ou.RowCount]
		switch {
		case rd.Inputs == 0 && !ascendingRun(rows) && !perm:
			t.Fatalf("%s: OU %d reads no input entry but drives rows %v", where, i, rows)
		case rd.Inputs != 0 && rd.Inputs != int64(ou.RowCount):
			t.Fatalf("%s: OU %d reads %d input entries for %d wordlines", where, i, rd.Inputs, ou.RowCount)
		}
		if rd.Owners != 0 {
			needOwner += owners
		}
		if rd.Inputs != 0 {
			needInput += int64(ou.RowCount)
		}
		storage += x.Bits(rd)
	}
	minOwnerBits := bitsFor(d.N * nd)
	for _, f := range []bool{multi, comp, oddNeg} {
		if f {
			minOwnerBits++
		}
	}
	if needOwner > 0 && x.OwnerBits < minOwnerBits {
		t.Fatalf("%s: owner entries of %d bits, the layout needs %d", where, x.OwnerBits, minOwnerBits)
	}
	if (needInput > 0 || x.PermEntries > 0) && x.InputBits < bitsFor(d.K) {
		t.Fatalf("%s: input entries of %d bits for K = %d", where, x.InputBits, d.K)
	}
	if want := storage + x.PermEntries*x.InputBits; x.StorageBits != want {
		t.Fatalf("%s: storage %d bits, the entries read add up to %d", where, x.StorageBits, want)
	}
	if min := needOwner*minOwnerBits + needInput*bitsFor(d.K); x.StorageBits < min {
		t.Fatalf("%s: storage %d bits below the %d the needed entries take", where, x.StorageBits, min)
	}
}

// positionalOU reports whether the OU's columns need no owner index: each
// has one plain owner (no complement, sign implied by the digit) and the
// owners are consecutive logical columns L = Out·D + j starting at a
// multiple of the OU width, i.e. one aligned column group of the dense
// bit-sliced matrix.
func positionalOU(g *GroupMap, ou OU, d Dims, w int) bool {
	nd := d.digits()
	first := 0
	for i := int32(0); i < ou.ColCount; i++ {
		c := ou.ColStart + i
		if g.OwnerStart[c+1]-g.OwnerStart[c] != 1 {
			return false
		}
		o := g.Owners[g.OwnerStart[c]]
		j := DigitIndex(int(o.Bit), d.Bits, d.CellBits)
		if o.Complement || o.Negate != (int(o.Bit) == d.Bits-1) || j < 0 {
			return false
		}
		l := int(o.Out)*nd + j
		if i == 0 {
			first = l
			if l%w != 0 {
				return false
			}
		} else if l != first+int(i) {
			return false
		}
	}
	return true
}

func ascendingRun(rows []int32) bool {
	for j := 1; j < len(rows); j++ {
		if rows[j] != rows[j-1]+1 {
			return false
		}
	}
	return true
}

func isPermutation(rows []int32, k int) bool {
	if len(rows) != k {
		return false
	}
	seen := make([]bool, k)
	for _, r := range rows {
		if r < 0 || int(r) >= k || seen[r] {
			return false
		}
		seen[r] = true
	}
	return true
}
