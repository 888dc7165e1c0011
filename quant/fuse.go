package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// PyTorch before 2.0 exports LayerNorm (below opset 17) and GELU (below
// opset 20) as chains of elementwise ops. Quantizing every link of such a
// chain to 8 bits would lose what the chain computes (a mean subtracted
// from itself, an erf of a scaled copy), so quant recognizes the two chains
// before calibration and rewrites each into the single ONNX op it stands
// for (LayerNormalization, Gelu), which it then runs as one integer kind
// (OpLayerNorm, a lookup table). The float interpreter runs the rewritten
// graph for calibration; it is the same function up to float rounding.

// fuseDecomposed rewrites the decomposed LayerNorm and Gelu chains of g in
// place (nodes stay in topological order: the fused node takes the place of
// the chain's last node, and its name). It returns the fused node of every
// node of a rewritten chain, so that placement reports the chain's last
// node as the op it became and the others as folded into it.
func fuseDecomposed(g *importer.Graph) map[*importer.Node]*importer.Node {
	into := map[*importer.Node]*importer.Node{}
	for _, match := range []func(*chainView, *importer.Node) (*importer.Node, []*importer.Node){matchLayerNorm, matchGelu} {
		cv := newChainView(g)
		removed := map[*importer.Node]bool{}
		replaced := map[*importer.Node]*importer.Node{}
		for _, n := range g.Nodes {
			if removed[n] {
				continue
			}
			fused, chain := match(cv, n)
			if fused == nil {
				continue
			}
			clash := false
			for _, c := range chain {
				clash = clash || removed[c]
			}
			if clash {
				continue
			}
			fused.Name = chain[len(chain)-1].Name
			for _, c := range chain {
				removed[c] = true
				into[c] = fused
			}
			replaced[chain[len(chain)-1]] = fused
		}
		if len(removed) == 0 {
			continue
		}
		nodes := g.Nodes[:0:0]
		for _, n := range g.Nodes {
			if f := replaced[n]; f != nil {
				nodes = append(nodes, f)
			} else if !removed[n] {
				nodes = append(nodes, n)
			}
		}
		g.Nodes = nodes
	}
	return into
}

// chainView answers the questions pattern matching asks of a graph.
type chainView struct {
	g        *importer.Graph
	cons     map[string][]*importer.Node
	producer map[string]*importer.Node
}

func newChainView(g *importer.Graph) *chainView {
	cv := &chainView{g: g, cons: consumers(g), producer: map[string]*importer.Node{}}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			cv.producer[o] = n
		}
	}
	return cv
}

// only returns the sole consumer of value name if it has op type op.
func (cv *chainView) only(name, op string) *importer.Node {
	c := soleConsumer(cv.g, cv.cons, name)
	if c == nil || c.OpType != op || len(c.Outputs) != 1 {
		return nil
	}
	return c
}

// scalar returns the value of a one-element float constant.
func (cv *chainView) scalar(name string) (float64, bool) {
	t := cv.g.Initializers[name]
	if t == nil || !t.DType.IsFloat() || len(t.Float) != 1 {
		return 0, false
	}
	return float64(t.Float[0]), true
}

// other returns the input of binary node n that is not x ("" if n does not
// read x exactly once).
func other(n *importer.Node, x string) string {
	if len(n.Inputs) != 2 || n.Inputs[0] == n.Inputs[1] {
		return ""
	}
	switch x {
	case n.Inputs[0]:
		return n.Inputs[1]
	case n.Inputs[1]:
		return n.Inputs[0]
	}
	return ""
}

// lastAxisMean reports whether n is a ReduceMean over exactly the last axis
// of its input (rank from the inferred shapes), keeping dims.
func (cv *chainView) lastAxisMean(n *importer.Node) bool {
	if n == nil || n.OpType != "ReduceMean" || attrInt(n, "keepdims", 1) != 1 {
		return false
	}
	axes := attrInts(n, "axes")
	if axes == nil && len(n.Inputs) > 1 {
		axes, _ = constInts(cv.g, n.Inputs[1])
	}
	if len(axes) != 1 {
		return false
	}
	if axes[0] == -1 {
		return true
	}
	vi, ok := cv.g.ValueInfo[n.Inputs[0]]
	return ok && vi.Shape != nil && axes[0] == len(vi.Shape)-1
}

