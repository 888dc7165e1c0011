package passes

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// foldLimit bounds the element count of a tensor produced by constant
// folding, so that folding never blows up the model (a ConstantOfShape of
// a large shape stays a node).
const foldLimit = 1 << 22

// Optimize returns an equivalent, smaller copy of m (m itself is not
// changed):
//
//   - Constant nodes become initializers; Identity, Dropout (inference) and
//     Pad with all-zero pads are bypassed.
//   - Nodes whose inputs are all constant (Cast of a constant, arithmetic on
//     weights, ...) are evaluated once and replaced by their result.
//   - Shape values are inferred symbolically, so a PyTorch
//     Shape→Gather→Unsqueeze→Concat→Reshape chain collapses into a Reshape
//     with a constant target (the batch symbol becomes 0 or -1).
//   - BatchNormalization after a Conv or Gemm whose output feeds nothing
//     else and whose weights are constant is folded into the weights:
//     W'[m] = W[m]·a[m], b'[m] = b[m]·a[m] + β[m] - μ[m]·a[m], with
//     a = γ/sqrt(σ²+ε). Otherwise it stays a node.
//   - A constant per-channel Add after a bias-free or biased Conv becomes its
//     bias (CNTK's Conv+Plus pattern).
//   - Nodes whose outputs nobody reads are removed, and so are unused
//     initializers.
//   - Shapes of every value (symbolic batch kept by name) are stored in
//     Graph.ValueInfo.
//
// Graph.Nodes stay in topological order. Graph inputs and outputs keep
// their names. Errors wrap ErrInvalidModel and name the node.
func Optimize(m *importer.Model) (*importer.Model, error) {
	opt, _, err := OptimizeTraced(m)
	return opt, err
}

// OptimizeTraced is Optimize that also says what became of each node of
// m: fates[i] is the fate of m.Graph.Nodes[i]. It is how a caller relates
// the model as written to the one the later stages compile (rramc inspect's
// per-node placement).
func OptimizeTraced(m *importer.Model) (*importer.Model, []Fate, error) {
	if m == nil || m.Graph == nil {
		return nil, nil, &importer.ModelError{Msg: "model has no graph"}
	}
	c := m.Clone()
	o := &optimizer{g: c.Graph, removed: map[*importer.Node]Fate{}}
	// Clone keeps the node order: c's node i is m's node i.
	orig := slices.Clone(c.Graph.Nodes)
	if err := o.optimize(c); err != nil {
		return nil, nil, err
	}
	kept := map[*importer.Node]bool{}
	for _, n := range c.Graph.Nodes {
		kept[n] = true
	}
	fates := make([]Fate, len(orig))
	for i, n := range orig {
		switch f, gone := o.removed[n]; {
		case kept[n]:
			fates[i] = Fate{Removal: Kept, Node: n}
		case gone:
			fates[i] = f
		default:
			fates[i] = Fate{Removal: Unused}
		}
	}
	return c, fates, nil
}

// Removal is why Optimize removed a node (Kept: it did not).
type Removal uint8

// The reasons Optimize removes a node.
const (
	Kept       Removal = iota
	Bypassed           // Identity, inference Dropout, all-zero Pad: its output is its input
	Evaluated          // a Constant, or every input constant: replaced by its result
	ShapeKnown         // a shape value known before any data: replaced by a constant
	Fused              // BatchNormalization or bias Add absorbed by the Conv/Gemm/MatMul before it
	Unused             // nothing reads its outputs (once folding is done)
)

var removalText = [...]string{Kept: "kept", Bypassed: "bypassed (output equals input)",
	Evaluated: "constant, evaluated once at load", ShapeKnown: "shape computation, known before any data",
	Fused: "folded into the weights of the layer before it", Unused: "unused, removed"}

func (r Removal) String() string {
	if int(r) < len(removalText) {
		return removalText[r]
	}
	return fmt.Sprintf("Removal(%d)", r)
}

// Fate is what Optimize did with one node: kept as Node in the result, or
// removed (Fused: Node is the result's node that absorbed it).
type Fate struct {
	Removal Removal
	Node    *importer.Node
}

