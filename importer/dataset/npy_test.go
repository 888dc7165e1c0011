package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// The testdata/*.npy fixtures were written by NumPy 1.24 (np.save and
// np.lib.format.write_array); the expected values below are the arrays
// given to NumPy.
func TestReadNPYFixtures(t *testing.T) {
	for _, tc := range []struct {
		file    string
		dtype   importer.DataType
		shape   []int
		floats  []float32
		ints    []int64
		sameOut bool // EncodeNPY reproduces NumPy's bytes exactly
	}{
		{"f4_2x3.npy", importer.Float, []int{2, 3}, []float32{-1, -0.5, 0, 0.5, 1, 1.5}, nil, true},
		{"f8_4.npy", importer.Double, []int{4}, []float32{1.5, -2.25, float32(1e-3), float32(3e38)}, nil, false},
		{"i8_labels.npy", importer.Int64, []int{5}, nil, []int64{7, 2, 1, 0, 4}, true},
		{"i4_2x2.npy", importer.Int32, []int{2, 2}, nil, []int64{math.MinInt32, -1, 0, math.MaxInt32}, true},
		{"u1_3x1x2.npy", importer.Uint8, []int{3, 1, 2}, nil, []int64{0, 1, 127, 128, 254, 255}, true},
		{"i1_4.npy", importer.Int8, []int{4}, nil, []int64{-128, -1, 0, 127}, true},
		{"b1_3.npy", importer.Bool, []int{3}, nil, []int64{1, 0, 1}, true},
		{"f4_scalar.npy", importer.Float, []int{}, []float32{3.25}, nil, true},
		{"f4_empty_0x3.npy", importer.Float, []int{0, 3}, []float32{}, nil, true},
		{"f4_v2.npy", importer.Float, []int{2}, []float32{1, 2}, nil, false},
		{"u1_labels_2d.npy", importer.Uint8, []int{2, 1}, nil, []int64{3, 9}, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			x, err := ReadNPY(path)
			if err != nil {
				t.Fatal(err)
			}
			if x.DType != tc.dtype || !equalInts(x.Shape, tc.shape) {
				t.Fatalf("dtype %d shape %v, want %d %v", x.DType, x.Shape, tc.dtype, tc.shape)
			}
			if tc.floats != nil {
				if len(x.Float) != len(tc.floats) || x.Int != nil {
					t.Fatalf("floats %v ints %v, want %v", x.Float, x.Int, tc.floats)
				}
				for i := range tc.floats {
					if x.Float[i] != tc.floats[i] {
						t.Fatalf("floats %v, want %v", x.Float, tc.floats)
					}
				}
			} else {
				if len(x.Int) != len(tc.ints) || x.Float != nil {
					t.Fatalf("ints %v floats %v, want %v", x.Int, x.Float, tc.ints)
				}
				for i := range tc.ints {
					if x.Int[i] != tc.ints[i] {
						t.Fatalf("ints %v, want %v", x.Int, tc.ints)
					}
				}
			}
			var buf bytes.Buffer
			if err := EncodeNPY(&buf, x); err != nil {
				t.Fatal(err)
			}
			if tc.sameOut {
				orig, _ := os.ReadFile(path)
				if !bytes.Equal(buf.Bytes(), orig) {
					t.Fatalf("EncodeNPY differs from NumPy's file:\n got %q\nwant %q", buf.Bytes(), orig)
				}
			}
			y, err := DecodeNPY(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			assertSameTensor(t, x, y)
		})
	}
}

func assertSameTensor(t *testing.T, x, y *importer.Tensor) {
	t.Helper()
	if x.DType != y.DType || !equalInts(x.Shape, y.Shape) || len(x.Float) != len(y.Float) || len(x.Int) != len(y.Int) {
		t.Fatalf("tensors differ: %+v vs %+v", x, y)
	}
	for i := range x.Float {
		if math.Float32bits(x.Float[i]) != math.Float32bits(y.Float[i]) {
			t.Fatalf("float %d: %v vs %v", i, x.Float[i], y.Float[i])
		}
	}
	for i := range x.Int {
		if x.Int[i] != y.Int[i] {
			t.Fatalf("int %d: %v vs %v", i, x.Int[i], y.Int[i])
		}
	}
}

func TestWriteNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	nan := float32(math.NaN())
	for _, x := range []*importer.Tensor{
		{DType: importer.Float, Shape: []int{2, 2}, Float: []float32{nan, float32(math.Inf(-1)), -0, math.SmallestNonzeroFloat32}},
		{DType: importer.Double, Shape: []int{1, 3}, Float: []float32{1.1, 2.2, 3.3}},
		{DType: importer.Int64, Shape: []int{3}, Int: []int64{math.MinInt64, 0, math.MaxInt64}},
		{DType: importer.Int16, Shape: []int{2}, Int: []int64{-32768, 32767}},
		{DType: importer.Uint16, Shape: []int{2}, Int: []int64{0, 65535}},
		{DType: importer.Uint32, Shape: []int{1}, Int: []int64{math.MaxUint32}},
		{DType: importer.Uint64, Shape: []int{1}, Int: []int64{math.MaxInt64}},
		{DType: importer.Float, Shape: []int{2, 0, 5}, Float: []float32{}},
	} {
		path := filepath.Join(dir, "x.npy")
		if err := WriteNPY(path, x); err != nil {
			t.Fatal(err)
		}
		y, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		assertSameTensor(t, x, y)
		data, _ := os.ReadFile(path)
		if hl := int(binary.LittleEndian.Uint16(data[8:])); (10+hl)%64 != 0 {
			t.Errorf("header of %d bytes not 64-aligned", 10+hl)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temp files left behind: %v", ents)
	}
	// A float16 tensor (held as float32) is written as float32.
	h := &importer.Tensor{DType: importer.Float16, Shape: []int{1}, Float: []float32{0.5}}
	var buf bytes.Buffer
	if err := EncodeNPY(&buf, h); err != nil {
		t.Fatal(err)
	}
	if y, err := DecodeNPY(buf.Bytes()); err != nil || y.DType != importer.Float || y.Float[0] != 0.5 {
		t.Fatalf("float16 write: %+v %v", y, err)
	}
}

func TestWriteNPYErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    *importer.Tensor
	}{
		{"uint8 overflow", &importer.Tensor{DType: importer.Uint8, Shape: []int{1}, Int: []int64{256}}},
		{"int8 underflow", &importer.Tensor{DType: importer.Int8, Shape: []int{1}, Int: []int64{-129}}},
		{"int32 overflow", &importer.Tensor{DType: importer.Int32, Shape: []int{1}, Int: []int64{1 << 31}}},
		{"bool 2", &importer.Tensor{DType: importer.Bool, Shape: []int{1}, Int: []int64{2}}},
		{"uint64 negative", &importer.Tensor{DType: importer.Uint64, Shape: []int{1}, Int: []int64{-1}}},
		{"length mismatch", &importer.Tensor{DType: importer.Float, Shape: []int{3}, Float: []float32{1}}},
		{"ints for float", &importer.Tensor{DType: importer.Float, Shape: []int{1}, Int: []int64{1}}},
		{"negative dim", &importer.Tensor{DType: importer.Float, Shape: []int{-1}}},
		{"string type", &importer.Tensor{DType: importer.String, Shape: []int{0}}},
		{"undefined type", &importer.Tensor{Shape: []int{0}}},
		{"overflowing shape", &importer.Tensor{DType: importer.Float, Shape: []int{1 << 40, 1 << 40}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.npy")
			err := WriteNPY(path, tc.x)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("err = %v, want ErrInvalidData", err)
			}
			if _, serr := os.Stat(path); serr == nil {
				t.Fatal("file written despite error")
			}
		})
	}
}

