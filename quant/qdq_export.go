package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

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
	w := &qdqWriter{n: n, g: &onnxpb.GraphProto{Name: proto.String("rramc_qdq")}, fname: make([]string, len(n.Values))}
	in := &n.Values[n.Input]
	w.g.Input = append(w.g.Input, valueInfo(n.InputName, in.Shape))
	w.fname[n.Input] = w.qdq(n.Input, n.InputName, math.MinInt32, math.MaxInt32)
	for i := range n.Ops {
		if err := w.op(&n.Ops[i]); err != nil {
			return nil, fmt.Errorf("quant: export %s %q: %w", n.Ops[i].Kind, n.Ops[i].Name, err)
		}
	}
	last := w.fname[n.Output]
	outOp := "Identity"
	var attrs []*onnxpb.AttributeProto
	if n.Post != "" {
		outOp = n.Post
		attrs = append(attrs, attrI("axis", int64(n.PostAxis)))
	}
	w.node(outOp, []string{last}, n.OutputName, attrs...)
	w.g.Output = append(w.g.Output, valueInfo(n.OutputName, n.Values[n.Output].Shape))
	m := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(7),
		ProducerName:    proto.String("rramc"),
		ProducerVersion: proto.String("1"),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph:           w.g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String(metaWBits), Value: proto.String(strconv.Itoa(n.weightBits()))},
			{Key: proto.String(metaABits), Value: proto.String(strconv.Itoa(n.Values[n.Input].Bits))},
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

func valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT))}
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
	switch op.Kind {
	case OpLinear:
		return w.linear(op, in, tmp)
	case OpAdd:
		w.node("Add", []string{in, w.fname[op.In[1]]}, tmp)
		w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	case OpClamp:
		s := float32(out.Scale)
		mn := w.floats(out.Name+"_min", nil, []float32{float32(op.Lo) * s})
		mx := w.floats(out.Name+"_max", nil, []float32{float32(op.Hi) * s})
		w.node("Clip", []string{in, mn, mx}, tmp)
		w.fname[op.Out] = tmp
	case OpMaxPool, OpAvgPool:
		win := op.Win
		ekh, ekw := (win.KH-1)*win.DilH+1, (win.KW-1)*win.DilW+1
		pb := max(win.PadB, (win.OutH-1)*win.StrideH+ekh-win.InH-win.PadT)
		pr := max(win.PadR, (win.OutW-1)*win.StrideW+ekw-win.InW-win.PadL)
		attrs := []*onnxpb.AttributeProto{attrIs("kernel_shape", int64(win.KH), int64(win.KW)),
			attrIs("strides", int64(win.StrideH), int64(win.StrideW)),
			attrIs("pads", int64(win.PadT), int64(win.PadL), int64(pb), int64(pr))}
		if op.Kind == OpMaxPool {
			attrs = append(attrs, attrIs("dilations", int64(win.DilH), int64(win.DilW)))
			w.node("MaxPool", []string{in}, tmp, attrs...)
			w.fname[op.Out] = tmp
			return nil
		}
		if win.DilH != 1 || win.DilW != 1 {
			return fmt.Errorf("dilated AveragePool needs opset 19")
		}
		if win.CountIncludePad {
			attrs = append(attrs, attrI("count_include_pad", 1))
		}
		w.node("AveragePool", []string{in}, tmp, attrs...)
		w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	case OpGlobalAvg:
		w.node("GlobalAveragePool", []string{in}, tmp)
		w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	case OpGlobalMax:
		w.node("GlobalMaxPool", []string{in}, tmp)
		w.fname[op.Out] = tmp
	case OpReshape:
		shape := []int64{-1}
		for _, d := range out.Shape {
			shape = append(shape, int64(d))
		}
		w.node("Reshape", []string{in, w.int64s(out.Name+"_shape", shape)}, tmp)
		w.fname[op.Out] = tmp
	case OpTranspose:
		perm := []int64{0}
		for _, p := range op.Perm {
			perm = append(perm, int64(p+1))
		}
		w.node("Transpose", []string{in}, tmp, attrIs("perm", perm...))
		w.fname[op.Out] = tmp
	case OpConcat:
		var ins []string
		for _, v := range op.In {
			ins = append(ins, w.fname[v])
		}
		w.node("Concat", ins, tmp, attrI("axis", int64(op.Axis+1)))
		w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	case OpAffine:
		inV := &n.Values[op.In[0]]
		c := inV.Shape[0]
		dims := []int64{int64(c)}
		for range inV.Shape[1:] {
			dims = append(dims, 1)
		}
		a := make([]float32, c)
		b := make([]float32, c)
		for i := 0; i < c; i++ {
			f := op.Mult[i].Float() * out.Scale / inV.Scale
			if op.Neg[i] {
				f = -f
			}
			a[i] = float32(f)
			b[i] = float32(float64(op.Bias[i]) * out.Scale)
		}
		t := w.name(out.Name + "_mul")
		w.node("Mul", []string{in, w.floats(out.Name+"_a", dims, a)}, t)
		w.node("Add", []string{t, w.floats(out.Name+"_b", dims, b)}, tmp)
		w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	case OpLUT:
		return fmt.Errorf("table-lookup activations have no QDQ form in this exporter")
	default:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	return nil
}

