package onnx

// Builders for ONNX test models made with the generated onnxpb package, so
// that tests need no Python and can make any malformation precisely.

import (
	encbin "encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rramc/rramc/importer"
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// ltRawF32 is a float32 initializer with raw_data.
func ltRawF32(name string, dims []int64, vals []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		encbin.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(importer.Float)), RawData: raw}
}

// ltTypedF32 is a float32 initializer with float_data.
func ltTypedF32(name string, dims []int64, vals []float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(importer.Float)), FloatData: vals}
}

// ltI64 is an int64 initializer with int64_data.
func ltI64(name string, dims []int64, vals []int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(importer.Int64)), Int64Data: vals}
}

// ltVI is a tensor ValueInfo; dims are int (fixed) or string (symbolic).
func ltVI(name string, dt importer.DataType, dims ...any) *onnxpb.ValueInfoProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		sh.Dim = append(sh.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(dt)), Shape: sh}}},
	}
}

// ltNode is a node; name may be "".
func ltNode(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	n := &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
	if name != "" {
		n.Name = proto.String(name)
	}
	return n
}

func ltAttrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func ltAttrTensor(name string, t *onnxpb.TensorProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t}
}

// ltModelOf wraps a graph in a ModelProto.
func ltModelOf(ir, opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(ir),
		ProducerName: proto.String("rramc-test"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph:        g,
	}
}

