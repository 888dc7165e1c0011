package dwasm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFileCurrent fails when the committed kernels_dw_amd64.s is
// not exactly what Generate emits (the generator or the file was edited
// alone).
func TestGeneratedFileCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "kernels_dw_amd64.s")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	generated := Generate()
	if bytes.Equal(committed, generated) {
		return
	}
	cl, gl := bytes.Split(committed, []byte("\n")), bytes.Split(generated, []byte("\n"))
	for i := range max(len(cl), len(gl)) {
		var c, g []byte
		if i < len(cl) {
			c = cl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(c, g) || i >= len(cl) || i >= len(gl) {
			t.Fatalf("%s differs from dwasm.Generate at line %d:\ncommitted: %q\ngenerated: %q\nrun `go generate ./importer/interp` and commit the result", path, i+1, c, g)
		}
	}
	t.Fatalf("%s differs from dwasm.Generate (%d vs %d bytes); run `go generate ./importer/interp` and commit the result", path, len(committed), len(generated))
}

// TestGenerateFunctions checks that every kernel declared in
// kernels_dw_amd64.go has exactly one TEXT symbol in the output.
func TestGenerateFunctions(t *testing.T) {
	out := Generate()
	for _, name := range []string{
		"dwChannels1K3AVX512", "dwChannels1K5AVX512", "dwChannels2K3AVX512", "dwChannels2K5AVX512",
		"dwQuads1K3AVX512", "dwQuads1K5AVX512", "dwQuads2K3AVX512", "dwQuads2K5AVX512",
	} {
		if n := bytes.Count(out, []byte("TEXT ·"+name+"(SB)")); n != 1 {
			t.Errorf("TEXT ·%s: %d definitions, want 1", name, n)
		}
	}
}
