package onnxgo

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	onnx "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gorgonia.org/tensor"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// Value is one node of the value graph: a named tensor slot. It implements
// graph.Node, onnx.Namer and onnx.DataCarrier.
type Value struct {
	b    *Backend
	id   int64
	name string
	t    tensor.Tensor
	// declared is the element type of the placeholder onnx-go made from the
	// declared type (the first tensor set), Dtype{} if none.
	declared tensor.Dtype
	// setAt is the backend's operation count when the tensor was last set.
	// onnx-go sets declared placeholders and weights before applying any
	// operation (setAt 0); a value set once all operations are applied was
	// fed by the user through onnx.Model.SetInput.
	setAt int
}

// ID implements graph.Node.
func (v *Value) ID() int64 { return v.id }

// SetName implements onnx.Namer.
func (v *Value) SetName(s string) { v.name = s }

// GetName implements onnx.Namer.
func (v *Value) GetName() string { return v.name }

// edge is one recorded input edge: output value from consumes input value to
// at position pos.
type edge struct {
	to  int64
	pos float64
}

// op is one applied operation.
type op struct {
	opType string
	attrs  map[string]any
	outs   []int64
	ins    []int64
}

// Backend receives the graph onnx-go decodes. The zero value is not usable;
// call New.
type Backend struct {
	*simple.WeightedDirectedGraph
	values []*Value
	edges  map[int64][]edge // by consuming (output) value
	ops    []op
	// Opset is the default-domain opset Run compiles for (onnx-go does not
	// pass the model's opset to a backend); 0 means the interpreter's latest.
	Opset int64
}

// New returns an empty Backend.
func New() *Backend {
	return &Backend{
		WeightedDirectedGraph: simple.NewWeightedDirectedGraph(0, 0),
		edges:                 map[int64][]edge{},
	}
}

// NewNode implements graph.NodeAdder. IDs are 0, 1, 2, ... in creation
// order, which onnx.Model.SetInput relies on (it feeds input i to node i).
func (b *Backend) NewNode() graph.Node {
	v := &Value{b: b, id: int64(len(b.values))}
	b.values = append(b.values, v)
	return v
}

// AddNode implements graph.NodeAdder.
func (b *Backend) AddNode(n graph.Node) {
	if _, ok := n.(*Value); !ok {
		panic(fmt.Sprintf("onnxgo: AddNode of foreign node type %T", n))
	}
	b.WeightedDirectedGraph.AddNode(n)
}

// SetWeightedEdge implements graph.WeightedEdgeAdder. Every edge is recorded,
// including a second edge between the same pair (x*x has two) and self
// edges, which a simple graph would merge or reject.
func (b *Backend) SetWeightedEdge(e graph.WeightedEdge) {
	from, to := e.From().ID(), e.To().ID()
	b.edges[from] = append(b.edges[from], edge{to, e.Weight()})
	if from != to && !b.HasEdgeFromTo(from, to) {
		b.WeightedDirectedGraph.SetWeightedEdge(e)
	}
}

// ApplyOperation implements onnx.OperationCarrier.
func (b *Backend) ApplyOperation(o onnx.Operation, outs ...graph.Node) error {
	if len(outs) == 0 {
		return fmt.Errorf("onnxgo: operation %s has no outputs: %w", o.Name, importer.ErrInvalidModel)
	}
	p := op{opType: o.Name, attrs: o.Attributes}
	for _, n := range outs {
		p.outs = append(p.outs, n.ID())
	}
	// onnx-go sets the same input edges on every output; take the first's,
	// ordered by position, and consume them so a value produced twice (an
	// invalid model) is not given its first producer's inputs again.
	es := b.edges[p.outs[0]]
	slices.SortStableFunc(es, func(x, y edge) int { return cmp.Compare(x.pos, y.pos) })
	for i, e := range es {
		if e.pos != float64(i) {
			return fmt.Errorf("onnxgo: operation %s: input positions %v are not 0..n-1 (value produced twice?): %w",
				o.Name, es, importer.ErrInvalidModel)
		}
		p.ins = append(p.ins, e.to)
	}
	for _, id := range p.outs {
		delete(b.edges, id)
	}
	b.ops = append(b.ops, p)
	return nil
}

