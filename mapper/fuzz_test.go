package mapper

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzSeeds are small valid mapping files of every scheme.
func fuzzSeeds(t testing.TB) [][]byte {
	geo := Geometry{XbarRows: 16, XbarCols: 16, OURows: 4, OUCols: 4, CellBits: 1}
	net := fileTestNet(5)
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
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Decode(data); err != nil {
			// also fix the length and checksum fields so that the mutation
			// reaches the parser instead of stopping at the CRC
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
	})
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
}
