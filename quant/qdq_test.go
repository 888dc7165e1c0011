package quant

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/onnx"
)

// TestQDQRoundTrip exports quantized networks as QDQ ONNX, reads the files
// back with the importer and QuantizeQDQ (no calibration data: every scale
// must come from the file) and requires the same integer outputs.
func TestQDQRoundTrip(t *testing.T) {
	m := toyModel(21)
	x := toyInputs(100, 22)
	for _, tc := range []struct {
		wb, ab     int
		perChannel bool
		prune      float64
	}{
		{8, 8, false, 0}, {8, 8, true, 0.5}, {4, 8, true, 0.7}, {6, 6, false, 0}, {3, 4, true, 0.3},
	} {
		t.Run(fmt.Sprintf("w%da%d-pc%v-p%g", tc.wb, tc.ab, tc.perChannel, tc.prune), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Calib, cfg.WBits, cfg.ABits, cfg.PerChannel, cfg.Prune = 32, tc.wb, tc.ab, tc.perChannel, tc.prune
			cfg.PruneFirst, cfg.PruneLast = true, true
			net, err := Quantize(m, toyInputs(32, 23), cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "q.onnx")
			if err := net.WriteQDQ(path); err != nil {
				t.Fatal(err)
			}
			lm, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if !IsQDQ(lm) {
				t.Fatal("exported model has no Q/DQ nodes")
			}
			back, err := QuantizeQDQ(lm, nil, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if len(back.Linears) != len(net.Linears) {
				t.Fatalf("%d linear layers back, %d exported", len(back.Linears), len(net.Linears))
			}
			for i, l := range back.Linears {
				if l.WBits != tc.wb || !slices.Equal(l.WScale, net.Linears[i].WScale) {
					t.Fatalf("layer %d: wbits %d scales %v, exported %d %v", i, l.WBits, l.WScale, tc.wb, net.Linears[i].WScale)
				}
				for g := range l.Weights {
					if !slices.Equal(l.Weights[g], net.Linears[i].Weights[g]) {
						t.Fatalf("layer %d group %d: weights differ", i, g)
					}
				}
			}
			a, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := back.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			same := 0
			per := len(a) / 100
			for i := 0; i < 100; i++ {
				if slices.Equal(a[i*per:(i+1)*per], b[i*per:(i+1)*per]) {
					same++
				}
			}
			if same != 100 {
				t.Fatalf("only %d/100 samples give identical output codes after the QDQ round trip", same)
			}
		})
	}
}