// optimize rewrites m's graph in place.
func (o *optimizer) optimize(m *importer.Model) error {
	g := m.Graph
	if g.Initializers == nil {
		g.Initializers = map[string]*importer.Tensor{}
	}
	if g.ValueInfo == nil {
		g.ValueInfo = map[string]importer.ValueInfo{}
	}
	opset := m.Opset()
	if opset <= 0 {
		opset = interp.LatestOpset
	}
	o.opset = opset
	if err := o.checkOrder(); err != nil {
		return err
	}
	for round := 0; round < 8; round++ {
		changed, err := o.foldPass()
		if err != nil {
			return err
		}
		o.eliminateDead()
		if !changed {
			break
		}
	}
	if err := o.fuse(); err != nil {
		return err
	}
	o.eliminateDead()
	shapes, err := interp.InferShapes(g, opset)
	if err != nil {
		return err
	}
	for name, s := range shapes {
		if _, isConst := g.Initializers[name]; isConst || !s.Known && s.DType == importer.Undefined {
			continue
		}
		g.ValueInfo[name] = s.ValueInfo(name)
	}
	for name := range g.ValueInfo {
		if _, ok := shapes[name]; !ok {
			delete(g.ValueInfo, name) // value folded away
		}
	}
	return nil
}

type optimizer struct {
	g     *importer.Graph
	opset int64
	fresh int
	// removed records why each removed node went (OptimizeTraced).
	removed map[*importer.Node]Fate
}

// checkOrder verifies that every node input is defined before use (Load
// guarantees it; hand-built graphs may not).
func (o *optimizer) checkOrder() error {
	def := map[string]bool{}
	for n := range o.g.Initializers {
		def[n] = true
	}
	for _, in := range o.g.Inputs {
		def[in.Name] = true
	}
	for _, n := range o.g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !def[in] {
				return importer.NodeErrorf(n, "input %q is not defined before the node (graph not in topological order, or dangling)", in)
			}
		}
		for _, out := range n.Outputs {
			if out != "" {
				def[out] = true
			}
		}
	}
	return nil
}

func (o *optimizer) isGraphOutput(name string) bool {
	for _, out := range o.g.Outputs {
		if out.Name == name {
			return true
		}
	}
	return false
}

func (o *optimizer) isGraphInput(name string) bool {
	for _, in := range o.g.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// consumers counts readers of each value.
func (o *optimizer) consumers() map[string]int {
	c := map[string]int{}
	for _, n := range o.g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				c[in]++
			}
		}
	}
	return c
}

// rename replaces every read of from by to.
func (o *optimizer) rename(from, to string) {
	for _, n := range o.g.Nodes {
		for i, in := range n.Inputs {
			if in == from {
				n.Inputs[i] = to
			}
		}
	}
}

// newName returns an unused value name derived from base.
func (o *optimizer) newName(base string) string {
	for {
		o.fresh++
		name := fmt.Sprintf("%s__rramc%d", base, o.fresh)
		if _, ok := o.g.Initializers[name]; ok {
			continue
		}
		used := false
		for _, n := range o.g.Nodes {
			for _, out := range n.Outputs {
				used = used || out == name
			}
		}
		if !used && !o.isGraphInput(name) {
			return name
		}
	}
}

// bypass removes node i whose output 0 equals its input 0 (Identity and
// friends) when the output is not a graph output.
func (o *optimizer) bypass(i int) bool {
	n := o.g.Nodes[i]
	out := n.Outputs[0]
	for _, extra := range n.Outputs[1:] {
		if extra != "" && o.consumers()[extra] > 0 || o.isGraphOutput(extra) {
			return false
		}
	}
	if o.isGraphOutput(out) {
		return false
	}
	o.removed[n] = Fate{Removal: Bypassed}
	o.g.Nodes = append(o.g.Nodes[:i], o.g.Nodes[i+1:]...)
	o.rename(out, n.Inputs[0])
	return true
}

