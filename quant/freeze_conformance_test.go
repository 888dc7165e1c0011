package quant

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
)

// readNodeCase decodes an ONNX node test case's model and the tensors of
// its first data set (inputs and expected outputs, in order).
func readNodeCase(t *testing.T, dir string) (m *importer.Model, ins, outs []*importer.Tensor) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err = onnx.Decode(data, dir); err != nil {
		t.Fatal(err)
	}
	read := func(prefix string) []*importer.Tensor {
		var ts []*importer.Tensor
		for i := 0; ; i++ {
			raw, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("%s_%d.pb", prefix, i)))
			if errors.Is(err, os.ErrNotExist) {
				return ts
			}
			if err != nil {
				t.Fatal(err)
			}
			_, x, err := onnx.DecodeTensorPB(raw)
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, x)
		}
	}
	return m, read("input"), read("output")
}

// TestFrozenParameterInputs freezes the parameter inputs of ONNX node test
// cases (every input but the first: Resize scales or sizes, Slice starts and
// ends, Gather indices, TopK k, Pad pads, Clip bounds, ReduceSum axes) to
// their test values with importer.FreezeInputs, quantizes the model on the
// case's data input and holds the integer golden model's first output to
// the case's expected output: SQNR ≥ 30 dB. Unfrozen, each case is refused
// (a parameter input does not share the batch axis). Frozen, a Slice or
// Gather along the batch axis and a Dropout whose training_mode is true are
// refused with their reason, not run as something else.
func TestFrozenParameterInputs(t *testing.T) {
	root := onnxNodeTests()
	if _, err := os.Stat(filepath.Join(root, "test_abs", "model.onnx")); err != nil {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata)")
	}
	for _, tc := range []struct {
		name   string
		refuse string // a reason Quantize must give when frozen
	}{
		{name: "test_resize_upsample_scales_nearest"},
		{name: "test_resize_upsample_scales_linear"},
		{name: "test_resize_downsample_sizes_linear_pytorch_half_pixel"},
		{name: "test_resize_upsample_sizes_cubic"},
		{name: "test_slice", refuse: "slice 0:3:1 of axis 0, the batch axis"},
		{name: "test_slice_default_axes", refuse: "slice 0:20:1 of axis 0, the batch axis"},
		{name: "test_gather_0", refuse: "axis 0 is the batch axis"},
		{name: "test_slice_neg"},
		{name: "test_gather_1"},
		{name: "test_top_k"},
		{name: "test_constant_pad"},
		{name: "test_clip"},
		{name: "test_reduce_sum_keepdims_random"},
		{name: "test_unsqueeze_two_axes"},
		{name: "test_training_dropout", refuse: "training_mode is true"},
		{name: "test_layer_normalization_4d_axis1", refuse: "Mean and InvStdDev outputs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ins, outs := readNodeCase(t, filepath.Join(root, tc.name))
			if len(ins) != len(m.Graph.Inputs) || len(ins) < 2 || len(outs) == 0 {
				t.Fatalf("%d inputs for the graph's %d, %d outputs", len(ins), len(m.Graph.Inputs), len(outs))
			}
			x := ins[0]
			cfg := DefaultConfig()
			cfg.Calib = x.Shape[0]
			if _, err := QuantizeInputs(m, ins, cfg); err == nil {
				t.Fatal("quantized with its parameters as inputs; the test is not about freezing")
			}
			frozenAgainstExpected(t, m, ins, outs[0], tc.refuse)
		})
	}
}

// LayerNormalization over every axis the conformance cases use, with only
// the normalized output Y kept (the cases' Mean and InvStdDev outputs are
// training statistics the integer model does not compute): from the last
// axis to several trailing ones, against the cases' expected Y; an axis
// reaching the batch axis is refused.
func TestLayerNormAxesConformance(t *testing.T) {
	root := onnxNodeTests()
	if _, err := os.Stat(filepath.Join(root, "test_abs", "model.onnx")); err != nil {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata)")
	}
	for _, tc := range []struct {
		name   string
		refuse string
	}{
		{name: "test_layer_normalization_2d_axis1"},
		{name: "test_layer_normalization_3d_axis1_epsilon"},
		{name: "test_layer_normalization_3d_axis2_epsilon"},
		{name: "test_layer_normalization_4d_axis1"},
		{name: "test_layer_normalization_4d_axis2"},
		{name: "test_layer_normalization_4d_axis3"},
		{name: "test_layer_normalization_4d_axis_negative_3"},
		{name: "test_layer_normalization_default_axis"},
		{name: "test_layer_normalization_4d_axis0", refuse: "includes the batch axis"},
		{name: "test_layer_normalization_3d_axis_negative_3_epsilon", refuse: "includes the batch axis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ins, outs := readNodeCase(t, filepath.Join(root, tc.name))
			g := m.Graph
			if len(g.Nodes) != 1 || len(ins) != 3 {
				t.Fatalf("%d nodes, %d inputs: not a LayerNormalization case", len(g.Nodes), len(ins))
			}
			n := g.Nodes[0]
			n.Outputs = n.Outputs[:1]
			g.Outputs = g.Outputs[:1]
			frozenAgainstExpected(t, m, ins, outs[0], tc.refuse)
		})
	}
}

// frozenAgainstExpected freezes every graph input after the first to its
// test value, quantizes on the first, and holds the integer output against
// the case's expected one (SQNR ≥ 30 dB), or, with refuse set, requires
// Quantize to refuse with that reason.
func frozenAgainstExpected(t *testing.T, m *importer.Model, ins []*importer.Tensor, want *importer.Tensor, refuse string) {
	t.Helper()
	consts := map[string]*importer.Tensor{}
	for i, in := range m.Graph.Inputs[1:] {
		consts[in.Name] = ins[i+1]
	}
	mf, err := importer.FreezeInputs(m, consts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := quantizeRun(t, mf, ins[0])
	if refuse != "" {
		if err == nil || !strings.Contains(err.Error(), refuse) {
			t.Fatalf("error %v, want one saying %q", err, refuse)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	g, w := realValues(got), realValues(want)
	if len(g) != len(w) {
		t.Fatalf("%d outputs, expected %d", len(g), len(w))
	}
	s := sqnr64(w, g)
	if !(s >= 30) {
		t.Errorf("SQNR %.1f dB < 30 dB against the expected output", s)
	}
	t.Logf("SQNR %.1f dB against the expected output", s)
}
