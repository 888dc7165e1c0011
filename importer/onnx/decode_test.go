package onnx

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
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// ltThirdParty is where the real third-party models live, relative to this
// package's directory.
const ltThirdParty = "../../shared/models/third_party"

func TestLoadThirdParty(t *testing.T) {
	if _, err := os.Stat(ltThirdParty); err != nil {
		t.Skipf("third-party models absent: %v", err)
	}
	type dimWant struct {
		v int64
		p string
	}
	tests := []struct {
		file        string
		ir, opset   int64
		producer    string
		version     string
		input       string
		inShape     []dimWant
		output      string
		outShape    []dimWant
		inits       int
		nodes       int
		firstNode   string
		initShapes  map[string][]int
		initSamples map[string]float32 // first element of a float initializer
	}{
		{
			file: "mnist-8_modelzoo_cntk.onnx", ir: 3, opset: 8, producer: "CNTK", version: "2.5.1",
			input: "Input3", inShape: []dimWant{{1, ""}, {1, ""}, {28, ""}, {28, ""}},
			output: "Plus214_Output_0", outShape: []dimWant{{1, ""}, {10, ""}},
			inits: 8, nodes: 12, firstNode: "Times212_reshape1",
			initShapes: map[string][]int{"Parameter5": {8, 1, 5, 5}, "Parameter193": {16, 4, 4, 10}, "Pooling160_Output_0_reshape0_shape": {2}},
		},
		{
			file: "mnist_cnn_pytorch2.5_opset11.onnx", ir: 6, opset: 11, producer: "pytorch", version: "2.5.0",
			input: "input", inShape: []dimWant{{0, "batch_size"}, {1, ""}, {28, ""}, {28, ""}},
			output: "output", outShape: []dimWant{{0, "batch_size"}, {10, ""}},
			inits: 8, nodes: 11, firstNode: "/conv1/Conv",
			initShapes: map[string][]int{"conv1.weight": {32, 1, 3, 3}, "fc1.weight": {128, 3136}, "fc2.bias": {10}},
		},
		{
			file: "pytorch2.9_external_data/mnist.onnx", ir: 10, opset: 20, producer: "pytorch", version: "2.9.1",
			input: "input", inShape: []dimWant{{0, "s77"}, {1, ""}, {28, ""}, {28, ""}},
			output: "output", outShape: []dimWant{{0, "s77"}, {10, ""}},
			inits: 5, nodes: 6, firstNode: "node_Shape_0",
			initShapes: map[string][]int{"conv1.weight": {32, 1, 3, 3}, "fc1.weight": {10, 21632}, "val_3": {1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(ltThirdParty, tc.file)
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if m.Path != path || m.IRVersion != tc.ir || m.Opset() != tc.opset || m.ProducerName != tc.producer || m.ProducerVersion != tc.version {
				t.Errorf("got path %q IR %d opset %d producer %q %q", m.Path, m.IRVersion, m.Opset(), m.ProducerName, m.ProducerVersion)
			}
			g := m.Graph
			if len(g.Inputs) != 1 || g.Inputs[0].Name != tc.input || g.Inputs[0].DType != importer.Float {
				t.Fatalf("inputs %+v, want just %q", g.Inputs, tc.input)
			}
			checkDims := func(what string, got []importer.Dim, want []dimWant) {
				if len(got) != len(want) {
					t.Errorf("%s shape %v, want %v", what, got, want)
					return
				}
				for i := range want {
					if got[i].Value != want[i].v || got[i].Param != want[i].p {
						t.Errorf("%s dim %d = %+v, want %+v", what, i, got[i], want[i])
					}
				}
			}
			checkDims("input", g.Inputs[0].Shape, tc.inShape)
			if len(g.Outputs) != 1 || g.Outputs[0].Name != tc.output {
				t.Fatalf("outputs %+v, want %q", g.Outputs, tc.output)
			}
			checkDims("output", g.Outputs[0].Shape, tc.outShape)
			if len(g.Initializers) != tc.inits {
				t.Errorf("%d initializers, want %d", len(g.Initializers), tc.inits)
			}
			for name, shape := range tc.initShapes {
				it := g.Initializers[name]
				if it == nil || !slices.Equal(it.Shape, shape) {
					t.Errorf("initializer %q = %v, want shape %v", name, it, shape)
					continue
				}
				if got := len(it.Float) + len(it.Int); got != it.Len() {
					t.Errorf("initializer %q holds %d values for shape %v", name, got, it.Shape)
				}
			}
			if len(g.Nodes) != tc.nodes || g.Nodes[0].Name != tc.firstNode {
				t.Errorf("%d nodes starting %q, want %d starting %q", len(g.Nodes), g.Nodes[0].Name, tc.nodes, tc.firstNode)
			}
			ltCheckInvariants(t, m)
		})
	}
}

// TestLoadThirdPartyValues compares every initializer value with an
// independent reading: the external-data model's weights are read straight
// from mnist.onnx.data at the offsets the ONNX Python tools report.
func TestLoadThirdPartyValues(t *testing.T) {
	dir := filepath.Join(ltThirdParty, "pytorch2.9_external_data")
	raw, err := os.ReadFile(filepath.Join(dir, "mnist.onnx.data"))
	if err != nil {
		t.Skipf("third-party models absent: %v", err)
	}
	m, err := Load(filepath.Join(dir, "mnist.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		offset int
	}{{"conv1.weight", 0}, {"fc1.weight", 1152}} {
		w := m.Graph.Initializers[c.name]
		for i, v := range w.Float {
			b := raw[c.offset+4*i:]
			want := math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			if v != want {
				t.Fatalf("%s[%d] = %v, want %v", c.name, i, v, want)
			}
		}
	}
	if v := m.Graph.Initializers["val_3"].Int; !slices.Equal(v, []int64{21632}) {
		t.Errorf("val_3 = %v, want [21632]", v)
	}
}

// ltCheckInvariants checks what every successfully decoded model must
// satisfy, independently of how the decoder got there.
func ltCheckInvariants(t *testing.T, m *importer.Model) {
	t.Helper()
	g := m.Graph
	if g == nil {
		t.Fatal("nil graph")
	}
	defined := map[string]bool{}
	for name, it := range g.Initializers {
		defined[name] = true
		n := 1
		for _, d := range it.Shape {
			if d < 0 {
				t.Fatalf("initializer %q has negative dim %v", name, it.Shape)
			}
			n *= d
		}
		if it.DType.IsFloat() && len(it.Float) != n || !it.DType.IsFloat() && len(it.Int) != n {
			t.Fatalf("initializer %q: shape %v but %d/%d values", name, it.Shape, len(it.Float), len(it.Int))
		}
	}
	for _, in := range g.Inputs {
		if _, isInit := g.Initializers[in.Name]; isInit {
			t.Fatalf("input %q also has an initializer", in.Name)
		}
		defined[in.Name] = true
	}
	names := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Name == "" || names[n.Name] {
			t.Fatalf("node name %q empty or repeated", n.Name)
		}
		names[n.Name] = true
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				t.Fatalf("node %q consumes %q before it is defined", n.Name, in)
			}
		}
		for _, out := range n.Outputs {
			if out != "" {
				defined[out] = true
			}
		}
	}
}

