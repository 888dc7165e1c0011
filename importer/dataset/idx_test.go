package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func idxBytes(dims []byte, payload []byte) []byte {
	return append(append([]byte{0, 0, 8, byte(len(dims) / 4)}, dims...), payload...)
}

func TestDecodeIDX(t *testing.T) {
	x, err := DecodeIDX(idxBytes([]byte{0, 0, 0, 2, 0, 0, 0, 3}, []byte{1, 2, 3, 4, 5, 6}))
	if err != nil || !equalInts(x.Dims, []int{2, 3}) || !bytes.Equal(x.Data, []byte{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("got %+v, %v", x, err)
	}
	var buf bytes.Buffer
	if err := EncodeIDX(&buf, x); err != nil || !bytes.Equal(buf.Bytes(), idxBytes([]byte{0, 0, 0, 2, 0, 0, 0, 3}, []byte{1, 2, 3, 4, 5, 6})) {
		t.Fatalf("EncodeIDX: %q, %v", buf.Bytes(), err)
	}
	// A zero dimension anywhere means an empty payload.
	x, err = DecodeIDX(idxBytes([]byte{0, 0, 0, 2, 0, 0, 0, 0, 0, 0xff, 0, 0}, nil))
	if err != nil || !equalInts(x.Dims, []int{2, 0, 0xff0000}) || len(x.Data) != 0 {
		t.Fatalf("empty: %+v, %v", x, err)
	}
	buf.Reset()
	if err := EncodeIDX(&buf, x); err != nil || buf.Len() != 16 {
		t.Fatalf("EncodeIDX empty: %v", err)
	}
}

func TestDecodeIDXMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "shorter"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "magic"},
		{"int type", []byte{0, 0, 0x0c, 1, 0, 0, 0, 0}, "element type"},
		{"zero dims", []byte{0, 0, 8, 0}, "dimensions"},
		{"nine dims", []byte{0, 0, 8, 9}, "dimensions"},
		{"short header", []byte{0, 0, 8, 3, 0, 0, 0, 1}, "header"},
		{"truncated", idxBytes([]byte{0, 0, 0, 4}, []byte{1, 2, 3}), "payload"},
		{"trailing", idxBytes([]byte{0, 0, 0, 2}, []byte{1, 2, 3}), "payload"},
		{"terabytes", idxBytes([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0}, []byte{1}), "payload"},
		{"dim 2^32-1", idxBytes([]byte{0xff, 0xff, 0xff, 0xff}, nil), "larger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeIDX(tc.data)
			if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidData mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestIDXSetFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, gz bool) string {
		p := filepath.Join(dir, name)
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			data = b.Bytes()
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	img := write("img.gz", idxBytes([]byte{0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2}, []byte{0, 255, 10, 20}), true)
	lbl := write("lbl", idxBytes([]byte{0, 0, 0, 2}, []byte{3, 4}), false)
	s, err := LoadIDXSet(img, lbl)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || s.Rows != 1 || s.Cols != 2 || s.Labels[1] != 4 {
		t.Fatalf("%+v", s)
	}
	lbl3 := write("lbl3", idxBytes([]byte{0, 0, 0, 3}, []byte{3, 4, 5}), false)
	if _, err := LoadIDXSet(img, lbl3); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("count mismatch: %v", err)
	}
	if _, err := LoadIDXSet(lbl, lbl); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("1-D images: %v", err)
	}
	badgz := write("bad.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}, false)
	if _, err := ReadIDXFile(badgz); !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "bad.gz") {
		t.Fatalf("corrupt gzip: %v", err)
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
}
