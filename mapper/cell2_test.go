package mapper

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/quant"
)

// geo2 returns g with 2-bit cells.
func geo2(g Geometry) Geometry {
	g.CellBits = 2
	return g
}

// TestDigits checks the digit split against its definition: for every B
// and every B-bit value, Σ_j ±level_j·2^shift_j rebuilds the value, levels
// fit the cell, only the sign digit is negated, and the helpers agree with
// the table.
func TestDigits(t *testing.T) {
	want8 := []Digit{{0, 2, false}, {2, 2, false}, {4, 2, false}, {6, 1, false}, {7, 1, true}}
	if got := Digits(8, 2); !slices.Equal(got, want8) {
		t.Fatalf("Digits(8, 2) = %v, want %v", got, want8)
	}
	for cb := 1; cb <= 2; cb++ {
		for b := 2; b <= maxBits; b++ {
			dig := Digits(b, cb)
			if len(dig) != DigitCount(b, cb) {
				t.Fatalf("B=%d cells %d: %d digits, DigitCount %d", b, cb, len(dig), DigitCount(b, cb))
			}
			for j, d := range dig {
				if d.Neg != (j == len(dig)-1) || int(d.Width) > cb || d.Width == 0 {
					t.Fatalf("B=%d cells %d: digit %d = %+v", b, cb, j, d)
				}
				if DigitIndex(int(d.Shift), b, cb) != j {
					t.Fatalf("B=%d cells %d: DigitIndex(%d) = %d, want %d", b, cb, d.Shift, DigitIndex(int(d.Shift), b, cb), j)
				}
			}
			valid := 0
			for s := 0; s < b; s++ {
				if IsDigitShift(s, b, cb) {
					valid++
				} else if DigitIndex(s, b, cb) != -1 {
					t.Fatalf("B=%d: shift %d is no digit but has an index", b, s)
				}
			}
			if valid != len(dig) {
				t.Fatalf("B=%d cells %d: %d valid shifts for %d digits", b, cb, valid, len(dig))
			}
			if b > 10 {
				continue
			}
			for v := -(int32(1) << (b - 1)); v < int32(1)<<(b-1); v++ {
				var sum int32
				for _, d := range dig {
					l := int32(d.level(v))
					if l > 1<<cb-1 {
						t.Fatalf("level %d beyond %d-bit cell", l, cb)
					}
					if d.Neg {
						sum -= l << d.Shift
					} else {
						sum += l << d.Shift
					}
				}
				if sum != v {
					t.Fatalf("B=%d cells %d: digits of %d sum to %d", b, cb, v, sum)
				}
			}
		}
	}
	if DigitCount(8, 2) != 5 || DigitCount(7, 2) != 4 || DigitCount(2, 2) != 2 || DigitCount(3, 2) != 2 || DigitCount(8, 1) != 8 {
		t.Fatal("DigitCount")
	}
}

// TestReconstructDetectsChange2: flipping a high-plane cell or a digit
// owner changes the rebuilt matrix, and an owner on a non-digit bit is
// rejected by Validate.
func TestReconstructDetectsChange2(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	net := randNet(randLinear(r, "a", 40, 10, 1, 8, 0.5))
	geo := geo2(DefaultGeometry())
	for _, name := range SchemeNames() {
		m := mustMap(t, net, geo, Options{Scheme: name})
		g := m.Layers[0].Groups[0]
		rw := g.Words / 2
		c := 0 // a column with an owner
		for g.OwnerStart[c] == g.OwnerStart[c+1] {
			c++
		}
		g.ColBits[c*g.Words+rw] ^= 1 // high plane, wordline 0
		if err := m.Verify(); err == nil {
			t.Errorf("%s: flipped high-plane cell not detected", name)
		}
		g.ColBits[c*g.Words+rw] ^= 1
		if err := m.Verify(); err != nil {
			t.Fatal(err)
		}
		o := &g.Owners[g.OwnerStart[c]]
		saved := *o
		if !o.Negate {
			o.Bit++ // an odd bit below B-1 is no digit shift (or moves the digit)
			if err := m.Verify(); err == nil {
				t.Errorf("%s: owner moved to bit %d not detected", name, o.Bit)
			}
		}
		*o = saved
		o.Bit, o.Negate = 1, false
		if _, err := m.Reconstruct(); err == nil || !strings.Contains(err.Error(), "bit 1") {
			t.Errorf("%s: owner on bit 1 (no digit of 2-bit cells) accepted: %v", name, err)
		}
	}
}

