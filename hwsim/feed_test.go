package hwsim

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/quant"
)

// twice is x's samples followed by the same samples again.
func twice(x *importer.Tensor) *importer.Tensor {
	return importer.NewFloat(append([]int{2 * x.Shape[0]}, x.Shape[1:]...), slices.Concat(x.Float, x.Float))
}

// TestFeedTwoInputs runs the two-input model of testmodels/multiin
// through the evaluation layer: the float stage, fed 128 samples (two
// chunks of floatChunk, each input sliced alike), equals PyTorch's output
// on both copies; the golden stage equals the network's own run; a feed
// whose sources differ in length is refused naming both inputs.
func TestFeedTwoInputs(t *testing.T) {
	dir := filepath.Join("..", "testmodels", "multiin")
	m, err := LoadModel(filepath.Join(dir, "two_towers.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var xs []*importer.Tensor
	var srcs []dataset.Source
	for _, name := range []string{"image", "mask"} {
		x, err := dataset.ReadNPY(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, twice(x))
		src, err := dataset.Open(dataset.Spec{Data: filepath.Join(dir, name+".npy")})
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	ref, err := dataset.ReadNPY(filepath.Join(dir, "ref.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ys, err := m.Stage()(xs)
	if err != nil {
		t.Fatal(err)
	}
	y := ys[0]
	want := twice(ref)
	if len(y.Float) != len(want.Float) {
		t.Fatalf("float stage: %v, want %v", y.Shape, want.Shape)
	}
	for i := range want.Float {
		if d := y.Float[i] - want.Float[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("float stage: element %d = %v, PyTorch %v", i, y.Float[i], want.Float[i])
		}
	}

	cfg := quant.DefaultConfig()
	cfg.Calib = 64
	net, _, err := m.Quantize(srcs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	feed := Feed{Inputs: m.Inputs, Sources: srcs}
	outs, err := Run(context.Background(), feed, RunOptions{BatchSize: 24}, GoldenStage(net, 0))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := net.RunInputs(allSamples(t, feed), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	top, err := importer.ArgMaxRows(direct)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outs[0].Top1, top) {
		t.Errorf("golden stage over batches of 24: top-1 %v, the network on all samples %v", outs[0].Top1, top)
	}

	short := Feed{Inputs: m.Inputs, Sources: []dataset.Source{srcs[0], &countSource{n: 10}}}
	if err := short.Fit(); !errors.Is(err, dataset.ErrInvalidData) || !strings.Contains(err.Error(), `input "mask" (count) has 10 samples`) {
		t.Errorf("sources of 64 and 10 samples: %v", err)
	}
	if err := (Feed{Inputs: m.Inputs, Sources: srcs[:1]}).Fit(); !errors.Is(err, dataset.ErrInvalidData) {
		t.Errorf("one source for two inputs: %v", err)
	}
}

// allSamples is every sample of the feed.
func allSamples(t *testing.T, f Feed) []*importer.Tensor {
	t.Helper()
	xs, err := f.Batch(0, f.Len())
	if err != nil {
		t.Fatal(err)
	}
	return xs
}
