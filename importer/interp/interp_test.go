package interp

import (
	"errors"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// chainGraph: x[batch,4] -> Gemm(W,b) -> Relu -> y.
func chainGraph() *importer.Graph {
	return &importer.Graph{
		Name:    "chain",
		Inputs:  []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "batch"}, {Value: 4}}}},
		Outputs: []importer.ValueInfo{{Name: "y"}},
		Initializers: map[string]*importer.Tensor{
			"W": ft([]int{4, 2}, 1, 0, 0, 1, 1, 0, 0, 1),
			"b": ft([]int{2}, 0, -10),
		},
		Nodes: []*importer.Node{
			{Name: "fc", OpType: "Gemm", Inputs: []string{"x", "W", "b"}, Outputs: []string{"h"}},
			{Name: "act", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"y"}},
		},
		ValueInfo: map[string]importer.ValueInfo{},
	}
}

func TestRunChainAndObserve(t *testing.T) {
	p, err := NewProgram(chainGraph())
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	out, err := p.RunObserved(map[string]*importer.Tensor{"x": ft([]int{2, 4}, 1, 2, 3, 4, 10, 20, 30, 40)}, func(n *importer.Node, outs []*importer.Tensor) {
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
		in   map[string]*importer.Tensor
		want string
	}{
		{"missing", map[string]*importer.Tensor{}, `input "x": not provided`},
		{"rank", map[string]*importer.Tensor{"x": ft([]int{4}, 1, 2, 3, 4)}, "rank"},
		{"dim", map[string]*importer.Tensor{"x": ft([]int{1, 3}, 1, 2, 3)}, "dim 1 must be 4"},
		{"type", map[string]*importer.Tensor{"x": it([]int{1, 4}, 1, 2, 3, 4)}, "int64"},
		{"short-data", map[string]*importer.Tensor{"x": {DType: importer.Float, Shape: []int{2, 4}, Float: []float32{1}}}, "holds 1 values"},
		{"negative-dim", map[string]*importer.Tensor{"x": {DType: importer.Float, Shape: []int{-1, 4}}}, "negative"},
		{"extra", map[string]*importer.Tensor{"x": ft([]int{1, 4}, 1, 2, 3, 4), "W": ft([]int{1}, 1)}, `"W": is not an input`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Run(tc.in)
			if err == nil || !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalidModel containing %q", err, tc.want)
			}
		})
	}
}

func TestSymbolicDimsMustAgree(t *testing.T) {
	g := chainGraph()
	g.Inputs = append(g.Inputs, importer.ValueInfo{Name: "z", DType: importer.Float, Shape: []importer.Dim{{Param: "batch"}}})
	g.Nodes = append(g.Nodes, &importer.Node{Name: "id", OpType: "Identity", Inputs: []string{"z"}, Outputs: []string{"zz"}})
	p, err := NewProgram(g)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(map[string]*importer.Tensor{"x": ft([]int{1, 4}, 1, 2, 3, 4), "z": ft([]int{2}, 1, 2)})
	if err == nil || !strings.Contains(err.Error(), "batch") {
		t.Fatalf("want a batch mismatch error, got %v", err)
	}
}

// All unsupported nodes are listed at once, with names, op types and
// foreign domains, before anything runs.
func TestNewProgramListsAllUnsupported(t *testing.T) {
	g := chainGraph()
	g.Nodes = append(g.Nodes,
		&importer.Node{Name: "weird1", OpType: "FancyOp", Inputs: []string{"y"}, Outputs: []string{"a"}},
		&importer.Node{Name: "ok", OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"b"}},
		&importer.Node{Name: "weird2", OpType: "Relu", Domain: "com.microsoft", Inputs: []string{"b"}, Outputs: []string{"c"}},
		&importer.Node{Name: "weird3", OpType: "LSTM", Inputs: []string{"c"}, Outputs: []string{"d"}},
	)
	_, err := NewProgram(g)
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !errors.Is(err, importer.ErrInvalidModel) {
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
	g.Nodes = append(g.Nodes, &importer.Node{Name: "few", OpType: "Add", Inputs: []string{"h"}, Outputs: []string{"q"}})
	g.Outputs = append(g.Outputs, importer.ValueInfo{Name: "ghost"})
	_, err := NewProgram(g)
	if err == nil || !errors.Is(err, importer.ErrInvalidModel) {
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
	g.Outputs = append(g.Outputs, importer.ValueInfo{Name: "h"})
	p, err := NewProgram(g)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*importer.Tensor{"x": ft([]int{1, 4}, 1, 2, 3, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorsClose(out["h"], ft([]int{1, 2}, 4, -4), 0); err != nil {
		t.Fatal(err)
	}
}
