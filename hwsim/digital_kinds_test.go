package hwsim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// checkDigitalKinds holds a network's digital kinds to the simulator and
// the cost model: every kind of kinds occurs in the program and states
// digital work, the cost model charges exactly the work the ops state, and
// under every mapping scheme the simulation of in is bit-identical to the
// golden model.
func checkDigitalKinds(t *testing.T, net *quant.Network, in *importer.Tensor, kinds []quant.OpKind) {
	t.Helper()
	for _, k := range kinds {
		found := false
		for i := range net.Ops {
			op := &net.Ops[i]
			if op.Kind != k {
				continue
			}
			found = true
			if w := net.Work(op); w == (quant.DigitalWork{}) {
				t.Errorf("%s op %q states no digital work", k, op.Name)
			}
		}
		if !found {
			t.Fatalf("no %s op in the program", k)
		}
	}
	hw := Defaults()
	work, err := imageWorkOf(net, &hw)
	if err != nil {
		t.Fatal(err)
	}
	var charged, stated int64
	for _, w := range work {
		charged += w.poolOps + w.activations + w.requant + w.adds
	}
	for i := range net.Ops {
		w := net.Work(&net.Ops[i])
		stated += w.PoolOps + w.Activations + w.Requant + w.Adds
	}
	if charged != stated || stated == 0 {
		t.Errorf("cost model charges %d digital operations, the ops state %d", charged, stated)
	}
	requireSchemesBitIdentical(t, net, hw, []*importer.Tensor{in})
}

// checkDigitalKindsBehindConvs is checkDigitalKinds for the one-output
// graph build adds to a [2, 5, 5] input x (behind crossbar layers of its
// own), quantized on 4 normal samples and simulated on 2 others.
func checkDigitalKindsBehindConvs(t *testing.T, build func(g *graphtest.Builder) string, kinds []quant.OpKind) {
	t.Helper()
	g := graphtest.New(9)
	m := g.Model([]int{2, 5, 5}, build(g))
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 6*2*5*5)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	cfg := quant.DefaultConfig()
	cfg.Calib = 4
	net, err := quant.Quantize(m, importer.NewFloat([]int{6, 2, 5, 5}, x), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkDigitalKinds(t, net, importer.NewFloat([]int{2, 2, 5, 5}, x[4*50:]), kinds)
}

// requireSchemesBitIdentical fails the test unless, under every mapping
// scheme, the bit-serial simulation of net on the inputs xs gives exactly
// the golden model's output codes.
func requireSchemesBitIdentical(t *testing.T, net *quant.Network, hw HW, xs []*importer.Tensor) {
	t.Helper()
	want, _, err := net.RunCodesInputs(xs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, scheme := range mapper.SchemeNames() {
		mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: scheme, MaxShare: 2})
		if err != nil {
			t.Fatalf("map %s: %v", scheme, err)
		}
		sim, err := Simulate(net, mp, hw, Options{})
		if err != nil {
			t.Fatalf("simulate %s: %v", scheme, err)
		}
		got, _, err := net.RunCodesInputs(xs, sim.MatMul, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: simulated output differs from the golden model", scheme)
		}
	}
}
