package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/atomicfile"
)

// npyMagic starts every .npy file (NumPy format specification, NEP 1).
const npyMagic = "\x93NUMPY"

// npyType ties a NumPy dtype descriptor to its tensor element type.
type npyType struct {
	descr string
	dtype importer.DataType
	size  int
}

// npyTypes lists the accepted descriptors. One-byte types are written with
// NumPy's "|" (no byte order); "<" and "=" are accepted for them on read.
var npyTypes = []npyType{
	{"<f4", importer.Float, 4},
	{"<f8", importer.Double, 8},
	{"|i1", importer.Int8, 1},
	{"|u1", importer.Uint8, 1},
	{"<i2", importer.Int16, 2},
	{"<u2", importer.Uint16, 2},
	{"<i4", importer.Int32, 4},
	{"<u4", importer.Uint32, 4},
	{"<i8", importer.Int64, 8},
	{"<u8", importer.Uint64, 8},
	{"|b1", importer.Bool, 1},
}

func lookupDescr(d string) (npyType, error) {
	if len(d) == 3 && (d[0] == '<' || d[0] == '=' || d[0] == '|') {
		for _, t := range npyTypes {
			if t.descr[1:] == d[1:] && (d[0] != '|' || t.size == 1) {
				return t, nil
			}
		}
	}
	if len(d) == 3 && d[0] == '>' {
		for _, t := range npyTypes {
			if t.descr[1:] == d[1:] {
				if t.size == 1 {
					return t, nil
				}
				return npyType{}, invalidf("npy: big-endian dtype %q not supported (save with '<' byte order)", d)
			}
		}
	}
	return npyType{}, invalidf("npy: dtype %q not supported (want one of float32/64, int8/16/32/64, uint8/16/32/64, bool)", d)
}

// ReadNPY reads a .npy file. Errors name the file.
func ReadNPY(path string) (*importer.Tensor, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	t, err := DecodeNPY(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, invalidf("%s is a directory, not a file", path)
	}
	// Read into a buffer of the file's size (one allocation; ReadAll's
	// doubling would hold up to twice the file at once), still bounded.
	var data []byte
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= MaxFileBytes {
		data = make([]byte, 0, fi.Size()+1)
	}
	data, err = readAllInto(data, io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w", path, invalidf("larger than %d bytes", MaxFileBytes))
	}
	return data, nil
}

// DecodeNPY parses a .npy file held in memory: format versions 1.0, 2.0 and
// 3.0, C order, little-endian (or byte-sized) elements of the types in
// npyTypes. The payload must be exactly shape-product × item-size bytes.
// float64 values are rounded to float32 (the tensor type rramc computes in)
// with DType Double kept; uint64 values above MaxInt64 are rejected.
func DecodeNPY(data []byte) (*importer.Tensor, error) {
	shape, typ, payload, err := splitNPY(data)
	if err != nil {
		return nil, err
	}
	return decodeNPYPayload(shape, typ, payload)
}

// splitNPY checks a .npy file's header and returns its shape, element type
// and payload (exactly shape-product × item-size bytes).
func splitNPY(data []byte) (shape []int, typ npyType, payload []byte, err error) {
	shape, typ, off, err := parseNPYHead(data, len(data))
	if err != nil {
		return nil, typ, nil, err
	}
	return shape, typ, data[off:], nil
}

// npyHeadMax is how much of a file openNPYFile reads for the header: any
// header of format 1.0 (its length is 16 bits) and far more than numpy
// writes in the later formats.
const npyHeadMax = 1<<16 + 16

// npyPayloadFile is a .npy file whose payload is read in ranges of elements when
// needed instead of held whole (a float32 array would otherwise be in
// memory twice, as bytes and decoded). A file that is not a regular file
// (a pipe) is read whole once, as it cannot be read at an offset.
type npyPayloadFile struct {
	path  string
	shape []int
	typ   npyType
	off   int64  // payload offset in the file
	data  []byte // the payload, when read whole
}