// TestColsimMatchesBruteForce2 counts, per strip, the distinct nonzero
// digit-column level patterns by brute force (and ceil(size/share) per
// pattern) and compares with colsim's kept columns.
func TestColsimMatchesBruteForce2(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 7))
	geo := Geometry{XbarRows: 64, XbarCols: 64, OURows: 4, OUCols: 8, CellBits: 2}
	for _, bits := range []int{3, 4, 8} {
		l := randLinear(r, "a", 23, 13, 1, bits, 0.6)
		var levels []func(int32) byte
		for _, d := range Digits(bits, 2) {
			levels = append(levels, func(w int32) byte { return byte(d.level(w)) })
		}
		for _, share := range []int{0, 2, 3} {
			m := mustMap(t, randNet(l), geo, Options{Scheme: "colsim", MaxShare: share})
			want := colsimBruteForce(l, 4, share, levels)
			if got := m.Layers[0].Groups[0].Columns(); got != want {
				t.Errorf("B=%d share %d: %d kept columns, brute force %d", bits, share, got, want)
			}
		}
	}
}

// TestStatsCounts2 checks 2-bit statistics against values computed by
// hand. K=3, N=2, B=4 on 2-bit cells: digits d0 = bits 0-1 (level 0..3),
// d1 = bit 2, s = bit 3 (subtracted); logical columns c = 3n+j.
//
//	weights [5, -3], [1, 0], [0, 6]
//	 5 = 0101: d0 1, d1 1, s 0     -3 = 1101: d0 1, d1 1, s 1
//	 1 = 0001: d0 1, d1 0, s 0      6 = 0110: d0 2, d1 1, s 0
//
// OU 2×2 on 4×4 crossbars: strip 0 = rows {0,1}, strip 1 = row {2}.
//
//	strip 0 levels: c0 [1 1] c1 [1 0] c2 [0 0] c3 [1 0] c4 [1 0] c5 [1 0]
//	strip 1 levels: c0 [0] c1 [0] c2 [0] c3 [2] c4 [1] c5 [0]
func TestStatsCounts2(t *testing.T) {
	l := &quant.Linear{Name: "x", K: 3, N: 2, Groups: 1, WBits: 4, Weights: [][]int32{{5, -3, 1, 0, 0, 6}}}
	geo := Geometry{XbarRows: 4, XbarCols: 4, OURows: 2, OUCols: 2, CellBits: 2}
	cases := []struct {
		scheme                         string
		cols, cells, ous, xbars, index int64
		owners, merged                 int64
	}{
		// dense: 2 strips × 6 columns, 3 OUs each; column tiles of 2 OUs -> 2 crossbars
		{"dense", 12, 18, 6, 2, 0, 12, 0},
		// zerocol: strip 0 {c0 c1 c3 c4 c5}, strip 1 {c3 c4}; index 7 × ceil(log2 6)
		{"zerocol", 7, 12, 4, 2, 21, 7, 0},
		// colsim: strip 0 {c0}, {c1 c3 c4 c5}; strip 1 {c3}, {c4};
		// index 7 owners × (log2 N=1 + log2 D=2 + 2)
		{"colsim", 4, 6, 2, 1, 35, 7, 3},
		// colsim-comp: strip 1 c3 = [2] = 3 − c4: one kept column serves both,
		// plus the strip's all-3 sum column; index 7 × 6
		{"colsim-comp", 4, 6, 2, 1, 42, 7, 4},
		// sre: groups {c0 c1} rows {0,1}, {c2 c3} rows {0,2}, {c4 c5} rows {0,2};
		// index 6 wordline entries × ceil(log2 3)
		{"sre", 6, 12, 3, 2, 12, 6, 0},
	}
	for _, c := range cases {
		m := mustMap(t, randNet(l), geo, Options{Scheme: c.scheme})
		if err := m.Verify(); err != nil {
			t.Fatalf("%s: %v", c.scheme, err)
		}
		per, _ := mustStats(t, m)
		s := per[0]
		if s.Columns != c.cols || s.Cells != c.cells || s.OUActivations != c.ous || s.Crossbars != c.xbars || s.IndexBits != c.index || s.Owners != c.owners || s.Merged != c.merged {
			t.Errorf("%s: got cols %d cells %d ous %d xbars %d index %d owners %d merged %d, want %+v", c.scheme, s.Columns, s.Cells, s.OUActivations, s.Crossbars, s.IndexBits, s.Owners, s.Merged, c)
		}
		if s.Bits != 24 || s.ZeroBits != 16 || s.DenseCells != 18 || s.DenseOUActivations != 6 || s.DenseCrossbars != 2 {
			t.Errorf("%s: bits %d zero %d dense cells %d dense ous %d dense xbars %d", c.scheme, s.Bits, s.ZeroBits, s.DenseCells, s.DenseOUActivations, s.DenseCrossbars)
		}
	}
	// the colsim-comp layout in detail: strip 1 is [sum column (all 3),
	// c3 = level 2 with owners c3 and complement c4]
	g := mustMap(t, randNet(l), geo, Options{Scheme: "colsim-comp"}).Layers[0].Groups[0]
	if len(g.OUs) != 2 || g.OUs[1].SumCol != 2 || g.ColBits[2*g.Words] != 1 || g.ColBits[2*g.Words+1] != 1 ||
		g.ColBits[3*g.Words] != 0 || g.ColBits[3*g.Words+1] != 1 {
		t.Fatalf("strip 1 layout %+v %v", g.OUs, g.ColBits)
	}
	want := []Owner{{Out: 1, Bit: 0}, {Out: 1, Bit: 2, Complement: true}}
	if got := g.Owners[g.OwnerStart[3]:g.OwnerStart[4]]; !slices.Equal(got, want) {
		t.Fatalf("strip 1 owners %+v, want %+v", got, want)
	}
}

