package mapper

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"

	"github.com/rramc/rramc/importer/atomicfile"
	"github.com/rramc/rramc/quant"
)

// Mapping file framing (doc.go describes the body).
const (
	fileMagic   = "RRAMCMAP"
	FileVersion = 2
	headerSize  = 8 + 4 + 8 // magic, version, body length
	trailerSize = 4         // CRC-32C
)

// ErrCorruptFile is wrapped by every Decode error caused by the bytes
// (truncation, bad checksum, wrong version, inconsistent layout).
var ErrCorruptFile = errors.New("mapper: invalid mapping file")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode serializes m (format in doc.go).
func Encode(m *Mapping) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if _, err := LookupScheme(m.Scheme); err != nil {
		return nil, err
	}
	blob, err := m.Net.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("mapper: encoding the network: %w", err)
	}
	e := &enc{b: make([]byte, headerSize, headerSize+len(blob)+estimateSize(m))}
	copy(e.b, fileMagic)
	binary.LittleEndian.PutUint32(e.b[8:], FileVersion)
	e.str(m.Scheme)
	e.uint(uint64(m.MaxShare))
	e.uint(uint64(m.Window))
	g := m.Geometry
	for _, v := range []int{g.XbarRows, g.XbarCols, g.OURows, g.OUCols, g.CellBits} {
		e.uint(uint64(v))
	}
	e.b = binary.LittleEndian.AppendUint64(e.b, uint64(len(blob)))
	e.b = append(e.b, blob...)
	e.uint(uint64(len(m.Layers)))
	for _, lm := range m.Layers {
		e.str(lm.Name)
		e.uint(uint64(len(lm.Groups)))
		for _, gm := range lm.Groups {
			e.group(gm, max(g.CellBits, 1))
		}
	}
	binary.LittleEndian.PutUint64(e.b[12:], uint64(len(e.b)-headerSize))
	e.b = binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli))
	return e.b, nil
}

func estimateSize(m *Mapping) int {
	n := 0
	for _, lm := range m.Layers {
		for _, g := range lm.Groups {
			n += len(g.OUs)*6 + len(g.RowIdx) + len(g.Owners)*3 + g.Columns() + len(g.ColBits)*2
		}
	}
	return n + 64
}

type enc struct{ b []byte }

func (e *enc) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) str(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }

// packOwner packs an index entry: zigzag(Out − previous Out)<<5 |
// Complement<<4 | Bit. Negate is not stored: it is Bit == B−1.
func packOwner(o Owner, prevOut int32) uint64 {
	v := zigzag(int64(o.Out)-int64(prevOut))<<5 | uint64(o.Bit)
	if o.Complement {
		v |= 1 << 4
	}
	return v
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func (e *enc) group(g *GroupMap, cellBits int) {
	e.uint(uint64(g.Crossbars))
	e.uint(uint64(g.Words))
	e.uint(uint64(len(g.OUs)))
	// OU fields relative to the previous OU, so that runs cost one byte each
	var xb, rs, end int64
	for _, ou := range g.OUs {
		e.uint(zigzag(int64(ou.Crossbar) - xb))
		e.uint(zigzag(int64(ou.RowStart) - rs))
		e.uint(uint64(ou.RowCount))
		e.uint(zigzag(int64(ou.ColStart) - end))
		e.uint(uint64(ou.ColCount))
		if ou.SumCol < 0 {
			e.uint(0)
		} else {
			e.uint(1 + zigzag(int64(ou.SumCol)-int64(ou.ColStart)))
		}
		xb, rs, end = int64(ou.Crossbar), int64(ou.RowStart), int64(ou.ColStart)+int64(ou.ColCount)
	}
	// row index, delta coded: zigzag(r - prev - 1), so runs are zero bytes
	e.uint(uint64(len(g.RowIdx)))
	prev := int64(-1)
	for _, r := range g.RowIdx {
		e.b = binary.AppendVarint(e.b, int64(r)-prev-1)
		prev = int64(r)
	}
	// owners per column, run-length coded: (count, run length) pairs
	e.uint(uint64(g.Columns()))
	var runs [][2]int32
	for c := 0; c < g.Columns(); c++ {
		n := g.OwnerStart[c+1] - g.OwnerStart[c]
		if len(runs) > 0 && runs[len(runs)-1][0] == n {
			runs[len(runs)-1][1]++
		} else {
			runs = append(runs, [2]int32{n, 1})
		}
	}
	e.uint(uint64(len(runs)))
	for _, r := range runs {
		e.uint(uint64(r[0]))
		e.uint(uint64(r[1]))
	}
	prevOut := int32(0)
	for _, o := range g.Owners {
		e.uint(packOwner(o, prevOut))
		prevOut = o.Out
	}
	// cells: for each OU, each of its columns, each bit plane (low first),
	// RowCount bits, LSB first
	var cells int64
	for _, ou := range g.OUs {
		cells += int64(ou.ColCount) * int64(ou.RowCount)
	}
	nbytes := (cells*int64(cellBits) + 7) / 8
	e.uint(uint64(nbytes))
	bw := bitWriter{out: e.b}
	rw := g.Words / cellBits
	for _, ou := range g.OUs {
		for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
			for p := 0; p < cellBits; p++ {
				col := g.ColBits[int(c)*g.Words+p*rw : int(c)*g.Words+(p+1)*rw]
				for wi, rem := 0, uint(ou.RowCount); rem > 0; wi++ {
					n := min(rem, 64)
					bw.put(col[wi]&rowMask(0, int(n)), n)
					rem -= n
				}
			}
		}
	}
	e.b = bw.flush()
}

