package interp

import (
	"fmt"
	"github.com/rramc/rramc/importer/internal/tensortest"
	"testing"

	"github.com/rramc/rramc/importer"
)

// Helpers that build one-node graphs by hand.

func ft(shape []int, v ...float32) *importer.Tensor { return importer.NewFloat(shape, v) }
func it(shape []int, v ...int64) *importer.Tensor   { return importer.NewInt(shape, v) }

func aInt(name string, v int64) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrInt, I: v}
}
func aInts(name string, v ...int64) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
}
func aFloat(name string, v float32) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrFloat, F: v}
}
func aStr(name, v string) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrString, S: v}
}
func aTensor(name string, t *importer.Tensor) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrTensor, T: t}
}

func attrMap(as ...*importer.Attr) map[string]*importer.Attr {
	m := map[string]*importer.Attr{}
	for _, a := range as {
		m[a.Name] = a
	}
	return m
}

// nodeGraph builds a graph with one node; inputs are fed at run time (nil
// entries are omitted optional inputs), consts become initializers.
func nodeGraph(op string, attrs map[string]*importer.Attr, nIn int, consts map[int]*importer.Tensor, nOut int) *importer.Graph {
	g := &importer.Graph{Name: "t", Initializers: map[string]*importer.Tensor{}, ValueInfo: map[string]importer.ValueInfo{}}
	n := &importer.Node{Name: "n0", OpType: op, Attrs: attrs}
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
		g.Inputs = append(g.Inputs, importer.ValueInfo{Name: name})
	}
	for i := 0; i < nOut; i++ {
		name := fmt.Sprintf("out%d", i)
		n.Outputs = append(n.Outputs, name)
		g.Outputs = append(g.Outputs, importer.ValueInfo{Name: name})
	}
	g.Nodes = []*importer.Node{n}
	return g
}

// runOp runs op on inputs (all fed at run time; nil = omitted) and returns
// output 0.
func runOp(t *testing.T, opset int64, op string, attrs map[string]*importer.Attr, ins ...*importer.Tensor) (*importer.Tensor, error) {
	t.Helper()
	consts := map[int]*importer.Tensor{}
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
	feed := map[string]*importer.Tensor{}
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
func runOpConst(t *testing.T, opset int64, op string, attrs map[string]*importer.Attr, ins ...*importer.Tensor) (*importer.Tensor, error) {
	t.Helper()
	consts := map[int]*importer.Tensor{}
	for i, x := range ins[1:] {
		consts[i+1] = x
	}
	g := nodeGraph(op, attrs, len(ins), consts, 1)
	p, err := NewProgram(g, WithOpset(opset))
	if err != nil {
		return nil, err
	}
	out, err := p.Run(map[string]*importer.Tensor{"in0": ins[0]})
	if err != nil {
		return nil, err
	}
	return out["out0"], nil
}

// tensorsClose is tensortest.Close.
func tensorsClose(got, want *importer.Tensor, tol float64) error {
	return tensortest.Close(got, want, tol)
}