// SetTensor implements onnx.DataCarrier.
func (v *Value) SetTensor(t tensor.Tensor) error {
	if v.t == nil && t != nil {
		v.declared = t.Dtype()
	}
	v.t = t
	v.setAt = len(v.b.ops)
	return nil
}

// GetTensor implements onnx.DataCarrier.
func (v *Value) GetTensor() tensor.Tensor { return v.t }

// inputlessOps take no inputs; onnx-go gives them a fake one.
var inputlessOps = map[string]bool{"Constant": true, "RandomNormal": true, "RandomUniform": true}

// Graph builds the rramc graph IR from what onnx-go applied. inputs and
// outputs are onnx.Model's Input and Output (value IDs of the graph inputs
// without initializer, and of the graph outputs). Every other value that no
// operation produces and that carries a tensor becomes an initializer.
// Declared shapes come from the tensors onnx-go attached, which lack the
// symbolic dimensions (Unmarshal restores them).
func (b *Backend) Graph(inputs, outputs []int64) (*importer.Graph, error) {
	g := &importer.Graph{
		Initializers: map[string]*importer.Tensor{},
		ValueInfo:    map[string]importer.ValueInfo{},
	}
	val := func(id int64) (*Value, error) {
		if id < 0 || id >= int64(len(b.values)) {
			return nil, fmt.Errorf("onnxgo: value id %d out of range: %w", id, importer.ErrInvalidModel)
		}
		return b.values[id], nil
	}
	isInput := map[int64]bool{}
	for _, id := range inputs {
		v, err := val(id)
		if err != nil {
			return nil, err
		}
		isInput[id] = true
		g.Inputs = append(g.Inputs, declared(v))
	}
	for _, id := range outputs {
		v, err := val(id)
		if err != nil {
			return nil, err
		}
		g.Outputs = append(g.Outputs, declared(v))
	}
	produced := map[int64]bool{}
	for _, p := range b.ops {
		for _, id := range p.outs {
			produced[id] = true
		}
	}
	for i, p := range b.ops {
		n := &importer.Node{Name: p.opType + "_" + strconv.Itoa(i), OpType: p.opType}
		ins := p.ins
		if inputlessOps[p.opType] && len(ins) == 1 {
			if v := b.values[ins[0]]; !produced[v.id] && !isInput[v.id] && v.t == nil && strings.HasSuffix(v.name, "/input") {
				ins = nil
			}
		}
		for _, id := range ins {
			n.Inputs = append(n.Inputs, b.values[id].name)
		}
		for _, id := range p.outs {
			n.Outputs = append(n.Outputs, b.values[id].name)
		}
		if len(p.attrs) > 0 {
			n.Attrs = make(map[string]*importer.Attr, len(p.attrs))
			for name, a := range p.attrs {
				at, err := convertAttr(name, a)
				if err != nil {
					return nil, fmt.Errorf("onnxgo: node %q: %w", n.Name, err)
				}
				n.Attrs[name] = at
			}
		}
		g.Nodes = append(g.Nodes, n)
	}
	for _, v := range b.values {
		if produced[v.id] || isInput[v.id] || v.t == nil {
			continue
		}
		t, err := convertTensor(v.t)
		if err != nil {
			return nil, fmt.Errorf("onnxgo: initializer %q: %w", v.name, err)
		}
		g.Initializers[v.name] = t
	}
	return g, nil
}

// declared is the ValueInfo onnx-go's placeholder tensor describes.
func declared(v *Value) importer.ValueInfo {
	vi := importer.ValueInfo{Name: v.name}
	if v.t == nil {
		return vi
	}
	vi.DType, _ = dtypeOf(v.t.Dtype())
	for _, d := range v.t.Shape() {
		vi.Shape = append(vi.Shape, importer.Dim{Value: int64(d)})
	}
	return vi
}

