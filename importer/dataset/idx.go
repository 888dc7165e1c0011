package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// ErrInvalidData is wrapped by every error caused by a malformed data file
// (IDX or .npy) or by arguments that do not fit the data, so that callers
// (the CLI maps it to exit code 2) can tell bad input from runtime failures
// with errors.Is.
var ErrInvalidData = errors.New("invalid data")

// MaxFileBytes bounds the decompressed size of an IDX file and the size of
// an .npy file this package accepts. It keeps a gzip bomb or a forged header
// from exhausting memory: 1 GiB is far above any data set rramc evaluates on
// a single machine (MNIST training images are 47 MB).
const MaxFileBytes = 1 << 30

// idxUbyte is the IDX element-type code for unsigned bytes, the only type
// the MNIST files use and the only one this reader accepts.
const idxUbyte = 0x08

// IDX is a decoded IDX file (the format of the MNIST distribution): a shape
// and its unsigned-byte elements in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidData}, args...)...)
}

// DecodeIDX parses an uncompressed IDX file. It accepts only the unsigned
// byte element type and requires the payload length to equal the product of
// the declared dimensions exactly (no truncation, no trailing bytes). No
// memory is allocated from header numbers: the payload is a sub-slice of
// data.
func DecodeIDX(data []byte) (*IDX, error) {
	if len(data) < 4 {
		return nil, invalidf("idx: file has %d bytes, shorter than the 4-byte magic", len(data))
	}
	if data[0] != 0 || data[1] != 0 {
		return nil, invalidf("idx: bad magic %#x %#x (want two zero bytes)", data[0], data[1])
	}
	if data[2] != idxUbyte {
		return nil, invalidf("idx: element type %#x not supported (only unsigned byte %#x)", data[2], idxUbyte)
	}
	nd := int(data[3])
	if nd < 1 || nd > 8 {
		return nil, invalidf("idx: %d dimensions (want 1..8)", nd)
	}
	hdr := 4 + 4*nd
	if len(data) < hdr {
		return nil, invalidf("idx: file has %d bytes, header of %d dimensions needs %d", len(data), nd, hdr)
	}
	dims := make([]int, nd)
	for i := range dims {
		d := binary.BigEndian.Uint32(data[4+4*i:])
		if d > uint32(MaxFileBytes) {
			return nil, invalidf("idx: dimension %d is %d, larger than any accepted file", i, d)
		}
		dims[i] = int(d)
	}
	total := 1
	if slices.Contains(dims, 0) {
		total = 0 // an empty array: the payload must be empty too
	}
	for i, d := range dims {
		// Compare before multiplying so the product can never overflow:
		// it stays bounded by the payload length, itself an int.
		if total != 0 && total > (len(data)-hdr)/d {
			return nil, invalidf("idx: dimensions %v need more than the %d payload bytes present", dims[:i+1], len(data)-hdr)
		}
		total *= d
	}
	if got := len(data) - hdr; got != total {
		return nil, invalidf("idx: dimensions %v need %d payload bytes, file has %d", dims, total, got)
	}
	return &IDX{Dims: dims, Data: data[hdr:]}, nil
}

// ReadIDX reads an IDX file from r, gunzipping it when it starts with the
// gzip magic. The decompressed size is capped at MaxFileBytes.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := io.LimitReader(r, MaxFileBytes+1)
	raw, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("idx: read: %w", err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, invalidf("idx: gzip header: %v", err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, MaxFileBytes+1))
		if err != nil {
			return nil, invalidf("idx: gzip data: %v", err)
		}
	}
	if len(raw) > MaxFileBytes {
		return nil, invalidf("idx: larger than %d bytes", MaxFileBytes)
	}
	return DecodeIDX(raw)
}

// ReadIDXFile reads an IDX file (plain or gzipped) by path; errors name it.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, invalidf("%s is a directory, not a file", path)
	}
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// EncodeIDX writes x as an uncompressed IDX file of unsigned bytes.
func EncodeIDX(w io.Writer, x *IDX) error {
	if len(x.Dims) < 1 || len(x.Dims) > 8 {
		return invalidf("idx: %d dimensions (want 1..8)", len(x.Dims))
	}
	total := 1
	if slices.Contains(x.Dims, 0) {
		total = 0
	}
	hdr := make([]byte, 4+4*len(x.Dims))
	hdr[2] = idxUbyte
	hdr[3] = byte(len(x.Dims))
	for i, d := range x.Dims {
		if d < 0 || int64(d) > int64(^uint32(0)) {
			return invalidf("idx: dimension %d is %d", i, d)
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		if total != 0 && total > len(x.Data)/d {
			return invalidf("idx: dimensions %v need more than the %d bytes present", x.Dims, len(x.Data))
		}
		total *= d
	}
	if total != len(x.Data) {
		return invalidf("idx: dimensions %v need %d bytes, have %d", x.Dims, total, len(x.Data))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}