// matchLayerNorm recognizes, from its first ReduceMean n:
//
//	m = ReduceMean(x, last axis); d = Sub(x, m); p = Pow(d, 2);
//	v = ReduceMean(p, last axis); s = Sqrt(Add(v, ε)); y = Div(d, s)
//	[; y = Mul(y, γ)] [; y = Add(y, β)]
//
// and returns LayerNormalization(x, γ, β; axis -1, epsilon ε).
func matchLayerNorm(cv *chainView, n *importer.Node) (*importer.Node, []*importer.Node) {
	if !cv.lastAxisMean(n) {
		return nil, nil
	}
	x := n.Inputs[0]
	sub := cv.only(n.Outputs[0], "Sub")
	if sub == nil || len(sub.Inputs) != 2 || sub.Inputs[0] != x || sub.Inputs[1] != n.Outputs[0] {
		return nil, nil
	}
	d := sub.Outputs[0]
	dc := cv.cons[d]
	if len(dc) != 2 || isGraphOutput(cv.g, d) {
		return nil, nil
	}
	pow, div := dc[0], dc[1]
	if pow.OpType != "Pow" {
		pow, div = div, pow
	}
	if pow.OpType != "Pow" || div.OpType != "Div" || len(pow.Inputs) != 2 || pow.Inputs[0] != d || div.Inputs[0] != d {
		return nil, nil
	}
	if e, ok := cv.scalar(pow.Inputs[1]); !ok || e != 2 {
		return nil, nil
	}
	mean2 := cv.only(pow.Outputs[0], "ReduceMean")
	if !cv.lastAxisMean(mean2) {
		return nil, nil
	}
	addEps := cv.only(mean2.Outputs[0], "Add")
	if addEps == nil {
		return nil, nil
	}
	eps, ok := cv.scalar(other(addEps, mean2.Outputs[0]))
	if !ok || !(eps >= 0) {
		return nil, nil
	}
	sqrt := cv.only(addEps.Outputs[0], "Sqrt")
	if sqrt == nil || len(div.Inputs) != 2 || div.Inputs[1] != sqrt.Outputs[0] || soleConsumer(cv.g, cv.cons, sqrt.Outputs[0]) != div {
		return nil, nil
	}
	chain := []*importer.Node{n, sub, pow, mean2, addEps, sqrt, div}
	y := div.Outputs[0]
	gamma, beta := "", ""
	if mul := cv.only(y, "Mul"); mul != nil && cv.vector(other(mul, y)) {
		gamma, y = other(mul, y), mul.Outputs[0]
		chain = append(chain, mul)
	}
	if add := cv.only(y, "Add"); add != nil && cv.vector(other(add, y)) {
		beta, y = other(add, y), add.Outputs[0]
		chain = append(chain, add)
	}
	if gamma == "" {
		gamma = cv.newConst(n.Name+"_gamma", cv.vectorLen(beta, x), 1)
	}
	if gamma == "" {
		return nil, nil
	}
	ins := []string{x, gamma}
	if beta != "" {
		ins = append(ins, beta)
	}
	fused := &importer.Node{Name: n.Name + "_layernorm", OpType: "LayerNormalization", Inputs: ins, Outputs: []string{y},
		Attrs: map[string]*importer.Attr{
			"axis":    {Name: "axis", Kind: importer.AttrInt, I: -1},
			"epsilon": {Name: "epsilon", Kind: importer.AttrFloat, F: float32(eps)},
		}}
	return fused, chain
}

// vector reports whether name is a 1-D float constant (a per-feature
// LayerNorm scale or shift).
func (cv *chainView) vector(name string) bool {
	t := cv.g.Initializers[name]
	return t != nil && t.DType.IsFloat() && len(t.Shape) == 1 && len(t.Float) == t.Shape[0]
}

// vectorLen is the feature count of a LayerNorm over x: the length of the
// shift vector, or x's last dimension (0 if neither is known).
func (cv *chainView) vectorLen(beta, x string) int {
	if t := cv.g.Initializers[beta]; t != nil {
		return len(t.Float)
	}
	if vi, ok := cv.g.ValueInfo[x]; ok && len(vi.Shape) > 0 && vi.Shape[len(vi.Shape)-1].Value > 0 {
		return int(vi.Shape[len(vi.Shape)-1].Value)
	}
	return 0
}

// newConst adds an initializer of n copies of v under an unused name.
func (cv *chainView) newConst(base string, n int, v float32) string {
	if n <= 0 {
		return ""
	}
	name := base
	for i := 1; cv.g.Initializers[name] != nil || cv.producer[name] != nil; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = v
	}
	cv.g.Initializers[name] = importer.NewFloat([]int{n}, data)
	return name
}

// matchGelu recognizes, from its Erf node n:
//
//	e = Erf(Div(x, √2)); y = Mul(Mul(x, Add(e, 1)), 0.5)
//
// (operands in either order; the 0.5 may also scale x first) and returns
// Gelu(x).
func matchGelu(cv *chainView, n *importer.Node) (*importer.Node, []*importer.Node) {
	if n.OpType != "Erf" || len(n.Inputs) != 1 {
		return nil, nil
	}
	div := cv.producer[n.Inputs[0]]
	if div == nil || div.OpType != "Div" || len(div.Inputs) != 2 || soleConsumer(cv.g, cv.cons, div.Outputs[0]) != n {
		return nil, nil
	}
	if s, ok := cv.scalar(div.Inputs[1]); !ok || math.Abs(s-math.Sqrt2) > 1e-6 {
		return nil, nil
	}
	x := div.Inputs[0]
	add := cv.only(n.Outputs[0], "Add")
	if add == nil {
		return nil, nil
	}
	if one, ok := cv.scalar(other(add, n.Outputs[0])); !ok || one != 1 {
		return nil, nil
	}
	half := func(m *importer.Node, v string) bool {
		h, ok := cv.scalar(other(m, v))
		return ok && h == 0.5
	}
	mul := cv.only(add.Outputs[0], "Mul")
	if mul == nil {
		return nil, nil
	}
	var chain []*importer.Node
	switch o := other(mul, add.Outputs[0]); {
	case o == x:
		// (x·(1+erf))·0.5
		m2 := cv.only(mul.Outputs[0], "Mul")
		if m2 == nil || !half(m2, mul.Outputs[0]) {
			return nil, nil
		}
		chain = []*importer.Node{div, n, add, mul, m2}
	default:
		// (x·0.5)·(1+erf)
		m0 := cv.producer[o]
		if m0 == nil || m0.OpType != "Mul" || other(m0, x) == "" || !half(m0, x) || soleConsumer(cv.g, cv.cons, o) != mul {
			return nil, nil
		}
		chain = []*importer.Node{div, n, add, m0, mul}
	}
	y := chain[len(chain)-1].Outputs[0]
	fused := &importer.Node{Name: n.Name + "_gelu", OpType: "Gelu", Inputs: []string{x}, Outputs: []string{y},
		Attrs: map[string]*importer.Attr{}}
	return fused, chain
}