// openNPYFile checks the file's header and its size against the shape.
func openNPYFile(path string) (*npyPayloadFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, invalidf("%s is a directory, not a file", path)
	}
	if !fi.Mode().IsRegular() {
		data, err := readCapped(path)
		if err != nil {
			return nil, err
		}
		shape, typ, payload, err := splitNPY(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &npyPayloadFile{path: path, shape: shape, typ: typ, data: payload}, nil
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w", path, invalidf("larger than %d bytes", MaxFileBytes))
	}
	head := make([]byte, min(fi.Size(), npyHeadMax))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	shape, typ, off, err := parseNPYHead(head, int(fi.Size()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &npyPayloadFile{path: path, shape: shape, typ: typ, off: int64(off)}, nil
}

// read returns the payload bytes of elements [first, first+n) (in range:
// the caller checks).
func (f *npyPayloadFile) read(first, n int) ([]byte, error) {
	lo, hi := first*f.typ.size, (first+n)*f.typ.size
	if f.data != nil {
		return f.data[lo:hi], nil
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	buf := make([]byte, hi-lo)
	if _, err := fh.ReadAt(buf, f.off+int64(lo)); err != nil {
		return nil, fmt.Errorf("%s: reading bytes %d..%d of the payload: %w", f.path, lo, hi, err)
	}
	return buf, nil
}

// parseNPYHead checks the header at the start of a .npy file of size bytes
// (data holds at least the header) and returns the shape, the element
// type and the payload's offset; the payload must be exactly
// shape-product × item-size bytes.
func parseNPYHead(data []byte, size int) (shape []int, typ npyType, off int, err error) {
	if len(data) < 10 || string(data[:6]) != npyMagic {
		return nil, typ, 0, invalidf("npy: missing \\x93NUMPY magic")
	}
	major, minor := data[6], data[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		hlen, off = int(binary.LittleEndian.Uint16(data[8:])), 10
	case (major == 2 || major == 3) && minor == 0:
		if len(data) < 12 {
			return nil, typ, 0, invalidf("npy: truncated header length")
		}
		h := binary.LittleEndian.Uint32(data[8:])
		if uint64(h) > uint64(size) {
			return nil, typ, 0, invalidf("npy: header length %d exceeds file size %d", h, size)
		}
		hlen, off = int(h), 12
	default:
		return nil, typ, 0, invalidf("npy: format version %d.%d not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if hlen > size-off {
		return nil, typ, 0, invalidf("npy: header length %d exceeds the %d bytes after it", hlen, size-off)
	}
	if hlen > len(data)-off {
		return nil, typ, 0, invalidf("npy: header length %d is longer than the %d bytes read", hlen, len(data)-off)
	}
	hdr, err := parseNPYHeader(string(data[off : off+hlen]))
	if err != nil {
		return nil, typ, 0, err
	}
	payloadLen := size - off - hlen
	typ, err = lookupDescr(hdr.descr)
	if err != nil {
		return nil, typ, 0, err
	}
	if hdr.fortran {
		return nil, typ, 0, invalidf("npy: fortran_order True not supported (save a C-contiguous array)")
	}
	count := 1
	if slices.Contains(hdr.shape, 0) {
		count = 0 // an empty array: the payload must be empty too
	}
	for i, d := range hdr.shape {
		if count == 0 {
			break
		}
		// Bounded by the payload: no product can overflow, nothing is
		// allocated from a forged dimension.
		if d != 0 && count > payloadLen/typ.size/d {
			return nil, typ, 0, invalidf("npy: shape %v of %s needs more than the %d payload bytes present", hdr.shape[:i+1], hdr.descr, payloadLen)
		}
		count *= d
	}
	if count*typ.size != payloadLen {
		return nil, typ, 0, invalidf("npy: shape %v of %s needs %d payload bytes, file has %d", hdr.shape, hdr.descr, count*typ.size, payloadLen)
	}
	return hdr.shape, typ, off + hlen, nil
}

// decodeNPYPayload converts a checked payload to a tensor.
func decodeNPYPayload(shape []int, typ npyType, payload []byte) (*importer.Tensor, error) {
	count := len(payload) / typ.size
	t := &importer.Tensor{DType: typ.dtype, Shape: shape}
	le := binary.LittleEndian
	switch typ.dtype {
	case importer.Float:
		t.Float = make([]float32, count)
		for i := range t.Float {
			t.Float[i] = math.Float32frombits(le.Uint32(payload[4*i:]))
		}
	case importer.Double:
		t.Float = make([]float32, count)
		for i := range t.Float {
			t.Float[i] = float32(math.Float64frombits(le.Uint64(payload[8*i:])))
		}
	default:
		t.Int = make([]int64, count)
		for i := range t.Int {
			var v int64
			switch typ.dtype {
			case importer.Int8:
				v = int64(int8(payload[i]))
			case importer.Uint8:
				v = int64(payload[i])
			case importer.Bool:
				if payload[i] > 1 {
					return nil, invalidf("npy: bool element %d has byte value %d (want 0 or 1)", i, payload[i])
				}
				v = int64(payload[i])
			case importer.Int16:
				v = int64(int16(le.Uint16(payload[2*i:])))
			case importer.Uint16:
				v = int64(le.Uint16(payload[2*i:]))
			case importer.Int32:
				v = int64(int32(le.Uint32(payload[4*i:])))
			case importer.Uint32:
				v = int64(le.Uint32(payload[4*i:]))
			case importer.Int64:
				v = int64(le.Uint64(payload[8*i:]))
			case importer.Uint64:
				u := le.Uint64(payload[8*i:])
				if u > math.MaxInt64 {
					return nil, invalidf("npy: uint64 element %d is %d, above the int64 range", i, u)
				}
				v = int64(u)
			}
			t.Int[i] = v
		}
	}
	return t, nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the header dictionary, a Python literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// with a small strict parser: exactly the three keys, each once, in any
// order; string values in single or double quotes without escapes; the
// shape a tuple of non-negative decimal integers. The header must end with
// a newline (possibly after padding spaces).
func parseNPYHeader(h string) (npyHeader, error) {
	var out npyHeader
	bad := func(format string, args ...any) (npyHeader, error) {
		return npyHeader{}, invalidf("npy: header %q: "+format, append([]any{truncate(h, 120)}, args...)...)
	}
	if !strings.HasSuffix(h, "\n") {
		return bad("does not end with a newline")
	}
	p := &scanner{s: h}
	p.space()
	if !p.eat('{') {
		return bad("does not start with '{'")
	}
	seen := map[string]bool{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return bad("expected a quoted key at offset %d", p.i)
		}
		if seen[key] {
			return bad("key %q repeated", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return bad("expected ':' after key %q", key)
		}
		p.space()
		switch key {
		case "descr":
			v, ok := p.str()
			if !ok {
				return bad("descr must be a quoted string (structured dtypes are not supported)")
			}
			out.descr = v
		case "fortran_order":
			switch {
			case p.word("True"):
				out.fortran = true
			case p.word("False"):
				out.fortran = false
			default:
				return bad("fortran_order must be True or False")
			}
		case "shape":
			s, err := p.tuple()
			if err != nil {
				return bad("shape: %v", err)
			}
			out.shape = s
		default:
			return bad("unexpected key %q", key)
		}
		p.space()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return bad("expected ',' or '}' at offset %d", p.i)
		}
	}
	if strings.TrimRight(h[p.i:], " \t\r\n\x00") != "" {
		return bad("unexpected text after the dictionary")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return bad("missing key %q", k)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

type scanner struct {
	s string
	i int
}

func (p *scanner) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *scanner) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *scanner) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.ContainsAny(v, "\\\n") {
		return "", false
	}
	p.i += j + 2
	return v, true
}

// maxNPYRank bounds the rank of a .npy array (NumPy's own limit is 64).
const maxNPYRank = 64

func (p *scanner) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected '('")
	}
	shape := []int{}
	for {
		p.space()
		if p.eat(')') {
			return shape, nil
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, fmt.Errorf("expected a non-negative integer at offset %d", p.i)
		}
		d, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil || d > MaxFileBytes {
			return nil, fmt.Errorf("dimension %q out of range", p.s[p.i:j])
		}
		if len(shape) == maxNPYRank {
			return nil, fmt.Errorf("rank above %d", maxNPYRank)
		}
		shape = append(shape, int(d))
		p.i = j
		p.space()
		if p.eat(')') {
			// Python needs the trailing comma for 1-tuples; NumPy always
			// writes it, but a missing one is harmless, so accept both.
			return shape, nil
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
		}
	}
}

// EncodeNPY writes t as a version 1.0 .npy file (2.0 if the header would not
// fit), C order, little-endian. The descriptor follows t.DType: Float,
// Float16 and BFloat16 are written as float32, Double as float64 (from the
// float32 values held), integer types and Bool as themselves. Integer
// values outside the range of the type are an error, not wrapped around.
func EncodeNPY(w io.Writer, t *importer.Tensor) error {
	s, err := NewNPYStream(w, t.DType, t.Shape)
	if err != nil {
		return err
	}
	if err := s.Write(t); err != nil {
		return err
	}
	return s.Close()
}

// NPYStream writes a .npy file whose element type and shape are known up
// front and whose values arrive in pieces (for example one batch of a large
// output at a time), so the whole array never has to be held in memory. The
// encoding is EncodeNPY's.
type NPYStream struct {
	w       io.Writer
	dt      importer.DataType // as written (Float16/BFloat16 become Float)
	typ     npyType
	want    int // elements the header declares
	written int
}

// NewNPYStream checks dt and shape and writes the .npy header to w.
func NewNPYStream(w io.Writer, dt importer.DataType, shape []int) (*NPYStream, error) {
	n := 1
	for i, d := range shape {
		if d < 0 {
			return nil, invalidf("npy: negative dimension %d at axis %d", d, i)
		}
		if d != 0 && n > math.MaxInt/d {
			return nil, invalidf("npy: shape %v overflows", shape)
		}
		n *= d
	}
	var typ npyType
	if dt == importer.Float16 || dt == importer.BFloat16 {
		dt = importer.Float
	}
	for _, c := range npyTypes {
		if c.dtype == dt {
			typ = c
		}
	}
	if typ.descr == "" {
		return nil, invalidf("npy: tensor element type %d cannot be written", dt)
	}

	var dims strings.Builder
	dims.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			dims.WriteString(", ")
		}
		dims.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		dims.WriteByte(',')
	}
	dims.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", typ.descr, dims.String())
	// Pad with spaces so magic+version+length+dict+newline is a multiple
	// of 64, as NumPy does, keeping the payload aligned for memory mapping.
	pre := 10
	if len(dict)+1+pre > math.MaxUint16 {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	header := dict + strings.Repeat(" ", total-pre-len(dict)-1) + "\n"

	buf := bytes.NewBuffer(make([]byte, 0, total))
	buf.WriteString(npyMagic)
	if pre == 10 {
		buf.Write([]byte{1, 0})
		buf.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(header))))
	} else {
		buf.Write([]byte{2, 0})
		buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	}
	buf.WriteString(header)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	return &NPYStream{w: w, dt: dt, typ: typ, want: n}, nil
}

