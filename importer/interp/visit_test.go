package interp_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
)

// TestRunVisited checks that a visitor sees every node output with the same
// values through RunVisited (buffers recycled after the call) as through
// RunObserved (nothing recycled), over two runs so that the second reuses
// the first's buffers, on the residual network (outputs read twice).
func TestRunVisited(t *testing.T) {
	path := filepath.Join(testmodelsDir(), "resnet_small.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present: %v", path, err)
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m, err = passes.Optimize(m); err != nil {
		t.Fatal(err)
	}
	p, err := interp.NewModelProgram(m)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for run := 0; run < 2; run++ {
		x := importer.NewFloat([]int{20, 1, 28, 28}, nil)
		for i := range x.Float {
			x.Float[i] = float32(r.NormFloat64())
		}
		in := map[string]*importer.Tensor{p.Inputs()[0].Name: x}
		var kept, copied [][]float32
		wantOut, err := p.RunObserved(in, func(_ *importer.Node, outs []*importer.Tensor) {
			for _, o := range outs {
				if o != nil {
					kept = append(kept, o.Float)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		gotOut, err := p.RunVisited(in, func(_ *importer.Node, outs []*importer.Tensor) {
			for _, o := range outs {
				if o != nil {
					copied = append(copied, slices.Clone(o.Float))
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) != len(copied) {
			t.Fatalf("run %d: %d observed outputs, %d visited", run, len(kept), len(copied))
		}
		for i := range kept {
			if !slices.Equal(kept[i], copied[i]) {
				t.Fatalf("run %d: node output %d differs between RunObserved and RunVisited", run, i)
			}
		}
		for name, y := range wantOut {
			if !slices.Equal(y.Float, gotOut[name].Float) {
				t.Errorf("run %d: output %s differs", run, name)
			}
		}
	}
}