// foldPass runs one sweep of constant folding and shape-chain resolution.
func (o *optimizer) foldPass() (bool, error) {
	g := o.g
	changed := false
	shapes, err := interp.InferShapes(g, o.opset)
	if err != nil {
		return false, err
	}
	for i := 0; i < len(g.Nodes); i++ {
		n := g.Nodes[i]
		if !n.InDefaultDomain() || !interp.Supported(n.OpType) {
			continue
		}
		switch n.OpType {
		case "Identity", "Dropout":
			if len(n.Inputs) > 0 && n.Inputs[0] != "" && (n.OpType == "Identity" || !dropoutTraining(n, g)) && o.bypass(i) {
				i--
				changed = true
				continue
			}
		case "Pad":
			if o.padIsNoop(n) && o.bypass(i) {
				i--
				changed = true
				continue
			}
		}
		// All inputs constant: evaluate now.
		allConst := true
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if _, ok := g.Initializers[in]; !ok {
				allConst = false
				break
			}
		}
		if allConst {
			outs, err := o.evalNode(n)
			if err != nil {
				return false, err
			}
			if outs != nil {
				for j, name := range n.Outputs {
					if name != "" && j < len(outs) {
						g.Initializers[name] = outs[j]
					}
				}
				o.removed[n] = Fate{Removal: Evaluated}
				g.Nodes = append(g.Nodes[:i], g.Nodes[i+1:]...)
				i--
				changed = true
				continue
			}
		}
		// Shape values fully known (Shape of a static tensor, Gather of
		// fixed dims...): replace by a constant.
		if len(n.Outputs) == 1 && n.Outputs[0] != "" {
			if s := shapes[n.Outputs[0]]; s != nil && s.Vals != nil {
				if t := s.Const(); t != nil {
					g.Initializers[n.Outputs[0]] = t
					o.removed[n] = Fate{Removal: ShapeKnown}
					g.Nodes = append(g.Nodes[:i], g.Nodes[i+1:]...)
					i--
					changed = true
					continue
				}
			}
		}
		if n.OpType == "Reshape" && len(n.Inputs) == 2 {
			if _, ok := g.Initializers[n.Inputs[1]]; !ok {
				if t := reshapeConstTarget(n, shapes[n.Inputs[0]], shapes[n.Inputs[1]]); t != nil {
					name := o.newName(n.Name + "_shape")
					g.Initializers[name] = t
					n.Inputs[1] = name
					changed = true
				}
			}
		}
	}
	return changed, nil
}

// dropoutTraining reports a Dropout that would be active (training_mode
// input constant true); those are left to the interpreter, which treats all
// Dropout as inference anyway.
func dropoutTraining(n *importer.Node, g *importer.Graph) bool {
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		t, ok := g.Initializers[n.Inputs[2]]
		if !ok {
			return true
		}
		return len(t.Int) > 0 && t.Int[0] != 0
	}
	return false
}

func (o *optimizer) padIsNoop(n *importer.Node) bool {
	var pads []int64
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		t, ok := o.g.Initializers[n.Inputs[1]]
		if !ok || t.IsFloat() {
			return false
		}
		pads = t.Int
	} else {
		p, err := n.AttrInts("pads")
		if err != nil || p == nil {
			return false
		}
		pads = p
	}
	for _, v := range pads {
		if v != 0 {
			return false
		}
	}
	return true
}

// evalNode runs one node on constant inputs. It returns nil outputs (no
// error) when the result would be too large to keep as a constant.
func (o *optimizer) evalNode(n *importer.Node) ([]*importer.Tensor, error) {
	sub := &importer.Graph{Name: "fold", Initializers: map[string]*importer.Tensor{}}
	for _, in := range n.Inputs {
		if in != "" {
			sub.Initializers[in] = o.g.Initializers[in]
		}
	}
	for _, out := range n.Outputs {
		if out != "" {
			sub.Outputs = append(sub.Outputs, importer.ValueInfo{Name: out})
		}
	}
	sub.Nodes = []*importer.Node{n}
	p, err := interp.NewProgram(sub, interp.WithOpset(o.opset))
	if err != nil {
		var ue *interp.UnsupportedError
		if errors.As(err, &ue) {
			return nil, nil
		}
		return nil, err
	}
	res, err := p.Run(nil)
	if err != nil {
		return nil, err
	}
	outs := make([]*importer.Tensor, len(n.Outputs))
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		t := res[name]
		if t == nil || t.Len() > foldLimit {
			return nil, nil
		}
		outs[i] = t
	}
	return outs, nil
}

