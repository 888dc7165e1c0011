package quant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Binary encoding of a Network (used inside mapping files).
//
//	magic "RRQN", uvarint version, then the fields in declaration order.
//	Version 2 has the input and output element types after PostAxis;
//	version 1 lacks them (both float), and a network with float input and
//	output is still written as version 1, byte for byte as before.
//	Version 3 (networks with several inputs) has, where versions 1 and 2
//	have the input's value index and name, the number of inputs and each
//	input's value index and name, and after PostAxis each input's element
//	type and the output's. A one-input network is written as version 1 or
//	2 as before. Version 4 is version 3 with each op's Mode after its
//	Table; it is written only when some op has a Mode other than 0, so
//	every other network keeps its bytes. Version 5 (networks with several
//	outputs) is version 4 with, where the earlier versions have the
//	output's value index, name, post op and post axis, the number of
//	outputs and those four fields for each, and after the inputs' element
//	types each output's. Integers as zigzag varints,
//	floats as 8-byte little-endian IEEE 754, strings and slices as a uvarint length followed by the elements.
//
// Every length is checked against the bytes left before anything is
// allocated, and the decoded network is validated (indices, shapes, code
// ranges) before it is returned, so corrupt input gives an error, never a
// panic or a huge allocation.
const (
	netMagic   = "RRQN"
	netVersion = 5
)

// ErrCorrupt is wrapped by every UnmarshalNetwork error.
var ErrCorrupt = errors.New("quant: corrupt network encoding")

type encoder struct{ b []byte }

func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) f64(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) ints(v []int) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.int(int64(x))
	}
}
func (e *encoder) i32s(v []int32) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.int(int64(x))
	}
}

// MarshalBinary encodes the network (see the format above).
func (n *Network) MarshalBinary() ([]byte, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	e := &encoder{b: []byte(netMagic)}
	version := uint64(1)
	switch {
	case len(n.Outputs) > 1:
		version = 5
	case n.hasModes():
		version = 4
	case len(n.Inputs) > 1:
		version = 3
	case n.hasTypedIO():
		version = 2
	}
	e.uint(version)
	c := &n.Config
	for _, v := range []int{c.WBits, c.ABits, c.Calib, c.Workers} {
		e.int(int64(v))
	}
	e.bool(c.PerChannel)
	e.str(c.CalibMethod)
	e.f64(c.Percentile)
	e.f64(c.Prune)
	e.str(c.PruneScope)
	e.str(c.PruneStructure)
	e.str(c.PruneNorm)
	e.bool(c.PruneFirst)
	e.bool(c.PruneLast)

	if version >= 3 {
		e.uint(uint64(len(n.Inputs)))
	}
	for _, in := range n.Inputs {
		e.int(int64(in.Value))
		e.str(in.Name)
	}
	if version >= 5 {
		e.uint(uint64(len(n.Outputs)))
	}
	for _, o := range n.Outputs {
		e.int(int64(o.Value))
		e.str(o.Name)
		e.str(o.Post)
		e.int(int64(o.PostAxis))
	}
	if version >= 2 {
		for _, dt := range n.ioTypes() {
			e.int(int64(dt))
		}
	}

	e.uint(uint64(len(n.Values)))
	for _, v := range n.Values {
		e.str(v.Name)
		e.ints(v.Shape)
		e.f64(v.Scale)
		e.bool(v.Signed)
		e.int(int64(v.Bits))
	}
	e.uint(uint64(len(n.Linears)))
	for _, l := range n.Linears {
		e.int(int64(l.Index))
		e.str(l.Name)
		e.str(l.Op)
		for _, v := range []int{l.K, l.N, l.Groups, l.WBits, l.ABits} {
			e.int(int64(v))
		}
		e.bool(l.InputSigned)
		e.uint(uint64(len(l.WScale)))
		for _, s := range l.WScale {
			e.f64(s)
		}
		e.uint(uint64(len(l.Weights)))
		for _, w := range l.Weights {
			e.i32s(w)
		}
	}
	e.uint(uint64(len(n.Ops)))
	for i := range n.Ops {
		op := &n.Ops[i]
		e.uint(uint64(op.Kind))
		e.str(op.Name)
		e.ints(op.In)
		e.int(int64(op.Out))
		e.int(int64(op.Linear))
		e.bool(op.Win != nil)
		if w := op.Win; w != nil {
			for _, v := range []int{w.KH, w.KW, w.StrideH, w.StrideW, w.PadT, w.PadL, w.PadB, w.PadR,
				w.DilH, w.DilW, w.InC, w.InH, w.InW, w.OutH, w.OutW} {
				e.int(int64(v))
			}
			e.bool(w.CountIncludePad)
		}
		e.i32s(op.Bias)
		e.uint(uint64(len(op.Mult)))
		for _, m := range op.Mult {
			e.int(int64(m.M0))
			e.uint(uint64(m.Shift))
		}
		e.uint(uint64(len(op.Neg)))
		for _, b := range op.Neg {
			e.bool(b)
		}
		e.int(int64(op.Lo))
		e.int(int64(op.Hi))
		e.int(int64(op.Axis))
		e.ints(op.Perm)
		e.i32s(op.Table)
		if version >= 4 {
			e.int(int64(op.Mode))
		}
	}
	e.uint(uint64(len(n.Layers)))
	for _, s := range n.Layers {
		e.str(s.Name)
		for _, v := range []int{s.Weights, s.Pruned, s.Zeros, s.PrunedChannels} {
			e.int(int64(v))
		}
	}
	return e.b, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[k:]
	return v
}

