package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rramc/rramc/importer"
)

// fuseChain is a graph of convolutions each followed by an activation, as
// in a MobileNet block: every geometry path of convForward (shifted planes
// dense and depthwise, strided, 1×1 direct, strided 1×1 im2col), with
// Relu, Clip with initializer bounds, Clip with one bound omitted and
// Clip with attribute bounds (opset 6), and the gated activations x·act(x)
// (HardSwish as HardSigmoid and Mul, SiLU as Sigmoid and Mul with the
// operands the other way round). Plus the cases that must not fuse: a Conv
// whose output is also a graph output, a Conv read by two nodes, a Clip
// whose bound is computed at run time, a gate whose activation is also
// read elsewhere.
func fuseChain(r *rand.Rand, inC int, opset int64) (*importer.Graph, int) {
	g := &importer.Graph{Name: "fuse", Initializers: map[string]*importer.Tensor{}, ValueInfo: map[string]importer.ValueInfo{}}
	g.Inputs = []importer.ValueInfo{{Name: "x"}, {Name: "hi"}}
	rnd := func(shape ...int) *importer.Tensor {
		t := importer.NewFloat(shape, nil)
		t.Float = make([]float32, importer.NumElements(shape))
		for i := range t.Float {
			t.Float[i] = float32(r.NormFloat64() * 0.4)
		}
		return t
	}
	cur, c := "x", inC
	conv := func(name string, m, k, stride, group int) string {
		g.Initializers[name+".w"] = rnd(m, c/group, k, k)
		g.Initializers[name+".b"] = rnd(m)
		pad := int64(k / 2)
		g.Nodes = append(g.Nodes, &importer.Node{Name: name, OpType: "Conv", Inputs: []string{cur, name + ".w", name + ".b"}, Outputs: []string{name + ".y"},
			Attrs: attrMap(aInts("kernel_shape", int64(k), int64(k)), aInts("strides", int64(stride), int64(stride)), aInts("pads", pad, pad, pad, pad), aInt("group", int64(group)))})
		cur, c = name+".y", m
		return cur
	}
	act := func(name, op string, ins []string, attrs map[string]*importer.Attr) {
		g.Nodes = append(g.Nodes, &importer.Node{Name: name, OpType: op, Inputs: append([]string{cur}, ins...), Outputs: []string{name + ".y"}, Attrs: attrs})
		cur = name + ".y"
	}
	g.Initializers["zero"] = ft(nil, 0)
	g.Initializers["six"] = ft(nil, 6)
	clip6 := func(name string) {
		if opset < 11 {
			act(name, "Clip", nil, attrMap(aFloat("min", 0), aFloat("max", 6)))
			return
		}
		act(name, "Clip", []string{"zero", "six"}, nil)
	}
	fusable := 0
	conv("stem", 24, 3, 2, 1)
	clip6("stem.act")
	fusable++
	conv("expand", 48, 1, 1, 1)
	act("expand.act", "Relu", nil, nil)
	fusable++
	conv("dw", 48, 3, 1, 48)
	clip6("dw.act")
	fusable++
	conv("dw2", 48, 3, 2, 48)
	if opset >= 11 {
		act("dw2.act", "Clip", []string{"", "six"}, nil) // min omitted
	} else {
		act("dw2.act", "Relu", nil, nil)
	}
	fusable++
	conv("project", 40, 1, 1, 1)
	act("project.act", "Relu", nil, nil)
	fusable++
	conv("down", 40, 1, 2, 1) // strided 1×1: im2col
	clip6("down.act")
	fusable++
	gate := func(name, op string, attrs map[string]*importer.Attr, xFirst bool) {
		x := cur
		act(name+".act", op, nil, attrs)
		ins := []string{x, cur}
		if !xFirst {
			ins = []string{cur, x}
		}
		g.Nodes = append(g.Nodes, &importer.Node{Name: name + ".mul", OpType: "Mul", Inputs: ins, Outputs: []string{name + ".gated"}})
		cur = name + ".gated"
	}
	conv("hswish", 40, 3, 1, 40)
	gate("hswish", "HardSigmoid", attrMap(aFloat("alpha", 1.0/6)), true)
	fusable += 2
	conv("silu", 40, 1, 1, 1)
	gate("silu", "Sigmoid", nil, false)
	fusable += 2
	conv("gated2", 40, 1, 1, 1)
	x2 := cur
	act("gated2.act", "HardSigmoid", nil, nil)
	h2 := cur
	g.Nodes = append(g.Nodes, &importer.Node{Name: "gated2.mul", OpType: "Mul", Inputs: []string{x2, h2}, Outputs: []string{"gated2.gated"}},
		&importer.Node{Name: "gated2.add", OpType: "Add", Inputs: []string{"gated2.gated", h2}, Outputs: []string{"gated2.z"}})
	cur = "gated2.z" // the HardSigmoid is read twice: not fused
	dense := conv("dense", 32, 3, 1, 1)
	act("dense.act", "Relu", nil, nil) // dense.y is also a graph output: not fused
	conv("two", 32, 1, 1, 1)
	two := cur
	act("two.relu", "Relu", nil, nil)
	relu := cur
	g.Nodes = append(g.Nodes, &importer.Node{Name: "two.add", OpType: "Add", Inputs: []string{two, relu}, Outputs: []string{"two.sum"}})
	cur = "two.sum"
	conv("late", 16, 3, 1, 1)
	if opset >= 11 {
		act("late.act", "Clip", []string{"zero", "hi"}, nil) // bound fed at run time
	}
	g.Outputs = []importer.ValueInfo{{Name: cur}, {Name: dense}}
	return g, fusable
}

