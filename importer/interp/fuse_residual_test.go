package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rramc/rramc/importer"
)

// fuseGraph is a small graph for the fusion tests: input x of shape xs,
// nodes as given, constants as initializers, y the only output (plus any
// extra outputs).
func fuseGraph(xs []int, consts map[string]*importer.Tensor, nodes []*importer.Node, outputs ...string) *importer.Graph {
	g := &importer.Graph{
		Name:         "fuse",
		Inputs:       []importer.ValueInfo{{Name: "x", DType: importer.Float}},
		Initializers: consts,
		Nodes:        nodes,
		ValueInfo:    map[string]importer.ValueInfo{},
	}
	for _, o := range append([]string{"y"}, outputs...) {
		g.Outputs = append(g.Outputs, importer.ValueInfo{Name: o})
	}
	return g
}

// randTensor has values in [-1, 1) (signs mixed, so activations matter).
func randTensor(r *rand.Rand, shape ...int) *importer.Tensor {
	t := importer.NewFloat(shape, nil)
	for i := range t.Float {
		t.Float[i] = r.Float32()*2 - 1
	}
	return t
}

// runSteps is the number of steps Run executes.
func runSteps(p *Program) int {
	if p.fused == nil {
		return len(p.steps)
	}
	return len(p.fused)
}

func node(op string, ins []string, out string, attrs ...*importer.Attr) *importer.Node {
	return &importer.Node{Name: op + "_" + out, OpType: op, Inputs: ins, Outputs: []string{out}, Attrs: attrMap(attrs...)}
}

// TestFusedResidualBits: Run (fused chains) gives the same bits as
// RunVisited (one step per node) on every chain fusion takes (residual
// Adds with and without an activation, activations alone, on either side
// of the Add), on every convolution path
// (batch lanes, shifted planes, im2col, 1×1 direct, depthwise, 3-D), on
// batches that take the batch-parallel and the per-image paths, and where
// fusion falls back (a residual that broadcasts) or must not happen (the
// Conv's output is also a graph output).
func TestFusedResidualBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := 8
	w3 := randTensor(r, c, c, 3, 3)
	w1 := randTensor(r, c, c, 1, 1)
	wdw := randTensor(r, c, 1, 3, 3)
	w3d := randTensor(r, c, c, 3, 3, 3)
	bias := randTensor(r, c)
	consts := map[string]*importer.Tensor{
		"W3": w3, "W1": w1, "Wdw": wdw, "W3d": w3d, "B": bias,
		"lo": ft(nil, -0.25), "hi": ft(nil, 0.5),
		"chan": randTensor(r, 1, c, 1, 1),
	}
	pad1 := aInts("pads", 1, 1, 1, 1)
	cases := []struct {
		name   string
		nodes  []*importer.Node
		extra  []string // more graph outputs
		is3D   bool
		wantSt int // steps Run executes
	}{
		{"conv relu", []*importer.Node{node("Conv", []string{"x", "W3", "B"}, "h", pad1), node("Relu", []string{"h"}, "y")}, nil, false, 1},
		{"conv clip", []*importer.Node{node("Conv", []string{"x", "W3", "B"}, "h", pad1), node("Clip", []string{"h", "lo", "hi"}, "y")}, nil, false, 1},
		{"conv leakyrelu stride 2", []*importer.Node{node("Conv", []string{"x", "W3"}, "h", pad1, aInts("strides", 2, 2)), node("LeakyRelu", []string{"h"}, "y", aFloat("alpha", 0.1))}, nil, false, 1},
		{"conv 1x1 sigmoid", []*importer.Node{node("Conv", []string{"x", "W1", "B"}, "h"), node("Sigmoid", []string{"h"}, "y")}, nil, false, 1},
		{"depthwise clip", []*importer.Node{node("Conv", []string{"x", "Wdw", "B"}, "h", pad1, aInt("group", int64(c))), node("Clip", []string{"h", "", "hi"}, "y")}, nil, false, 1},
		{"residual block", []*importer.Node{
			node("Conv", []string{"x", "W3", "B"}, "a", pad1), node("Relu", []string{"a"}, "ar"),
			node("Conv", []string{"ar", "W3", "B"}, "b", pad1),
			node("Add", []string{"x", "b"}, "s"), node("Relu", []string{"s"}, "y"),
		}, nil, false, 2},
		{"two convs into add", []*importer.Node{
			node("Conv", []string{"x", "W3", "B"}, "a", pad1, aInts("strides", 2, 2)),
			node("Conv", []string{"x", "W1"}, "b", aInts("strides", 2, 2)),
			node("Add", []string{"a", "b"}, "y"),
		}, nil, false, 2},
		{"residual second, clip", []*importer.Node{
			node("Conv", []string{"x", "W3", "B"}, "a", pad1), node("Add", []string{"a", "x"}, "s"), node("Clip", []string{"s", "lo", "hi"}, "y"),
		}, nil, false, 1},
		{"residual, sum also read elsewhere", []*importer.Node{
			node("Conv", []string{"x", "W3", "B"}, "a", pad1), node("Add", []string{"a", "x"}, "s"), node("Relu", []string{"s"}, "r"), node("Add", []string{"s", "r"}, "y"),
		}, nil, false, 3},
		{"strided residual, shortcut a later 1x1 conv", []*importer.Node{
			node("Conv", []string{"x", "W3", "B"}, "a", pad1, aInts("strides", 2, 2)), node("Relu", []string{"a"}, "ar"),
			node("Conv", []string{"ar", "W3", "B"}, "b", pad1),
			node("Conv", []string{"x", "W1", "B"}, "d", aInts("strides", 2, 2)),
			node("Add", []string{"b", "d"}, "s"), node("Relu", []string{"s"}, "y"),
		}, nil, false, 3},
		{"broadcast residual", []*importer.Node{
			node("Conv", []string{"x", "W3", "B"}, "a", pad1), node("Add", []string{"a", "chan"}, "s"), node("Relu", []string{"s"}, "y"),
		}, nil, false, 1},
		{"conv output also graph output", []*importer.Node{node("Conv", []string{"x", "W3", "B"}, "h", pad1), node("Relu", []string{"h"}, "y")}, []string{"h"}, false, 2},
		{"conv read twice", []*importer.Node{node("Conv", []string{"x", "W3", "B"}, "h", pad1), node("Add", []string{"h", "h"}, "y")}, nil, false, 2},
		{"conv 3d relu", []*importer.Node{node("Conv", []string{"x", "W3d", "B"}, "h", aInts("pads", 1, 1, 1, 1, 1, 1)), node("Relu", []string{"h"}, "y")}, nil, true, 1},
	}
	for _, tc := range cases {
		for _, batch := range []int{1, 5, 40} {
			t.Run(fmt.Sprintf("%s/batch %d", tc.name, batch), func(t *testing.T) {
				p, err := NewProgram(fuseGraph(nil, consts, tc.nodes, tc.extra...))
				if err != nil {
					t.Fatal(err)
				}
				if n := runSteps(p); n != tc.wantSt {
					t.Errorf("Run executes %d steps, want %d", n, tc.wantSt)
				}
				x := randTensor(r, batch, c, 12, 12)
				if tc.is3D {
					x = randTensor(r, min(batch, 5), c, 6, 6, 6)
				}
				feed := map[string]*importer.Tensor{"x": x}
				// Twice, so recycled buffers are exercised too.
				for range 2 {
					fused, plain := runFusedAndPlain(t, p, feed)
					for name, want := range plain {
						got := fused[name]
						if len(got.Float) != len(want.Float) {
							t.Fatalf("%s: %d values fused, %d unfused", name, len(got.Float), len(want.Float))
						}
						for i := range want.Float {
							if math.Float32bits(got.Float[i]) != math.Float32bits(want.Float[i]) {
								t.Fatalf("%s[%d]: fused %v, unfused %v", name, i, got.Float[i], want.Float[i])
							}
						}
					}
				}
			})
		}
	}
}