// Write appends the values of t (any shape; its element type must be the
// stream's) after those already written.
func (s *NPYStream) Write(t *importer.Tensor) error {
	dt := t.DType
	if dt == importer.Float16 || dt == importer.BFloat16 {
		dt = importer.Float
	}
	if dt != s.dt {
		return invalidf("npy: writing element type %d into a stream of %s", t.DType, s.typ.descr)
	}
	n := t.Len()
	if dt.IsFloat() {
		if len(t.Float) != n {
			return invalidf("npy: shape %v has %d elements but tensor holds %d floats", t.Shape, n, len(t.Float))
		}
	} else if len(t.Int) != n {
		return invalidf("npy: shape %v has %d elements but tensor holds %d integers", t.Shape, n, len(t.Int))
	}
	if n > s.want-s.written {
		return invalidf("npy: %d more elements than the %d the header declares", s.written+n-s.want, s.want)
	}
	le := binary.LittleEndian
	b := make([]byte, 0, n*s.typ.size)
	switch dt {
	case importer.Float:
		for _, v := range t.Float {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	case importer.Double:
		for _, v := range t.Float {
			b = le.AppendUint64(b, math.Float64bits(float64(v)))
		}
	default:
		lo, hi := dt.IntRange()
		for i, v := range t.Int {
			if v < lo || v > hi {
				return invalidf("npy: element %d value %d outside the range of %s", s.written+i, v, s.typ.descr)
			}
			switch s.typ.size {
			case 1:
				b = append(b, byte(v))
			case 2:
				b = le.AppendUint16(b, uint16(v))
			case 4:
				b = le.AppendUint32(b, uint32(v))
			case 8:
				b = le.AppendUint64(b, uint64(v))
			}
		}
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	s.written += n
	return nil
}

// Close checks that exactly the elements the header declares were written
// (it does not close the underlying writer).
func (s *NPYStream) Close() error {
	if s.written != s.want {
		return invalidf("npy: %d elements written, the header declares %d", s.written, s.want)
	}
	return nil
}

// WriteNPY writes t to path through a temporary file in the same directory
// and a rename, so readers never see a half-written file.
func WriteNPY(path string, t *importer.Tensor) error {
	var buf bytes.Buffer
	if err := EncodeNPY(&buf, t); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// Labels converts a label tensor (integer element type, shape [N] or
// [N,1]) to class indices, rejecting negative values.
func Labels(t *importer.Tensor) ([]int, error) {
	if t.DType.IsFloat() || t.DType == importer.Bool {
		return nil, invalidf("labels: element type %d is not an integer type (want int64, int32 or uint8)", t.DType)
	}
	if !(len(t.Shape) == 1 || (len(t.Shape) == 2 && t.Shape[1] == 1)) {
		return nil, invalidf("labels: shape %v (want [N] or [N,1])", t.Shape)
	}
	if len(t.Int) != t.Shape[0] {
		return nil, invalidf("labels: shape %v but %d values", t.Shape, len(t.Int))
	}
	out := make([]int, len(t.Int))
	for i, v := range t.Int {
		if v < 0 || v > math.MaxInt32 {
			return nil, invalidf("labels: label %d is %d (want a non-negative class index)", i, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

// ReadLabelsNPY reads class labels from a .npy file (see Labels).
func ReadLabelsNPY(path string) ([]int, error) {
	t, err := ReadNPY(path)
	if err != nil {
		return nil, err
	}
	l, err := Labels(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// readAllInto appends everything r yields to buf (growing it only when the
// reader gives more than its capacity).
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