func (w *qdqWriter) linear(op *Op, in, tmp string) error {
	n := w.n
	l := n.Linears[op.Linear]
	inV := &n.Values[op.In[0]]
	cout := l.Groups * l.N
	// weights in ONNX layout
	var dims []int64
	codes := make([]int32, cout*l.K)
	axis := int64(0)
	switch l.Op {
	case "Conv":
		win := op.Win
		dims = []int64{int64(cout), int64(win.InC / l.Groups), int64(win.KH), int64(win.KW)}
		for c := 0; c < cout; c++ {
			g, nn := c/l.N, c%l.N
			for k := 0; k < l.K; k++ {
				codes[c*l.K+k] = l.Weights[g][k*l.N+nn]
			}
		}
	case "Gemm":
		dims = []int64{int64(l.N), int64(l.K)} // transB = 1
		for c := 0; c < l.N; c++ {
			for k := 0; k < l.K; k++ {
				codes[c*l.K+k] = l.Weights[0][k*l.N+c]
			}
		}
	case "MatMul":
		dims = []int64{int64(l.K), int64(l.N)}
		copy(codes, l.Weights[0])
		axis = 1
	default:
		return fmt.Errorf("linear op %q", l.Op)
	}
	ws := make([]float32, len(l.WScale))
	bs := make([]float32, len(l.WScale))
	zp := make([]int32, len(l.WScale))
	for i, s := range l.WScale {
		ws[i] = float32(s)
		bs[i] = float32(inV.Scale * s)
	}
	var sdims []int64
	if len(ws) > 1 {
		sdims = []int64{int64(len(ws))}
	}
	var dqAttrs []*onnxpb.AttributeProto
	if len(ws) > 1 {
		dqAttrs = append(dqAttrs, attrI("axis", axis))
	}
	wq := w.bytesT(l.Name+"_w_q", dims, codes, true)
	wdq := w.name(l.Name + "_w")
	w.node("DequantizeLinear", []string{wq, w.floats(l.Name+"_w_scale", sdims, ws), w.bytesT(l.Name+"_w_zp", sdims, zp, true)}, wdq, dqAttrs...)
	bq := w.int32s(l.Name+"_b_q", []int64{int64(cout)}, op.Bias)
	bdq := w.name(l.Name + "_b")
	var bAttrs []*onnxpb.AttributeProto
	if len(bs) > 1 {
		bAttrs = append(bAttrs, attrI("axis", 0))
	}
	w.node("DequantizeLinear", []string{bq, w.floats(l.Name+"_b_scale", sdims, bs), w.int32s(l.Name+"_b_zp", sdims, zp)}, bdq, bAttrs...)
	switch l.Op {
	case "Conv":
		win := op.Win
		w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(l.Name), OpType: proto.String("Conv"),
			Input: []string{in, wdq, bdq}, Output: []string{tmp}, Attribute: []*onnxpb.AttributeProto{
				attrIs("kernel_shape", int64(win.KH), int64(win.KW)),
				attrIs("strides", int64(win.StrideH), int64(win.StrideW)),
				attrIs("pads", int64(win.PadT), int64(win.PadL), int64(win.PadB), int64(win.PadR)),
				attrIs("dilations", int64(win.DilH), int64(win.DilW)),
				attrI("group", int64(l.Groups))}})
	case "Gemm":
		w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(l.Name), OpType: proto.String("Gemm"),
			Input: []string{in, wdq, bdq}, Output: []string{tmp}, Attribute: []*onnxpb.AttributeProto{attrI("transB", 1)}})
	case "MatMul":
		mm := w.name(l.Name + "_mm")
		w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(l.Name), OpType: proto.String("MatMul"),
			Input: []string{in, wdq}, Output: []string{mm}})
		w.node("Add", []string{mm, bdq}, tmp)
	}
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}