// runFusedAndPlain runs p on feed as Run executes it (fused) and node by
// node (RunVisited: a visitor sees every node, so nothing is fused), for the
// tests that want both bit-identical.
func runFusedAndPlain(t *testing.T, p *Program, feed map[string]*importer.Tensor) (fused, plain map[string]*importer.Tensor) {
	t.Helper()
	fused, err := p.Run(feed)
	if err != nil {
		t.Fatal(err)
	}
	plain, err = p.RunVisited(feed, func(*importer.Node, []*importer.Tensor) {})
	if err != nil {
		t.Fatal(err)
	}
	return fused, plain
}

// TestFusedResidualNaN: a NaN in the residual and in the convolution's input
// propagates with the same payload fused and unfused.
func TestFusedResidualNaN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	consts := map[string]*importer.Tensor{"W": randTensor(r, 4, 4, 3, 3)}
	nodes := []*importer.Node{
		node("Conv", []string{"x", "W"}, "a", aInts("pads", 1, 1, 1, 1)),
		node("Add", []string{"x", "a"}, "s"), node("Relu", []string{"s"}, "y"),
	}
	p, err := NewProgram(fuseGraph(nil, consts, nodes))
	if err != nil {
		t.Fatal(err)
	}
	if n := runSteps(p); n != 1 {
		t.Fatalf("Run executes %d steps, want 1", n)
	}
	x := randTensor(r, 3, 4, 5, 5)
	x.Float[7] = math.Float32frombits(0x7fc00123)
	x.Float[60] = math.Float32frombits(0xffc00456)
	feed := map[string]*importer.Tensor{"x": x}
	fused, plain := runFusedAndPlain(t, p, feed)
	nan := 0
	for i, v := range plain["y"].Float {
		if math.Float32bits(fused["y"].Float[i]) != math.Float32bits(v) {
			t.Fatalf("y[%d]: fused %#x, unfused %#x", i, math.Float32bits(fused["y"].Float[i]), math.Float32bits(v))
		}
		if v != v {
			nan++
		}
	}
	if nan == 0 {
		t.Fatal("no NaN reached the output: the test checks nothing")
	}
}
