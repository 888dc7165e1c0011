package passes

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// optGraph builds a graph with every pattern Optimize handles, the way
// exporters write them:
//
//	x[N,3,8,8] -Pad(0s, pads from a Constant)-> Conv1(W,B) -> BN1 -> Relu -> Identity
//	  -> Conv2(no bias) -> Add(c[4,1,1]) -> Conv3 -> BN2 (not foldable: Conv3's
//	  output also feeds the Sub) -> Sub(BN2, Conv3) -> Shape/Gather/Unsqueeze/Concat
//	  -> Reshape -> Gemm(transB) -> BN3 -> Dropout -> Cast(float, of a folded
//	  constant chain: Mul of two initializers) Add -> y
func optGraph(r *rand.Rand) *importer.Model {
	rnd := func(shape ...int) *importer.Tensor {
		return importer.NewFloat(shape, randSlice(r, importer.NumElements(shape)))
	}
	pos := func(shape ...int) *importer.Tensor {
		t := rnd(shape...)
		for i, v := range t.Float {
			t.Float[i] = 0.5 + v*v
		}
		return t
	}
	g := &importer.Graph{
		Name:      "opt",
		Inputs:    []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Value: 8}, {Value: 8}}}},
		Outputs:   []importer.ValueInfo{{Name: "y", DType: importer.Float}},
		ValueInfo: map[string]importer.ValueInfo{},
		Initializers: map[string]*importer.Tensor{
			"W1": rnd(4, 3, 3, 3), "B1": rnd(4),
			"s1": pos(4), "b1": rnd(4), "m1": rnd(4), "v1": pos(4),
			"W2": rnd(4, 4, 1, 1), "c2": rnd(4, 1, 1),
			"W3": rnd(4, 4, 3, 3),
			"s2": pos(4), "b2": rnd(4), "m2": rnd(4), "v2": pos(4),
			"idx0": importer.NewInt(nil, []int64{0}), "minus1": importer.NewInt([]int{1}, []int64{-1}),
			"Wfc": rnd(5, 4*6*6), "Bfc": rnd(5),
			"s3": pos(5), "b3": rnd(5), "m3": rnd(5), "v3": pos(5),
			"k1": importer.NewInt([]int{5}, []int64{1, 2, 3, 4, 5}), "k2": importer.NewInt([]int{5}, []int64{2, 2, 2, 2, 2}),
		},
	}
	node := func(name, op string, ins, outs []string, attrs ...*importer.Attr) *importer.Node {
		return &importer.Node{Name: name, OpType: op, Inputs: ins, Outputs: outs, Attrs: attrMap(attrs...)}
	}
	g.Nodes = []*importer.Node{
		node("pads", "Constant", nil, []string{"pads"}, aTensor("value", importer.NewInt([]int{8}, make([]int64, 8)))),
		node("pad", "Pad", []string{"x", "pads"}, []string{"xp"}),
		node("conv1", "Conv", []string{"xp", "W1", "B1"}, []string{"c1"}, aInts("pads", 1, 1, 1, 1)),
		node("bn1", "BatchNormalization", []string{"c1", "s1", "b1", "m1", "v1"}, []string{"n1"}, aFloat("epsilon", 1e-3)),
		node("relu", "Relu", []string{"n1"}, []string{"r1"}),
		node("id", "Identity", []string{"r1"}, []string{"i1"}),
		node("conv2", "Conv", []string{"i1", "W2"}, []string{"c2o"}),
		node("add2", "Add", []string{"c2o", "c2"}, []string{"a2"}),
		node("conv3", "Conv", []string{"a2", "W3"}, []string{"c3"}),
		node("bn2", "BatchNormalization", []string{"c3", "s2", "b2", "m2", "v2"}, []string{"n2"}),
		node("sub", "Sub", []string{"n2", "c3"}, []string{"d3"}),
		node("shape", "Shape", []string{"d3"}, []string{"sh"}),
		node("gather", "Gather", []string{"sh", "idx0"}, []string{"n0"}),
		node("unsq", "Unsqueeze", []string{"n0"}, []string{"n0v"}, aInts("axes", 0)),
		node("concat", "Concat", []string{"n0v", "minus1"}, []string{"tgt"}, aInt("axis", 0)),
		node("reshape", "Reshape", []string{"d3", "tgt"}, []string{"flat"}),
		node("fc", "Gemm", []string{"flat", "Wfc", "Bfc"}, []string{"f"}, aInt("transB", 1), aFloat("alpha", 0.5), aFloat("beta", 2)),
		node("bn3", "BatchNormalization", []string{"f", "s3", "b3", "m3", "v3"}, []string{"n3"}),
		node("drop", "Dropout", []string{"n3"}, []string{"dr", "mask"}),
		node("kmul", "Mul", []string{"k1", "k2"}, []string{"kk"}),
		node("kcast", "Cast", []string{"kk"}, []string{"kf"}, aInt("to", int64(importer.Float))),
		node("final", "Add", []string{"dr", "kf"}, []string{"y"}),
	}
	return &importer.Model{Opsets: map[string]int64{"": 12}, Graph: g}
}

