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
	alias  bool
	exec   func(x *execCtx) error
	check  func(x *checkCtx) error
	export func(x *exportCtx) error
}

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