// small reads an int that must fit comfortably in an int32.
func (d *decoder) small(what string) int {
	v := d.int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("%s %d out of range", what, v)
		return 0
	}
	return int(v)
}

// count reads a length whose elements take at least minSize bytes each and
// checks it against the bytes left.
func (d *decoder) count(what string, minSize int) int {
	v := d.uint()
	if d.err != nil {
		return 0
	}
	if v > uint64(len(d.b)/minSize) {
		d.fail("%s count %d exceeds the %d bytes left", what, v, len(d.b))
		return 0
	}
	return int(v)
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) < 1 || d.b[0] > 1 {
		d.fail("bad bool")
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *decoder) f64() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) str() string {
	n := d.count("string", 1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) ints(what string) []int {
	n := d.count(what, 1)
	if n == 0 {
		return nil
	}
	v := make([]int, n)
	for i := range v {
		v[i] = d.small(what)
	}
	return v
}

func (d *decoder) i32s(what string) []int32 {
	n := d.count(what, 1)
	if n == 0 {
		return nil
	}
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(d.small(what))
	}
	return v
}

// UnmarshalNetwork decodes a Network written by MarshalBinary and validates
// it. Errors wrap ErrCorrupt.
func UnmarshalNetwork(data []byte) (*Network, error) {
	if len(data) < len(netMagic) || string(data[:len(netMagic)]) != netMagic {
		return nil, fmt.Errorf("%w: bad magic (not a quantized network)", ErrCorrupt)
	}
	d := &decoder{b: data[len(netMagic):]}
	version := d.uint()
	if d.err == nil && (version < 1 || version > netVersion) {
		return nil, fmt.Errorf("%w: version %d, this build reads versions 1 to %d", ErrCorrupt, version, netVersion)
	}
	n := &Network{}
	c := &n.Config
	c.WBits, c.ABits, c.Calib, c.Workers = d.small("wbits"), d.small("abits"), d.small("calib"), d.small("workers")
	c.PerChannel = d.bool()
	c.CalibMethod = d.str()
	c.Percentile = d.f64()
	c.Prune = d.f64()
	c.PruneScope = d.str()
	c.PruneStructure = d.str()
	c.PruneNorm = d.str()
	c.PruneFirst = d.bool()
	c.PruneLast = d.bool()
	if c.Workers < 0 {
		c.Workers = 0
	}

	inputs := 1
	if version >= 3 {
		inputs = d.count("inputs", 2)
	}
	n.Inputs = make([]Input, inputs)
	for i := range n.Inputs {
		n.Inputs[i].Value = d.small("input")
		n.Inputs[i].Name = d.str()
	}
	outputs := 1
	if version >= 5 {
		outputs = d.count("outputs", 4)
	}
	n.Outputs = make([]Output, outputs)
	for i := range n.Outputs {
		o := &n.Outputs[i]
		o.Value = d.small("output")
		o.Name = d.str()
		o.Post = d.str()
		o.PostAxis = d.small("post axis")
		if o.Post != "" && o.Post != "Softmax" && o.Post != "LogSoftmax" {
			d.fail("post op %q", o.Post)
		}
	}
	if version >= 2 {
		for i := range n.Inputs {
			n.Inputs[i].DType = importer.DataType(d.small("input element type"))
		}
		for i := range n.Outputs {
			n.Outputs[i].DType = importer.DataType(d.small("output element type"))
		}
	}

	nv := d.count("values", 12)
	n.Values = make([]Value, nv)
	for i := range n.Values {
		v := &n.Values[i]
		v.Name = d.str()
		v.Shape = d.ints("shape")
		v.Scale = d.f64()
		v.Signed = d.bool()
		v.Bits = d.small("bits")
	}
	nl := d.count("linears", 12)
	n.Linears = make([]*Linear, nl)
	for i := range n.Linears {
		l := &Linear{}
		l.Index = d.small("index")
		l.Name = d.str()
		l.Op = d.str()
		l.K, l.N, l.Groups, l.WBits, l.ABits = d.small("K"), d.small("N"), d.small("groups"), d.small("wbits"), d.small("abits")
		l.InputSigned = d.bool()
		ns := d.count("weight scales", 8)
		l.WScale = make([]float64, ns)
		for j := range l.WScale {
			l.WScale[j] = d.f64()
		}
		ng := d.count("weight groups", 1)
		l.Weights = make([][]int32, ng)
		for g := range l.Weights {
			l.Weights[g] = d.i32s("weights")
		}
		l.cache = &packCache{}
		n.Linears[i] = l
	}
	no := d.count("ops", 12)
	n.Ops = make([]Op, no)
	for i := range n.Ops {
		op := &n.Ops[i]
		k := d.uint()
		if k == 0 || k >= uint64(opKindEnd) {
			d.fail("op %d: kind %d", i, k)
		}
		op.Kind = OpKind(k)
		op.Name = d.str()
		op.In = d.ints("op inputs")
		op.Out = d.small("op output")
		op.Linear = d.small("op linear")
		if d.bool() {
			w := &Window{}
			for _, p := range []*int{&w.KH, &w.KW, &w.StrideH, &w.StrideW, &w.PadT, &w.PadL, &w.PadB, &w.PadR,
				&w.DilH, &w.DilW, &w.InC, &w.InH, &w.InW, &w.OutH, &w.OutW} {
				*p = d.small("window")
			}
			w.CountIncludePad = d.bool()
			op.Win = w
		}
		op.Bias = d.i32s("bias")
		nm := d.count("multipliers", 2)
		op.Mult = make([]Multiplier, nm)
		for j := range op.Mult {
			m0 := d.small("multiplier")
			sh := d.uint()
			if m0 < 0 || sh > 62 {
				d.fail("multiplier %d >> %d", m0, sh)
			}
			op.Mult[j] = Multiplier{M0: int32(m0), Shift: uint8(sh)}
		}
		nn := d.count("signs", 1)
		op.Neg = make([]bool, nn)
		for j := range op.Neg {
			op.Neg[j] = d.bool()
		}
		op.Lo, op.Hi = int32(d.small("lo")), int32(d.small("hi"))
		op.Axis = d.small("axis")
		op.Perm = d.ints("perm")
		op.Table = d.i32s("table")
		if version >= 4 {
			op.Mode = d.small("mode")
		}
		if d.err != nil {
			break
		}
	}
	ns := d.count("layer stats", 5)
	n.Layers = make([]LayerStats, ns)
	for i := range n.Layers {
		s := &n.Layers[i]
		s.Name = d.str()
		s.Weights, s.Pruned, s.Zeros, s.PrunedChannels = d.small("weights"), d.small("pruned"), d.small("zeros"), d.small("channels")
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	if err := n.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return n, nil
}

// hasModes reports an op with a Mode other than 0 (version 4).
func (n *Network) hasModes() bool {
	for i := range n.Ops {
		if n.Ops[i].Mode != 0 {
			return true
		}
	}
	return false
}

// hasTypedIO reports an input or output that is not float (version 2).
func (n *Network) hasTypedIO() bool {
	for _, dt := range n.ioTypes() {
		if dt != importer.Undefined && dt != importer.Float {
			return true
		}
	}
	return false
}