// Decode parses a mapping file and validates it completely (checksum,
// network, every layout index), so that the result can be simulated or
// reconstructed without further checks. Errors wrap ErrCorruptFile.
func Decode(data []byte) (*Mapping, error) {
	if len(data) < len(fileMagic) || string(data[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("%w: not a mapping file (bad magic)", ErrCorruptFile)
	}
	if len(data) < headerSize+trailerSize {
		return nil, fmt.Errorf("%w: truncated: %d bytes, header and checksum need %d", ErrCorruptFile, len(data), headerSize+trailerSize)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != FileVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrCorruptFile, v, FileVersion)
	}
	body := binary.LittleEndian.Uint64(data[12:])
	if have := uint64(len(data) - headerSize - trailerSize); body != have {
		if body > have {
			return nil, fmt.Errorf("%w: truncated: header announces %d body bytes, file holds %d", ErrCorruptFile, body, have)
		}
		return nil, fmt.Errorf("%w: %d bytes of trailing garbage after the %d-byte body", ErrCorruptFile, have-body, body)
	}
	end := len(data) - trailerSize
	if want, got := binary.LittleEndian.Uint32(data[end:]), crc32.Checksum(data[:end], castagnoli); want != got {
		return nil, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x): file corrupted", ErrCorruptFile, want, got)
	}
	d := &dec{b: data[headerSize:end]}
	m := &Mapping{}
	m.Scheme = d.str("scheme")
	m.MaxShare = d.small("max share")
	m.Window = d.small("window")
	g := &m.Geometry
	g.XbarRows, g.XbarCols, g.OURows, g.OUCols, g.CellBits = d.small("xbar rows"), d.small("xbar cols"), d.small("OU rows"), d.small("OU cols"), d.small("cell bits")
	if d.err == nil {
		if _, err := LookupScheme(m.Scheme); err != nil {
			d.fail("%v", err)
		} else if err := g.Validate(); err != nil {
			d.fail("%v", err)
		}
	}
	blob := d.bytes("network", d.u64())
	if d.err != nil {
		return nil, d.err
	}
	net, err := quant.UnmarshalNetwork(blob)
	if err != nil {
		return nil, fmt.Errorf("%w: network: %w", ErrCorruptFile, err)
	}
	m.Net = net
	nl := d.count("layers", 2)
	if d.err == nil && nl != len(net.Linears) {
		d.fail("%d layer maps for %d linear layers", nl, len(net.Linears))
	}
	m.Layers = make([]*LayerMap, 0, nl)
	for li := 0; li < nl && d.err == nil; li++ {
		lm := &LayerMap{Name: d.str("layer name")}
		ng := d.count("groups", 1)
		for gi := 0; gi < ng && d.err == nil; gi++ {
			d.where = fmt.Sprintf("layer %d %q group %d", li, lm.Name, gi)
			lm.Groups = append(lm.Groups, d.group(g.words(), g.CellBits, net.Linears[li].WBits))
		}
		d.where = ""
		m.Layers = append(m.Layers, lm)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d unread bytes after the last layer", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptFile, err)
	}
	return m, nil
}

