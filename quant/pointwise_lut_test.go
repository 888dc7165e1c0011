package quant

import (
	"math"
	"math/rand"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// Every pointwise activation of the float interpreter quantizes to a lookup
// table of the interpreter's own function: a Gemm followed by the
// activation, 8-bit, stays within the error its input quantization allows
// (a few input steps times the function's steepest slope, plus one output
// step) of the float model.
func TestPointwiseActivationsQuantize(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	w := &importer.Tensor{DType: importer.Float, Shape: []int{6, 8}, Float: make([]float32, 48)}
	for i := range w.Float {
		w.Float[i] = float32(r.NormFloat64()) * 0.5
	}
	mk := func(n int) *importer.Tensor {
		x := &importer.Tensor{DType: importer.Float, Shape: []int{n, 6}, Float: make([]float32, n*6)}
		for i := range x.Float {
			x.Float[i] = float32(r.NormFloat64())
		}
		return x
	}
	calib, x := mk(128), mk(64)
	for _, op := range []string{"Gelu", "HardSwish", "HardSigmoid", "Erf", "Softsign", "Celu", "Sin", "Elu", "Selu", "Softplus"} {
		g := &importer.Graph{
			Name:   op,
			Inputs: []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Value: 6}}}},
			Nodes: []*importer.Node{
				{Name: "fc", OpType: "Gemm", Inputs: []string{"x", "w"}, Outputs: []string{"h"}},
				{Name: "act", OpType: op, Inputs: []string{"h"}, Outputs: []string{"y"}},
			},
			Outputs:      []importer.ValueInfo{{Name: "y", DType: importer.Float}},
			Initializers: map[string]*importer.Tensor{"w": w},
			ValueInfo:    map[string]importer.ValueInfo{},
		}
		m := &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 20}, Graph: g}
		ref := floatRun(t, m, x)
		cfg := DefaultConfig()
		cfg.Calib = 128
		net, err := Quantize(m, calib, cfg)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if k := net.Ops[len(net.Ops)-1].Kind; k != OpLUT {
			t.Fatalf("%s: last op is %s, want a lookup table", op, k)
		}
		got, err := net.Run(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		lut := net.Ops[len(net.Ops)-1]
		in, out := net.Values[lut.In[0]], net.Values[lut.Out]
		f, _, _, err := interp.PointwiseFunc(g.Nodes[1])
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := in.Range()
		slope := 0.0
		for q := lo; q < hi; q++ {
			a, b := float64(q)*in.Scale, float64(q+1)*in.Scale
			slope = math.Max(slope, math.Abs(f(b)-f(a))/(b-a))
		}
		budget := 3*in.Scale*slope + out.Scale
		worst := 0.0
		for i, v := range ref.Float {
			worst = math.Max(worst, math.Abs(float64(got.Float[i]-v)))
		}
		if worst > budget {
			t.Errorf("%s: integer output strays from float: max |Δ| %.4f > %.4f", op, worst, budget)
		}
	}
}