// TestQDQRejectsWhatTheCrossbarCannotHold edits an exported file's weights
// to nonzero zero points and uint8, and expects errors naming the tensor.
func TestQDQRejectsWhatTheCrossbarCannotHold(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Calib = 16
	net, err := Quantize(toyModel(3), toyInputs(16, 3), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := net.EncodeQDQ()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "q.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(g *importer.Graph) string // returns the tensor the error must name
		want string
	}{
		{"nonzero weight zero point", func(g *importer.Graph) string {
			for _, n := range g.Nodes {
				if n.OpType == "DequantizeLinear" && g.Initializers[n.Inputs[0]] != nil && g.Initializers[n.Inputs[0]].DType == importer.Int8 {
					g.Initializers[n.Inputs[2]].Int[0] = 3
					return n.Inputs[0]
				}
			}
			return ""
		}, "zero point 3"},
		{"uint8 weights", func(g *importer.Graph) string {
			for _, n := range g.Nodes {
				if n.OpType == "DequantizeLinear" && g.Initializers[n.Inputs[0]] != nil && g.Initializers[n.Inputs[0]].DType == importer.Int8 {
					g.Initializers[n.Inputs[0]].DType = importer.Uint8
					return n.Inputs[0]
				}
			}
			return ""
		}, "uint8"},
		{"16-bit weights", func(g *importer.Graph) string {
			for _, n := range g.Nodes {
				if n.OpType == "DequantizeLinear" && g.Initializers[n.Inputs[0]] != nil && g.Initializers[n.Inputs[0]].DType == importer.Int8 {
					g.Initializers[n.Inputs[0]].DType = importer.Int16
					return n.Inputs[0]
				}
			}
			return ""
		}, "wider than the 8 bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			tensor := tc.edit(m.Graph)
			if tensor == "" {
				t.Fatal("no weight DequantizeLinear found")
			}
			_, err = QuantizeQDQ(m, nil, DefaultConfig())
			if err == nil || !errors.Is(err, importer.ErrInvalidModel) {
				t.Fatalf("got %v, want an ErrInvalidModel error", err)
			}
			if !contains(err.Error(), tensor) || !contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name tensor %q and %q", err, tensor, tc.want)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestQDQAsymmetricActivations gives an activation a nonzero uint8 zero
// point (onnxruntime's default asymmetric activations): the import converts
// it to the symmetric signed scale covering the same real range.
func TestQDQAsymmetricActivations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Calib = 32
	net, err := Quantize(toyModel(41), toyInputs(32, 41), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := net.EncodeQDQ()
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Decode(data, "")
	if err != nil {
		t.Fatal(err)
	}
	var x string
	for _, n := range m.Graph.Nodes {
		if n.OpType == "QuantizeLinear" && m.Graph.Initializers[n.Inputs[2]].DType == importer.Uint8 && n.Inputs[0] != m.Graph.Inputs[0].Name {
			m.Graph.Initializers[n.Inputs[2]].Int[0] = 10 // shared by the DequantizeLinear
			x = n.Inputs[0]
			break
		}
	}
	if x == "" {
		t.Fatal("no uint8 activation QuantizeLinear in the export")
	}
	back, err := QuantizeQDQ(m, nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range back.Values {
		if v.Name == x {
			found = true
			if !v.Signed {
				t.Fatalf("value %q with zero point 10 should become signed", x)
			}
		}
	}
	if !found {
		t.Fatalf("value %q not in the imported network", x)
	}
	in := toyInputs(20, 42)
	a, err := net.Run(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Run(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	agree := 0
	for i := 0; i < 20; i++ {
		if argmax(a.Float[i*10:(i+1)*10]) == argmax(b.Float[i*10:(i+1)*10]) {
			agree++
		}
	}
	if agree < 18 {
		t.Fatalf("only %d/20 predictions survive the zero-point conversion", agree)
	}
}

// TestQDQConvTranspose exports a ConvTranspose layer (its phases and their
// interleave) as QDQ ONNX and reads it back: the same output codes. The
// bias-only positions of a kernel smaller than the stride (an OpConst) have
// no QDQ form: the export is refused with a message saying so.
func TestQDQConvTranspose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wshape  []int
		attrs   []*importer.Attr
		refused string
	}{
		{"k3-s2", []int{3, 4, 3, 3}, []*importer.Attr{graphtest.AInts("strides", 2, 2), graphtest.AInts("pads", 1, 1, 1, 1)}, ""},
		{"kernel-below-stride", []int{3, 2, 2, 1}, []*importer.Attr{graphtest.AInts("strides", 3, 2)}, "constant operand has no QDQ form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(4)
			y := g.Node("ConvTranspose", []string{"x", g.Param("w", 0.4, tc.wshape...), g.Param("b", 0.2, tc.wshape[1])}, "y", tc.attrs...)
			m := g.Model([]int{3, 4, 5}, y)
			cfg := DefaultConfig()
			cfg.Calib = 16
			net, err := Quantize(m, randomBatch(1, 16, 3, 4, 5), cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "q.onnx")
			err = net.WriteQDQ(path)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("export: %v, want an error saying %q", err, tc.refused)
				}
				if _, serr := os.Stat(path); serr == nil {
					t.Fatal("a refused export left a file")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			back := loadQDQ(t, path)
			x := randomBatch(2, 4, 3, 4, 5)
			a, _, err := net.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := back.RunCodes(x, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Fatal("output codes differ after the QDQ round trip")
			}
		})
	}
}

// TestQDQRoundTripAtBatchOne exports networks quantized at batch 1 (their
// graphs move the batch axis) and at batch > 1 (the same layers without
// the move) as QDQ ONNX: the file's inputs and outputs have the model's
// own ranks and per-sample dims (no axis added in front), the file runs in
// the float interpreter on batches of 1 and of 5 with outputs of the
// model's shape within an output step of the golden model, and read back
// with QuantizeQDQ it gives the golden model's codes for both batches.
func TestQDQRoundTripAtBatchOne(t *testing.T) {
	ai, ais := graphtest.AInt, graphtest.AInts
	for _, tc := range []struct {
		name  string
		in    []int
		build func(g *graphtest.Builder) string
	}{
		{"sequence-first-matmul-gemm", []int{4, 8}, func(g *graphtest.Builder) string {
			s := g.Node("Transpose", []string{"x"}, "s", ais("perm", 1, 0, 2))
			h := g.Node("Relu", []string{g.Node("MatMul", []string{s, g.Param("w1", 0.4, 8, 8)}, "mm")}, "h")
			b := g.Node("Transpose", []string{h}, "b", ais("perm", 1, 0, 2))
			f := g.Node("Flatten", []string{b}, "f", ai("axis", 1))
			return g.Node("Gemm", []string{f, g.Param("w2", 0.3, 32, 5), g.Param("b2", 0.1, 5)}, "y")
		}},
		{"batch-first-matmul-gemm", []int{4, 8}, func(g *graphtest.Builder) string {
			h := g.Node("Relu", []string{g.Node("MatMul", []string{"x", g.Param("w1", 0.4, 8, 8)}, "mm")}, "h")
			f := g.Node("Flatten", []string{h}, "f", ai("axis", 1))
			return g.Node("Gemm", []string{f, g.Param("w2", 0.3, 32, 5), g.Param("b2", 0.1, 5)}, "y")
		}},
		{"conv-channels-first-and-back", []int{2, 5, 5}, func(g *graphtest.Builder) string {
			c := g.Node("Relu", []string{g.Conv("x", "c", 2, 4, 3, 1)}, "r")
			s := g.Node("Transpose", []string{c}, "s", ais("perm", 1, 0, 2, 3))
			b := g.Node("Transpose", []string{s}, "b", ais("perm", 1, 0, 2, 3))
			return g.Node("GlobalAveragePool", []string{b}, "y")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graphtest.New(7)
			m := g.Model(tc.in, tc.build(g))
			cfg := DefaultConfig()
			cfg.Calib = 32
			net, err := Quantize(m, randomBatch(8, 32, tc.in...), cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "q.onnx")
			if err := net.WriteQDQ(path); err != nil {
				t.Fatal(err)
			}
			qm, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			back, err := QuantizeQDQ(qm, nil, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if got := qm.Graph.Inputs[0].Shape; len(got) != len(tc.in)+1 {
				t.Fatalf("exported input %v, the model's is [N %v]", got, tc.in)
			} else {
				for i, d := range tc.in {
					if got[i+1].Value != int64(d) {
						t.Fatalf("exported input %v, the model's is [N %v]", got, tc.in)
					}
				}
			}
			so := net.Values[net.Outputs[0].Value].Scale
			for _, n := range []int{1, 5} {
				x := randomBatch(9, n, tc.in...)
				want := floatRun(t, m, x)
				qf := floatRun(t, qm, x)
				if !slices.Equal(qf.Shape, want.Shape) {
					t.Fatalf("batch %d: the exported file outputs %v, the model %v", n, qf.Shape, want.Shape)
				}
				codes, _, err := net.RunCodes(x, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range codes {
					if d := math.Abs(float64(qf.Float[i]) - float64(c)*so); d > so*(1+1e-6) {
						t.Fatalf("batch %d: the exported file's output %d = %g, the golden model's %g (step %g)", n, i, qf.Float[i], float64(c)*so, so)
					}
				}
				again, _, err := back.RunCodes(x, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(again, codes) {
					t.Fatalf("batch %d: codes differ after the QDQ round trip", n)
				}
			}
		})
	}
}