func dtypeOf(dt tensor.Dtype) (importer.DataType, bool) {
	switch dt {
	case tensor.Float32:
		return importer.Float, true
	case tensor.Float64:
		return importer.Double, true
	case tensor.Int64:
		return importer.Int64, true
	case tensor.Int32:
		return importer.Int32, true
	case tensor.Int16:
		return importer.Int16, true
	case tensor.Int8:
		return importer.Int8, true
	case tensor.Uint8:
		return importer.Uint8, true
	case tensor.Uint16:
		return importer.Uint16, true
	case tensor.Bool:
		return importer.Bool, true
	}
	return importer.Undefined, false
}

// asDeclared converts a fed float tensor to the integer type the input was
// declared with, when every value is an integer: onnx-go's own node tests
// feed int64 inputs (Slice's starts, ends, ...) as float32.
func asDeclared(t *importer.Tensor, declared tensor.Dtype) (*importer.Tensor, error) {
	want, ok := dtypeOf(declared)
	if !ok || !t.DType.IsFloat() || want.IsFloat() {
		return t, nil
	}
	out := &importer.Tensor{DType: want, Shape: t.Shape, Int: make([]int64, len(t.Float))}
	for i, f := range t.Float {
		if f != float32(int64(f)) {
			return nil, fmt.Errorf("value %v at index %d is not an integer, the input is declared %v", f, i, declared)
		}
		out.Int[i] = int64(f)
	}
	return out, nil
}

// convertTensor copies a gorgonia tensor into an importer tensor.
func convertTensor(t tensor.Tensor) (*importer.Tensor, error) {
	dt, ok := dtypeOf(t.Dtype())
	if !ok {
		return nil, fmt.Errorf("element type %v is not supported", t.Dtype())
	}
	out := &importer.Tensor{DType: dt, Shape: slices.Clone([]int(t.Shape()))}
	if out.Shape == nil {
		out.Shape = []int{}
	}
	n := out.Len()
	if t.Size() != n {
		return nil, fmt.Errorf("shape %v holds %d values", t.Shape(), t.Size())
	}
	switch d := t.Data().(type) {
	case []float32:
		out.Float = slices.Clone(d)
	case float32:
		out.Float = []float32{d}
	case []float64:
		out.Float = make([]float32, len(d))
		for i, x := range d {
			out.Float[i] = float32(x)
		}
	case float64:
		out.Float = []float32{float32(d)}
	case []int64:
		out.Int = slices.Clone(d)
	case int64:
		out.Int = []int64{d}
	case []int32:
		out.Int = widen(d)
	case int32:
		out.Int = []int64{int64(d)}
	case []int16:
		out.Int = widen(d)
	case []int8:
		out.Int = widen(d)
	case []uint8:
		out.Int = widen(d)
	case []uint16:
		out.Int = widen(d)
	case []bool:
		out.Int = make([]int64, len(d))
		for i, x := range d {
			if x {
				out.Int[i] = 1
			}
		}
	case bool:
		out.Int = []int64{0}
		if d {
			out.Int[0] = 1
		}
	default:
		return nil, fmt.Errorf("tensor data of Go type %T is not supported", d)
	}
	if len(out.Float)+len(out.Int) != n {
		return nil, fmt.Errorf("shape %v holds %d values", out.Shape, len(out.Float)+len(out.Int))
	}
	return out, nil
}

func widen[T int8 | int16 | int32 | uint8 | uint16](d []T) []int64 {
	out := make([]int64, len(d))
	for i, x := range d {
		out[i] = int64(x)
	}
	return out
}

