package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// ltExternalSmall is ltSmall with W in the external file "w.bin" at offset 8.
func ltExternalSmall(tb testing.TB) ([]byte, []byte) {
	m := ltSmall()
	w := m.Graph.Initializer[0]
	bin := append(make([]byte, 8), w.RawData...)
	ltMakeExternal(w, "w.bin", 8, int64(len(w.RawData)))
	return ltMarshal(tb, m), bin
}

// FuzzDecode feeds arbitrary bytes to Decode (with a folder holding one
// external data file). Decode must never panic, must fail only with
// ErrInvalidModel, and whatever it accepts must satisfy the IR invariants;
// the raw_data-aliasing protobuf path must agree with the plain one.
// Seeds: testdata/fuzz/FuzzDecode (written by TestWriteFixtures) plus the
// models built below.
func FuzzDecode(f *testing.F) {
	f.Add(ltMarshal(f, ltSmall()))
	model, bin := ltExternalSmall(f)
	f.Add(model)
	for _, b := range ltBadModels(f) {
		f.Add(b.data)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), bin, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ltCheckStrip(t, data)
		m, err := Decode(data, dir)
		if err != nil {
			if !errors.Is(err, importer.ErrInvalidModel) {
				t.Fatalf("error does not wrap ErrInvalidModel: %v", err)
			}
			if m != nil {
				t.Fatal("returned both a model and an error")
			}
			return
		}
		ltCheckInvariants(t, m)
		s := importer.Summarize(m, interp.Supported)
		var sb strings.Builder
		if err := s.WriteText(&sb); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWriteFixtures regenerates the committed malformed-model fixtures and
// the fuzz seed corpus when RRAMC_WRITE_FIXTURES=1; otherwise it checks that
// every committed fixture still fails the way its table entry says.
func TestWriteFixtures(t *testing.T) {
	bad := ltBadModels(t)
	if os.Getenv("RRAMC_WRITE_FIXTURES") == "1" {
		corpus := filepath.Join("testdata", "fuzz", "FuzzDecode")
		for _, d := range []string{filepath.Join("testdata", "malformed"), filepath.Join("testdata", "external"), corpus} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		write := func(path string, data []byte) {
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}
		seed := func(name string, data []byte) {
			write(filepath.Join(corpus, name), []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(data))+")\n"))
		}
		small := ltMarshal(t, ltSmall())
		write(filepath.Join("testdata", "small.onnx"), small)
		seed("small", small)
		ext, bin := ltExternalSmall(t)
		write(filepath.Join("testdata", "external", "model.onnx"), ext)
		write(filepath.Join("testdata", "external", "w.bin"), bin)
		seed("external", ext)
		for _, b := range bad {
			if b.name != "random_bytes" { // large and says little as a file
				write(filepath.Join("testdata", "malformed", b.name+".onnx"), b.data)
			}
			seed(b.name, b.data)
		}
	}

	want := map[string]string{}
	for _, b := range bad {
		want[b.name+".onnx"] = b.want
	}
	files, err := filepath.Glob(filepath.Join("testdata", "malformed", "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d fixtures in testdata/malformed", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			w, ok := want[filepath.Base(path)]
			if !ok {
				t.Fatalf("fixture has no table entry in ltBadModels")
			}
			_, err := Load(path)
			if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), w) {
				t.Fatalf("Load: %v\nwant ErrInvalidModel containing %q", err, w)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
	for _, path := range []string{filepath.Join("testdata", "small.onnx"), filepath.Join("testdata", "external", "model.onnx")} {
		m, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		ltCheckInvariants(t, m)
		if w := m.Graph.Initializers["W"]; w == nil || w.Float[0] != -5.5 || w.Float[11] != 5.5 {
			t.Errorf("%s: W = %v", path, w)
		}
	}
}

// FuzzDecodeTensor fuzzes one initializer's fields directly (element type,
// dims, data in raw_data, a typed field or an external file), which random
// byte mutation of whole models rarely reaches in combination.
func FuzzDecodeTensor(f *testing.F) {
	f.Add(int32(1), uint8(2), int64(4), int64(3), int64(0), []byte("0123456789abcdef0123456789abcdef0123456789abcdef"), uint8(0), "", int64(0), int64(-1))
	f.Add(int32(10), uint8(1), int64(3), int64(0), int64(0), []byte{1, 2, 3, 4, 5, 6}, uint8(1), "", int64(0), int64(-1))
	f.Add(int32(7), uint8(1), int64(2), int64(0), int64(0), []byte{}, uint8(2), "", int64(0), int64(-1))
	f.Add(int32(1), uint8(2), int64(4), int64(3), int64(0), []byte{}, uint8(3), "w.bin", int64(8), int64(48))
	f.Add(int32(3), uint8(3), int64(1<<40), int64(1<<40), int64(0), []byte{1}, uint8(0), "", int64(0), int64(-1))
	f.Add(int32(1), uint8(1), int64(-1), int64(0), int64(0), []byte{}, uint8(3), "../w.bin", int64(0), int64(4))
	_, bin := ltExternalSmall(f)
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), bin, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dt int32, ndims uint8, d0, d1, d2 int64, data []byte, mode uint8, loc string, off, length int64) {
		tp := &onnxpb.TensorProto{Name: proto.String("W"), DataType: proto.Int32(dt)}
		tp.Dims = []int64{d0, d1, d2}[:ndims%4]
		switch mode % 4 {
		case 0:
			tp.RawData = data
		case 1: // int32_data from bytes
			for _, b := range data {
				tp.Int32Data = append(tp.Int32Data, int32(int8(b)))
			}
		case 2:
			for _, b := range data {
				tp.Int64Data = append(tp.Int64Data, int64(b)-100)
				tp.FloatData = append(tp.FloatData, float32(b))
			}
		case 3:
			ltMakeExternal(tp, loc, off, length)
			if length < 0 {
				tp.ExternalData = tp.ExternalData[:2]
			}
		}
		m := ltSmall()
		m.Graph.Initializer[0] = tp
		got, err := Decode(ltMarshal(t, m), dir)
		if err != nil {
			if !errors.Is(err, importer.ErrInvalidModel) {
				t.Fatalf("error does not wrap ErrInvalidModel: %v", err)
			}
			return
		}
		ltCheckInvariants(t, got)
	})
}
