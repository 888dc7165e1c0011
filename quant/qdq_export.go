package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/atomicfile"
	"github.com/rramc/rramc/importer/onnxpb"
)

// Metadata keys WriteQDQ stores so that QuantizeQDQ restores the bit widths
// (QDQ tensors are int8/uint8 whatever B and A are).
const (
	metaWBits = "rramc.wbits"
	metaABits = "rramc.abits"
)

// WriteQDQ writes the network as a standard QDQ ONNX model (opset 13): int8
// weight initializers with float scales (per channel along the output axis
// when per-channel) and int8 zero points 0, int32 biases at scale s_x·s_w,
// and a QuantizeLinear/DequantizeLinear pair (uint8 for unsigned values,
// int8 for signed, zero point 0) after the input and after every op that
// sets a new scale. Activations narrower than 8 bits, and fused Relu/Clip
// ranges, are a Clip before the QuantizeLinear. The file is written to a
// temporary file and renamed.
func (n *Network) WriteQDQ(path string) error {
	data, err := n.EncodeQDQ()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

type qdqWriter struct {
	n     *Network
	g     *onnxpb.GraphProto
	fname []string // float tensor name of each value
	seq   int
}

// EncodeQDQ returns the QDQ ONNX encoding of WriteQDQ.
func (n *Network) EncodeQDQ() ([]byte, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	for i := range n.Values {
		if v := &n.Values[i]; v.Bits > 8 {
			return nil, fmt.Errorf("quant: QDQ export: value %q has %d-bit codes (the exporter writes 8-bit QDQ)", v.Name, v.Bits)
		}
	}
	w := &qdqWriter{n: n, g: &onnxpb.GraphProto{Name: proto.String("rramc_qdq")}, fname: make([]string, len(n.Values))}
	for _, in := range n.Inputs {
		w.g.Input = append(w.g.Input, valueInfo(in.Name, n.Values[in.Value].Shape, in.DType))
		src := in.Name
		if in.DType.IsWhole() {
			// whole values (image bytes) enter the float graph through a Cast
			src = w.name(in.Name + "_float")
			w.node("Cast", []string{in.Name}, src, attrI("to", int64(onnxpb.TensorProto_FLOAT)))
		}
		w.fname[in.Value] = w.qdq(in.Value, src, math.MinInt32, math.MaxInt32)
	}
	for i := range n.Ops {
		if err := w.op(&n.Ops[i]); err != nil {
			return nil, fmt.Errorf("quant: export %s %q: %w", n.Ops[i].Kind, n.Ops[i].Name, err)
		}
	}
	for _, o := range n.Outputs {
		outOp := "Identity"
		var attrs []*onnxpb.AttributeProto
		if o.Post != "" {
			outOp = o.Post
			attrs = append(attrs, attrI("axis", int64(o.PostAxis)))
		}
		w.node(outOp, []string{w.fname[o.Value]}, o.Name, attrs...)
		w.g.Output = append(w.g.Output, valueInfo(o.Name, n.Values[o.Value].Shape, o.DType))
	}
	m := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(7),
		ProducerName:    proto.String("rramc"),
		ProducerVersion: proto.String("1"),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph:           w.g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String(metaWBits), Value: proto.String(strconv.Itoa(n.weightBits()))},
			{Key: proto.String(metaABits), Value: proto.String(strconv.Itoa(n.Values[n.Inputs[0].Value].Bits))},
		},
	}
	return proto.Marshal(m)
}

// weightBits is the widest weight width of the network.
func (n *Network) weightBits() int {
	b := 2
	for _, l := range n.Linears {
		b = max(b, l.WBits)
	}
	return b
}

func (w *qdqWriter) name(base string) string {
	w.seq++
	return fmt.Sprintf("%s__%d", base, w.seq)
}

func (w *qdqWriter) node(op string, in []string, out string, attrs ...*onnxpb.AttributeProto) {
	w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(w.name(op)), OpType: proto.String(op),
		Input: in, Output: []string{out}, Attribute: attrs})
}

func (w *qdqWriter) init(t *onnxpb.TensorProto) string {
	w.g.Initializer = append(w.g.Initializer, t)
	return t.GetName()
}

func (w *qdqWriter) floats(base string, dims []int64, v []float32) string {
	return w.init(&onnxpb.TensorProto{Name: proto.String(w.name(base)), Dims: dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: v})
}

func (w *qdqWriter) int64s(base string, v []int64) string {
	return w.init(&onnxpb.TensorProto{Name: proto.String(w.name(base)), Dims: []int64{int64(len(v))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v})
}

// bytesT writes an int8 (signed) or uint8 tensor as raw data.
func (w *qdqWriter) bytesT(base string, dims []int64, v []int32, signed bool) string {
	raw := make([]byte, len(v))
	for i, x := range v {
		raw[i] = byte(x)
	}
	dt := onnxpb.TensorProto_UINT8
	if signed {
		dt = onnxpb.TensorProto_INT8
	}
	return w.init(&onnxpb.TensorProto{Name: proto.String(w.name(base)), Dims: dims,
		DataType: proto.Int32(int32(dt)), RawData: raw})
}

func (w *qdqWriter) int32s(base string, dims []int64, v []int32) string {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(x))
	}
	return w.init(&onnxpb.TensorProto{Name: proto.String(w.name(base)), Dims: dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT32)), RawData: raw})
}

func attrI(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrIs(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func valueInfo(name string, shape []int, dt importer.DataType) *onnxpb.ValueInfoProto {
	if dt == importer.Undefined || dt.IsFloat() {
		dt = importer.Float
	}
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(dt))}
	if shape != nil {
		sp := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}}
		for _, d := range shape {
			sp.Dim = append(sp.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
		tt.Shape = sp
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}

// qdq appends [Clip →] QuantizeLinear → DequantizeLinear for value v fed by
// float tensor src, clamping to codes [lo, hi] ∩ the value's range, and
// returns the dequantized tensor's name.
func (w *qdqWriter) qdq(v int, src string, lo, hi int32) string {
	val := &w.n.Values[v]
	vlo, vhi := val.Range()
	lo, hi = max(lo, vlo), min(hi, vhi)
	tlo, thi := codeRange(8, val.Signed)
	s := float32(val.Scale)
	if lo > tlo || hi < thi {
		mn := w.floats(val.Name+"_min", nil, []float32{float32(lo) * s})
		mx := w.floats(val.Name+"_max", nil, []float32{float32(hi) * s})
		c := w.name(val.Name + "_clip")
		w.node("Clip", []string{src, mn, mx}, c)
		src = c
	}
	sc := w.floats(val.Name+"_scale", nil, []float32{s})
	zp := w.bytesT(val.Name+"_zp", nil, []int32{0}, val.Signed)
	q := w.name(val.Name + "_q")
	w.node("QuantizeLinear", []string{src, sc, zp}, q)
	dq := w.name(val.Name + "_dq")
	w.node("DequantizeLinear", []string{q, sc, zp}, dq)
	return dq
}

func (w *qdqWriter) op(op *Op) error {
	n := w.n
	in := w.fname[op.In[0]]
	out := &n.Values[op.Out]
	tmp := w.name(out.Name + "_f")
	spec := kinds[op.Kind]
	if spec == nil || spec.export == nil {
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	return spec.export(&exportCtx{w: w, n: n, op: op, in: in, out: out, tmp: tmp})
}
