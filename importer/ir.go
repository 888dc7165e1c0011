package importer

import (
	"maps"
	"math"
	"slices"
)

// DataType is an ONNX TensorProto.DataType value. The numbering is ONNX's own
// so that it can be copied from and to the wire format without a table.
type DataType int32

// ONNX element types that rramc reads. Others are rejected at load time.
const (
	Undefined DataType = 0
	Float     DataType = 1
	Uint8     DataType = 2
	Int8      DataType = 3
	Uint16    DataType = 4
	Int16     DataType = 5
	Int32     DataType = 6
	Int64     DataType = 7
	String    DataType = 8
	Bool      DataType = 9
	Float16   DataType = 10
	Double    DataType = 11
	Uint32    DataType = 12
	Uint64    DataType = 13
	BFloat16  DataType = 16
)

// IsFloat reports whether values of type t are held in Tensor.Float.
func (t DataType) IsFloat() bool {
	return t == Float || t == Double || t == Float16 || t == BFloat16
}

// IsInteger reports whether t is an integer type (not bool): a model
// input of such a type takes whole numbers, e.g. image bytes.
func (t DataType) IsInteger() bool {
	switch t {
	case Uint8, Int8, Uint16, Int16, Int32, Int64, Uint32, Uint64:
		return true
	}
	return false
}

// IsWhole reports whether the values of type t are whole numbers: an
// integer type or bool (0 and 1). A model input or output of such a type
// carries integer codes at scale 1 through the integer model (a mask, an
// index, image bytes), fed and read as its whole values.
func (t DataType) IsWhole() bool { return t.IsInteger() || t == Bool }

// IntRange is the range of values of integer type t (Bool: 0..1; uint64
// is capped at MaxInt64, what an int64 holds).
func (t DataType) IntRange() (lo, hi int64) {
	switch t {
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint8:
		return 0, math.MaxUint8
	case Bool:
		return 0, 1
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint16:
		return 0, math.MaxUint16
	case Int32:
		return math.MinInt32, math.MaxInt32
	case Uint32:
		return 0, math.MaxUint32
	case Uint64:
		return 0, math.MaxInt64
	}
	return math.MinInt64, math.MaxInt64
}

// Size returns the byte size of one element of type t as stored in ONNX's
// raw_data (little endian), or 0 when rramc cannot hold values of type t.
func (t DataType) Size() int {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Int64, Double, Uint64:
		return 8
	}
	return 0
}

// Tensor is a dense row-major tensor. Floating-point element types (float32,
// float64, float16, bfloat16) are held as float32 in Float; integer and bool
// element types are held as int64 in Int. DType remembers the element type the
// tensor had in the file (or that an operator produced), so that int8 weights
// of a pre-quantized model stay recognisable as int8.
type Tensor struct {
	DType DataType
	Shape []int
	Float []float32
	Int   []int64
}

// Len returns the number of elements the shape describes.
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Dim is one dimension of a declared shape: a fixed size, or a symbolic
// name such as "batch" (Param non-empty, Value 0), or unknown (both zero).
type Dim struct {
	Value int64
	Param string
}

// ValueInfo describes a graph input, output or intermediate value.
type ValueInfo struct {
	Name  string
	DType DataType
	Shape []Dim // nil when the rank is unknown
}

// AttrKind is the kind of an attribute value (ONNX AttributeProto.AttributeType).
type AttrKind int32

// Attribute kinds, numbered as in ONNX.
const (
	AttrUndefined AttrKind = 0
	AttrFloat     AttrKind = 1
	AttrInt       AttrKind = 2
	AttrString    AttrKind = 3
	AttrTensor    AttrKind = 4
	AttrGraph     AttrKind = 5
	AttrFloats    AttrKind = 6
	AttrInts      AttrKind = 7
	AttrStrings   AttrKind = 8
)

// Attr is one node attribute.
type Attr struct {
	Name    string
	Kind    AttrKind
	F       float32
	I       int64
	S       string
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// Node is one operator application. Inputs and Outputs name values; an empty
// input name marks an omitted optional input, as in ONNX.
type Node struct {
	Name    string
	OpType  string
	Domain  string // "" or "ai.onnx" for the default domain
	Inputs  []string
	Outputs []string
	Attrs   map[string]*Attr
}

// InDefaultDomain reports whether n is a standard ONNX operator (domain ""
// or "ai.onnx").
func (n *Node) InDefaultDomain() bool { return n.Domain == "" || n.Domain == "ai.onnx" }

// Graph is the graph IR. Nodes are kept in topological order by every pass.
type Graph struct {
	Name string
	// Nodes in topological order.
	Nodes []*Node
	// Inputs are the values the caller must feed: graph inputs that have no
	// initializer (IR 3 files also list weights as inputs; those are not here).
	Inputs []ValueInfo
	// Outputs are the graph outputs in declaration order.
	Outputs []ValueInfo
	// Initializers hold constant tensors by value name.
	Initializers map[string]*Tensor
	// ValueInfo holds declared or inferred type and shape of values by name.
	ValueInfo map[string]ValueInfo
}

// Model is a loaded ONNX model.
type Model struct {
	// Path is the file the model was loaded from ("" when decoded from memory).
	Path            string
	IRVersion       int64
	Opsets          map[string]int64 // domain ("" = default ONNX domain) -> version
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Metadata        map[string]string
	Graph           *Graph
}

// Opset returns the default-domain opset version the model imports.
func (m *Model) Opset() int64 {
	if v, ok := m.Opsets[""]; ok {
		return v
	}
	return m.Opsets["ai.onnx"]
}

// Clone returns a copy of m that can be edited without changing m: the
// graph, its node list, every node (inputs, outputs, attributes) and every
// map and slice are new. Tensor values (initializers, tensor attributes) are
// shared: no rramc pass writes into a tensor that is part of a graph, it
// makes a new one.
func (m *Model) Clone() *Model {
	c := *m
	c.Opsets = maps.Clone(m.Opsets)
	c.Metadata = maps.Clone(m.Metadata)
	if m.Graph != nil {
		c.Graph = m.Graph.Clone()
	}
	return &c
}

// Clone returns a copy of g as Model.Clone describes.
func (g *Graph) Clone() *Graph {
	c := *g
	c.Nodes = make([]*Node, len(g.Nodes))
	for i, n := range g.Nodes {
		nn := *n
		nn.Inputs = slices.Clone(n.Inputs)
		nn.Outputs = slices.Clone(n.Outputs)
		if n.Attrs != nil {
			nn.Attrs = make(map[string]*Attr, len(n.Attrs))
			for k, a := range n.Attrs {
				ac := *a
				ac.Floats = slices.Clone(a.Floats)
				ac.Ints = slices.Clone(a.Ints)
				ac.Strings = slices.Clone(a.Strings)
				nn.Attrs[k] = &ac
			}
		}
		c.Nodes[i] = &nn
	}
	c.Inputs = slices.Clone(g.Inputs)
	c.Outputs = slices.Clone(g.Outputs)
	c.ValueInfo = maps.Clone(g.ValueInfo)
	c.Initializers = maps.Clone(g.Initializers)
	return &c
}
