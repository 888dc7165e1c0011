package quant

import (
	"math/rand"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
)

// toyModel builds, in memory, a small CNN that exercises every integer op
// the testmodels use plus a few more: grouped Conv, fused Relu, residual Add
// with Relu, MaxPool, strided Conv, Concat, GlobalAveragePool, Flatten, Gemm
// with transB and a final Softmax.
func toyModel(seed int64) *importer.Model {
	r := rand.New(rand.NewSource(seed))
	init := map[string]*importer.Tensor{}
	param := func(name string, scale float32, shape ...int) string {
		t := &importer.Tensor{DType: importer.Float, Shape: shape}
		t.Float = make([]float32, t.Len())
		for i := range t.Float {
			t.Float[i] = float32(r.NormFloat64()) * scale
		}
		init[name] = t
		return name
	}
	ints := func(name string, v ...int64) string {
		init[name] = &importer.Tensor{DType: importer.Int64, Shape: []int{len(v)}, Int: v}
		return name
	}
	a := func(name string, v ...int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
	}
	ai := func(name string, v int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInt, I: v}
	}
	node := func(name, op string, in, out []string, attrs ...*importer.Attr) *importer.Node {
		n := &importer.Node{Name: name, OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*importer.Attr{}}
		for _, at := range attrs {
			n.Attrs[at.Name] = at
		}
		return n
	}
	nodes := []*importer.Node{
		node("conv1", "Conv", []string{"x", param("w1", 0.5, 4, 1, 3, 3), param("b1", 0.1, 4)}, []string{"c1"}, a("pads", 1, 1, 1, 1), a("kernel_shape", 3, 3)),
		node("relu1", "Relu", []string{"c1"}, []string{"r1"}),
		node("conv2", "Conv", []string{"r1", param("w2", 0.3, 4, 2, 3, 3), param("b2", 0.1, 4)}, []string{"c2"}, a("pads", 1, 1, 1, 1), ai("group", 2)),
		node("add", "Add", []string{"r1", "c2"}, []string{"s"}),
		node("relu2", "Relu", []string{"s"}, []string{"r2"}),
		node("pool", "MaxPool", []string{"r2"}, []string{"p"}, a("kernel_shape", 2, 2), a("strides", 2, 2)),
		node("conv3", "Conv", []string{"r2", param("w3", 0.3, 2, 4, 3, 3)}, []string{"c3"}, a("pads", 1, 1, 1, 1), a("strides", 2, 2)),
		node("cat", "Concat", []string{"p", "c3"}, []string{"cat"}, ai("axis", 1)),
		node("gap", "GlobalAveragePool", []string{"cat"}, []string{"g"}),
		node("flat", "Flatten", []string{"g"}, []string{"f"}),
		node("fc", "Gemm", []string{"f", param("w4", 0.5, 10, 6), param("b4", 0.1, 10)}, []string{"logits"}, ai("transB", 1)),
		node("sm", "Softmax", []string{"logits"}, []string{"prob"}, ai("axis", 1)),
	}
	_ = ints
	out := "prob"
	if !interp.Supported("Softmax") {
		nodes, out = nodes[:len(nodes)-1], "logits"
	}
	g := &importer.Graph{
		Name:         "toy",
		Nodes:        nodes,
		Inputs:       []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Value: 1}, {Value: 8}, {Value: 8}}}},
		Outputs:      []importer.ValueInfo{{Name: out, DType: importer.Float}},
		Initializers: init,
		ValueInfo:    map[string]importer.ValueInfo{},
	}
	return &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
}

// toyInputs returns n random images [n,1,8,8] in [0, 1) (non-negative like
// MNIST pixels), deterministic per seed.
func toyInputs(n int, seed int64) *importer.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := &importer.Tensor{DType: importer.Float, Shape: []int{n, 1, 8, 8}, Float: make([]float32, n*64)}
	for i := range t.Float {
		t.Float[i] = r.Float32()
	}
	return t
}

func floatRun(t testing.TB, m *importer.Model, x *importer.Tensor) *importer.Tensor {
	t.Helper()
	p, err := interp.NewProgram(m.Graph)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*importer.Tensor{m.Graph.Inputs[0].Name: x})
	if err != nil {
		t.Fatal(err)
	}
	return out[m.Graph.Outputs[0].Name]
}

