package quant

import (
	"math"
	"math/rand"
	"testing"

	"github.com/rramc/rramc/importer"
)

// toyModel2 exercises the remaining integer ops against the float
// interpreter: MaxPool with ceil_mode then Relu (rewritten to Relu then
// MaxPool), an unfoldable BatchNormalization, a Sigmoid table, AveragePool
// with padding and count_include_pad, Transpose, Flatten and MatMul + Add.
func toyModel2(seed int64) *importer.Model {
	r := rand.New(rand.NewSource(seed))
	init := map[string]*importer.Tensor{}
	param := func(name string, scale, offset float32, shape ...int) string {
		t := &importer.Tensor{DType: importer.Float, Shape: shape}
		t.Float = make([]float32, t.Len())
		for i := range t.Float {
			t.Float[i] = float32(r.NormFloat64())*scale + offset
		}
		init[name] = t
		return name
	}
	ints := func(name string, v ...int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
	}
	one := func(name string, v int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInt, I: v}
	}
	node := func(name, op string, in, out []string, attrs ...*importer.Attr) *importer.Node {
		n := &importer.Node{Name: name, OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*importer.Attr{}}
		for _, a := range attrs {
			n.Attrs[a.Name] = a
		}
		return n
	}
	// Conv 2->4 3x3 on 9x9 -> 7x7; MaxPool 2/2 ceil -> 4x4; AvgPool 3/2 pad 1 -> 2x2
	nodes := []*importer.Node{
		node("conv", "Conv", []string{"x", param("w", 0.4, 0, 4, 2, 3, 3), param("b", 0.1, 0, 4)}, []string{"c"}),
		node("mp", "MaxPool", []string{"c"}, []string{"m"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2), one("ceil_mode", 1)),
		node("relu", "Relu", []string{"m"}, []string{"r"}),
		node("bn", "BatchNormalization", []string{"r", param("g", 0.3, 1, 4), param("be", 0.2, 0, 4), param("mu", 0.2, 0.5, 4), param("var", 0.1, 1, 4)}, []string{"n"}),
		node("sig", "Sigmoid", []string{"n"}, []string{"s"}),
		node("ap", "AveragePool", []string{"s"}, []string{"a"}, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), one("count_include_pad", 1)),
		node("tr", "Transpose", []string{"a"}, []string{"t"}, ints("perm", 0, 1, 3, 2)),
		node("fl", "Flatten", []string{"t"}, []string{"f"}),
		node("mm", "MatMul", []string{"f", param("wm", 0.5, 0, 16, 5)}, []string{"y0"}),
		node("bias", "Add", []string{"y0", param("bm", 0.1, 0, 5)}, []string{"y"}),
	}
	for i := range init["var"].Float {
		init["var"].Float[i] = float32(math.Abs(float64(init["var"].Float[i]))) + 0.1
	}
	g := &importer.Graph{
		Name:         "toy2",
		Nodes:        nodes,
		Inputs:       []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Value: 2}, {Value: 9}, {Value: 9}}}},
		Outputs:      []importer.ValueInfo{{Name: "y", DType: importer.Float}},
		Initializers: init,
		ValueInfo:    map[string]importer.ValueInfo{},
	}
	return &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
}