type dec struct {
	b     []byte
	err   error
	where string
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		msg := fmt.Sprintf(format, args...)
		if d.where != "" {
			msg = d.where + ": " + msg
		}
		d.err = fmt.Errorf("%w: %s", ErrCorruptFile, msg)
	}
}

func (d *dec) uint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("%s: truncated or overlong varint", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) int(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("%s: truncated or overlong varint", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// small reads a non-negative value that must fit in an int32.
func (d *dec) small(what string) int {
	v := d.uint(what)
	if v > 1<<31-1 {
		d.fail("%s: %d out of range", what, v)
		return 0
	}
	return int(v)
}

// count reads a length whose elements take at least minSize bytes each and
// checks it against the bytes left, so nothing is allocated for a count the
// file cannot hold.
func (d *dec) count(what string, minSize int) int {
	v := d.uint(what)
	if d.err == nil && v > uint64(len(d.b)/minSize) {
		d.fail("%s: count %d needs at least %d bytes, %d left", what, v, v*uint64(minSize), len(d.b))
		return 0
	}
	return int(v)
}

func (d *dec) u64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated length")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *dec) bytes(what string, n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("%s: %d bytes announced, %d left", what, n, len(d.b))
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *dec) str(what string) string {
	n := d.count(what, 1)
	return string(d.bytes(what, uint64(n)))
}

// group decodes one group map; words is the geometry's words per column
// (cellBits bit planes).
func (d *dec) group(words, cellBits, wbits int) *GroupMap {
	cellBits = max(cellBits, 1)
	rw := words / cellBits
	g := &GroupMap{}
	g.Crossbars = d.small("crossbars")
	g.Words = d.small("words")
	if d.err == nil && g.Words != words {
		d.fail("%d words per column, geometry needs %d", g.Words, words)
	}
	nou := d.count("OUs", 6)
	g.OUs = make([]OU, nou)
	var cells int64
	cols := 0
	var xb, rs, end int64
	for i := range g.OUs {
		ou := &g.OUs[i]
		xb += unzigzag(d.uint("crossbar"))
		rs += unzigzag(d.uint("row start"))
		rc := d.small("row count")
		cs := end + unzigzag(d.uint("col start"))
		cc := d.small("col count")
		sum := d.uint("sum column")
		sc := int64(-1)
		if sum > 0 {
			sc = cs + unzigzag(sum-1)
		}
		for _, v := range []int64{xb, rs, cs, sc} {
			if v < -1 || v > 1<<31-1 {
				d.fail("OU %d: field %d out of range", i, v)
				return g
			}
		}
		if xb < 0 || rs < 0 || cs < 0 {
			d.fail("OU %d: negative index", i)
			return g
		}
		if rc < 1 || cc < 1 {
			d.fail("OU %d: %d rows × %d columns", i, rc, cc)
			return g
		}
		*ou = OU{Crossbar: int32(xb), RowStart: int32(rs), RowCount: int32(rc), ColStart: int32(cs), ColCount: int32(cc), SumCol: int32(sc)}
		end = cs + int64(cc)
		cells += int64(ou.ColCount) * int64(ou.RowCount)
		cols += int(ou.ColCount)
	}
	nr := d.count("row index", 1)
	g.RowIdx = make([]int32, nr)
	prev := int64(-1)
	for i := range g.RowIdx {
		r := prev + 1 + d.int("row index")
		if d.err == nil && (r < 0 || r > 1<<31-1) {
			d.fail("row index %d: %d out of range", i, r)
		}
		g.RowIdx[i] = int32(r)
		prev = r
	}
	// every column has at least one cell (cellBits bits) in the cell stream
	// that follows
	cellBitsTotal := cells * int64(cellBits)
	if d.err == nil && cellBitsTotal > 8*int64(len(d.b)) {
		d.fail("%d cells of %d bits do not fit in the %d bytes left", cells, cellBits, len(d.b))
	}
	// the in-memory columns (words each) stay proportional to the file:
	// beyond 64 MiB, at most one word per cell bit plus one per column plane
	if d.err == nil && int64(cols)*int64(words) > max(cellBitsTotal+int64(cols)*int64(cellBits), 1<<23) {
		d.fail("%d columns of %d words for only %d cells", cols, words, cells)
	}
	nc := d.small("columns")
	if d.err == nil && nc != cols {
		d.fail("%d columns, OUs hold %d", nc, cols)
	}
	nruns := d.count("owner count runs", 2)
	if d.err != nil {
		return g
	}
	g.OwnerStart = make([]int32, nc+1)
	c, total := 0, int64(0)
	for range nruns {
		n, run := d.small("owners of a column"), d.small("run length")
		if d.err == nil && (run > nc-c || int64(n)*int64(run) > int64(len(d.b))-total) {
			d.fail("owner count run %d×%d does not fit (%d columns, %d bytes left)", run, n, nc, len(d.b))
		}
		if d.err != nil {
			return g
		}
		for range run {
			total += int64(n)
			g.OwnerStart[c+1] = int32(total)
			c++
		}
	}
	if c != nc {
		d.fail("owner count runs cover %d of %d columns", c, nc)
		return g
	}
	no := int(total) // ≤ bytes left: every owner takes at least one byte
	g.Owners = make([]Owner, no)
	prevOut := int64(0)
	for i := range g.Owners {
		v := d.uint("owner")
		out := prevOut + unzigzag(v>>5)
		if d.err == nil && (out < 0 || out > 1<<31-1) {
			d.fail("owner %d: output %d out of range", i, out)
		}
		bit := uint8(v & 15)
		g.Owners[i] = Owner{Out: int32(out), Bit: bit, Negate: int(bit) == wbits-1, Complement: v&(1<<4) != 0}
		prevOut = out
	}
	nb := d.uint("cell bytes")
	if d.err == nil && nb != uint64((cellBitsTotal+7)/8) {
		d.fail("%d cell bytes for %d cells of %d bits", nb, cells, cellBits)
	}
	stream := d.bytes("cells", nb)
	if d.err != nil {
		return g
	}
	// every column has at least one cell (RowCount ≥ 1 is checked below), so
	// nc ≤ cells ≤ 8·len(stream): the allocation is bounded by the file
	for _, ou := range g.OUs {
		if ou.RowCount <= 0 || ou.RowCount > int32(64*rw) {
			d.fail("OU with %d rows", ou.RowCount)
			return g
		}
	}
	g.ColBits = make([]uint64, nc*words)
	br := bitReader{b: stream}
	for _, ou := range g.OUs {
		if ou.ColStart < 0 || int(ou.ColStart)+int(ou.ColCount) > nc {
			d.fail("OU columns %d+%d of %d", ou.ColStart, ou.ColCount, nc)
			return g
		}
		for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
			for p := 0; p < cellBits; p++ {
				col := g.ColBits[int(c)*words+p*rw : int(c)*words+(p+1)*rw]
				for j := 0; j < int(ou.RowCount); j += 32 {
					n := min(int(ou.RowCount)-j, 32)
					col[j/64] |= br.get(uint(n)) << (j % 64)
				}
			}
		}
	}
	return g
}

// WriteFile writes m to path atomically: to a temporary file in the same
// directory, synced, then renamed over path.
func WriteFile(path string, m *Mapping) error {
	data, err := Encode(m)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("mapper: %w", err)
	}
	return nil
}

// ReadFile reads and decodes a mapping file; errors name the file.
func ReadFile(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapper: %w", err)
	}
	m, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