// npyFile builds a version 1.0 file from a header dict and payload.
func npyFile(dict string, payload []byte) []byte {
	h := dict + "\n"
	b := []byte(npyMagic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	return append(append(b, h...), payload...)
}

func noNewline(dict string) []byte {
	b := []byte(npyMagic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	return append(b, dict...)
}

func TestDecodeNPYMalformed(t *testing.T) {
	good := npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8))
	if _, err := DecodeNPY(good); err != nil {
		t.Fatalf("control file rejected: %v", err)
	}
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "magic"},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x10\x00"), "magic"},
		{"version 4", append([]byte(npyMagic+"\x04\x00"), good[8:]...), "version"},
		{"header past end", append([]byte(npyMagic+"\x01\x00\xff\xff"), good[10:]...), "header length"},
		{"v2 header past end", []byte(npyMagic + "\x02\x00\xff\xff\xff\x7f"), "header length"},
		{"truncated payload", good[:len(good)-1], "payload"},
		{"trailing bytes", append(append([]byte{}, good...), 0), "payload"},
		{"huge shape", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000, 1000000), }", nil), "payload"},
		{"dim beyond int64", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", nil), "out of range"},
		{"negative dim", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", nil), "non-negative"},
		{"no newline fixed length", noNewline("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }"), "newline"},
		{"missing shape", npyFile("{'descr': '<f4', 'fortran_order': False}", nil), "missing key"},
		{"repeated key", npyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (0,)}", nil), "repeated"},
		{"unknown key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), 'x': 1}", nil), "unexpected key"},
		{"structured dtype", npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (0,)}", nil), "structured"},
		{"object dtype", npyFile("{'descr': '|O', 'fortran_order': False, 'shape': (0,)}", nil), "not supported"},
		{"float16", npyFile("{'descr': '<f2', 'fortran_order': False, 'shape': (0,)}", nil), "not supported"},
		{"fortran flag junk", npyFile("{'descr': '<f4', 'fortran_order': 0, 'shape': (0,)}", nil), "True or False"},
		{"text after dict", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0,)} x", nil), "after the dictionary"},
		{"bool byte 2", npyFile("{'descr': '|b1', 'fortran_order': False, 'shape': (1,)}", []byte{2}), "bool"},
		{"uint64 too big", npyFile("{'descr': '<u8', 'fortran_order': False, 'shape': (1,)}", bytes.Repeat([]byte{0xff}, 8)), "int64 range"},
		{"rank 65", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': ("+strings.Repeat("1,", 65)+")}", make([]byte, 4)), "rank"},
		{"numpy fortran", fixture("f4_fortran.npy"), "fortran_order"},
		{"numpy big-endian", fixture("f4_bigendian.npy"), "big-endian"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeNPY(tc.data)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("err = %v, want ErrInvalidData", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.msg)
			}
		})
	}
	// Errors from files name the file.
	path := filepath.Join(t.TempDir(), "broken.npy")
	if err := os.WriteFile(path, good[:20], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNPY(path); err == nil || !strings.Contains(err.Error(), "broken.npy") {
		t.Fatalf("err = %v, want the file name", err)
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []int
	}{
		{"i8_labels.npy", []int{7, 2, 1, 0, 4}},
		{"u1_labels_2d.npy", []int{3, 9}},
		{"i1_4.npy", nil}, // negative labels
		{"f4_2x3.npy", nil},
		{"b1_3.npy", nil},
		{"i4_2x2.npy", nil}, // 2-D with more than one column
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ReadLabelsNPY(filepath.Join("testdata", tc.file))
			if tc.want == nil {
				if !errors.Is(err, ErrInvalidData) {
					t.Fatalf("got %v, %v; want ErrInvalidData", got, err)
				}
				return
			}
			if err != nil || !equalInts(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func FuzzReadNPY(f *testing.F) {
	ents, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".npy") {
			b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add(npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", nil))
	f.Add([]byte(npyMagic + "\x03\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := DecodeNPY(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("error not wrapping ErrInvalidData: %v", err)
			}
			return
		}
		// Anything accepted must survive a write/read round trip.
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, x); err != nil {
			t.Fatalf("decoded tensor cannot be re-encoded: %v", err)
		}
		y, err := DecodeNPY(buf.Bytes())
		if err != nil {
			t.Fatalf("re-encoded file rejected: %v", err)
		}
		// float64 was rounded to float32 on read and is written back
		// exactly, so even then the values must agree bit for bit.
		assertSameTensor(t, x, y)
	})
}