func TestDecodeSmall(t *testing.T) {
	m, err := Decode(ltMarshal(t, ltSmall()), "")
	if err != nil {
		t.Fatal(err)
	}
	ltCheckInvariants(t, m)
	g := m.Graph
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"mm", "c", "add", "Add_3", "relu", "Identity_5"}; !slices.Equal(names, want) {
		t.Errorf("node names %v, want %v", names, want)
	}
	if w := g.Initializers["W"]; !slices.Equal(w.Shape, []int{4, 3}) || w.Float[0] != -5.5 || w.Float[11] != 5.5 {
		t.Errorf("W = %v %v", w.Shape, w.Float)
	}
	if b := g.Initializers["b"]; !slices.Equal(b.Float, []float32{0.5, -0.5, 0.25}) {
		t.Errorf("b = %v", b.Float)
	}
	c := g.Nodes[1].Attrs["value"]
	if c == nil || c.Kind != importer.AttrTensor || !slices.Equal(c.T.Float, []float32{1, 2, 3}) || !slices.Equal(c.T.Shape, []int{3}) {
		t.Errorf("Constant value = %+v", c)
	}
	if in := g.Inputs[0]; in.Shape[0].Param != "N" || in.Shape[1].Value != 4 {
		t.Errorf("input shape %v", in.Shape)
	}
	if m.Path != "" || m.ProducerName != "rramc-test" || m.Opset() != 13 {
		t.Errorf("model header %q %q %d", m.Path, m.ProducerName, m.Opset())
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, tc := range ltBadModels(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.data, t.TempDir())
			if err == nil {
				t.Fatalf("decoded a malformed model (%d nodes)", len(m.Graph.Nodes))
			}
			if !errors.Is(err, importer.ErrInvalidModel) {
				t.Errorf("error does not wrap ErrInvalidModel: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

// TestDecodeUnsorted: nodes listed out of order come back in a valid order
// that keeps file order among independent nodes.
func TestDecodeUnsorted(t *testing.T) {
	m := ltSmall()
	n := m.Graph.Node
	// Reverse the node list: every edge now points backwards.
	slices.Reverse(n)
	got, err := Decode(ltMarshal(t, m), "")
	if err != nil {
		t.Fatal(err)
	}
	ltCheckInvariants(t, got)
	pos := map[string]int{}
	for i, nd := range got.Graph.Nodes {
		pos[nd.Name] = i
	}
	for _, e := range [][2]string{{"mm", "add"}, {"add", "Add_2"}, {"c", "Add_2"}, {"Add_2", "relu"}, {"relu", "Identity_0"}} {
		if pos[e[0]] >= pos[e[1]] {
			t.Errorf("%s placed after %s: %v", e[0], e[1], pos)
		}
	}
}

// TestDecodeIR3WeightInputs: weights listed as graph inputs (IR 3) are not
// inputs the caller feeds, but keep their declared types.
func TestDecodeIR3WeightInputs(t *testing.T) {
	m := ltSmall()
	m.IrVersion = proto.Int64(3)
	m.OpsetImport[0].Version = proto.Int64(8)
	m.Graph.Input = append(m.Graph.Input, ltVI("W", importer.Float, 4, 3), ltVI("b", importer.Float, 3))
	got, err := Decode(ltMarshal(t, m), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Graph.Inputs) != 1 || got.Graph.Inputs[0].Name != "x" {
		t.Errorf("inputs %+v, want only x", got.Graph.Inputs)
	}
	if vi := got.Graph.ValueInfo["W"]; vi.DType != importer.Float || len(vi.Shape) != 2 {
		t.Errorf("W value info %+v", vi)
	}
}

// TestDecodeOpsets: accepted version ranges and other domains.
func TestDecodeOpsets(t *testing.T) {
	for _, tc := range []struct {
		ir, opset int64
		extra     string
		ok        bool
	}{
		{3, 7, "", true}, {10, 20, "", true}, {7, 13, "com.microsoft", true}, {8, 13, "ai.onnx.ml", true},
		{2, 7, "", false}, {11, 13, "", false}, {8, 6, "", false}, {8, 21, "", false},
	} {
		t.Run(fmt.Sprintf("ir%d_opset%d_%s", tc.ir, tc.opset, tc.extra), func(t *testing.T) {
			m := ltSmall()
			m.IrVersion = proto.Int64(tc.ir)
			m.OpsetImport[0].Version = proto.Int64(tc.opset)
			if tc.extra != "" {
				m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String(tc.extra), Version: proto.Int64(1)})
				m.Graph.Node[4].Domain = proto.String(tc.extra) // reported by the interpreter, not the loader
			}
			got, err := Decode(ltMarshal(t, m), "")
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, importer.ErrInvalidModel) {
					t.Errorf("not ErrInvalidModel: %v", err)
				}
				return
			}
			if got.Opset() != tc.opset || (tc.extra != "" && got.Opsets[tc.extra] != 1) {
				t.Errorf("opsets %v", got.Opsets)
			}
			if tc.extra != "" && got.Graph.Nodes[4].Domain != tc.extra {
				t.Errorf("node domain %q", got.Graph.Nodes[4].Domain)
			}
		})
	}
	// "ai.onnx" is the default domain spelled out.
	m := ltSmall()
	m.OpsetImport[0].Domain = proto.String("ai.onnx")
	m.Graph.Node[0].Domain = proto.String("ai.onnx")
	got, err := Decode(ltMarshal(t, m), "")
	if err != nil || got.Opset() != 13 || got.Graph.Nodes[0].Domain != "" {
		t.Errorf("ai.onnx domain: %v %v", err, got)
	}
}

