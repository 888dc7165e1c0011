package interp

import (
	"fmt"
	"testing"

	"github.com/rramc/rramc/importer"
)

// checkInferred compares the inferred shape of out0 with the shape a run
// produced; unknown dims are allowed only where the input is not constant.
func checkInferred(t *testing.T, opset int64, op string, attrs map[string]*importer.Attr, ins []*importer.Tensor, got *importer.Tensor) {
	t.Helper()
	for _, firstConst := range []bool{true, false} {
		consts := map[int]*importer.Tensor{}
		for i, x := range ins {
			if i > 0 || firstConst {
				consts[i] = x
			}
		}
		g := nodeGraph(op, attrs, len(ins), consts, 1)
		if !firstConst && len(g.Inputs) == 1 {
			g.Inputs[0].DType = ins[0].DType
			g.Inputs[0].Shape = dimsOf(ins[0].Shape)
		}
		shapes, err := InferShapes(g, opset)
		if err != nil {
			t.Fatalf("inferShapes: %v", err)
		}
		s := shapes["out0"]
		if s == nil || !s.Known {
			if firstConst {
				t.Errorf("constant inputs: shape of %s output not inferred", op)
			}
			continue
		}
		if len(s.Dims) != len(got.Shape) {
			t.Fatalf("firstConst=%v: inferred %s, actual %v", firstConst, importer.FormatDims(s.Dims), got.Shape)
		}
		for i, d := range s.Dims {
			if IsUnknownDim(d) && !firstConst {
				continue
			}
			if d.Param != "" || d.Value != int64(got.Shape[i]) {
				t.Fatalf("firstConst=%v: inferred %s, actual %v", firstConst, importer.FormatDims(s.Dims), got.Shape)
			}
		}
		if s.DType != got.DType && !(s.DType.IsFloat() && got.DType.IsFloat() && op != "Cast") {
			t.Errorf("inferred dtype %s, actual %s", s.DType, got.DType)
		}
		if firstConst && s.Vals != nil {
			if vt := s.Const(); vt != nil {
				if err := tensorsClose(vt, got, 0); err != nil {
					t.Errorf("inferred values: %v", err)
				}
			}
		}
	}
}

