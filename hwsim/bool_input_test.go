package hwsim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/quant"
)

// TestBoolMaskInput quantizes a conv tower with a second, bool graph input
// (a mask) that selects between two branches with Where of its Not: the
// mask enters as 0/1 codes at scale 1, Not and Where run as integer kinds,
// the golden model follows the float model (SQNR ≥ 30 dB), and the
// bit-serial simulation with every mapping scheme is bit-identical to the
// golden model.
func TestBoolMaskInput(t *testing.T) {
	g := graphtest.New(5)
	a := g.Node("Relu", []string{g.Conv("x", "a", 2, 3, 3, 1)}, "ar")
	b := g.Conv(a, "b", 3, 3, 3, 1)
	c := g.Conv("x", "c", 2, 3, 1, 1)
	notMask := g.Node("Not", []string{"mask"}, "keep_c")
	y := g.Node("Relu", []string{g.Node("Where", []string{notMask, c, b}, "w")}, "y")
	m := g.Model([]int{2, 5, 5}, y)
	m.Graph.Inputs = append(m.Graph.Inputs, importer.ValueInfo{Name: "mask", DType: importer.Bool,
		Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Value: 5}, {Value: 5}}})

	const n = 8
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*2*5*5)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	mask := make([]int64, n*3*5*5)
	for i := range mask {
		mask[i] = int64(rng.IntN(2))
	}
	xs := []*importer.Tensor{importer.NewFloat([]int{n, 2, 5, 5}, x), {DType: importer.Bool, Shape: []int{n, 3, 5, 5}, Int: mask}}
	cfg := quant.DefaultConfig()
	cfg.Calib = n
	net, err := quant.QuantizeInputs(m, xs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := net.Inputs[net.InputIndex("mask")]
	if v := net.Values[in.Value]; in.DType != importer.Bool || v.Scale != 1 || v.Signed {
		t.Fatalf("mask input: type %v, scale %g, signed %v; want bool 0/1 codes at scale 1", in.DType, v.Scale, v.Signed)
	}

	for _, k := range []quant.OpKind{quant.OpLogic, quant.OpWhere} {
		if !slices.ContainsFunc(net.Ops, func(op quant.Op) bool { return op.Kind == k }) {
			t.Fatalf("no %s op in the program", k)
		}
	}
	prog, err := interp.NewModelProgram(m)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := prog.Run(map[string]*importer.Tensor{"x": xs[0], "mask": xs[1]})
	if err != nil {
		t.Fatal(err)
	}
	golden, err := net.RunInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := ref[y].Float
	var sig, noise float64
	for i, w := range want {
		sig += float64(w) * float64(w)
		noise += float64(golden.Float[i]-w) * float64(golden.Float[i]-w)
	}
	s := 10 * math.Log10(sig/noise)
	if !(s >= 30) {
		t.Errorf("golden model against float: SQNR %.1f dB < 30 dB", s)
	}
	t.Logf("golden model against float: SQNR %.1f dB", s)
	masked := 0
	for i := range mask {
		if mask[i] == 0 {
			masked++
		}
	}
	if masked == 0 || masked == len(mask) {
		t.Fatalf("the mask selects one branch only (%d of %d zero)", masked, len(mask))
	}

	requireSchemesBitIdentical(t, net, Defaults(), xs)
}