// reshapeConstTarget turns a Reshape target whose values are known up to
// symbols into a constant: fixed entries stay, a symbol equal to the input
// dim at the same position becomes 0 (when allowzero is off), and one
// remaining symbol becomes -1.
func reshapeConstTarget(n *importer.Node, x, s *interp.ValueShape) *importer.Tensor {
	if x == nil || s == nil || s.Vals == nil || !x.Known {
		return nil
	}
	az, _ := n.AttrInt("allowzero", 0)
	out := make([]int64, len(s.Vals))
	negUsed := false
	for _, v := range s.Vals {
		if v.Param == "" && v.Value == -1 {
			negUsed = true
		}
	}
	for i, v := range s.Vals {
		switch {
		case interp.IsUnknownDim(v):
			return nil
		case v.Param == "":
			if v.Value == 0 && az != 0 {
				out[i] = 0
			} else {
				out[i] = v.Value
			}
		case az == 0 && i < len(x.Dims) && x.Dims[i] == v:
			out[i] = 0
		case !negUsed:
			out[i] = -1
			negUsed = true
		default:
			return nil
		}
	}
	return importer.NewInt([]int{len(out)}, out)
}

// fuse folds BatchNormalization and bias Adds into the preceding Conv/Gemm.
func (o *optimizer) fuse() error {
	g := o.g
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, out := range n.Outputs {
			producer[out] = i
		}
	}
	cons := o.consumers()
	shapes, err := interp.InferShapes(g, o.opset)
	if err != nil {
		return err
	}
	var keep []*importer.Node
	removed := map[*importer.Node]bool{}
	for _, n := range g.Nodes {
		if removed[n] {
			continue
		}
		if len(n.Inputs) == 0 || n.Inputs[0] == "" {
			continue
		}
		pi, ok := producer[n.Inputs[0]]
		if !ok {
			continue
		}
		prev := g.Nodes[pi]
		if removed[prev] || prev.Outputs[0] != n.Inputs[0] || cons[n.Inputs[0]] != 1 || o.isGraphOutput(n.Inputs[0]) {
			continue
		}
		var err error
		done := false
		switch {
		case n.OpType == "BatchNormalization" && (prev.OpType == "Conv" || prev.OpType == "Gemm"):
			done, err = o.foldBN(prev, n)
		case n.OpType == "Add" && prev.OpType == "Conv":
			done, err = o.foldConvAdd(prev, n)
		case n.OpType == "Add" && prev.OpType == "MatMul":
			done = o.matMulAddToGemm(prev, n, shapes)
		}
		if err != nil {
			return err
		}
		if done {
			// prev now produces n's output directly.
			prev.Outputs[0] = n.Outputs[0]
			removed[n] = true
			o.removed[n] = Fate{Removal: Fused, Node: prev}
			producer[n.Outputs[0]] = pi
		}
	}
	for _, n := range g.Nodes {
		if !removed[n] {
			keep = append(keep, n)
		}
	}
	g.Nodes = keep
	return nil
}

func (o *optimizer) constOf(n *importer.Node, i int) *importer.Tensor {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil
	}
	t := o.g.Initializers[n.Inputs[i]]
	if t == nil || !t.IsFloat() {
		return nil
	}
	return t
}

