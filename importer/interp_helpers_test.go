package importer

import (
	"fmt"
	"math"
	"testing"
)

// Helpers that build one-node graphs by hand.

func ft(shape []int, v ...float32) *Tensor { return NewFloat(shape, v) }
func it(shape []int, v ...int64) *Tensor   { return NewInt(shape, v) }

func aInt(name string, v int64) *Attr     { return &Attr{Name: name, Kind: AttrInt, I: v} }
func aInts(name string, v ...int64) *Attr { return &Attr{Name: name, Kind: AttrInts, Ints: v} }
func aFloat(name string, v float32) *Attr { return &Attr{Name: name, Kind: AttrFloat, F: v} }
func aStr(name, v string) *Attr           { return &Attr{Name: name, Kind: AttrString, S: v} }
func aTensor(name string, t *Tensor) *Attr {
	return &Attr{Name: name, Kind: AttrTensor, T: t}
}

func attrMap(as ...*Attr) map[string]*Attr {
	m := map[string]*Attr{}
	for _, a := range as {
		m[a.Name] = a
	}
	return m
}

// nodeGraph builds a graph with one node; inputs are fed at run time (nil
// entries are omitted optional inputs), consts become initializers.
func nodeGraph(op string, attrs map[string]*Attr, nIn int, consts map[int]*Tensor, nOut int) *Graph {
	g := &Graph{Name: "t", Initializers: map[string]*Tensor{}, ValueInfo: map[string]ValueInfo{}}
	n := &Node{Name: "n0", OpType: op, Attrs: attrs}
	for i := 0; i < nIn; i++ {
		name := fmt.Sprintf("in%d", i)
		n.Inputs = append(n.Inputs, name)
		if c, ok := consts[i]; ok {
			if c == nil {
				n.Inputs[i] = ""
				continue
			}
			g.Initializers[name] = c
			continue
		}
		g.Inputs = append(g.Inputs, ValueInfo{Name: name})
	}
	for i := 0; i < nOut; i++ {
		name := fmt.Sprintf("out%d", i)
		n.Outputs = append(n.Outputs, name)
		g.Outputs = append(g.Outputs, ValueInfo{Name: name})
	}
	g.Nodes = []*Node{n}
	return g
}

// runOp runs op on inputs (all fed at run time; nil = omitted) and returns
// output 0.
func runOp(t *testing.T, opset int64, op string, attrs map[string]*Attr, ins ...*Tensor) (*Tensor, error) {
	t.Helper()
	consts := map[int]*Tensor{}
	for i, x := range ins {
		if x == nil {
			consts[i] = nil
		}
	}
	g := nodeGraph(op, attrs, len(ins), consts, 1)
	p, err := NewProgram(g, WithOpset(opset))
	if err != nil {
		return nil, err
	}
	feed := map[string]*Tensor{}
	for i, x := range ins {
		if x != nil {
			feed[fmt.Sprintf("in%d", i)] = x
		}
	}
	out, err := p.Run(feed)
	if err != nil {
		return nil, err
	}
	return out["out0"], nil
}

// runOpConst is runOp with all inputs but the first as initializers (the
// path where kernels pre-pack constant weights).
func runOpConst(t *testing.T, opset int64, op string, attrs map[string]*Attr, ins ...*Tensor) (*Tensor, error) {
	t.Helper()
	consts := map[int]*Tensor{}
	for i, x := range ins[1:] {
		consts[i+1] = x
	}
	g := nodeGraph(op, attrs, len(ins), consts, 1)
	p, err := NewProgram(g, WithOpset(opset))
	if err != nil {
		return nil, err
	}
	out, err := p.Run(map[string]*Tensor{"in0": ins[0]})
	if err != nil {
		return nil, err
	}
	return out["out0"], nil
}

func tensorsClose(got, want *Tensor, tol float64) error {
	if got == nil {
		return fmt.Errorf("nil output")
	}
	if !sameShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.IsFloat() != want.IsFloat() {
		return fmt.Errorf("type %s, want %s", got, want)
	}
	if !want.IsFloat() {
		for i := range want.Int {
			if got.Int[i] != want.Int[i] {
				return fmt.Errorf("element %d = %d, want %d (got %v)", i, got.Int[i], want.Int[i], got.Int)
			}
		}
		return nil
	}
	for i := range want.Float {
		g, w := float64(got.Float[i]), float64(want.Float[i])
		if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Errorf("element %d = %v, want %v (got %v)", i, g, w, got.Float)
		}
	}
	return nil
}
