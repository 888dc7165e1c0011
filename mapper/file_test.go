package mapper

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rramc/rramc/quant"
)

func fileTestNet(seed uint64) *quant.Network {
	r := rand.New(rand.NewPCG(seed, 99))
	return validNet(randLinear(r, "conv1", 27, 10, 1, 8, 0.5), randLinear(r, "dw", 9, 1, 4, 4, 0.3),
		randLinear(r, "fc", 40, 7, 1, 6, 0.9), structuredLinear(r, "s", 20, 12, 3))
}

// TestFileRoundTrip writes and reads every scheme's mapping, with 1- and
// 2-bit cells: the decoded mapping equals the original field by field, is
// exact, carries the file version and re-encodes to the same bytes (the
// canonical encoding is a fixed point). A 2-bit file differs from the 1-bit
// one only in the cell bits field and in what follows from it.
func TestFileRoundTrip(t *testing.T) {
	net := fileTestNet(1)
	dir := t.TempDir()
	for _, cellBits := range []int{1, 2} {
		for _, g1 := range testGeometries {
			geo := g1
			geo.CellBits = cellBits
			for _, name := range SchemeNames() {
				m := mustMap(t, net, geo, Options{Scheme: name, MaxShare: 2})
				path := filepath.Join(dir, name+".rmap")
				if err := WriteFile(path, m); err != nil {
					t.Fatal(err)
				}
				got, err := ReadFile(path)
				if err != nil {
					t.Fatalf("%s %s: %v", geoName(geo), name, err)
				}
				if got.Scheme != m.Scheme || got.MaxShare != m.MaxShare || got.Window != m.Window || got.Geometry != m.Geometry || got.Geometry != geo {
					t.Fatalf("%s: header %+v, want %+v", name, got, m)
				}
				if !reflect.DeepEqual(got.Layers, m.Layers) {
					t.Fatalf("%s %s: layers differ after round trip", geoName(geo), name)
				}
				for i, l := range got.Net.Linears {
					if !reflect.DeepEqual(l.Weights, net.Linears[i].Weights) {
						t.Fatalf("%s: layer %d weights differ", name, i)
					}
				}
				if err := got.Verify(); err != nil {
					t.Fatal(err)
				}
				a, _ := os.ReadFile(path)
				b, err := Encode(got)
				if err != nil || !bytes.Equal(a, b) {
					t.Fatalf("%s: re-encoding differs (%v)", name, err)
				}
				if v := binary.LittleEndian.Uint32(a[8:]); v != FileVersion {
					t.Fatalf("version %d", v)
				}
			}
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(SchemeNames()) {
		t.Errorf("%d files left in the directory (temporary files not cleaned?)", len(ents))
	}
}

// TestFileErrors: truncated, corrupted, wrong-version and foreign files give
// clear errors wrapping ErrCorruptFile, never a panic.
func TestFileErrors(t *testing.T) {
	m := mustMap(t, fileTestNet(2), DefaultGeometry(), Options{Scheme: "colsim"})
	good, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	withVersion := func(v uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[8:], v)
		return b
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"foreign", []byte("PK\x03\x04 some zip file"), "bad magic"},
		{"header only", good[:10], "truncated"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"truncated by one", good[:len(good)-1], "truncated"},
		{"trailing garbage", append(bytes.Clone(good), 0), "trailing garbage"},
		{"older version", withVersion(1), "version 1, this build reads version 2"},
		{"newer version", withVersion(FileVersion + 1), "version 3"},
		{"flipped body byte", flip(len(good) / 2), "checksum mismatch"},
		{"flipped checksum", flip(len(good) - 1), "checksum mismatch"},
	}
	for _, c := range cases {
		_, err := Decode(c.data)
		if err == nil || !errors.Is(err, ErrCorruptFile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// every single-byte flip and every truncation is rejected
	for i := 0; i < len(good); i += max(1, len(good)/300) {
		if _, err := Decode(flip(i)); err == nil {
			t.Fatalf("flip at %d accepted", i)
		}
		if _, err := Decode(good[:i]); err == nil {
			t.Fatalf("truncation at %d accepted", i)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.rmap")
	os.WriteFile(path, good[:100], 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile error %v does not name the file", err)
	}
}

// TestDecodeLayoutChecks re-seals files whose layout was damaged with a
// valid checksum: the structural checks must catch what the CRC no longer
// does.
func TestDecodeLayoutChecks(t *testing.T) {
	m := mustMap(t, fileTestNet(3), DefaultGeometry(), Options{Scheme: "colsim-comp"})
	good, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	checkResealedDamage(t, good, rand.New(rand.NewPCG(4, 4)))
}

// reseal rewrites the checksum of a mapping file after a change.
func reseal(b []byte) []byte {
	end := len(b) - trailerSize
	binary.LittleEndian.PutUint32(b[end:], crc32c(b[:end]))
	return b
}

// checkResealedDamage changes random body bytes of the valid file good and
// re-seals it, 2000 times: each damaged file is rejected with
// ErrCorruptFile or decodes to a valid, reconstructible mapping, and at
// least one is rejected.
func checkResealedDamage(t *testing.T, good []byte, r *rand.Rand) {
	t.Helper()
	rejected := 0
	for trial := 0; trial < 2000; trial++ {
		b := bytes.Clone(good)
		i := headerSize + r.IntN(len(b)-headerSize-trailerSize)
		b[i] ^= byte(1 + r.IntN(255))
		got, err := Decode(reseal(b))
		if err != nil {
			rejected++
			if !errors.Is(err, ErrCorruptFile) {
				t.Fatalf("error %v does not wrap ErrCorruptFile", err)
			}
			continue
		}
		// accepted: it must be a valid, reconstructible mapping
		if _, err := got.Reconstruct(); err != nil {
			t.Fatalf("accepted file does not reconstruct: %v", err)
		}
	}
	if rejected == 0 {
		t.Error("no damaged file rejected")
	}
}
