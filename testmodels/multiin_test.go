package testmodels_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// readTwoTowers loads the committed two-input model (multiin/make_model.py:
// a Conv tower on each input joined by Add and Concat into a Gemm) with its
// inputs in graph-input order and PyTorch's output on them.
func readTwoTowers(t *testing.T) (m *importer.Model, xs []*importer.Tensor, ref *importer.Tensor) {
	t.Helper()
	m, err := onnx.Load(filepath.Join("multiin", "two_towers.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"image", "mask", "ref"} {
		x, err := dataset.ReadNPY(filepath.Join("multiin", name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if name == "ref" {
			ref = x
		} else {
			xs = append(xs, x)
		}
	}
	return m, xs, ref
}

// TestTwoInputs runs the two-input model through every stage: float32
// equals PyTorch; each input gets its own encoding from its own data (the
// image is unsigned, the mask signed); the int8 golden model tracks the
// float output (SQNR); the network and its QDQ export round-trip; every
// mapping scheme simulates bit-identical to the golden model.
func TestTwoInputs(t *testing.T) {
	m, xs, ref := readTwoTowers(t)
	got := floatMatchingPyTorch(t, m, xs, ref)
	net, cfg := quantizeOnAll(t, m, xs)
	if len(net.Inputs) != 2 || net.Inputs[0].Name != "image" || net.Inputs[1].Name != "mask" {
		t.Fatalf("inputs %+v, want image and mask in graph order", net.Inputs)
	}
	for i, wantSigned := range []bool{false, true} {
		if v := net.Values[net.Inputs[i].Value]; v.Signed != wantSigned {
			t.Errorf("input %q: signed %v, want %v (from its own data)", v.Name, v.Signed, wantSigned)
		}
	}
	if len(net.Linears) != 3 {
		t.Fatalf("%d crossbar layers, want 3 (two Convs and the Gemm)", len(net.Linears))
	}
	golden, err := net.RunInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := sqnrDB(got.Float, golden.Float)
	t.Logf("int8 golden model vs float: SQNR %.1f dB", s)
	if !(s >= 30) {
		t.Errorf("int8 golden model vs float: SQNR %.1f dB < 30 dB", s)
	}
	roundTrips(t, net, cfg, xs, true)
	if got := schemesBitIdentical(t, net, xs); len(got) != len(mapper.SchemeNames()) {
		t.Errorf("bit-identical under %v of %v", got, mapper.SchemeNames())
	}

	// The batches must agree in size, and every input needs one.
	if _, err := net.RunInputs(xs[:1], nil, 0); err == nil {
		t.Error("one batch for two inputs: no error")
	}
	short := &importer.Tensor{DType: importer.Float, Shape: append([]int{2}, xs[1].Shape[1:]...), Float: xs[1].Float[:2*xs[1].Len()/xs[1].Shape[0]]}
	if _, err := net.RunInputs([]*importer.Tensor{xs[0], short}, nil, 0); err == nil {
		t.Error("batches of 64 and 2 samples: no error")
	}
	if _, err := quant.QuantizeInputs(m, []*importer.Tensor{xs[0], short}, cfg); err == nil {
		t.Error("calibration batches of 64 and 2 samples: no error")
	}
}

// nodeTestData is where Debian's libonnx-testdata keeps the ONNX node test
// cases (a model.onnx and test_data_set_0 per case).
const nodeTestData = "/usr/share/libonnx-testdata/data/node"

// TestSeveralInputsConformance holds the ONNX node test cases with two or
// more graph inputs (Add, Mul, Concat, MatMul of two activations, ...)
// against their expected outputs: placement agrees with Quantize on the
// case's own inputs (node by node, also where some node is unsupported),
// and where the whole model runs as integers, the
// golden model calibrated on those inputs reproduces the expected float
// output to within 8-bit quantization (SQNR >= 30 dB). Skips without the
// package.
func TestSeveralInputsConformance(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(nodeTestData, "*", "model.onnx"))
	if len(paths) == 0 {
		t.Skipf("no ONNX node test data in %s (Debian package libonnx-testdata)", nodeTestData)
	}
	counts := map[string]int{}
	for _, path := range paths {
		m, err := onnx.Load(path)
		if err != nil || len(m.Graph.Inputs) < 2 {
			continue
		}
		name := filepath.Base(filepath.Dir(path))
		plan, err := quant.Placement(m)
		if err != nil {
			counts["refused before placement (inputs without a shared batch axis, scalar inputs, ...)"]++
			continue
		}
		var xs []*importer.Tensor
		for i := range m.Graph.Inputs {
			x, err := onnx.ReadTensorPB(filepath.Join(filepath.Dir(path), "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !x.IsFloat() || len(x.Shape) < 2 {
				xs = nil
				break
			}
			xs = append(xs, x)
		}
		if xs == nil {
			counts["placed; inputs not float batches [N, ...]"]++
			continue
		}
		if !plan.Runs() {
			// Quantize refuses exactly the nodes placement calls unsupported.
			t.Run(name, func(t *testing.T) { checkPlacement(t, m, xs) })
			counts["placed, some node unsupported (agreeing with Quantize)"]++
			continue
		}
		want, err := onnx.ReadTensorPB(filepath.Join(filepath.Dir(path), "test_data_set_0", "output_0.pb"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) {
			checkPlacement(t, m, xs)
			cfg := quant.DefaultConfig()
			cfg.Calib = xs[0].Shape[0]
			net, err := quant.QuantizeInputs(m, xs, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := net.RunInputs(xs, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !want.IsFloat() {
				return // comparisons: bool outputs, checked by their kinds' own tests
			}
			if s := sqnrDB(want.Float, got.Float); !(s >= 30) {
				t.Errorf("golden model vs expected output: SQNR %.1f dB < 30 dB", s)
			}
		})
		counts["runs as integers, checked against the expected output"]++
	}
	t.Logf("node test cases with several inputs: %v", counts)
	if counts["runs as integers, checked against the expected output"] < 10 {
		t.Errorf("only %d cases with several inputs ran as integers", counts["runs as integers, checked against the expected output"])
	}
}

// TestSeveralOutputs runs the three-output form of the two-input model
// (logits, their softmax, the joined towers in the middle of the network)
// through every stage: the float interpreter equals PyTorch on each
// output; the golden model tracks each (SQNR), the softmax one as the
// float post-op of its output; the network encoding and the QDQ export
// carry all three; every mapping scheme simulates all three bit-identical
// to the golden model.
func TestSeveralOutputs(t *testing.T) {
	_, xs, _ := readTwoTowers(t)
	m, err := onnx.Load(filepath.Join("multiin", "two_outputs.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"logits", "probs", "joined"}
	prog, err := interp.NewModelProgram(m)
	if err != nil {
		t.Fatal(err)
	}
	float, err := prog.Run(map[string]*importer.Tensor{"image": xs[0], "mask": xs[1]})
	if err != nil {
		t.Fatal(err)
	}
	net, cfg := quantizeOnAll(t, m, xs)
	if len(net.Outputs) != 3 {
		t.Fatalf("outputs %+v, want %v", net.Outputs, names)
	}
	golden, err := net.RunOutputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		ref, err := dataset.ReadNPY(filepath.Join("multiin", "two_outputs_ref_"+name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if e, err := relErr(float[name].Float, ref.Float); err != nil || e > 1e-5 {
			t.Errorf("%s: float32 vs PyTorch: relative error %g (%v)", name, e, err)
		}
		if o := net.Outputs[i]; o.Name != name || (o.Post == "Softmax") != (name == "probs") {
			t.Errorf("output %d: %+v, want %q (a Softmax post-op only for probs)", i, o, name)
		}
		s := sqnrDB(ref.Float, golden[i].Float)
		t.Logf("%s: int8 golden model vs PyTorch: SQNR %.1f dB", name, s)
		if !(s >= 30) {
			t.Errorf("%s: int8 golden model vs PyTorch: SQNR %.1f dB < 30 dB", name, s)
		}
	}
	roundTrips(t, net, cfg, xs, true)
	if got := schemesBitIdentical(t, net, xs); len(got) != len(mapper.SchemeNames()) {
		t.Errorf("bit-identical on all three outputs under %v of %v", got, mapper.SchemeNames())
	}
}

// floatMatchingPyTorch returns the float32 interpreter's output for the
// inputs xs and fails the test unless it is PyTorch's ref within a relative
// error of 1e-5.
func floatMatchingPyTorch(t *testing.T, m *importer.Model, xs []*importer.Tensor, ref *importer.Tensor) *importer.Tensor {
	t.Helper()
	got, err := runFloat(m, xs...)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := relErr(got.Float, ref.Float); err != nil || e > 1e-5 {
		t.Fatalf("float32 vs PyTorch: relative error %g (%v)", e, err)
	}
	return got
}

// quantizeOnAll quantizes m per channel, calibrated on every sample of xs
// (one batch per input), and returns the network with the configuration.
func quantizeOnAll(t *testing.T, m *importer.Model, xs []*importer.Tensor) (*quant.Network, quant.Config) {
	t.Helper()
	cfg := quant.DefaultConfig()
	cfg.PerChannel, cfg.Calib = true, xs[0].Shape[0]
	net, err := quant.QuantizeInputs(m, xs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return net, cfg
}

// decoded encodes net (MarshalBinary) and returns the network decoded from
// those bytes.
func decoded(t *testing.T, net *quant.Network) *quant.Network {
	t.Helper()
	raw, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := quant.UnmarshalNetwork(raw)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// roundTrips checks that net, decoded from its encoding and (with qdq)
// imported from its QDQ export (which has every input and output),
// computes the same codes on xs for every output.
func roundTrips(t *testing.T, net *quant.Network, cfg quant.Config, xs []*importer.Tensor, qdq bool) {
	t.Helper()
	want, _, err := net.RunCodesOutputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	back := decoded(t, net)
	type copy struct {
		what string
		net  *quant.Network
	}
	copies := []copy{{"decoded network", back}}
	if qdq {
		raw, err := net.EncodeQDQ()
		if err != nil {
			t.Fatal(err)
		}
		qm, err := onnx.Decode(raw, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(qm.Graph.Inputs) != len(net.Inputs) || len(qm.Graph.Outputs) != len(net.Outputs) {
			t.Fatalf("QDQ export has %d inputs and %d outputs, want %d and %d", len(qm.Graph.Inputs), len(qm.Graph.Outputs), len(net.Inputs), len(net.Outputs))
		}
		imported, err := quant.QuantizeInputs(qm, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		copies = append(copies, copy{"QDQ round trip", imported})
	}
	for _, c := range copies {
		got, _, err := c.net.RunCodesOutputs(xs, nil, 0)
		if err != nil || len(got) != len(want) {
			t.Fatalf("%s: %d outputs, %v", c.what, len(got), err)
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%s: output %q differs from the original network's", c.what, net.Outputs[i].Name)
			}
		}
	}
}

// TestSeveralInputsBatchMoved: a two-input model that moves the batch off
// the first axis (sequence-first, as attention exports do) is quantized at
// batch 1 with both inputs pinned, and still runs any number of samples:
// float equals PyTorch, the golden model tracks it, the round trips and
// every mapping scheme reproduce its codes.
func TestSeveralInputsBatchMoved(t *testing.T) {
	m, err := onnx.Load(filepath.Join("multiin", "seq_first.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var xs []*importer.Tensor
	for _, name := range []string{"x", "y"} {
		x, err := dataset.ReadNPY(filepath.Join("multiin", "seq_first_"+name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	ref, err := dataset.ReadNPY(filepath.Join("multiin", "seq_first_ref.npy"))
	if err != nil {
		t.Fatal(err)
	}
	floatMatchingPyTorch(t, m, xs, ref)
	net, cfg := quantizeOnAll(t, m, xs)
	for _, in := range net.Inputs {
		// The sample's shape, as every network's inputs (the graph reads
		// the batch-1 form [1 4 8] through an alias).
		if sh := net.Values[in.Value].Shape; !slices.Equal(sh, []int{4, 8}) {
			t.Errorf("input %q has codes of shape %v, want the sample's [4 8]", in.Name, sh)
		}
	}
	golden, err := net.RunInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := sqnrDB(ref.Float, golden.Float)
	t.Logf("int8 golden model vs PyTorch: SQNR %.1f dB", s)
	if !(s >= 30) {
		t.Errorf("int8 golden model vs PyTorch: SQNR %.1f dB < 30 dB", s)
	}
	// The encoding and QDQ round trips (the export declares the model's
	// own input shapes [N 4 8]).
	roundTrips(t, net, cfg, xs, true)
	if got := schemesBitIdentical(t, net, xs); len(got) != len(mapper.SchemeNames()) {
		t.Errorf("bit-identical under %v of %v", got, mapper.SchemeNames())
	}
}