// TestDecodeUnknownFields: fields from ONNX versions newer than the bundled
// schema (here: made-up field numbers in every message kind, as IR 10 adds)
// are skipped.
func TestDecodeUnknownFields(t *testing.T) {
	m := ltSmall()
	// Field 999 varint and field 998 bytes, appended as raw wire data.
	extra := []byte{0xb8, 0x3e, 0x01, 0xb2, 0x3e, 0x03, 'a', 'b', 'c'}
	for _, msg := range []proto.Message{m, m.Graph, m.Graph.Node[0], m.Graph.Initializer[0], m.Graph.Input[0], m.OpsetImport[0]} {
		r := msg.ProtoReflect()
		r.SetUnknown(append(r.GetUnknown(), extra...))
	}
	// An attribute type this schema does not know (type = 99, field 20):
	// the kind is inferred from the field that is set.
	a := &onnxpb.AttributeProto{Name: proto.String("axis"), I: proto.Int64(1)}
	a.ProtoReflect().SetUnknown([]byte{0xa0, 0x01, 99})
	m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, a)
	data := ltMarshal(t, m)
	got, err := Decode(data, "")
	if err != nil {
		t.Fatal(err)
	}
	ltCheckInvariants(t, got)
	if a := got.Graph.Nodes[0].Attrs["axis"]; a == nil || a.Kind != importer.AttrInt || a.I != 1 {
		t.Errorf("attr %+v", a)
	}
}