func TestToy2IntegerTracksFloat(t *testing.T) {
	m := toyModel2(5)
	mk := func(n int, seed int64) *importer.Tensor {
		r := rand.New(rand.NewSource(seed))
		x := &importer.Tensor{DType: importer.Float, Shape: []int{n, 2, 9, 9}, Float: make([]float32, n*162)}
		for i := range x.Float {
			x.Float[i] = float32(r.NormFloat64())
		}
		return x
	}
	calib, x := mk(128, 1), mk(100, 2)
	ref := floatRun(t, m, x)
	cfg := DefaultConfig()
	cfg.Calib = 128
	net, err := Quantize(m, calib, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[OpKind]bool{}
	for _, op := range net.Ops {
		kinds[op.Kind] = true
	}
	for _, k := range []OpKind{OpLinear, OpMaxPool, OpAffine, OpLUT, OpAvgPool, OpTranspose, OpReshape} {
		if !kinds[k] {
			t.Errorf("program has no %s op", k)
		}
	}
	if net.Values[net.Ops[0].Out].Signed {
		// the Relu after MaxPool is fused into the Conv: unsigned output
		t.Errorf("conv output should be unsigned after the MaxPool/Relu swap")
	}
	got, err := net.Run(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	// error budget: a few output steps of the final scale
	maxRef := 0.0
	for _, v := range ref.Float {
		maxRef = math.Max(maxRef, math.Abs(float64(v)))
	}
	worst := 0.0
	for i := range ref.Float {
		worst = math.Max(worst, math.Abs(float64(got.Float[i]-ref.Float[i])))
	}
	t.Logf("max |Δ| %.4f of output range %.3f", worst, maxRef)
	if worst > 0.03*maxRef {
		t.Fatalf("integer output strays from float: max |Δ| %.4f > 3 %% of %.3f", worst, maxRef)
	}
}

// TestConvGeometriesGoldenVsNaive checks the fused byte lowering on
// geometries the toy models lack — dilation, kernels wider than 8, strides
// and asymmetric padding — against the int32 im2col path with a naive
// MatMulFunc, and the result against the float interpreter.
func TestConvGeometriesGoldenVsNaive(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	init := map[string]*importer.Tensor{}
	param := func(name string, shape ...int) string {
		tt := &importer.Tensor{DType: importer.Float, Shape: shape}
		tt.Float = make([]float32, tt.Len())
		for i := range tt.Float {
			tt.Float[i] = float32(r.NormFloat64()) * 0.3
		}
		init[name] = tt
		return name
	}
	ints := func(name string, v ...int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
	}
	node := func(name, op string, in, out []string, attrs ...*importer.Attr) *importer.Node {
		n := &importer.Node{Name: name, OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*importer.Attr{}}
		for _, a := range attrs {
			n.Attrs[a.Name] = a
		}
		return n
	}
	// 12x12 -> dil-2 3x3 pad 2 -> 12x12 -> 1x9 stride (1,2) pads (0,4,0,3) -> 12x6 -> 5x5 stride 3 pad 1 -> 4x2
	nodes := []*importer.Node{
		node("c1", "Conv", []string{"x", param("w1", 3, 2, 3, 3), param("b1", 3)}, []string{"a"}, ints("dilations", 2, 2), ints("pads", 2, 2, 2, 2)),
		node("r1", "Relu", []string{"a"}, []string{"ar"}),
		node("c2", "Conv", []string{"ar", param("w2", 4, 3, 1, 9), param("b2", 4)}, []string{"b"}, ints("strides", 1, 2), ints("pads", 0, 4, 0, 3)),
		node("c3", "Conv", []string{"b", param("w3", 2, 4, 5, 5)}, []string{"c"}, ints("strides", 3, 3), ints("pads", 1, 1, 1, 1)),
		node("fl", "Flatten", []string{"c"}, []string{"f"}),
		node("fc", "Gemm", []string{"f", param("w4", 5, 16), param("b4", 5)}, []string{"y"}, &importer.Attr{Name: "transB", Kind: importer.AttrInt, I: 1}),
	}
	g := &importer.Graph{Name: "geo", Nodes: nodes, Initializers: init, ValueInfo: map[string]importer.ValueInfo{},
		Inputs:  []importer.ValueInfo{{Name: "x", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Value: 2}, {Value: 12}, {Value: 12}}}},
		Outputs: []importer.ValueInfo{{Name: "y", DType: importer.Float}}}
	m := &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
	mk := func(n int, seed int64) *importer.Tensor {
		rr := rand.New(rand.NewSource(seed))
		x := &importer.Tensor{DType: importer.Float, Shape: []int{n, 2, 12, 12}, Float: make([]float32, n*288)}
		for i := range x.Float {
			x.Float[i] = float32(rr.NormFloat64())
		}
		return x
	}
	cfg := DefaultConfig()
	cfg.Calib = 64
	net, err := Quantize(m, mk(64, 1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	naive := func(l *Linear, g int, x []int32, mm int, out []int32) error {
		for i, v := range naiveGEMM(x, mm, l.K, l.Weights[g], l.N) {
			out[i] = int32(v)
		}
		return nil
	}
	x := mk(40, 2)
	a, _, err := net.RunCodes(x, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := net.RunCodes(x, naive, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("output code %d: golden %d, naive %d", i, a[i], b[i])
		}
	}
	ref := floatRun(t, m, x)
	got, err := net.Run(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	maxRef, worst := 0.0, 0.0
	for i := range ref.Float {
		maxRef = math.Max(maxRef, math.Abs(float64(ref.Float[i])))
		worst = math.Max(worst, math.Abs(float64(got.Float[i]-ref.Float[i])))
	}
	if worst > 0.03*maxRef {
		t.Fatalf("integer output strays from float: max |Δ| %.4f of %.3f", worst, maxRef)
	}
}