// foldBN folds inference BatchNormalization bn into prev (Conv or Gemm).
func (o *optimizer) foldBN(prev, bn *importer.Node) (bool, error) {
	if len(bn.Inputs) != 5 {
		return false, nil
	}
	for _, out := range bn.Outputs[1:] {
		if out != "" {
			return false, nil
		}
	}
	if tm, _ := bn.AttrInt("training_mode", 0); tm != 0 {
		return false, nil
	}
	if sp, _ := bn.AttrInt("spatial", 1); sp != 1 {
		return false, nil
	}
	eps, err := bn.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return false, importer.NodeError(bn, err)
	}
	sc, bi, mu, va := o.constOf(bn, 1), o.constOf(bn, 2), o.constOf(bn, 3), o.constOf(bn, 4)
	w := o.constOf(prev, 1)
	if sc == nil || bi == nil || mu == nil || va == nil || w == nil {
		return false, nil
	}
	if len(prev.Inputs) > 2 && prev.Inputs[2] != "" && o.constOf(prev, 2) == nil {
		return false, nil
	}
	a, b, err := interp.BatchNormCoefficients(sc, bi, mu, va, eps)
	if err != nil {
		return false, importer.NodeError(bn, err)
	}
	C := len(a)
	switch prev.OpType {
	case "Conv":
		if len(w.Shape) < 3 || w.Shape[0] != C {
			return false, nil
		}
		var oldB []float32
		if bt := o.constOf(prev, 2); bt != nil {
			if bt.Len() != C {
				return false, nil
			}
			oldB = bt.Float
		}
		per := w.Len() / C
		nw := importer.NewFloat(w.Shape, nil)
		for m := 0; m < C; m++ {
			for k := 0; k < per; k++ {
				nw.Float[m*per+k] = float32(float64(w.Float[m*per+k]) * float64(a[m]))
			}
		}
		nb := importer.NewFloat([]int{C}, nil)
		for m := 0; m < C; m++ {
			v := float64(b[m])
			if oldB != nil {
				v += float64(oldB[m]) * float64(a[m])
			}
			nb.Float[m] = float32(v)
		}
		o.setWeights(prev, nw, nb)
		return true, nil
	case "Gemm":
		if len(w.Shape) != 2 {
			return false, nil
		}
		tb, _ := prev.AttrInt("transB", 0)
		alpha, _ := prev.AttrFloat("alpha", 1)
		beta, _ := prev.AttrFloat("beta", 1)
		k, nn := w.Shape[0], w.Shape[1]
		if tb != 0 {
			k, nn = nn, k
		}
		if nn != C {
			return false, nil
		}
		var oldC []float32
		if ct := o.constOf(prev, 2); ct != nil && beta != 0 {
			switch {
			case ct.Len() == 1:
				oldC = make([]float32, C)
				for i := range oldC {
					oldC[i] = ct.Float[0]
				}
			case ct.Len() == C && (len(ct.Shape) == 1 || len(ct.Shape) == 2 && ct.Shape[0] == 1):
				oldC = ct.Float
			default:
				return false, nil // a full M×N C cannot absorb the scale
			}
		}
		nw := importer.NewFloat(w.Shape, nil)
		for r := 0; r < k; r++ {
			for c := 0; c < nn; c++ {
				idx := r*nn + c
				if tb != 0 {
					idx = c*k + r
				}
				nw.Float[idx] = float32(float64(w.Float[idx]) * float64(a[c]))
			}
		}
		nb := importer.NewFloat([]int{C}, nil)
		for c := 0; c < C; c++ {
			v := float64(b[c])
			if oldC != nil {
				v += float64(beta) * float64(oldC[c]) * float64(a[c])
			}
			nb.Float[c] = float32(v)
		}
		_ = alpha // alpha multiplies A·W', which carries the scale already
		o.setWeights(prev, nw, nb)
		prev.Attrs = cloneAttrs(prev.Attrs)
		prev.Attrs["beta"] = &importer.Attr{Name: "beta", Kind: importer.AttrFloat, F: 1}
		return true, nil
	}
	return false, nil
}