// TestDecodeUnknownAttrType: an attribute whose type enum is newer than the
// schema decodes with its kind inferred from the value present.
func TestDecodeUnknownAttrType(t *testing.T) {
	m := ltSmall()
	m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("alpha"), F: proto.Float32(0.5)}}
	data := ltMarshal(t, m)
	got, err := Decode(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Graph.Nodes[0].Attrs["alpha"]; a == nil || a.Kind != importer.AttrFloat || a.F != 0.5 {
		t.Errorf("attr %+v", a)
	}
}

// TestDecodeDataTypes checks every element type from raw_data and from the
// typed field against values written independently.
func TestDecodeDataTypes(t *testing.T) {
	le16 := func(v ...uint16) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, byte(x), byte(x>>8))
		}
		return b
	}
	le32 := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
		}
		return b
	}
	le64 := func(v ...uint64) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, le32(uint32(x), uint32(x>>32))...)
		}
		return b
	}
	negOne32 := uint32(math.MaxUint32)
	tests := []struct {
		name   string
		tp     *onnxpb.TensorProto
		floats []float32
		ints   []int64
	}{
		{"f32_raw", &onnxpb.TensorProto{DataType: proto.Int32(1), Dims: []int64{2}, RawData: le32(math.Float32bits(1.5), math.Float32bits(-2))}, []float32{1.5, -2}, nil},
		{"f32_typed", &onnxpb.TensorProto{DataType: proto.Int32(1), Dims: []int64{2}, FloatData: []float32{1.5, -2}}, []float32{1.5, -2}, nil},
		{"f64_raw", &onnxpb.TensorProto{DataType: proto.Int32(11), Dims: []int64{2}, RawData: le64(math.Float64bits(0.25), math.Float64bits(-3))}, []float32{0.25, -3}, nil},
		{"f64_typed", &onnxpb.TensorProto{DataType: proto.Int32(11), Dims: []int64{1}, DoubleData: []float64{1e-3}}, []float32{float32(1e-3)}, nil},
		// float16: 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001, +Inf = 0x7c00.
		{"f16_raw", &onnxpb.TensorProto{DataType: proto.Int32(10), Dims: []int64{5}, RawData: le16(0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00)},
			[]float32{1, -2.5, 65504, float32(math.Ldexp(1, -24)), float32(math.Inf(1))}, nil},
		{"f16_typed", &onnxpb.TensorProto{DataType: proto.Int32(10), Dims: []int64{2}, Int32Data: []int32{0x3555, 0x8000}},
			[]float32{float32(0.333251953125), float32(math.Copysign(0, -1))}, nil},
		// bfloat16: top 16 bits of float32. 1.0 = 0x3f80, -0.5 = 0xbf00.
		{"bf16_raw", &onnxpb.TensorProto{DataType: proto.Int32(16), Dims: []int64{2}, RawData: le16(0x3f80, 0xbf00)}, []float32{1, -0.5}, nil},
		{"bf16_typed", &onnxpb.TensorProto{DataType: proto.Int32(16), Dims: []int64{1}, Int32Data: []int32{0x4040}}, []float32{3}, nil},
		{"i8_raw", &onnxpb.TensorProto{DataType: proto.Int32(3), Dims: []int64{3}, RawData: []byte{0x80, 0xff, 0x7f}}, nil, []int64{-128, -1, 127}},
		{"i8_typed", &onnxpb.TensorProto{DataType: proto.Int32(3), Dims: []int64{2}, Int32Data: []int32{-128, 5}}, nil, []int64{-128, 5}},
		{"u8_raw", &onnxpb.TensorProto{DataType: proto.Int32(2), Dims: []int64{2}, RawData: []byte{0, 255}}, nil, []int64{0, 255}},
		{"u8_typed", &onnxpb.TensorProto{DataType: proto.Int32(2), Dims: []int64{1}, Int32Data: []int32{200}}, nil, []int64{200}},
		{"i16_raw", &onnxpb.TensorProto{DataType: proto.Int32(5), Dims: []int64{2}, RawData: le16(0x8000, 7)}, nil, []int64{-32768, 7}},
		{"u16_raw", &onnxpb.TensorProto{DataType: proto.Int32(4), Dims: []int64{1}, RawData: le16(0xffff)}, nil, []int64{65535}},
		{"i32_raw", &onnxpb.TensorProto{DataType: proto.Int32(6), Dims: []int64{2}, RawData: le32(negOne32, 1<<30)}, nil, []int64{-1, 1 << 30}},
		{"i32_typed", &onnxpb.TensorProto{DataType: proto.Int32(6), Dims: []int64{1}, Int32Data: []int32{-7}}, nil, []int64{-7}},
		{"u32_raw", &onnxpb.TensorProto{DataType: proto.Int32(12), Dims: []int64{1}, RawData: le32(negOne32)}, nil, []int64{math.MaxUint32}},
		{"i64_raw", &onnxpb.TensorProto{DataType: proto.Int32(7), Dims: []int64{2}, RawData: le64(math.MaxUint64, 1<<40)}, nil, []int64{-1, 1 << 40}},
		{"i64_typed", &onnxpb.TensorProto{DataType: proto.Int32(7), Dims: []int64{2}, Int64Data: []int64{-9, 9}}, nil, []int64{-9, 9}},
		{"u64_typed", &onnxpb.TensorProto{DataType: proto.Int32(13), Dims: []int64{1}, Uint64Data: []uint64{1 << 62}}, nil, []int64{1 << 62}},
		{"bool_raw", &onnxpb.TensorProto{DataType: proto.Int32(9), Dims: []int64{3}, RawData: []byte{0, 1, 2}}, nil, []int64{0, 1, 1}},
		{"bool_typed", &onnxpb.TensorProto{DataType: proto.Int32(9), Dims: []int64{2}, Int32Data: []int32{1, 0}}, nil, []int64{1, 0}},
		{"scalar", &onnxpb.TensorProto{DataType: proto.Int32(1), FloatData: []float32{4}}, []float32{4}, nil},
		{"empty", &onnxpb.TensorProto{DataType: proto.Int32(1), Dims: []int64{0, 5}}, []float32{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ltSmall()
			tc.tp.Name = proto.String("extra")
			m.Graph.Initializer = append(m.Graph.Initializer, tc.tp)
			got, err := Decode(ltMarshal(t, m), "")
			if err != nil {
				t.Fatal(err)
			}
			x := got.Graph.Initializers["extra"]
			if x.DType != importer.DataType(tc.tp.GetDataType()) {
				t.Errorf("dtype %v", x.DType)
			}
			if tc.floats != nil {
				if len(x.Float) != len(tc.floats) || x.Int != nil {
					t.Fatalf("got %v / %v, want %v", x.Float, x.Int, tc.floats)
				}
				for i := range tc.floats {
					if math.Float32bits(x.Float[i]) != math.Float32bits(tc.floats[i]) {
						t.Errorf("[%d] = %v, want %v", i, x.Float[i], tc.floats[i])
					}
				}
			} else if !slices.Equal(x.Int, tc.ints) || x.Float != nil {
				t.Errorf("got %v / %v, want %v", x.Int, x.Float, tc.ints)
			}
			if x.Len() != len(x.Float)+len(x.Int) {
				t.Errorf("shape %v holds %d values", x.Shape, len(x.Float)+len(x.Int))
			}
		})
	}
}

