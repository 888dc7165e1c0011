package onnx

import (
	"github.com/rramc/rramc/importer"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestSummarizeThirdParty(t *testing.T) {
	tests := []struct {
		file     string
		params   int64
		ops      []importer.OpCount
		layers   []importer.LayerSummary
		inShape  string
		outShape string
		text     []string
	}{
		{
			file: "mnist-8_modelzoo_cntk.onnx",
			// float initializers: 16·4·4·10 + 16·8·5·5 + 8·1·5·5 + 8 + 16 + 10.
			params: 2560 + 3200 + 200 + 8 + 16 + 10,
			ops:    []importer.OpCount{{Op: "Add", Count: 3}, {Op: "Conv", Count: 2}, {Op: "MaxPool", Count: 2}, {Op: "Relu", Count: 2}, {Op: "Reshape", Count: 2}, {Op: "MatMul", Count: 1}},
			layers: []importer.LayerSummary{
				{Node: "Convolution28", Op: "Conv", Weight: "Parameter5", WeightShape: []int{8, 1, 5, 5}, Params: 200},
				{Node: "Convolution110", Op: "Conv", Weight: "Parameter87", WeightShape: []int{16, 8, 5, 5}, Params: 3200},
				// MatMul's weight is Parameter193 reshaped by a Reshape node.
				{Node: "Times212", Op: "MatMul", Weight: "Parameter193", WeightShape: []int{16, 4, 4, 10}, Params: 2560},
			},
			inShape: "[1,1,28,28]", outShape: "[1,10]",
			text: []string{"producer     CNTK 2.5.1", "IR version   3", "Input3 float32 [1,1,28,28]", "5994 (5994), 23.4 KiB of weights", "unsupported  none"},
		},
		{
			file:   "mnist_cnn_pytorch2.5_opset11.onnx",
			params: 32*9 + 32 + 64*32*9 + 64 + 128*3136 + 128 + 10*128 + 10,
			ops:    []importer.OpCount{{Op: "Relu", Count: 3}, {Op: "Conv", Count: 2}, {Op: "Gemm", Count: 2}, {Op: "MaxPool", Count: 2}, {Op: "Constant", Count: 1}, {Op: "Reshape", Count: 1}},
			layers: []importer.LayerSummary{
				{Node: "/conv1/Conv", Op: "Conv", Weight: "conv1.weight", WeightShape: []int{32, 1, 3, 3}, Bias: "conv1.bias", BiasShape: []int{32}, Params: 320},
				{Node: "/conv2/Conv", Op: "Conv", Weight: "conv2.weight", WeightShape: []int{64, 32, 3, 3}, Bias: "conv2.bias", BiasShape: []int{64}, Params: 18496},
				{Node: "/fc1/Gemm", Op: "Gemm", Weight: "fc1.weight", WeightShape: []int{128, 3136}, Bias: "fc1.bias", BiasShape: []int{128}, Params: 401536},
				{Node: "/fc2/Gemm", Op: "Gemm", Weight: "fc2.weight", WeightShape: []int{10, 128}, Bias: "fc2.bias", BiasShape: []int{10}, Params: 1290},
			},
			inShape: "[batch_size,1,28,28]", outShape: "[batch_size,10]",
			text: []string{"pytorch 2.5.0", "opset        11", "421.6k (421642), 1.61 MiB of weights", "/fc1/Gemm", "401.5k", "[128,3136]"},
		},
		{
			file:   "pytorch2.9_external_data/mnist.onnx",
			params: 32*9 + 32 + 10*21632 + 10,
			ops:    []importer.OpCount{{Op: "Concat", Count: 1}, {Op: "Conv", Count: 1}, {Op: "Gemm", Count: 1}, {Op: "Relu", Count: 1}, {Op: "Reshape", Count: 1}, {Op: "Shape", Count: 1}},
			layers: []importer.LayerSummary{
				{Node: "node_conv2d", Op: "Conv", Weight: "conv1.weight", WeightShape: []int{32, 1, 3, 3}, Bias: "conv1.bias", BiasShape: []int{32}, Params: 320},
				{Node: "node_linear", Op: "Gemm", Weight: "fc1.weight", WeightShape: []int{10, 21632}, Bias: "fc1.bias", BiasShape: []int{10}, Params: 216330},
			},
			inShape: "[s77,1,28,28]", outShape: "[s77,10]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Load(filepath.Join(ltThirdParty, tc.file))
			if err != nil {
				t.Skipf("third-party model absent: %v", err)
			}
			s := importer.Summarize(m, func(string) bool { return true })
			if s.Params != tc.params || s.WeightBytes != 4*tc.params {
				t.Errorf("params %d (%d bytes), want %d", s.Params, s.WeightBytes, tc.params)
			}
			if !slices.Equal(s.Ops, tc.ops) {
				t.Errorf("ops %v, want %v", s.Ops, tc.ops)
			}
			if len(s.Layers) != len(tc.layers) {
				t.Fatalf("layers %+v, want %+v", s.Layers, tc.layers)
			}
			for i, l := range s.Layers {
				w := tc.layers[i]
				if l.Node != w.Node || l.Op != w.Op || l.Weight != w.Weight || !slices.Equal(l.WeightShape, w.WeightShape) ||
					l.Bias != w.Bias || !slices.Equal(l.BiasShape, w.BiasShape) || l.Params != w.Params {
					t.Errorf("layer %d = %+v, want %+v", i, l, w)
				}
			}
			if s.Inputs[0].Shape != tc.inShape || s.Outputs[0].Shape != tc.outShape || len(s.Unsupported) != 0 {
				t.Errorf("in %v out %v unsupported %v", s.Inputs, s.Outputs, s.Unsupported)
			}
			var b strings.Builder
			if err := s.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.text {
				if !strings.Contains(b.String(), want) {
					t.Errorf("text lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

func TestSummarizeUnsupported(t *testing.T) {
	pm := ltSmall()
	pm.Graph.Node[4].Domain = proto.String("com.microsoft")
	pm.OpsetImport = append(pm.OpsetImport, ltModelOf(0, 1, nil).OpsetImport[0])
	pm.OpsetImport[1].Domain = proto.String("com.microsoft")
	m, err := Decode(ltMarshal(t, pm), "")
	if err != nil {
		t.Fatal(err)
	}
	s := importer.Summarize(m, func(op string) bool { return op != "Identity" && op != "Relu" })
	want := []importer.UnsupportedNode{{Node: "relu", Op: "Relu", Domain: "com.microsoft"}, {Node: "Identity_5", Op: "Identity"}}
	if !slices.Equal(s.Unsupported, want) {
		t.Errorf("unsupported %v, want %v", s.Unsupported, want)
	}
	if !slices.Contains(s.Ops, importer.OpCount{Op: "com.microsoft:Relu", Count: 1}) {
		t.Errorf("ops %v", s.Ops)
	}
	// MatMul's weight is the second input: W [4,3] = 12 params.
	if len(s.Layers) != 1 || s.Layers[0].Weight != "W" || s.Layers[0].Params != 12 {
		t.Errorf("layers %+v", s.Layers)
	}
	// W, b and the Constant's value: 12 + 3 + 3.
	if s.Params != 18 {
		t.Errorf("params %d", s.Params)
	}
	var b strings.Builder
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`2 node(s): "relu" (Relu, domain com.microsoft), "Identity_5" (Identity)`, "opset        13 (also com.microsoft 1)", "x float32 [N,4]"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, b.String())
		}
	}
}

func TestFormatDims(t *testing.T) {
	for _, tc := range []struct {
		d    []importer.Dim
		want string
	}{
		{nil, "[?...]"},
		{[]importer.Dim{}, "[]"},
		{[]importer.Dim{{Param: "batch"}, {Value: 3}, {}}, "[batch,3,?]"},
	} {
		if got := importer.FormatDims(tc.d); got != tc.want {
			t.Errorf("FormatDims(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
