package importer

import (
	"errors"
	"strings"
	"testing"
)

// chainGraph: x[batch,4] -> Gemm(W,b) -> Relu -> y.
func chainGraph() *Graph {
	return &Graph{
		Name:    "chain",
		Inputs:  []ValueInfo{{Name: "x", DType: Float, Shape: []Dim{{Param: "batch"}, {Value: 4}}}},
		Outputs: []ValueInfo{{Name: "y"}},
		Initializers: map[string]*Tensor{
			"W": ft([]int{4, 2}, 1, 0, 0, 1, 1, 0, 0, 1),
			"b": ft([]int{2}, 0, -10),
		},
		Nodes: []*Node{
			{Name: "fc", OpType: "Gemm", Inputs: []string{"x", "W", "b"}, Outputs: []string{"h"}},
			{Name: "act", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"y"}},
		},
		ValueInfo: map[string]ValueInfo{},
	}
}

func TestRunChainAndObserve(t *testing.T) {
	p, err := NewProgram(chainGraph())
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	out, err := p.RunObserved(map[string]*Tensor{"x": ft([]int{2, 4}, 1, 2, 3, 4, 10, 20, 30, 40)}, func(n *Node, outs []*Tensor) {
		seen = append(seen, n.Name+":"+outs[0].String())
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorsClose(out["y"], ft([]int{2, 2}, 4, 0, 40, 50), 0); err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "fc:float32[2 2],act:float32[2 2]" {
		t.Fatalf("observed %v", seen)
	}
}

func TestRunInputValidation(t *testing.T) {
	p, err := NewProgram(chainGraph())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   map[string]*Tensor
		want string
	}{
		{"missing", map[string]*Tensor{}, `input "x": not provided`},
		{"rank", map[string]*Tensor{"x": ft([]int{4}, 1, 2, 3, 4)}, "rank"},
		{"dim", map[string]*Tensor{"x": ft([]int{1, 3}, 1, 2, 3)}, "dim 1 must be 4"},
		{"type", map[string]*Tensor{"x": it([]int{1, 4}, 1, 2, 3, 4)}, "int64"},
		{"short-data", map[string]*Tensor{"x": {DType: Float, Shape: []int{2, 4}, Float: []float32{1}}}, "holds 1 values"},
		{"negative-dim", map[string]*Tensor{"x": {DType: Float, Shape: []int{-1, 4}}}, "negative"},
		{"extra", map[string]*Tensor{"x": ft([]int{1, 4}, 1, 2, 3, 4), "W": ft([]int{1}, 1)}, `"W": is not an input`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Run(tc.in)
			if err == nil || !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalidModel containing %q", err, tc.want)
			}
		})
	}
}

func TestSymbolicDimsMustAgree(t *testing.T) {
	g := chainGraph()
	g.Inputs = append(g.Inputs, ValueInfo{Name: "z", DType: Float, Shape: []Dim{{Param: "batch"}}})
	g.Nodes = append(g.Nodes, &Node{Name: "id", OpType: "Identity", Inputs: []string{"z"}, Outputs: []string{"zz"}})
	p, err := NewProgram(g)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(map[string]*Tensor{"x": ft([]int{1, 4}, 1, 2, 3, 4), "z": ft([]int{2}, 1, 2)})
	if err == nil || !strings.Contains(err.Error(), "batch") {
		t.Fatalf("want a batch mismatch error, got %v", err)
	}
}

// All unsupported nodes are listed at once, with names, op types and
// foreign domains, before anything runs.
func TestNewProgramListsAllUnsupported(t *testing.T) {
	g := chainGraph()
	g.Nodes = append(g.Nodes,
		&Node{Name: "weird1", OpType: "FancyOp", Inputs: []string{"y"}, Outputs: []string{"a"}},
		&Node{Name: "ok", OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"b"}},
		&Node{Name: "weird2", OpType: "Relu", Domain: "com.microsoft", Inputs: []string{"b"}, Outputs: []string{"c"}},
		&Node{Name: "weird3", OpType: "LSTM", Inputs: []string{"c"}, Outputs: []string{"d"}},
	)
	_, err := NewProgram(g)
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !errors.Is(err, ErrInvalidModel) {
		t.Fatalf("want *UnsupportedError wrapping ErrInvalidModel, got %v", err)
	}
	if len(ue.Nodes) != 3 {
		t.Fatalf("listed %d nodes, want 3: %v", len(ue.Nodes), err)
	}
	for _, s := range []string{`"weird1" (FancyOp)`, `"weird2" (Relu, domain "com.microsoft")`, `"weird3" (LSTM)`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %s", err, s)
		}
	}
}

func TestNewProgramStructuralErrors(t *testing.T) {
	g := chainGraph()
	g.Nodes[1].Inputs = []string{"nope"}
	g.Nodes = append(g.Nodes, &Node{Name: "few", OpType: "Add", Inputs: []string{"h"}, Outputs: []string{"q"}})
	g.Outputs = append(g.Outputs, ValueInfo{Name: "ghost"})
	_, err := NewProgram(g)
	if err == nil || !errors.Is(err, ErrInvalidModel) {
		t.Fatalf("want ErrInvalidModel, got %v", err)
	}
	for _, s := range []string{`node "act" (Relu)`, `"nope"`, `node "few" (Add): has 1 inputs, want 2`, `graph output "ghost"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %s", err, s)
		}
	}
}

func TestSupportedOps(t *testing.T) {
	ops := SupportedOps()
	for _, want := range []string{"Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip",
		"Sigmoid", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Concat",
		"Squeeze", "Unsqueeze", "Pad", "Softmax", "BatchNormalization", "Identity", "Dropout", "Shape", "Gather",
		"Constant", "Cast", "ConstantOfShape", "Slice"} {
		if !Supported(want) {
			t.Errorf("%s not supported", want)
		}
	}
	if Supported("LSTM") || len(ops) < 30 {
		t.Errorf("SupportedOps = %v", ops)
	}
	for i := 1; i < len(ops); i++ {
		if ops[i-1] >= ops[i] {
			t.Fatalf("not sorted: %v", ops)
		}
	}
}

// Intermediate values are released after their last use but graph outputs
// that are also read later survive.
func TestOutputAlsoConsumed(t *testing.T) {
	g := chainGraph()
	g.Outputs = append(g.Outputs, ValueInfo{Name: "h"})
	p, err := NewProgram(g)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*Tensor{"x": ft([]int{1, 4}, 1, 2, 3, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorsClose(out["h"], ft([]int{1, 2}, 4, -4), 0); err != nil {
		t.Fatal(err)
	}
}
