package hwsim

import (
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/quant"
)

// TestMiscKindsSimulated runs the digital kinds of indices, one-hot
// outputs, comparisons, logic, selection and casts behind crossbar layers:
// the bit-serial simulation must be bit-identical to the golden model under
// every mapping scheme, and the cost model must charge each of those ops
// the digital work its kind states.
func TestMiscKindsSimulated(t *testing.T) {
	ai := graphtest.AInt
	for _, tc := range []struct {
		name  string
		kinds []quant.OpKind
		build func(g *graphtest.Builder) string
	}{
		{"argmin-last", []quant.OpKind{quant.OpArgMax}, func(g *graphtest.Builder) string {
			c := g.Conv("x", "c", 2, 4, 3, 1)
			return g.Node("ArgMin", []string{c}, "y", ai("axis", 1), ai("select_last_index", 1))
		}},
		{"hardmax", []quant.OpKind{quant.OpHardmax}, func(g *graphtest.Builder) string {
			c := g.Node("Relu", []string{g.Conv("x", "c", 2, 4, 3, 1)}, "r")
			return g.Node("Hardmax", []string{c}, "y", ai("axis", 1))
		}},
		{"compare-branches-and-cast", []quant.OpKind{quant.OpCompare, quant.OpLUT}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 2, 3, 3, 1)
			b := g.Conv("x", "b", 2, 3, 1, 1)
			l := g.Node("Less", []string{a, b}, "l")
			e := g.Node("Cast", []string{l}, "lf", ai("to", int64(importer.Float)))
			return g.Node("Cast", []string{g.Node("Mul", []string{e, a}, "m")}, "y", ai("to", int64(importer.Int8)))
		}},
		{"logic-where", []quant.OpKind{quant.OpCompare, quant.OpLogic, quant.OpWhere}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 2, 3, 3, 1)
			b := g.Conv("x", "b", 2, 3, 1, 1)
			pos := g.Node("Greater", []string{a, g.Floats("z", 0)}, "pos")
			big := g.Node("Less", []string{b, a}, "big")
			c := g.Node("Not", []string{g.Node("Xor", []string{pos, big}, "xor")}, "cond")
			return g.Node("Where", []string{c, a, b}, "y")
		}},
		{"logic-constant-masks", []quant.OpKind{quant.OpCompare, quant.OpLogic, quant.OpWhere}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 2, 3, 3, 1)
			b := g.Conv("x", "b", 2, 3, 1, 1)
			pos := g.Node("Greater", []string{a, g.Floats("z", 0)}, "pos")
			perChannel := g.Const("channels", &importer.Tensor{DType: importer.Bool, Shape: []int{3, 1, 1}, Int: []int64{1, 0, 1}})
			perColumn := g.Const("columns", &importer.Tensor{DType: importer.Bool, Shape: []int{5}, Int: []int64{0, 1, 1, 0, 1}})
			c := g.Node("Xor", []string{perColumn, g.Node("And", []string{pos, perChannel}, "and")}, "cond")
			return g.Node("Where", []string{c, a, b}, "y")
		}},
		{"lrn-topk", []quant.OpKind{quant.OpLRN, quant.OpTopK}, func(g *graphtest.Builder) string {
			c := g.Node("Relu", []string{g.Conv("x", "c", 2, 6, 3, 1)}, "r")
			l := g.Node("LRN", []string{c}, "l", ai("size", 3))
			g.NodeOutputs("TopK", []string{l, g.Ints("k", 2)}, []string{"y", "yi"}, ai("axis", 1))
			return "y"
		}},
		{"mvn", []quant.OpKind{quant.OpMVN}, func(g *graphtest.Builder) string {
			c := g.Conv("x", "c", 2, 4, 3, 1)
			return g.Node("MeanVarianceNormalization", []string{c}, "y", graphtest.AInts("axes", 2, 3))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDigitalKindsBehindConvs(t, tc.build, tc.kinds)
		})
	}
}