// TestInvariants2: with 2-bit cells dense has D = ceil((B−1)/2)+1 columns
// per output and strip instead of B (fewer cells and activations than the
// 1-bit dense layout), colsim ≤ zerocol ≤ dense, share 2 never beats
// unlimited, rowreorder never needs more than colsim, and zerocol never
// keeps more columns, cells or OU activations than with 1-bit cells.
func TestInvariants2(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	net := invariantNet(r)
	for _, g1 := range testGeometries {
		geo := geo2(g1)
		t.Run(geoName(geo), func(t *testing.T) {
			get := func(g Geometry, scheme string, share int) ([]Stats, Stats) {
				return mustStats(t, mustMap(t, net, g, Options{Scheme: scheme, MaxShare: share}))
			}
			dense, _ := get(geo, "dense", 0)
			zc, _ := get(geo, "zerocol", 0)
			cs0, tcs := get(geo, "colsim", 0)
			cs2, _ := get(geo, "colsim", 2)
			rr0, _ := get(geo, "rowreorder", 0)
			dense1, _ := get(g1, "dense", 0)
			zc1, _ := get(g1, "zerocol", 0)
			_, tcs1 := get(g1, "colsim", 0)
			for i := range dense {
				l := net.Linears[i]
				d := int64(DigitCount(l.WBits, 2))
				if dense[i].OUActivations != dense[i].DenseOUActivations || dense[i].Cells != dense[i].DenseCells || dense[i].Crossbars != dense[i].DenseCrossbars {
					t.Errorf("layer %d: dense layout %+v differs from the dense formulas", i, dense[i])
				}
				if dense[i].Cells != int64(l.K)*int64(l.N)*d*int64(l.Groups) {
					t.Errorf("layer %d: dense 2-bit cells %d, want K·N·D = %d", i, dense[i].Cells, int64(l.K)*int64(l.N)*d*int64(l.Groups))
				}
				if l.WBits > 2 && (dense[i].Cells >= dense1[i].Cells || dense[i].OUActivations > dense1[i].OUActivations) {
					t.Errorf("layer %d (B=%d): 2-bit dense %d cells %d OUs vs 1-bit %d %d", i, l.WBits, dense[i].Cells, dense[i].OUActivations, dense1[i].Cells, dense1[i].OUActivations)
				}
				// a nonzero digit column has a nonzero bit column among its
				// bits, and digits partition the bits
				if zc[i].Columns > zc1[i].Columns || zc[i].Cells > zc1[i].Cells || zc[i].OUActivations > zc1[i].OUActivations {
					t.Errorf("layer %d: 2-bit zerocol %+v exceeds 1-bit %+v", i, zc[i], zc1[i])
				}
				if zc[i].OUActivations > dense[i].OUActivations || cs0[i].OUActivations > zc[i].OUActivations || cs2[i].OUActivations > zc[i].OUActivations {
					t.Errorf("layer %d: OU activations dense %d zerocol %d colsim %d/%d", i, dense[i].OUActivations, zc[i].OUActivations, cs0[i].OUActivations, cs2[i].OUActivations)
				}
				if cs2[i].OUActivations < cs0[i].OUActivations || cs2[i].Columns < cs0[i].Columns {
					t.Errorf("layer %d: max share 2 beats unlimited", i)
				}
				if rr0[i].OUActivations > cs0[i].OUActivations {
					t.Errorf("layer %d: rowreorder %d > colsim %d", i, rr0[i].OUActivations, cs0[i].OUActivations)
				}
			}
			// colsim has no such guarantee: a strip has 4^h digit patterns
			// instead of 2^h bit patterns, so fewer of them coincide
			t.Logf("colsim total: 1-bit %d cells %d OU act, 2-bit %d cells %d OU act", tcs1.Cells, tcs1.OUActivations, tcs.Cells, tcs.OUActivations)
		})
	}
}