// foldConvAdd turns Conv followed by Add of a constant shaped [M,1,1],
// [1,M,1,1] or [M] broadcast per channel into the Conv's bias.
func (o *optimizer) foldConvAdd(conv, add *importer.Node) (bool, error) {
	if len(add.Inputs) != 2 {
		return false, nil
	}
	c := o.constOf(add, 1)
	w := o.constOf(conv, 1)
	if c == nil || w == nil || len(w.Shape) < 3 {
		return false, nil
	}
	M := w.Shape[0]
	// The constant must vary only along the channel axis (axis 1 of the
	// N×M×spatial output) and not add dims.
	rank := len(w.Shape)
	if len(c.Shape) > rank || c.Len() != M && c.Len() != 1 {
		return false, nil
	}
	if c.Len() == M && M > 1 {
		pos := len(c.Shape) - (rank - 1) // index of the channel axis within c.Shape
		if pos < 0 {
			return false, nil
		}
		for i, d := range c.Shape {
			if i != pos && d != 1 {
				return false, nil
			}
		}
	}
	if len(c.Shape) == rank && c.Shape[0] != 1 {
		return false, nil
	}
	var oldB []float32
	if len(conv.Inputs) > 2 && conv.Inputs[2] != "" {
		bt := o.constOf(conv, 2)
		if bt == nil || bt.Len() != M {
			return false, nil
		}
		oldB = bt.Float
	}
	nb := importer.NewFloat([]int{M}, nil)
	for m := 0; m < M; m++ {
		v := c.Float[0]
		if c.Len() == M {
			v = c.Float[m]
		}
		if oldB != nil {
			v = oldB[m] + v
		}
		nb.Float[m] = v
	}
	o.setWeights(conv, w, nb)
	return true, nil
}

// matMulAddToGemm turns MatMul(A, W) + b, with A 2-D, W a constant matrix
// and b a constant [N] or [1,N] (CNTK and tf2onnx write fully connected
// layers so), into Gemm(A, W, b): one layer with its bias, as Conv has.
func (o *optimizer) matMulAddToGemm(mm, add *importer.Node, shapes map[string]*interp.ValueShape) bool {
	if len(add.Inputs) != 2 || len(mm.Inputs) != 2 {
		return false
	}
	a := shapes[mm.Inputs[0]]
	w := o.constOf(mm, 1)
	b := o.constOf(add, 1)
	if a == nil || !a.Known || len(a.Dims) != 2 || w == nil || len(w.Shape) != 2 || b == nil {
		return false
	}
	n := w.Shape[1]
	if b.Len() != n || !(len(b.Shape) == 1 || len(b.Shape) == 2 && b.Shape[0] == 1) {
		return false
	}
	mm.OpType = "Gemm"
	mm.Inputs = append(mm.Inputs, add.Inputs[1])
	mm.Attrs = nil
	return true
}

// setWeights points node n's weight and bias inputs at fresh initializers
// (the old ones may be shared with other nodes).
func (o *optimizer) setWeights(n *importer.Node, w, b *importer.Tensor) {
	if n.Inputs[1] != "" && o.g.Initializers[n.Inputs[1]] != w {
		name := o.newName(n.Name + "_W")
		o.g.Initializers[name] = w
		n.Inputs[1] = name
	}
	name := o.newName(n.Name + "_B")
	o.g.Initializers[name] = b
	if len(n.Inputs) > 2 {
		n.Inputs[2] = name
	} else {
		n.Inputs = append(n.Inputs, name)
	}
}

func cloneAttrs(a map[string]*importer.Attr) map[string]*importer.Attr {
	c := make(map[string]*importer.Attr, len(a)+1)
	for k, v := range a {
		c[k] = v
	}
	return c
}

// eliminateDead removes nodes none of whose outputs is read or is a graph
// output, then initializers nothing reads.
func (o *optimizer) eliminateDead() {
	g := o.g
	live := map[string]bool{}
	for _, out := range g.Outputs {
		live[out.Name] = true
	}
	keep := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, out := range n.Outputs {
			if out != "" && live[out] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, in := range n.Inputs {
				if in != "" {
					live[in] = true
				}
			}
		}
	}
	var nodes []*importer.Node
	for i, n := range g.Nodes {
		if keep[i] {
			nodes = append(nodes, n)
		} else {
			o.removed[n] = Fate{Removal: Unused}
		}
	}
	g.Nodes = nodes
	for name := range g.Initializers {
		if !live[name] {
			delete(g.Initializers, name)
		}
	}
}