// Symbolic batch flows through each operator.
func TestInferSymbolicBatch(t *testing.T) {
	N := importer.Dim{Param: "N"}
	cases := []struct {
		op    string
		attrs map[string]*importer.Attr
		in    []importer.Dim
		c     map[int]*importer.Tensor
		want  string
	}{
		{"Conv", attrMap(aInts("strides", 2, 2), aStr("auto_pad", "SAME_UPPER")), []importer.Dim{N, {Value: 3}, {Value: 7}, {Value: 7}}, map[int]*importer.Tensor{1: importer.NewFloat([]int{8, 3, 3, 3}, nil)}, "[N,8,4,4]"},
		{"MaxPool", attrMap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInt("ceil_mode", 1)), []importer.Dim{N, {Value: 3}, {Value: 7}, {Value: 7}}, nil, "[N,3,4,4]"},
		{"GlobalAveragePool", nil, []importer.Dim{N, {Value: 3}, {Value: 7}, {Value: 7}}, nil, "[N,3,1,1]"},
		{"Flatten", nil, []importer.Dim{N, {Value: 3}, {Value: 7}, {Value: 7}}, nil, "[N,147]"},
		{"Flatten", attrMap(aInt("axis", 2)), []importer.Dim{N, {Value: 3}, {Value: 7}}, nil, "[?,7]"},
		{"Gemm", attrMap(aInt("transB", 1)), []importer.Dim{N, {Value: 6}}, map[int]*importer.Tensor{1: importer.NewFloat([]int{10, 6}, nil)}, "[N,10]"},
		{"MatMul", nil, []importer.Dim{N, {Value: 5}, {Value: 6}}, map[int]*importer.Tensor{1: importer.NewFloat([]int{6, 2}, nil)}, "[N,5,2]"},
		{"Reshape", nil, []importer.Dim{N, {Value: 3}, {Value: 4}}, map[int]*importer.Tensor{1: importer.NewInt([]int{2}, []int64{0, -1})}, "[N,12]"},
		{"Reshape", nil, []importer.Dim{N, {Value: 3}, {Value: 4}}, map[int]*importer.Tensor{1: importer.NewInt([]int{2}, []int64{-1, 12})}, "[N,12]"},
		{"Reshape", nil, []importer.Dim{N, {Value: 3}, {Value: 4}}, map[int]*importer.Tensor{1: importer.NewInt([]int{2}, []int64{-1, 6})}, "[?,6]"},
		{"Transpose", attrMap(aInts("perm", 0, 2, 1)), []importer.Dim{N, {Value: 3}, {Value: 4}}, nil, "[N,4,3]"},
		{"Unsqueeze", nil, []importer.Dim{N, {Value: 3}}, map[int]*importer.Tensor{1: importer.NewInt([]int{1}, []int64{-1})}, "[N,3,1]"},
		{"Squeeze", attrMap(aInts("axes", 1)), []importer.Dim{N, {Value: 1}}, nil, "[N]"},
		{"Pad", nil, []importer.Dim{N, {Value: 1}, {Value: 2}}, map[int]*importer.Tensor{1: importer.NewInt([]int{6}, []int64{0, 0, 1, 0, 0, 2})}, "[N,1,5]"},
		{"Slice", nil, []importer.Dim{N, {Value: 10}}, map[int]*importer.Tensor{1: importer.NewInt([]int{1}, []int64{2}), 2: importer.NewInt([]int{1}, []int64{-1}), 3: importer.NewInt([]int{1}, []int64{1})}, "[N,7]"},
		{"Concat", attrMap(aInt("axis", 1)), []importer.Dim{N, {Value: 3}}, map[int]*importer.Tensor{1: importer.NewFloat([]int{1, 2}, nil)}, "[N,5]"},
		{"Add", nil, []importer.Dim{N, {Value: 3}, {Value: 1}}, map[int]*importer.Tensor{1: importer.NewFloat([]int{3, 4}, nil)}, "[N,3,4]"},
		{"Softmax", nil, []importer.Dim{N, {Value: 3}}, nil, "[N,3]"},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%d_%s", i, tc.op), func(t *testing.T) {
			nIn := 1 + len(tc.c)
			g := nodeGraph(tc.op, tc.attrs, nIn, tc.c, 1)
			g.Inputs[0].DType = importer.Float
			g.Inputs[0].Shape = tc.in
			shapes, err := InferShapes(g, 13)
			if err != nil {
				t.Fatal(err)
			}
			s := shapes["out0"]
			got := "unknown"
			if s != nil && s.Known {
				got = importer.FormatDims(s.ValueInfo("").Shape)
			}
			if got != tc.want {
				t.Fatalf("inferred %s, want %s", got, tc.want)
			}
		})
	}
}

// A Resize whose sizes PyTorch computes from shapes (concat(shape(x)[:2],
// constant)) has its output dims inferred, the batch symbol included, so
// that later shape arithmetic stays known.
func TestInferResizeSymbolicSizes(t *testing.T) {
	g := &importer.Graph{
		Inputs: []importer.ValueInfo{{Name: "x", DType: importer.Float,
			Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Value: 4}, {Value: 5}}}},
		Initializers: map[string]*importer.Tensor{
			"s": importer.NewInt([]int{1}, []int64{0}), "e": importer.NewInt([]int{1}, []int64{2}),
			"hw": importer.NewInt([]int{2}, []int64{8, 15}),
		},
		Nodes: []*importer.Node{
			{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"sh"}},
			{Name: "slice", OpType: "Slice", Inputs: []string{"sh", "s", "e"}, Outputs: []string{"nc"}},
			{Name: "cat", OpType: "Concat", Inputs: []string{"nc", "hw"}, Outputs: []string{"sizes"},
				Attrs: map[string]*importer.Attr{"axis": {Name: "axis", Kind: importer.AttrInt, I: 0}}},
			{Name: "resize", OpType: "Resize", Inputs: []string{"x", "", "", "sizes"}, Outputs: []string{"y"},
				Attrs: map[string]*importer.Attr{"mode": {Name: "mode", Kind: importer.AttrString, S: "linear"}}},
		},
		Outputs: []importer.ValueInfo{{Name: "y"}},
	}
	shapes, err := InferShapes(g, 13)
	if err != nil {
		t.Fatal(err)
	}
	if got := importer.FormatDims(shapes["y"].Dims); got != "[N,3,8,15]" {
		t.Errorf("Resize output inferred as %s, want [N,3,8,15]", got)
	}
}