// ltSmall is a valid model: y = Relu(MatMul(x, W) + b) with x [N,4],
// W [4,3] (raw_data), b [3] (float_data), plus a Constant node and an
// unnamed Identity.
func ltSmall() *onnxpb.ModelProto {
	w := make([]float32, 12)
	for i := range w {
		w[i] = float32(i) - 5.5
	}
	g := &onnxpb.GraphProto{
		Name: proto.String("small"),
		Node: []*onnxpb.NodeProto{
			ltNode("MatMul", "mm", []string{"x", "W"}, []string{"h"}),
			ltNode("Constant", "c", nil, []string{"k"}, ltAttrTensor("value", ltRawF32("", []int64{3}, []float32{1, 2, 3}))),
			ltNode("Add", "add", []string{"h", "b"}, []string{"h2"}),
			ltNode("Add", "", []string{"h2", "k"}, []string{"h3"}),
			ltNode("Relu", "relu", []string{"h3"}, []string{"h4"}),
			ltNode("Identity", "", []string{"h4"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			ltRawF32("W", []int64{4, 3}, w),
			ltTypedF32("b", []int64{3}, []float32{0.5, -0.5, 0.25}),
		},
		Input:  []*onnxpb.ValueInfoProto{ltVI("x", importer.Float, "N", 4)},
		Output: []*onnxpb.ValueInfoProto{ltVI("y", importer.Float, "N", 3)},
	}
	return ltModelOf(8, 13, g)
}

func ltMarshal(tb testing.TB, m proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ltBad is one malformed model: bytes, and a substring its error must hold.
type ltBad struct {
	name string
	data []byte
	want string
}

// ltBadModels builds the malformed inputs every loader test and the fuzz
// corpus use. Each must fail with ErrInvalidModel and a message holding want.
func ltBadModels(tb testing.TB) []ltBad {
	tb.Helper()
	valid := ltMarshal(tb, ltSmall())
	mod := func(f func(m *onnxpb.ModelProto)) []byte {
		m := ltSmall()
		f(m)
		return ltMarshal(tb, m)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	return []ltBad{
		{"empty", nil, "file is empty"},
		{"truncated", valid[:len(valid)*2/3], "truncated or corrupt"},
		{"random_bytes", random, "invalid ONNX model"},
		{"terabyte_dims", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0] = ltRawF32("W", []int64{1 << 20, 1 << 20, 1 << 20}, []float32{1})
		}), "describe more than"},
		{"large_dims_no_data", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0] = ltRawF32("W", []int64{1 << 15, 1 << 15}, []float32{1})
		}), "raw_data has 4 bytes"},
		{"raw_data_short", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].RawData = m.Graph.Initializer[0].RawData[:40]
		}), "raw_data has 40 bytes, dims [4 3] of FLOAT need 48"},
		{"typed_data_short", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[1].FloatData = m.Graph.Initializer[1].FloatData[:2]
		}), "float_data has 2 values"},
		{"negative_dims", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].Dims = []int64{-4, -3}
		}), "is negative"},
		{"negative_input_dim", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Input[0] = ltVI("x", importer.Float, "N", -4)
		}), "shape dimension 1 is negative"},
		{"cycle", mod(func(m *onnxpb.ModelProto) {
			// add consumes h3, produced (through the unnamed Add) from add's own output.
			m.Graph.Node[2].Input[0] = "h3"
		}), `cycle(s): ["add" (Add), "Add_3" (Add)]`},
		{"self_cycle", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Node[4].Input[0] = "h4"
		}), `node "relu" (Relu): cycle`},
		{"missing_input", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Node[2].Input[1] = "bias_not_there"
		}), `node "add" (Add) needs "bias_not_there"`},
		{"missing_output", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Output[0].Name = proto.String("z")
		}), `output "z": graph output is produced by no node`},
		{"external_escape", mod(func(m *onnxpb.ModelProto) {
			ltMakeExternal(m.Graph.Initializer[0], "../outside.bin", 0, 48)
		}), `"../outside.bin" is not inside the model's folder`},
		{"external_absolute", mod(func(m *onnxpb.ModelProto) {
			ltMakeExternal(m.Graph.Initializer[0], "/etc/passwd", 0, 48)
		}), `"/etc/passwd" is not inside the model's folder`},
		{"string_tensor", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].DataType = proto.Int32(int32(importer.String))
		}), "element type STRING is not supported"},
		{"float8_tensor", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].DataType = proto.Int32(17)
		}), "element type FLOAT8E4M3FN is not supported"},
		{"ir_version_2", mod(func(m *onnxpb.ModelProto) { m.IrVersion = proto.Int64(2) }), "IR version 2 is not supported"},
		{"ir_version_11", mod(func(m *onnxpb.ModelProto) { m.IrVersion = proto.Int64(11) }), "IR version 11 is not supported"},
		{"opset_6", mod(func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(6) }), "opset 6 is not supported"},
		{"opset_21", mod(func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(21) }), "opset 21 is not supported"},
		{"no_default_opset", mod(func(m *onnxpb.ModelProto) { m.OpsetImport[0].Domain = proto.String("com.example") }),
			"imports no opset of the default ONNX domain"},
		{"no_graph", mod(func(m *onnxpb.ModelProto) { m.Graph = nil }), "has no graph"},
		{"duplicate_initializer", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = append(m.Graph.Initializer, m.Graph.Initializer[1])
		}), `initializer "b": two initializers`},
		{"duplicate_producer", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Node[3].Output[0] = "h2"
		}), `output "h2" is also produced by node "add"`},
		{"no_op_type", mod(func(m *onnxpb.ModelProto) { m.Graph.Node[0].OpType = nil }), "node has no op_type"},
		{"segment", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].Segment = &onnxpb.TensorProto_Segment{Begin: proto.Int64(0), End: proto.Int64(1)}
		}), "segmented tensors"},
		{"constant_raw_short", mod(func(m *onnxpb.ModelProto) {
			m.Graph.Node[1].Attribute[0].T.RawData = []byte{1, 2, 3}
		}), `node "c" (Constant) attribute[0] "value": raw_data has 3 bytes`},
	}
}

// ltMakeExternal turns t's data into an external reference.
func ltMakeExternal(t *onnxpb.TensorProto, loc string, off, length int64) {
	t.RawData = nil
	t.FloatData = nil
	t.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
	t.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: proto.String("location"), Value: proto.String(loc)},
		{Key: proto.String("offset"), Value: proto.String(strconv.FormatInt(off, 10))},
		{Key: proto.String("length"), Value: proto.String(strconv.FormatInt(length, 10))},
	}
}