func TestOptimizePreservesOutputs(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	m := optGraph(r)
	before, err := interp.NewModelProgram(m)
	if err != nil {
		t.Fatal(err)
	}
	nodes, inits := len(m.Graph.Nodes), len(m.Graph.Initializers)
	opt, err := Optimize(m)
	if err != nil {
		t.Fatal(err)
	}
	// Optimize returns a new model and leaves its argument as it was.
	if len(m.Graph.Nodes) != nodes || len(m.Graph.Initializers) != inits || len(m.Graph.ValueInfo) != 0 {
		t.Fatalf("Optimize changed its input: %d nodes (was %d), %d initializers (was %d), %d value infos",
			len(m.Graph.Nodes), nodes, len(m.Graph.Initializers), inits, len(m.Graph.ValueInfo))
	}
	after, err := interp.NewModelProgram(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3} {
		x := importer.NewFloat([]int{n, 3, 8, 8}, randSlice(r, n*3*64))
		want, err := before.Run(map[string]*importer.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		got, err := after.Run(map[string]*importer.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if err := tensorsClose(got["y"], want["y"], 1e-5); err != nil {
			t.Fatalf("batch %d: %v", n, err)
		}
	}
	ops := map[string]int{}
	var names []string
	for _, n := range opt.Graph.Nodes {
		ops[n.OpType]++
		names = append(names, n.Name)
	}
	// Expected: conv1(+bn1) relu conv2(+add2) conv3 bn2 sub reshape fc(+bn3) final.
	want := map[string]int{"Conv": 3, "Relu": 1, "BatchNormalization": 1, "Sub": 1, "Reshape": 1, "Gemm": 1, "Add": 1}
	for op, c := range want {
		if ops[op] != c {
			t.Errorf("%d %s nodes after Optimize, want %d (nodes %v)", ops[op], op, c, names)
		}
	}
	if len(opt.Graph.Nodes) != 9 {
		t.Errorf("%d nodes after Optimize, want 9: %v", len(opt.Graph.Nodes), names)
	}
	// The surviving BatchNormalization is bn2 (its Conv output has two readers).
	for _, n := range opt.Graph.Nodes {
		if n.OpType == "BatchNormalization" && n.Name != "bn2" {
			t.Errorf("BatchNormalization %q survived", n.Name)
		}
	}
	// Unused initializers are gone; the constant target of the Reshape is 0/-1 based.
	for _, name := range []string{"s1", "W1", "k1", "idx0"} {
		if _, ok := opt.Graph.Initializers[name]; ok {
			t.Errorf("initializer %q still present", name)
		}
	}
	// Shapes stored with the symbolic batch.
	for name, wantDims := range map[string]string{"y": "[N,5]", "c3": "[N,4,6,6]", "flat": "[N,144]", "r1": "[N,4,8,8]"} {
		vi, ok := opt.Graph.ValueInfo[name]
		if !ok {
			t.Errorf("no ValueInfo for %q", name)
			continue
		}
		if got := importer.FormatDims(vi.Shape); got != wantDims {
			t.Errorf("ValueInfo[%q] = %s, want %s", name, got, wantDims)
		}
	}
	// Optimize is idempotent.
	nodes = len(opt.Graph.Nodes)
	if opt, err = Optimize(opt); err != nil {
		t.Fatalf("second Optimize: %v", err)
	}
	if len(opt.Graph.Nodes) != nodes {
		t.Errorf("second Optimize changed the node count %d -> %d", nodes, len(opt.Graph.Nodes))
	}
	again, err := interp.NewModelProgram(opt)
	if err != nil {
		t.Fatal(err)
	}
	x := importer.NewFloat([]int{2, 3, 8, 8}, randSlice(r, 2*3*64))
	w1, _ := before.Run(map[string]*importer.Tensor{"x": x})
	w2, err := again.Run(map[string]*importer.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorsClose(w2["y"], w1["y"], 1e-5); err != nil {
		t.Fatalf("after second Optimize: %v", err)
	}
	// Topological order holds (NewProgram would reject otherwise) and the
	// original model is untouched.
	if len(m.Graph.Nodes) != 22 {
		t.Fatalf("original graph modified")
	}
}

// A BatchNormalization whose statistics are computed (not constant), or
// whose Conv has a runtime weight, stays a node.
func TestBatchNormNotFoldedWhenIllegal(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	g := &importer.Graph{
		Inputs: []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Value: 1}, {Value: 2}, {Value: 4}, {Value: 4}}},
			{Name: "w", DType: importer.Float, Shape: []importer.Dim{{Value: 2}, {Value: 2}, {Value: 1}, {Value: 1}}}},
		Outputs:      []importer.ValueInfo{{Name: "y"}},
		Initializers: map[string]*importer.Tensor{"s": ft([]int{2}, 1, 2), "b": ft([]int{2}, 0, 1), "m": ft([]int{2}, 0.5, 0), "v": ft([]int{2}, 1, 4)},
		Nodes: []*importer.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
			{Name: "bn", OpType: "BatchNormalization", Inputs: []string{"c", "s", "b", "m", "v"}, Outputs: []string{"y"}},
		},
	}
	m := &importer.Model{Opsets: map[string]int64{"": 13}, Graph: g}
	before, _ := interp.NewModelProgram(m)
	opt, err := Optimize(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.Graph.Nodes) != 2 {
		t.Fatalf("nodes %d, want 2 (BN must stay)", len(opt.Graph.Nodes))
	}
	after, err := interp.NewModelProgram(opt)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*importer.Tensor{"x": importer.NewFloat([]int{1, 2, 4, 4}, randSlice(r, 32)), "w": importer.NewFloat([]int{2, 2, 1, 1}, randSlice(r, 4))}
	a, _ := before.Run(in)
	b, err := after.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorsClose(b["y"], a["y"], 1e-6); err != nil {
		t.Fatal(err)
	}
}

