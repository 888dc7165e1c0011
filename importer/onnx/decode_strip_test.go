package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// ltCheckStrip checks that decoding with raw_data aliased (stripRawData)
// gives the same message as the protobuf decoder on the whole input.
func ltCheckStrip(t *testing.T, data []byte) {
	t.Helper()
	a, errA := unmarshalModel(data, true)
	b, errB := unmarshalModel(data, false)
	if (errA == nil) != (errB == nil) {
		t.Fatalf("stripped decode err %v, plain decode err %v", errA, errB)
	}
	if errA == nil && !proto.Equal(a, b) {
		t.Fatal("stripped and plain decode differ")
	}
}

func TestStripRawData(t *testing.T) {
	inputs := map[string][]byte{"small": ltMarshal(t, ltSmall())}
	// Two graph fields and a repeated raw_data: protobuf merges the graphs
	// (initializers appended) and keeps the last raw_data.
	m := ltSmall()
	g2 := &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{ltRawF32("extra", []int64{2}, []float32{7, 8})}}
	data := ltMarshal(t, m)
	data = append(data, ltMarshal(t, &onnxpb.ModelProto{Graph: g2})...)
	inputs["merged_graphs"] = data
	tp := ltRawF32("t", []int64{1}, []float32{1})
	tb := ltMarshal(t, tp)
	tb = append(tb, ltMarshal(t, &onnxpb.TensorProto{RawData: []byte{0, 0, 0x80, 0x3f}})...)
	gb := append([]byte{0x2a, byte(len(tb))}, tb...) // GraphProto field 5
	inputs["repeated_raw"] = append(ltMarshal(t, ltSmall()), append([]byte{0x3a, byte(len(gb))}, gb...)...)
	inputs["empty_raw"] = ltMarshal(t, ltModelOf(8, 13, &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{{Name: proto.String("e"), DataType: proto.Int32(1), Dims: []int64{0}, RawData: []byte{}}}}))
	for _, b := range ltBadModels(t) {
		inputs[b.name] = b.data
	}
	for _, f := range []string{"mnist-8_modelzoo_cntk.onnx", "mnist_cnn_pytorch2.5_opset11.onnx", "pytorch2.9_external_data/mnist.onnx"} {
		if b, err := os.ReadFile(filepath.Join(ltThirdParty, f)); err == nil {
			inputs[f] = b
		}
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) { ltCheckStrip(t, data) })
	}
	mp, err := unmarshalModel(inputs["repeated_raw"], true)
	if err != nil {
		t.Fatal(err)
	}
	inits := mp.Graph.Initializer
	if len(inits) != 3 || inits[2].GetName() != "t" || len(inits[2].RawData) != 4 || inits[2].RawData[3] != 0x3f {
		t.Errorf("repeated raw_data: %v", inits)
	}
	mp, err = unmarshalModel(inputs["empty_raw"], true)
	if err != nil || mp.Graph.Initializer[0].RawData == nil {
		t.Errorf("empty raw_data lost its presence: %v", err)
	}
}