// quantizeWithKind quantizes m with the default configuration, calibrated
// on every sample of calib (one batch per graph input), and fails the test
// unless the program has an op of kind k.
func quantizeWithKind(t testing.TB, m *importer.Model, calib []*importer.Tensor, k OpKind) *Network {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Calib = calib[0].Shape[0]
	net, err := QuantizeInputs(m, calib, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(net.Ops, func(op Op) bool { return op.Kind == k }) {
		t.Fatalf("no %s op in the program %v", k, net.Ops)
	}
	return net
}

// quantizeOneOp is quantizeWithKind for a one-node model of one input whose
// program must be that one op of kind k.
func quantizeOneOp(t testing.TB, m *importer.Model, calib *importer.Tensor, k OpKind) *Network {
	t.Helper()
	net := quantizeWithKind(t, m, []*importer.Tensor{calib}, k)
	if len(net.Ops) != 1 {
		t.Fatalf("program %v, want one %s", net.Ops, k)
	}
	return net
}

// quantizeRun quantizes m with the default configuration calibrated on all
// of x and returns the golden model's output for x. The error is Quantize's
// (a refusal, which some tests want); a failure to run fails the test.
func quantizeRun(t testing.TB, m *importer.Model, x *importer.Tensor) (*importer.Tensor, error) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Calib = x.Shape[0]
	net, err := Quantize(m, x, cfg)
	if err != nil {
		return nil, err
	}
	got, err := net.Run(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got, nil
}

// requireNearFloat fails the test unless the golden model's output got has
// the float reference's shape and an SQNR of at least 30 dB against it.
func requireNearFloat(t testing.TB, got, ref *importer.Tensor) {
	t.Helper()
	if !slices.Equal(got.Shape, ref.Shape) {
		t.Fatalf("output shape %v, float %v", got.Shape, ref.Shape)
	}
	if s := sqnrOf(ref.Float, got.Float); !(s >= 30) {
		t.Errorf("SQNR %.1f dB < 30 dB", s)
	}
}

// dequantizedInput quantizes x as the network's input i and returns the
// codes with what they stand for (each code times the input's scale): the
// float interpreter run on that tensor sees exactly the values the integer
// program sees, so the two can be compared code for code.
func dequantizedInput(net *Network, i int, x *importer.Tensor) (*importer.Tensor, []int32) {
	scale := net.Values[net.Inputs[i].Value].Scale
	codes := make([]int32, len(x.Float))
	net.QuantizeInput(i, x.Float, codes)
	deq := &importer.Tensor{DType: importer.Float, Shape: x.Shape, Float: make([]float32, len(codes))}
	for j, c := range codes {
		deq.Float[j] = float32(float64(c) * scale)
	}
	return deq, codes
}

// requireExactDequantized fails the test when a code times the scale is not
// a float32, i.e. when deq is not the exact value of codes: the comparisons
// that want a bit-exact float reference rely on it.
func requireExactDequantized(t testing.TB, deq *importer.Tensor, codes []int32, scale float64) {
	t.Helper()
	for i, c := range codes {
		if float64(deq.Float[i]) != float64(c)*scale {
			t.Fatalf("code %d times %g is not a float32", c, scale)
		}
	}
}

func argmax(v []float32) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

// qdqRoundTrip writes net as a QDQ ONNX model, reads it back as a
// pre-quantized network and returns that network's codes for xs (one
// batch per input); the error is the export's, if it refuses.
func qdqRoundTrip(t *testing.T, net *Network, xs []*importer.Tensor) ([]int32, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q.onnx")
	if err := net.WriteQDQ(path); err != nil {
		return nil, err
	}
	codes, _, err := loadQDQ(t, path).RunCodesInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return codes, nil
}

// requireQDQSameCodes exports net as QDQ, reads it back and requires its
// codes for xs to equal want; it returns the export's refusal, if any.
func requireQDQSameCodes(t *testing.T, net *Network, xs []*importer.Tensor, want []int32) error {
	t.Helper()
	got, err := qdqRoundTrip(t, net, xs)
	if err != nil {
		return err
	}
	if !slices.Equal(want, got) {
		t.Errorf("codes differ after the QDQ round trip")
	}
	return nil
}

// loadQDQ reads the QDQ ONNX model at path as a pre-quantized network.
func loadQDQ(t *testing.T, path string) *Network {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	net, err := QuantizeQDQ(m, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// decoded encodes net (MarshalBinary) and returns the network decoded from
// those bytes.
func decoded(t *testing.T, net *Network) *Network {
	t.Helper()
	data, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalNetwork(data)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// marshalRoundTrip returns the codes for xs (one batch per input) of net
// decoded from its own encoding.
func marshalRoundTrip(t *testing.T, net *Network, xs []*importer.Tensor) []int32 {
	t.Helper()
	codes, _, err := decoded(t, net).RunCodesInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return codes
}
