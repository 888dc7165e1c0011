package hwsim

import (
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/quant"
)

// TestPairKindsSimulated runs Sub of two activations (broadcast) and the
// two-operand tables (Div, Pow, Mod, PRelu of two activations, broadcast;
// a per-channel constant PRelu slope) and GatherElements with constant indices behind crossbar layers: the
// bit-serial simulation must be bit-identical to the golden model under
// every mapping scheme, and the cost model must charge each op the digital
// work its kind states.
func TestPairKindsSimulated(t *testing.T) {
	ai := graphtest.AInt
	gap := func(g *graphtest.Builder, x string) string { // [C, 1, 1]: broadcast over the map
		return g.Node("GlobalAveragePool", []string{x}, x+"_gap")
	}
	for _, tc := range []struct {
		name  string
		kinds []quant.OpKind
		build func(g *graphtest.Builder) string
	}{
		{"sub-div-broadcast", []quant.OpKind{quant.OpAdd, quant.OpPairLUT}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 2, 4, 3, 1)
			b := g.Conv("x", "b", 2, 4, 1, 1)
			d := g.Node("Sub", []string{a, gap(g, b)}, "d")
			return g.Node("Div", []string{d, b}, "y")
		}},
		{"pow-mod", []quant.OpKind{quant.OpPairLUT}, func(g *graphtest.Builder) string {
			a := g.Node("Relu", []string{g.Conv("x", "a", 2, 4, 3, 1)}, "ra")
			b := g.Conv("x", "b", 2, 4, 3, 1)
			p := g.Node("Pow", []string{a, gap(g, b)}, "p")
			return g.Node("Mod", []string{p, b}, "y", ai("fmod", 1))
		}},
		{"prelu-activation-and-constant-slope", []quant.OpKind{quant.OpPairLUT}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 2, 4, 3, 1)
			s := g.Node("Sigmoid", []string{g.Conv("x", "b", 2, 4, 3, 1)}, "s")
			p := g.Node("PRelu", []string{a, s}, "p")
			slope := g.Const("slope", importer.NewFloat([]int{4, 1, 1}, []float32{0.25, -0.5, 0.1, 0.25}))
			return g.Node("PRelu", []string{p, slope}, "y")
		}},
		{"gather-elements", []quant.OpKind{quant.OpGather, quant.OpLUT}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 2, 4, 3, 1)
			idx := make([]int64, 4*3*3)
			for i := range idx {
				idx[i] = int64((i*7)%5) - 2
			}
			ge := g.Node("GatherElements", []string{a, g.Const("gi", importer.NewInt([]int{1, 4, 3, 3}, idx))}, "ge", ai("axis", 3))
			return g.Node("Pow", []string{ge, g.Ints("three", 3)}, "y")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDigitalKindsBehindConvs(t, tc.build, tc.kinds)
		})
	}
}