// TestFileErrors2: damaged 2-bit files (random byte changes with a valid
// checksum, truncations, a 2-bit file relabelled as 1-bit) are rejected
// with ErrCorruptFile or decode to a valid, exactly reconstructible
// mapping; never a panic.
func TestFileErrors2(t *testing.T) {
	m := mustMap(t, fileTestNet(3), geo2(DefaultGeometry()), Options{Scheme: "colsim-comp"})
	good, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	checkResealedDamage(t, good, rand.New(rand.NewPCG(4, 5)))
	for i := 0; i < len(good); i += max(1, len(good)/200) {
		if _, err := Decode(good[:i]); err == nil {
			t.Fatalf("truncation at %d accepted", i)
		}
	}
	// the cell bits field is the body's 5th geometry uvarint: relabel 2 -> 1
	idx := bytes.Index(good[headerSize:], []byte{128, 1, 128, 1, 9, 8, 2})
	if idx < 0 {
		t.Fatal("geometry not found in the header")
	}
	b := bytes.Clone(good)
	b[headerSize+idx+6] = 1
	if _, err := Decode(reseal(b)); err == nil || !errors.Is(err, ErrCorruptFile) {
		t.Fatalf("2-bit file relabelled as 1-bit accepted: %v", err)
	}
	b[headerSize+idx+6] = 3
	if _, err := Decode(reseal(b)); err == nil || !strings.Contains(err.Error(), "bits per cell") {
		t.Fatalf("3-bit cells: %v", err)
	}
}

// TestOneBitFilesUnchanged: the committed fuzz seeds (1-bit mapping files of
// every scheme, written before 2-bit cells existed) are byte-identical to
// what this build encodes for the same mappings.
func TestOneBitFilesUnchanged(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for i, b := range fuzzSeeds(t) {
		raw, err := os.ReadFile(filepath.Join(dir, "seed-"+SchemeNames()[i]))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 3)
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal([]byte(data), b) {
			t.Errorf("%s: the 1-bit encoding changed", SchemeNames()[i])
		}
	}
}

// FuzzDecode2 is FuzzDecode seeded with 2-bit mapping files of every
// scheme.
func FuzzDecode2(f *testing.F) {
	geo := Geometry{XbarRows: 8, XbarCols: 8, OURows: 3, OUCols: 4, CellBits: 2}
	r := rand.New(rand.NewPCG(5, 6))
	net := validNet(randLinear(r, "a", 7, 3, 1, 5, 0.4), randLinear(r, "b", 2, 2, 2, 4, 0.2))
	for _, b := range schemeFiles(f, net, geo) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecodeFuzz(t, data, true) })
}

// TestTrainedModels2 quantizes every trained model (50 % pruned; unpruned
// in -short mode), maps it with every scheme on 2-bit cells, checks exact
// reconstruction and a file round trip, and logs the colsim totals against
// 1-bit cells.
func TestTrainedModels2(t *testing.T) {
	geo := geo2(DefaultGeometry())
	// one pruning ratio (TestTrainedModels covers both for 1-bit cells)
	prunes := []float64{0.5}
	if testing.Short() {
		prunes = []float64{0}
	}
	forTrainedNets(t, prunes, func(t *testing.T, prune float64, net *quant.Network) {
		for _, name := range SchemeNames() {
			for _, share := range []int{0, 2} {
				if share > 0 && !UsesMaxShare(name) {
					continue
				}
				mp := mustMap(t, net, geo, Options{Scheme: name, MaxShare: share})
				if err := mp.Verify(); err != nil {
					t.Fatalf("%s share %d prune %.1f: %v", name, share, prune, err)
				}
				if name != "colsim" {
					continue
				}
				_, tot := mustStats(t, mp)
				_, tot1 := mustStats(t, mustMap(t, net, DefaultGeometry(), Options{Scheme: name, MaxShare: share}))
				t.Logf("prune %.1f %s share %d: 2-bit %d cells %d OU act, 1-bit %d cells %d OU act",
					prune, name, share, tot.Cells, tot.OUActivations, tot1.Cells, tot1.OUActivations)
				if share == 2 {
					checkFileRoundTrip(t, mp)
				}
			}
		}
	})
}