func TestOptimizeErrors(t *testing.T) {
	g := &importer.Graph{
		Inputs:  []importer.ValueInfo{{Name: "x"}},
		Outputs: []importer.ValueInfo{{Name: "y"}},
		Nodes: []*importer.Node{
			{Name: "late", OpType: "Relu", Inputs: []string{"z"}, Outputs: []string{"y"}},
			{Name: "early", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"z"}},
		},
	}
	_, err := Optimize(&importer.Model{Graph: g})
	if err == nil || !strings.Contains(err.Error(), `node "late"`) {
		t.Fatalf("want an order error naming the node, got %v", err)
	}
	if _, err := Optimize(&importer.Model{}); err == nil {
		t.Fatal("nil graph accepted")
	}
}

// One Program run from several goroutines at once (buffers recycled through
// the shared pools) gives every caller the same result as a lone run.
func TestProgramConcurrentRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	m, err := Optimize(optGraph(r))
	if err != nil {
		t.Fatal(err)
	}
	p, err := interp.NewModelProgram(m)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []*importer.Tensor
	var wants []*importer.Tensor
	for i := 0; i < 6; i++ {
		x := importer.NewFloat([]int{1 + i%3, 3, 8, 8}, randSlice(r, (1+i%3)*192))
		out, err := p.Run(map[string]*importer.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, x)
		wants = append(wants, out["y"].Clone())
	}
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for it := 0; it < 30; it++ {
				i := (w + it) % len(inputs)
				out, err := p.Run(map[string]*importer.Tensor{"x": inputs[i]})
				if err == nil {
					err = tensorsClose(out["y"], wants[i], 0)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