// TestHalfConversion checks f16ToF32 on all 65536 patterns against a
// reference built from the definition (sign, 5-bit exponent, 10-bit
// mantissa), and that f32ToF16 inverts it.
func TestHalfConversion(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		e := (h >> 10) & 0x1f
		mant := float64(h & 0x3ff)
		var want float64
		switch e {
		case 0:
			want = sign * mant * math.Ldexp(1, -24)
		case 31:
			if mant != 0 {
				want = math.NaN()
			} else {
				want = sign * math.Inf(1)
			}
		default:
			want = sign * (1 + mant/1024) * math.Ldexp(1, e-15)
		}
		got := f16ToF32(uint16(h))
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("%#04x: got %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("%#04x: got %v, want %v", h, got, want)
		}
		if back := f32ToF16(got); back != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, got, back)
		}
	}
	// Rounding: halfway cases go to even, overflow goes to Inf.
	for _, c := range []struct {
		f float32
		h uint16
	}{
		{1 + 1.0/2048, 0x3c00},           // halfway between 1 and next: even (1)
		{1 + 3.0/2048, 0x3c02},           // halfway between 0x3c01 and 0x3c02: even
		{65520, 0x7c00},                  // rounds up past max half
		{float32(math.Ldexp(1, -25)), 0}, // halfway to smallest subnormal: even (0)
		{float32(math.Ldexp(3, -26)), 1}, // above halfway: 1
	} {
		if got := f32ToF16(c.f); got != c.h {
			t.Errorf("f32ToF16(%v) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
}

func TestBFloat16Rounding(t *testing.T) {
	for _, c := range []struct {
		f float32
		h uint16
	}{
		{1, 0x3f80},
		{math.Float32frombits(0x3f808000), 0x3f80}, // halfway, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // halfway, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81},
		{float32(math.Inf(-1)), 0xff80},
	} {
		if got := f32ToBF16(c.f); got != c.h {
			t.Errorf("f32ToBF16(%v) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if !math.IsNaN(float64(math.Float32frombits(uint32(f32ToBF16(float32(math.NaN()))) << 16))) {
		t.Error("NaN not kept")
	}
}
