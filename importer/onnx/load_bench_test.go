package onnx

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rramc/rramc/importer"
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// BenchmarkLoadResNet18 loads testmodels/resnet18.onnx (made by
// `testmodels/train.py --resnet18`, not committed; skipped when absent), or
// the file $RRAMC_RESNET18 names.
func BenchmarkLoadResNet18(b *testing.B) {
	path := os.Getenv("RRAMC_RESNET18")
	if path == "" {
		path = filepath.Join("..", "testmodels", "resnet18.onnx")
	}
	benchLoad(b, path)
}

// BenchmarkLoadThirdParty loads each third-party model.
func BenchmarkLoadThirdParty(b *testing.B) {
	for _, f := range []string{"mnist-8_modelzoo_cntk.onnx", "mnist_cnn_pytorch2.5_opset11.onnx", "pytorch2.9_external_data/mnist.onnx"} {
		b.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(b *testing.B) {
			benchLoad(b, filepath.Join(ltThirdParty, f))
		})
	}
}

func benchLoad(b *testing.B, path string) {
	st, err := os.Stat(path)
	if err != nil {
		b.Skipf("%s absent: %v", path, err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeResNet18Shaped decodes an in-memory model with ResNet-18's
// weight shapes (11.7M float32 parameters in raw_data, 44.7 MiB), so the
// load path has a figure even without testmodels/resnet18.onnx.
func BenchmarkDecodeResNet18Shaped(b *testing.B) {
	data := ltResNet18Shaped(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadResNet18Shaped is BenchmarkDecodeResNet18Shaped through a
// file: Load reads it (page cache warm) and decodes it.
func BenchmarkLoadResNet18Shaped(b *testing.B) {
	path := filepath.Join(b.TempDir(), "resnet18_shaped.onnx")
	if err := os.WriteFile(path, ltResNet18Shaped(b), 0o644); err != nil {
		b.Fatal(err)
	}
	benchLoad(b, path)
}

// ltResNet18Shaped builds a chain of Conv nodes with ResNet-18's conv and
// fc weight shapes (the graph is not ResNet-18's; only the sizes matter).
func ltResNet18Shaped(tb testing.TB) []byte {
	shapes := [][]int64{{64, 3, 7, 7}}
	add := func(n int, s ...int64) {
		for range n {
			shapes = append(shapes, s)
		}
	}
	add(4, 64, 64, 3, 3)
	add(1, 128, 64, 3, 3)
	add(3, 128, 128, 3, 3)
	add(1, 128, 64, 1, 1)
	add(1, 256, 128, 3, 3)
	add(3, 256, 256, 3, 3)
	add(1, 256, 128, 1, 1)
	add(1, 512, 256, 3, 3)
	add(3, 512, 512, 3, 3)
	add(1, 512, 256, 1, 1)
	g := &onnxpb.GraphProto{Name: proto.String("resnet18_shaped")}
	prev := "input"
	for i, s := range shapes {
		n := s[0] * s[1] * s[2] * s[3]
		w := make([]float32, n)
		for j := range w {
			w[j] = float32(j%97) * 0.01
		}
		wn, bn, out := "w"+strconv.Itoa(i), "b"+strconv.Itoa(i), "h"+strconv.Itoa(i)
		g.Initializer = append(g.Initializer, ltRawF32(wn, s, w), ltRawF32(bn, s[:1], w[:s[0]]))
		g.Node = append(g.Node, ltNode("Conv", "", []string{prev, wn, bn}, []string{out}))
		prev = out
	}
	fc := make([]float32, 1000*512)
	g.Initializer = append(g.Initializer, ltRawF32("fc_w", []int64{1000, 512}, fc), ltRawF32("fc_b", []int64{1000}, fc[:1000]))
	g.Node = append(g.Node, ltNode("Gemm", "", []string{prev, "fc_w", "fc_b"}, []string{"logits"}, ltAttrInt("transB", 1)))
	g.Input = []*onnxpb.ValueInfoProto{ltVI("input", importer.Float, "batch", 3, 224, 224)}
	g.Output = []*onnxpb.ValueInfoProto{ltVI("logits", importer.Float, "batch", 1000)}
	return ltMarshal(tb, ltModelOf(8, 13, g))
}