// toGorgonia copies an importer tensor into a gorgonia tensor of the same
// element type (float types other than float32 come back as float32).
func toGorgonia(t *importer.Tensor) tensor.Tensor {
	shape := slices.Clone(t.Shape)
	if t.DType.IsFloat() {
		if t.DType == importer.Double {
			d := make([]float64, len(t.Float))
			for i, x := range t.Float {
				d[i] = float64(x)
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(t.Float)))
	}
	switch t.DType {
	case importer.Int32:
		d := make([]int32, len(t.Int))
		for i, x := range t.Int {
			d[i] = int32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
	case importer.Bool:
		d := make([]bool, len(t.Int))
		for i, x := range t.Int {
			d[i] = x != 0
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(t.Int)))
}

// convertAttr converts one onnx-go attribute value.
func convertAttr(name string, a any) (*importer.Attr, error) {
	at := &importer.Attr{Name: name}
	switch v := a.(type) {
	case float32:
		at.Kind, at.F = importer.AttrFloat, v
	case int64:
		at.Kind, at.I = importer.AttrInt, v
	case string:
		at.Kind, at.S = importer.AttrString, v
	case []float32:
		at.Kind, at.Floats = importer.AttrFloats, slices.Clone(v)
	case []int64:
		at.Kind, at.Ints = importer.AttrInts, slices.Clone(v)
	case []string:
		at.Kind, at.Strings = importer.AttrStrings, slices.Clone(v)
	case tensor.Tensor:
		t, err := convertTensor(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		at.Kind, at.T = importer.AttrTensor, t
	case struct{}:
		at.Kind = importer.AttrUndefined
	default:
		return nil, fmt.Errorf("attribute %q: value of Go type %T is not supported", name, a)
	}
	return at, nil
}

// Run implements backend.ComputationBackend: it runs the graph on rramc's
// float32 interpreter and stores every computed value in its node, so that
// onnx.Model.GetOutputTensors finds them. Graph inputs are the values
// without producer whose tensors were set after loading (by
// onnx.Model.SetInput); the other tensor-carrying values are weights.
func (b *Backend) Run() error {
	if len(b.ops) == 0 {
		return fmt.Errorf("onnxgo: no graph loaded: %w", importer.ErrInvalidModel)
	}
	produced := map[int64]bool{}
	consumed := map[int64]bool{}
	for _, p := range b.ops {
		for _, id := range p.outs {
			produced[id] = true
		}
		for _, id := range p.ins {
			consumed[id] = true
		}
	}
	var inputs, sinks []int64
	feed := map[string]*importer.Tensor{}
	for _, v := range b.values {
		switch {
		case produced[v.id] && !consumed[v.id]:
			sinks = append(sinks, v.id)
		case !produced[v.id] && v.t != nil && v.setAt == len(b.ops):
			t, err := convertTensor(v.t)
			if err != nil {
				return fmt.Errorf("onnxgo: input %q: %w", v.name, err)
			}
			if t, err = asDeclared(t, v.declared); err != nil {
				return fmt.Errorf("onnxgo: input %q: %w", v.name, err)
			}
			inputs = append(inputs, v.id)
			feed[v.name] = t
		}
	}
	g, err := b.Graph(inputs, sinks)
	if err != nil {
		return err
	}
	// The fed tensors define the input shapes; the placeholders onnx-go
	// made lack symbolic dimensions.
	for i := range g.Inputs {
		g.Inputs[i].Shape = nil
		g.Inputs[i].DType = feed[g.Inputs[i].Name].DType
	}
	var opts []interp.ProgramOption
	if b.Opset > 0 {
		opts = append(opts, interp.WithOpset(b.Opset))
	}
	prog, err := interp.NewProgram(g, opts...)
	if err != nil {
		return err
	}
	results := map[string]*importer.Tensor{}
	if _, err := prog.RunObserved(feed, func(n *importer.Node, outs []*importer.Tensor) {
		for i, t := range outs {
			if i < len(n.Outputs) && t != nil {
				results[n.Outputs[i]] = t
			}
		}
	}); err != nil {
		return err
	}
	for _, v := range b.values {
		if t, ok := results[v.name]; ok && produced[v.id] {
			if err := v.SetTensor(toGorgonia(t)); err != nil {
				return err
			}
		}
	}
	return nil
}
