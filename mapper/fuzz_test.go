package mapper

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/quant"
)

// fuzzSeeds are small valid mapping files of every scheme.
func fuzzSeeds(t testing.TB) [][]byte {
	// small files fuzz faster: two tiny layers, one grouped
	geo := Geometry{XbarRows: 8, XbarCols: 8, OURows: 3, OUCols: 4, CellBits: 1}
	r := rand.New(rand.NewPCG(5, 5))
	net := validNet(randLinear(r, "a", 7, 3, 1, 4, 0.4), randLinear(r, "b", 2, 2, 2, 3, 0.2))
	return schemeFiles(t, net, geo)
}

// schemeFiles encodes net mapped with every scheme (max share 2).
func schemeFiles(t testing.TB, net *quant.Network, geo Geometry) [][]byte {
	var out [][]byte
	for _, name := range SchemeNames() {
		m := mustMap(t, net, geo, Options{Scheme: name, MaxShare: 2})
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecode: no input makes Decode panic; whatever it accepts is a valid
// mapping that reconstructs and whose re-encoding decodes to the same
// mapping. The seed
// corpus (testdata/fuzz/FuzzDecode) holds a valid file of every scheme;
// regenerate it with RRAMC_UPDATE_FUZZ=1 go test -run TestFuzzCorpus.
func FuzzDecode(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecodeFuzz(t, data, false) })
}

// checkDecodeFuzz is the body of the decode fuzzers. Unless alwaysReseal,
// data is first decoded as is; then (or if that fails) the length and
// checksum fields are fixed so that the mutation reaches the parser instead
// of stopping at the CRC. Whatever Decode accepts must reconstruct, have
// stats, and re-encode to a canonical fixed point decoding to the same
// mapping.
func checkDecodeFuzz(t *testing.T, data []byte, alwaysReseal bool) {
	if _, err := Decode(data); alwaysReseal || err != nil {
		if len(data) < headerSize+trailerSize {
			return
		}
		data = bytes.Clone(data)
		end := len(data) - trailerSize
		binary.LittleEndian.PutUint64(data[12:], uint64(end-headerSize))
		binary.LittleEndian.PutUint32(data[end:], crc32c(data[:end]))
	}
	m, err := Decode(data)
	if err != nil {
		return
	}
	if _, err := m.Reconstruct(); err != nil {
		t.Fatalf("accepted mapping does not reconstruct: %v", err)
	}
	if _, _, err := m.Stats(); err != nil {
		t.Fatalf("accepted mapping has no stats: %v", err)
	}
	// varints may be non-minimal in the input: compare decoded content,
	// and require the canonical encoding to be a fixed point
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("accepted mapping does not encode: %v", err)
	}
	m2, err := Decode(b)
	if err != nil {
		t.Fatalf("re-encoded mapping does not decode: %v", err)
	}
	if m2.Scheme != m.Scheme || m2.MaxShare != m.MaxShare || m2.Window != m.Window || m2.Geometry != m.Geometry || !reflect.DeepEqual(m2.Layers, m.Layers) {
		t.Fatalf("re-encoded mapping differs")
	}
	if b2, err := Encode(m2); err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("canonical encoding is not a fixed point (%v)", err)
	}
}

// TestFuzzCorpus checks that the committed seed corpus decodes (or rewrites
// it when RRAMC_UPDATE_FUZZ=1).
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if os.Getenv("RRAMC_UPDATE_FUZZ") == "1" {
		os.MkdirAll(dir, 0o755)
		for i, b := range fuzzSeeds(t) {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%s", SchemeNames()[i])), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("no seed corpus in %s: %v", dir, err)
	}
	seeds := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "seed-") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 3)
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz corpus file", e.Name())
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if _, err := Decode([]byte(data)); err != nil {
			t.Errorf("%s: the seed no longer decodes (format changed? regenerate): %v", e.Name(), err)
		}
		seeds++
	}
	if seeds != len(SchemeNames()) {
		t.Errorf("%d seed files, want one per scheme (%d)", seeds, len(SchemeNames()))
	}
}
