package importer

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestFreezeInputs freezes inputs of a two-input graph: the frozen input
// becomes an initializer and leaves the inputs, the model given is not
// changed, and a constant of another type, rank or fixed dimension, or for
// an input the graph lacks, is refused naming the input.
func TestFreezeInputs(t *testing.T) {
	model := func() *Model {
		return &Model{Graph: &Graph{
			Nodes: []*Node{{OpType: "Reshape", Inputs: []string{"x", "shape"}, Outputs: []string{"y"}}},
			Inputs: []ValueInfo{
				{Name: "x", DType: Float, Shape: []Dim{{Param: "N"}, {Value: 6}}},
				{Name: "shape", DType: Int64, Shape: []Dim{{Value: 3}}},
			},
			Outputs: []ValueInfo{{Name: "y", DType: Float}},
		}}
	}
	shape := NewInt([]int{3}, []int64{-1, 2, 3})
	for _, tc := range []struct {
		name   string
		consts map[string]*Tensor
		err    string // "" = freezes
	}{
		{"shape", map[string]*Tensor{"shape": shape}, ""},
		{"none", nil, ""},
		{"unknown input", map[string]*Tensor{"shap": shape}, `input "shap": the model has no such input (its inputs: "x", "shape")`},
		{"type", map[string]*Tensor{"shape": NewFloat([]int{3}, []float32{-1, 2, 3})}, `input "shape" is int64, the constant is float`},
		{"rank", map[string]*Tensor{"shape": NewInt([]int{1, 3}, []int64{-1, 2, 3})}, `input "shape" has shape [3] (rank 1), the constant has shape [1 3]`},
		{"dimension", map[string]*Tensor{"shape": NewInt([]int{2}, []int64{-1, 6})}, `input "shape" has shape [3], the constant has shape [2] (dimension 0)`},
		{"int32 shape", map[string]*Tensor{"shape": {DType: Int32, Shape: []int{3}, Int: []int64{-1, 2, 3}}}, ""},
		{"uint64 as int64", map[string]*Tensor{"shape": {DType: Uint64, Shape: []int{3}, Int: []int64{1, 2, 3}}}, ""},
		{"float64 x", map[string]*Tensor{"x": {DType: Double, Shape: []int{2, 6}, Float: make([]float32, 12)}}, ""},
		{"bool for float", map[string]*Tensor{"x": {DType: Bool, Shape: []int{2, 6}, Int: make([]int64, 12)}}, `input "x" is float32, the constant is bool`},
		{"symbolic dimension", map[string]*Tensor{"x": NewFloat([]int{2, 6}, make([]float32, 12))}, ""},
		{"values", map[string]*Tensor{"shape": {DType: Int64, Shape: []int{3}, Int: []int64{1}}}, `the constant of shape [3] holds 1 values`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := model()
			f, err := FreezeInputs(m, tc.consts)
			if tc.err != "" {
				var ce *ConstantError
				if err == nil || !errors.Is(err, ErrBadConstant) || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a ConstantError saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Graph.Inputs) != 2 || len(m.Graph.Initializers) != 0 {
				t.Fatalf("the model given changed: inputs %v, initializers %v", m.Graph.Inputs, m.Graph.Initializers)
			}
			if len(f.Graph.Inputs) != 2-len(tc.consts) {
				t.Fatalf("inputs %v after freezing %d", f.Graph.Inputs, len(tc.consts))
			}
			for name, c := range tc.consts {
				got := f.Graph.Initializers[name]
				if got == nil || !slices.Equal(got.Shape, c.Shape) || !slices.Equal(got.Float, c.Float) || !slices.Equal(got.Int, c.Int) {
					t.Errorf("initializer %q is %v, want the constant's values", name, got)
				} else if got.DType != m.Graph.Inputs[slices.IndexFunc(m.Graph.Inputs, func(in ValueInfo) bool { return in.Name == name })].DType {
					t.Errorf("initializer %q is %v, want the input's type", name, got.DType)
				}
				for _, in := range f.Graph.Inputs {
					if in.Name == name {
						t.Errorf("%q is still an input", name)
					}
				}
			}
		})
	}
}
