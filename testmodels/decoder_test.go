package testmodels_test

import (
	"path/filepath"
	"testing"

	"github.com/rramc/rramc/importer"

	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
	"github.com/rramc/rramc/quant"
)

// TestDecoderPipeline runs the committed decoder model (decoder_export.py:
// ConvTranspose with stride, padding, output_padding, groups and dilation,
// a 1-D Conv, a broadcasting Add of two activations, a squeeze-and-
// excitation gate, HardSwish, a skip Concat and a bilinear resize whose
// sizes come from the input's shape) through every stage: float32 against
// PyTorch's output, the 8-bit golden model against float (SQNR), placement
// (the transposed and 1-D convolutions on the crossbars), and the ideal
// simulation with every mapping scheme bit-identical to the golden model.
func TestDecoderPipeline(t *testing.T) {
	dir := "decoder"
	loaded, err := onnx.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := dataset.ReadNPY(filepath.Join(dir, "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := dataset.ReadNPY(filepath.Join(dir, "output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	model, err := passes.Optimize(loaded)
	if err != nil {
		t.Fatal(err)
	}
	floatOut, err := runFloat(model, x)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := relErr(floatOut.Float, want.Float); err != nil || !(e <= torchvisionTol) {
		t.Fatalf("float32 vs PyTorch: relative error %g (%v)", e, err)
	}

	plan, err := quant.Placement(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Runs() {
		t.Fatalf("placement: %s", plan.Verdict())
	}
	for _, np := range plan.Nodes {
		if (np.Op == "ConvTranspose" || np.Op == "Conv") && np.Where != quant.OnCrossbar {
			t.Errorf("%s %s placed %s (%s), want crossbar", np.Op, np.Node, np.Where, np.Reason)
		}
	}

	cfg := quant.DefaultConfig()
	cfg.WBits, cfg.ABits, cfg.PerChannel, cfg.Calib = 8, 8, true, 16
	net, err := quant.Quantize(loaded, calibBatch(x, cfg.Calib), cfg)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := net.Run(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := sqnrDB(floatOut.Float, golden.Float); !(s >= minSQNR) {
		t.Errorf("golden model vs float: SQNR %.1f dB < %g dB", s, minSQNR)
	} else {
		t.Logf("golden model vs float: SQNR %.1f dB", s)
	}
	schemesBitIdentical(t, net, []*importer.Tensor{x})
}
