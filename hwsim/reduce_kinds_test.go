package hwsim

import (
	"math/rand"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/quant"
)

// TestReduceKindsSimulated: networks whose digital part is the grouped
// reductions (1-D and 3-D pooling, Reduce over channels and other axes) or
// the variadic Max/Min/Sum/Mean after crossbar layers. Every scheme's ideal simulation is bit-identical
// to the golden model, and each reduction states digital work for the
// cost model.
func TestReduceKindsSimulated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int
		kinds []quant.OpKind
		build func(g *graphtest.Builder) string
	}{
		{"conv1d-pools-reducesum", []int{3, 16}, []quant.OpKind{quant.OpReduceMax, quant.OpReduceMean, quant.OpReduceSum}, func(g *graphtest.Builder) string {
			c := g.Node("Conv", []string{"x", g.Param("w1", 0.4, 6, 3, 3)}, "c1", graphtest.AInts("pads", 1, 1))
			p := g.Node("MaxPool", []string{c}, "p1", graphtest.AInts("kernel_shape", 3), graphtest.AInts("strides", 2), graphtest.AInts("pads", 1, 1))
			a := g.Node("AveragePool", []string{p}, "p2", graphtest.AInts("kernel_shape", 2), graphtest.AInts("strides", 2))
			return g.Node("ReduceSum", []string{a, g.Ints("axes", 2)}, "y", graphtest.AInt("keepdims", 0))
		}},
		{"conv3d-pool3d-reducemean-channels", []int{2, 4, 5, 5}, []quant.OpKind{quant.OpReduceMean, quant.OpReduceMax, quant.OpReduceMin}, func(g *graphtest.Builder) string {
			c := g.Node("Conv", []string{"x", g.Param("w1", 0.4, 4, 2, 3, 3, 3)}, "c1", graphtest.AInts("pads", 1, 1, 1, 1, 1, 1))
			p := g.Node("AveragePool", []string{c}, "p1", graphtest.AInts("kernel_shape", 2, 2, 2), graphtest.AInts("strides", 2, 2, 2), graphtest.AInt("ceil_mode", 1))
			m := g.Node("ReduceMax", []string{p}, "m", graphtest.AInts("axes", 1), graphtest.AInt("keepdims", 1))
			return g.Node("ReduceMin", []string{m}, "y", graphtest.AInts("axes", -1))
		}},
		{"conv-branches-max-min-sum-mean", []int{3, 6, 6}, []quant.OpKind{quant.OpEltMax, quant.OpEltMin, quant.OpEltSum, quant.OpEltMean}, func(g *graphtest.Builder) string {
			a := g.Conv("x", "a", 3, 4, 3, 1)
			b := g.Conv("x", "b", 3, 4, 1, 1)
			c := g.Node("Relu", []string{g.Conv("x", "c", 3, 4, 3, 1)}, "cr")
			mx := g.Node("Max", []string{a, b, c}, "mx")
			mn := g.Node("Min", []string{a, b}, "mn")
			s := g.Node("Sum", []string{mx, mn, c}, "s")
			return g.Node("Mean", []string{s, a}, "y")
		}},
		{"conv-norms-logs-product", []int{3, 5, 5}, []quant.OpKind{quant.OpReduceL1, quant.OpReduceL2, quant.OpReduceSumSquare,
			quant.OpReduceLogSumExp, quant.OpReduceProd, quant.OpReduceLogSum, quant.OpEltSum}, func(g *graphtest.Builder) string {
			c := g.Conv("x", "c", 3, 4, 3, 1)
			r := g.Node("Relu", []string{c}, "cr")
			var parts []string
			for _, op := range []string{"ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceProd"} {
				parts = append(parts, g.Node(op, []string{c}, op, graphtest.AInts("axes", 1)))
			}
			parts = append(parts, g.Node("ReduceLogSum", []string{r}, "logsum", graphtest.AInts("axes", 1)))
			return g.Node("Sum", parts, "y")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(4)
			m := g.Model(tc.in, tc.build(g))
			calib, x := randBatch(1, 32, tc.in), randBatch(2, 4, tc.in)
			cfg := quant.DefaultConfig()
			cfg.Calib = 32
			net, err := quant.Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkDigitalKinds(t, net, x, tc.kinds)
		})
	}
}

func randBatch(seed int64, n int, shape []int) *importer.Tensor {
	r := rand.New(rand.NewSource(seed))
	t := &importer.Tensor{DType: importer.Float, Shape: append([]int{n}, shape...)}
	t.Float = make([]float32, t.Len())
	for i := range t.Float {
		t.Float[i] = float32(r.NormFloat64())
	}
	return t
}
