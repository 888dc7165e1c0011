package quant

import (
	"fmt"
	"maps"
	"slices"

	"github.com/rramc/rramc/importer"
)

// cloneModel copies m deeply enough that passes and pruning on the copy never
// touch the caller's model: nodes, attributes, value lists and initializer
// data are copied.
func cloneModel(m *importer.Model) *importer.Model {
	c := *m
	c.Opsets = maps.Clone(m.Opsets)
	c.Metadata = maps.Clone(m.Metadata)
	g := *m.Graph
	g.Nodes = make([]*importer.Node, len(m.Graph.Nodes))
	for i, n := range m.Graph.Nodes {
		nn := *n
		nn.Inputs = slices.Clone(n.Inputs)
		nn.Outputs = slices.Clone(n.Outputs)
		nn.Attrs = make(map[string]*importer.Attr, len(n.Attrs))
		for k, a := range n.Attrs {
			ac := *a
			ac.Floats = slices.Clone(a.Floats)
			ac.Ints = slices.Clone(a.Ints)
			ac.Strings = slices.Clone(a.Strings)
			if a.T != nil {
				ac.T = cloneTensor(a.T)
			}
			nn.Attrs[k] = &ac
		}
		g.Nodes[i] = &nn
	}
	g.Inputs = slices.Clone(m.Graph.Inputs)
	g.Outputs = slices.Clone(m.Graph.Outputs)
	g.ValueInfo = maps.Clone(m.Graph.ValueInfo)
	g.Initializers = make(map[string]*importer.Tensor, len(m.Graph.Initializers))
	for k, t := range m.Graph.Initializers {
		g.Initializers[k] = cloneTensor(t)
	}
	c.Graph = &g
	return &c
}

func cloneTensor(t *importer.Tensor) *importer.Tensor {
	return &importer.Tensor{DType: t.DType, Shape: slices.Clone(t.Shape), Float: slices.Clone(t.Float), Int: slices.Clone(t.Int)}
}

// consumers maps each value name to the nodes reading it.
func consumers(g *importer.Graph) map[string][]*importer.Node {
	c := map[string][]*importer.Node{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				c[in] = append(c[in], n)
			}
		}
	}
	return c
}

func isGraphOutput(g *importer.Graph, name string) bool {
	for _, o := range g.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// soleConsumer returns the only node reading value name, or nil when there
// are several, none, or the value is also a graph output (fusing would hide it).
func soleConsumer(g *importer.Graph, cons map[string][]*importer.Node, name string) *importer.Node {
	c := cons[name]
	if len(c) != 1 || isGraphOutput(g, name) {
		return nil
	}
	return c[0]
}

// swapMaxPoolRelu rewrites Linear → MaxPool → Relu into Linear → Relu →
// MaxPool (max commutes with the monotone Relu), so that the Relu fuses into
// the linear layer and the pooled activation is unsigned: one more bit of
// resolution for the same A.
func swapMaxPoolRelu(g *importer.Graph) {
	cons := consumers(g)
	producer := map[string]*importer.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	pos := map[*importer.Node]int{}
	for i, n := range g.Nodes {
		pos[n] = i
	}
	for _, r := range g.Nodes {
		if r.OpType != "Relu" || len(r.Inputs) != 1 || len(r.Outputs) != 1 {
			continue
		}
		p := producer[r.Inputs[0]]
		if p == nil || p.OpType != "MaxPool" || len(p.Outputs) != 1 || soleConsumer(g, cons, p.Outputs[0]) != r {
			continue
		}
		lin := producer[p.Inputs[0]]
		if lin == nil || !isLinearOp(lin.OpType) || soleConsumer(g, cons, p.Inputs[0]) != p {
			continue
		}
		x, y, z := p.Inputs[0], p.Outputs[0], r.Outputs[0]
		r.Inputs[0], r.Outputs[0] = x, y
		p.Inputs[0], p.Outputs[0] = y, z
		g.Nodes[pos[p]], g.Nodes[pos[r]] = r, p
		pos[p], pos[r] = pos[r], pos[p]
	}
}

func isLinearOp(op string) bool {
	return op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul"
}

// Attribute reads go through importer's checked accessors, the one
// definition of how an attribute is read. quant builds its integer program
// from a graph the float interpreter has compiled during calibration
// (calibrate), and the interpreter refuses a node whose attribute has the
// wrong kind, so the error branches below are not reached from Quantize;
// they fall back to ONNX's default rather than to a zero value.

func attrInt(n *importer.Node, name string, def int64) int64 {
	if v, err := n.AttrInt(name, def); err == nil {
		return v
	}
	return def
}

func attrFloat(n *importer.Node, name string, def float32) float32 {
	if v, err := n.AttrFloat(name, def); err == nil {
		return v
	}
	return def
}

func attrInts(n *importer.Node, name string) []int {
	v, _ := n.AttrSmallInts(name)
	return v
}

// constInts reads an integer initializer (e.g. a Reshape shape).
func constInts(g *importer.Graph, name string) ([]int, bool) {
	t := g.Initializers[name]
	if t == nil || t.DType.IsFloat() {
		return nil, false
	}
	v := make([]int, len(t.Int))
	for i, x := range t.Int {
		v[i] = int(x)
	}
	return v, true
}

// constFloats reads a float initializer.
func constFloats(g *importer.Graph, name string) ([]float32, bool) {
	t := g.Initializers[name]
	if t == nil || !t.DType.IsFloat() {
		return nil, false
	}
	return t.Float, true
}

func nodeWhere(n *importer.Node) string {
	return fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
}