// TestFusedActivationBits checks that Run (activations fused into the
// convolutions) gives the bits of RunObserved (every node on its own), on
// one and several images and 1, 2 and 3 workers, and that the fusions
// happened.
func TestFusedActivationBits(t *testing.T) {
	for _, opset := range []int64{6, 13} {
		for _, n := range []int{1, 3, 17} {
			r := rand.New(rand.NewPCG(uint64(n), uint64(opset)))
			g, fusable := fuseChain(r, 5, opset)
			p, err := NewProgram(g, WithOpset(opset))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(p.steps) - len(p.fused); got != fusable {
				t.Fatalf("opset %d: %d activations fused, want %d", opset, got, fusable)
			}
			x := importer.NewFloat([]int{n, 5, 23, 21}, nil)
			x.Float = make([]float32, x.Len())
			for i := range x.Float {
				x.Float[i] = float32(r.NormFloat64())
			}
			ins := map[string]*importer.Tensor{"x": x, "hi": ft(nil, 1.5)}
			want, err := p.RunObserved(ins, func(*importer.Node, []*importer.Tensor) {})
			if err != nil {
				t.Fatal(err)
			}
			for _, procs := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("opset%d/n%d/procs%d", opset, n, procs), func(t *testing.T) {
					defer setProcs(procs)()
					got, err := p.Run(ins)
					if err != nil {
						t.Fatal(err)
					}
					for name, w := range want {
						gv := got[name]
						if gv == nil || len(gv.Float) != len(w.Float) {
							t.Fatalf("output %s missing or resized", name)
						}
						for i := range w.Float {
							if math.Float32bits(gv.Float[i]) != math.Float32bits(w.Float[i]) {
								t.Fatalf("output %s[%d] = %g fused, %g unfused", name, i, gv.Float[i], w.Float[i])
							}
						}
					}
				})
			}
		}
	}
}

// setProcs sets GOMAXPROCS (the interpreter's worker count) and returns
// the function restoring it.
func setProcs(n int) func() {
	old := runtime.GOMAXPROCS(n)
	return func() { runtime.GOMAXPROCS(old) }
}
