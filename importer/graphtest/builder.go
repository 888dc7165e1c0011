package graphtest

import (
	"math"
	"math/rand"

	"github.com/rramc/rramc/importer"
)

// Builder assembles a test graph node by node. Initializers are drawn from
// a seeded generator, so the same calls give the same model.
type Builder struct {
	r     *rand.Rand
	init  map[string]*importer.Tensor
	nodes []*importer.Node
}

// New returns an empty builder whose random initializers come from seed.
func New(seed int64) *Builder {
	return &Builder{r: rand.New(rand.NewSource(seed)), init: map[string]*importer.Tensor{}}
}

// Param adds a float initializer of standard normal values times scale.
func (g *Builder) Param(name string, scale float32, shape ...int) string {
	t := &importer.Tensor{DType: importer.Float, Shape: shape}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = float32(g.r.NormFloat64()) * scale
	}
	g.init[name] = t
	return name
}

// Ints adds an int64 initializer.
func (g *Builder) Ints(name string, v ...int64) string {
	g.init[name] = &importer.Tensor{DType: importer.Int64, Shape: []int{len(v)}, Int: v}
	return name
}

// Floats adds a float initializer with the given values.
func (g *Builder) Floats(name string, v ...float32) string {
	g.init[name] = &importer.Tensor{DType: importer.Float, Shape: []int{len(v)}, Float: v}
	return name
}

// Const adds an initializer as given (any type and shape).
func (g *Builder) Const(name string, t *importer.Tensor) string {
	g.init[name] = t
	return name
}

// Node adds a node with one output and returns the output's name.
func (g *Builder) Node(op string, in []string, out string, attrs ...*importer.Attr) string {
	g.NodeOutputs(op, in, []string{out}, attrs...)
	return out
}

// NodeOutputs adds a node with several outputs (Split and the like).
func (g *Builder) NodeOutputs(op string, in, outs []string, attrs ...*importer.Attr) {
	n := &importer.Node{Name: outs[0] + "_node", OpType: op, Inputs: in, Outputs: outs, Attrs: map[string]*importer.Attr{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
	}
	g.nodes = append(g.nodes, n)
}

// Conv adds a Conv with bias (kernel k, pads k/2, group g), weights of
// scale 0.4 and bias of scale 0.1.
func (g *Builder) Conv(x, out string, cin, cout, k, group int) string {
	return g.Node("Conv", []string{x, g.Param(out+"_w", 0.4, cout, cin/group, k, k), g.Param(out+"_b", 0.1, cout)}, out,
		AInts("pads", int64(k/2), int64(k/2), int64(k/2), int64(k/2)), AInt("group", int64(group)))
}

// KaimingConv adds a bias-free k×k Conv with padding pad and He-normal
// weights (standard deviation √(2/fan_in), fan_in = cin·k·k), PyTorch's
// kaiming_normal_ for a layer followed by ReLU.
func (g *Builder) KaimingConv(x, out string, cin, cout, k, pad int) string {
	std := float32(math.Sqrt(2 / float64(cin*k*k)))
	p := int64(pad)
	return g.Node("Conv", []string{x, g.Param(out+"_w", std, cout, cin, k, k)}, out,
		AInts("kernel_shape", int64(k), int64(k)), AInts("pads", p, p, p, p))
}

// KaimingLinear adds a bias-free fully connected layer with He-normal
// weights as PyTorch exports Linear(in, outs, bias=False): a MatMul by the
// transposed weight (shape in×outs).
func (g *Builder) KaimingLinear(x, out string, in, outs int) string {
	std := float32(math.Sqrt(2 / float64(in)))
	return g.Node("MatMul", []string{x, g.Param(out+"_w", std, in, outs)}, out)
}

// Model wraps the nodes into a model (opset 13) whose one float input "x"
// has a free batch dimension followed by in, and whose output is out.
func (g *Builder) Model(in []int, out string) *importer.Model {
	dims := []importer.Dim{{Param: "N"}}
	for _, d := range in {
		dims = append(dims, importer.Dim{Value: int64(d)})
	}
	gr := &importer.Graph{Name: "graphtest", Nodes: g.nodes,
		Inputs:       []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: dims}},
		Outputs:      []importer.ValueInfo{{Name: out, DType: importer.Float}},
		Initializers: g.init, ValueInfo: map[string]importer.ValueInfo{}}
	return &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: gr}
}

// AInts is an ints attribute.
func AInts(name string, v ...int64) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
}

// AInt is an int attribute.
func AInt(name string, v int64) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrInt, I: v}
}

// AStr is a string attribute.
func AStr(name, v string) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrString, S: v}
}
