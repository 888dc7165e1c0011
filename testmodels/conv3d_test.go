package testmodels_test

import (
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"

	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
	"github.com/rramc/rramc/quant"
)

// TestConv3D runs the committed 3-D convolution model (conv3d/make_model.py,
// reference output by NumPy from the Conv definition) through every stage:
// float32 equals the reference; the int8 golden model tracks it (SQNR); the
// network round-trips its encoding; every mapping scheme simulates
// bit-identical to the golden model.
func TestConv3D(t *testing.T) {
	m, err := onnx.Load("conv3d/conv3d.onnx")
	if err != nil {
		t.Fatal(err)
	}
	x, err := dataset.ReadNPY("conv3d/input.npy")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.ReadNPY("conv3d/reference.npy")
	if err != nil {
		t.Fatal(err)
	}
	opt, err := passes.Optimize(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := runFloat(opt, x)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := relErr(got.Float, ref.Float); err != nil || e > 1e-5 {
		t.Fatalf("float32 vs NumPy: relative error %g (%v)", e, err)
	}
	cfg := quant.DefaultConfig()
	cfg.PerChannel, cfg.Calib = true, x.Shape[0]
	net, err := quant.Quantize(m, x, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Linears) != 3 {
		t.Fatalf("%d crossbar layers, want 3 (two 3-D Convs and the Gemm)", len(net.Linears))
	}
	golden, err := net.Run(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := sqnrDB(got.Float, golden.Float); !(s >= 30) {
		t.Errorf("int8 golden model vs float: SQNR %.1f dB < 30 dB", s)
	}
	back := decoded(t, net)
	want, _, err := net.RunCodes(x, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if codes, _, err := back.RunCodes(x, nil, 0); err != nil || !slices.Equal(codes, want) {
		t.Fatalf("decoded network: %v, outputs equal %v", err, slices.Equal(codes, want))
	}
	schemesBitIdentical(t, net, []*importer.Tensor{x})
}
