package quant

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/interp"
)

// TestVariadicKinds: Max, Min, Sum and Mean of network inputs of different
// scales and broadcasting shapes (and a constant operand). The program is
// the op alone, so every output code can be checked against the float
// interpreter run on the dequantized input codes: within the final
// rounding's half code (plus the operands' 2^-F rescale errors).
func TestVariadicKinds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     string
		shapes [][]int   // per-sample shapes of the graph inputs
		gains  []float32 // magnitude of each input's data
		konst  []int     // shape of a constant operand (nil: none), batch axis included
		relu   bool      // a Relu after the op (fused as its clamp)
		kind   OpKind
	}{
		{"max-three-broadcast", "Max", [][]int{{3, 4, 5}, {1, 4, 1}, {3, 1, 5}}, []float32{1, 0.7, 0.2}, nil, false, OpEltMax},
		{"min-two", "Min", [][]int{{2, 6}, {2, 6}}, []float32{1, 0.5}, nil, false, OpEltMin},
		{"sum-three-scales", "Sum", [][]int{{4, 3}, {4, 3}, {1, 3}}, []float32{2, 0.1, 1}, nil, false, OpEltSum},
		{"sum-relu-fused", "Sum", [][]int{{4, 3}, {4, 3}}, []float32{1, 1}, nil, true, OpEltSum},
		{"mean-two-broadcast", "Mean", [][]int{{3, 4}, {1, 4}}, []float32{1, 4}, nil, false, OpEltMean},
		{"mean-four", "Mean", [][]int{{5}, {5}, {5}, {5}}, []float32{1, 2, 3, 0.5}, nil, false, OpEltMean},
		{"max-with-constant", "Max", [][]int{{3, 4}}, []float32{1}, []int{1, 3, 1}, false, OpEltMax},
		{"min-with-scalar-constant", "Min", [][]int{{3, 4}}, []float32{1}, []int{}, false, OpEltMin},
		{"sum-with-row-constant", "Sum", [][]int{{3, 4}, {3, 4}}, []float32{1, 0.5}, []int{4}, false, OpEltSum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(6)
			var names []string
			for i := range tc.shapes {
				names = append(names, fmt.Sprintf("x%d", i))
			}
			in := slices.Clone(names)
			if tc.konst != nil {
				in = append(in, g.Param("k", 0.5, tc.konst...))
			}
			y := g.Node(tc.op, in, "y")
			if tc.relu {
				y = g.Node("Relu", []string{y}, "yr")
			}
			m := g.Model(tc.shapes[0], y)
			m.Graph.Inputs = m.Graph.Inputs[:0]
			for i, s := range tc.shapes {
				dims := []importer.Dim{{Param: "N"}}
				for _, d := range s {
					dims = append(dims, importer.Dim{Value: int64(d)})
				}
				m.Graph.Inputs = append(m.Graph.Inputs, importer.ValueInfo{Name: names[i], DType: importer.Float, Shape: dims})
			}
			plan, err := Placement(m)
			if err != nil {
				t.Fatal(err)
			}
			if np := plan.Nodes[0]; np.Where != OnDigital || !slices.Contains(np.Kinds, tc.kind.String()) {
				t.Fatalf("placement %+v, want digital %s", np, tc.kind)
			}
			batch := func(seed int64, n int) []*importer.Tensor {
				var xs []*importer.Tensor
				for i, s := range tc.shapes {
					x := randomBatch(seed+int64(i)*10, n, s...)
					for j := range x.Float {
						x.Float[j] *= tc.gains[i]
					}
					xs = append(xs, x)
				}
				return xs
			}
			calib, xs := batch(1, 64), batch(2, 8)
			net := quantizeWithKind(t, m, calib, tc.kind)
			feeds := map[string]*importer.Tensor{}
			deqFeeds := map[string]*importer.Tensor{}
			for i, x := range xs {
				feeds[names[i]] = x
				deqFeeds[names[i]], _ = dequantizedInput(net, i, x)
			}
			p, err := interp.NewProgram(m.Graph)
			if err != nil {
				t.Fatal(err)
			}
			run := func(f map[string]*importer.Tensor) *importer.Tensor {
				out, err := p.Run(f)
				if err != nil {
					t.Fatal(err)
				}
				return out[y]
			}
			ref, exact := run(feeds), run(deqFeeds)
			got, err := net.RunInputs(xs, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			requireNearFloat(t, got, ref)
			codes, _, err := net.RunCodesInputs(xs, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			// The constant operand's codes are not the float constant: its
			// reference is the float model's, within the SQNR above.
			if tc.konst == nil {
				outV := net.Values[net.Outputs[0].Value]
				lo, hi := outV.Range()
				for i, c := range codes {
					want := math.Min(math.Max(float64(exact.Float[i])/outV.Scale, float64(lo)), float64(hi))
					if d := math.Abs(float64(c) - want); d > 0.51 {
						t.Fatalf("output code %d is %d, exact %.4f (%.4f codes off)", i, c, want, d)
					}
				}
			}
			if tc.konst != nil {
				return // OpConst has no QDQ form
			}
			if got := marshalRoundTrip(t, net, xs); !slices.Equal(codes, got) {
				t.Errorf("codes differ after the binary encoding round trip")
			}
			if err := requireQDQSameCodes(t, net, xs, codes); err != nil {
				t.Fatal(err)
			}
		})
	}
}
