package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// The op seam. Each integer op kind lives in one file (kind_*.go) that
// registers everything quant knows about it: how it executes in the golden
// model, how a Network file's op of that kind is checked, how it is written
// as QDQ ONNX, and which ONNX op types build it (registerBuilder). Adding a
// kind or an ONNX op touches that file only; nothing else switches over
// kinds or op names.

// kindSpec is one integer op kind.
type kindSpec struct {
	// inputs is the operand count (0 = 1, -1 = one or more).
	inputs int
	// keepsEncoding: the output has the input's codes (no clamp range of
	// its own).
	keepsEncoding bool
	// alias: the output shares the input's buffer (nothing executes).
	alias bool
	// modes is the number of variants the kind has (Op.Mode in [0, modes);
	// 0: the kind has one, Mode 0).
	modes  int
	exec   func(x *execCtx) error
	check  func(x *checkCtx) error
	export func(x *exportCtx) error
	// work is the digital work of one op per image (nil: the kind only
	// moves or relabels codes, which the cost model charges as buffer and
	// network traffic, not as arithmetic).
	work func(n *Network, op *Op) DigitalWork
	// traffic is the bits of codes one op reads from and writes to the tile
	// buffer per image (nil: every code of every operand read once, every
	// output code written once, each at its value's width; an alias moves
	// nothing).
	traffic func(n *Network, op *Op) (read, write int64)
}

// DigitalWork is what one op of the integer program asks of the
// accelerator's digital units per image; the cost model (hwsim) charges it
// to the tile of the linear layer the op follows. Each kind states its own
// work next to its arithmetic, so a new kind is charged without an edit in
// the cost model.
type DigitalWork struct {
	// Requant counts multiplier applications: requantizations, rescales to
	// a common scale, products of two codes.
	Requant int64
	// Activations counts activation functions applied (clamps, table
	// lookups).
	Activations int64
	// PoolOps counts comparisons or additions of pooling and reduction
	// windows, and the multiply-adds of interpolation.
	PoolOps int64
	// Adds counts elementwise additions of two values.
	Adds int64
	// ReadBits and WriteBits are the bits of codes the op reads from and
	// writes to the tile buffer: a code moves its value's width (Value.Bits),
	// so a 16-bit code of the residual stream moves twice the bits of an
	// 8-bit one. A crossbar layer's input and output codes are not here:
	// the cost model counts them per input vector.
	ReadBits, WriteBits int64
}

// Work returns the digital work of op per image: its arithmetic (none for a
// kind that only moves codes) and its buffer traffic (zero for an op that
// does not belong to a checked network).
func (n *Network) Work(op *Op) DigitalWork {
	if op == nil || int(op.Kind) >= len(kinds) || kinds[op.Kind] == nil || op.Out < 0 || op.Out >= len(n.Values) {
		return DigitalWork{}
	}
	for _, v := range op.In {
		if v < 0 || v >= len(n.Values) {
			return DigitalWork{}
		}
	}
	spec := kinds[op.Kind]
	var w DigitalWork
	if spec.work != nil {
		w = spec.work(n, op)
	}
	switch {
	case spec.alias:
	case spec.traffic != nil:
		w.ReadBits, w.WriteBits = spec.traffic(n, op)
	default:
		for _, v := range op.In {
			w.ReadBits += n.bits(v)
		}
		w.WriteBits = n.bits(op.Out)
	}
	return w
}

// bits is the number of bits of value v's codes per image.
func (n *Network) bits(v int) int64 {
	return n.elems(v) * int64(n.Values[v].Bits)
}

// noTraffic is the traffic of a kind whose codes the cost model counts
// elsewhere (a crossbar layer's, per input vector) or that are no traffic
// per image (a constant's codes sit in the buffer like weights).
func noTraffic(*Network, *Op) (read, write int64) { return 0, 0 }

// elems is the number of codes of value v per image.
func (n *Network) elems(v int) int64 {
	return int64(n.Values[v].size())
}

// perOutput charges one unit of one kind of work per output code.
func perOutput(field func(*DigitalWork) *int64) func(n *Network, op *Op) DigitalWork {
	return func(n *Network, op *Op) DigitalWork {
		var w DigitalWork
		*field(&w) = n.elems(op.Out)
		return w
	}
}

func requantWork(w *DigitalWork) *int64    { return &w.Requant }
func activationWork(w *DigitalWork) *int64 { return &w.Activations }
func addWork(w *DigitalWork) *int64        { return &w.Adds }

// execCtx is what a kind's exec sees: the op, the values of the batch so
// far, the output buffer (bs samples of outV) and the MatMulFunc.
type execCtx struct {
	n    *Network
	op   *Op
	ws   *workState
	vals [][]int32
	out  []int32
	outV *Value
	bs   int
	mm   MatMulFunc
}

// checkCtx is what a kind's check sees: the op, its first input and its
// output value, and the output's code range.
type checkCtx struct {
	n        *Network
	op       *Op
	in, out  *Value
	olo, ohi int32
}

// exportCtx is what a kind's QDQ export sees: the writer, the float tensor
// name of the first input, the output value and the name for the op's
// float result.
type exportCtx struct {
	w       *qdqWriter
	n       *Network
	op      *Op
	in, tmp string
	out     *Value
}

var kinds [opKindEnd]*kindSpec

func registerKind(k OpKind, spec kindSpec) {
	if k <= 0 || k >= opKindEnd || kinds[k] != nil {
		panic(fmt.Sprintf("quant: op kind %d registered twice or out of range", k))
	}
	if spec.exec == nil && !spec.alias || spec.check == nil || spec.export == nil {
		panic(fmt.Sprintf("quant: op kind %s registered without exec, check or export", k))
	}
	kinds[k] = &spec
}

// builders maps an ONNX op type to the function that turns its node into
// integer ops.
var builders = map[string]func(b *builder, n *importer.Node) error{}

func registerBuilder(opType string, build func(b *builder, n *importer.Node) error) {
	if _, dup := builders[opType]; dup {
		panic("quant: builder registered twice: " + opType)
	}
	builders[opType] = build
}
