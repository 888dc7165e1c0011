package onnx

import (
	encbin "encoding/binary"
	"fmt"
	"math"
	"path/filepath"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/atomicfile"
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// ONNX TensorProto files (.pb): one serialized TensorProto per file, as in
// the ONNX conformance suites' test_data_set_N/input_0.pb. They carry inputs
// and outputs for `rramc run`.

// ReadTensorPB reads one TensorProto file. Bad content gives an error
// wrapping ErrInvalidModel; external data is resolved next to the file.
func ReadTensorPB(path string) (*importer.Tensor, error) {
	data, err := readProtoFile(path, "tensor file")
	if err != nil {
		return nil, err
	}
	_, t, err := decodeTensorPB(data, filepath.Dir(path), path)
	return t, err
}

// DecodeTensorPB decodes a serialized TensorProto and returns its name and
// value. External data is refused (there is no folder to resolve it in).
func DecodeTensorPB(data []byte) (name string, t *importer.Tensor, err error) {
	return decodeTensorPB(data, "", "")
}

func decodeTensorPB(data []byte, dir, file string) (string, *importer.Tensor, error) {
	var tp onnxpb.TensorProto
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &tp); err != nil {
		return "", nil, invalidErr(file, "", err, "not a TensorProto file (truncated or corrupt)")
	}
	if tp.DataType == nil {
		// An empty or foreign message decodes as an all-default TensorProto.
		return "", nil, invalidf(file, "", "not a TensorProto file: data_type is missing")
	}
	d := &decoder{file: file, dir: dir, budget: MaxModelElements}
	defer d.closeExternal()
	where := "tensor"
	if tp.GetName() != "" {
		where = fmt.Sprintf("tensor %q", tp.GetName())
	}
	t, err := d.decodeTensor(&tp, where)
	if err != nil {
		return "", nil, err
	}
	return tp.GetName(), t, nil
}

// WriteTensorPB writes t as a TensorProto file (unnamed), through a
// temporary file renamed into place so readers never see half a file.
func WriteTensorPB(path string, t *importer.Tensor) error {
	return WriteTensorPBNamed(path, "", t)
}

// WriteTensorPBNamed is WriteTensorPB with a tensor name (ONNX test data
// names tensors after the graph input or output they hold).
func WriteTensorPBNamed(path, name string, t *importer.Tensor) error {
	data, err := EncodeTensorPB(name, t)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// EncodeTensorPB serializes t as a TensorProto with raw_data in t's element
// type (float32 when DType is Undefined and Float holds the values, int64
// when Int does). Integer values that do not fit the element type are an
// error rather than silently wrapped.
func EncodeTensorPB(name string, t *importer.Tensor) ([]byte, error) {
	if t == nil {
		return nil, fmt.Errorf("encode tensor %q: nil tensor", name)
	}
	dt := t.DType
	if dt == importer.Undefined {
		dt = importer.Int64
		if t.Float != nil || t.Int == nil {
			dt = importer.Float
		}
	}
	size := dt.Size()
	if size == 0 {
		return nil, fmt.Errorf("encode tensor %q: element type %s cannot be written", name, onnxTypeName(dt))
	}
	n := 1
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		if d < 0 || (d > 0 && n > importer.MaxTensorElements/d) {
			return nil, fmt.Errorf("encode tensor %q: bad shape %v", name, t.Shape)
		}
		n *= d
		dims[i] = int64(d)
	}
	if dt.IsFloat() && len(t.Float) != n || !dt.IsFloat() && len(t.Int) != n {
		return nil, fmt.Errorf("encode tensor %q: shape %v needs %d values, tensor holds %d float and %d int",
			name, t.Shape, n, len(t.Float), len(t.Int))
	}
	raw := make([]byte, n*size)
	le := encbin.LittleEndian
	switch dt {
	case importer.Float:
		for i, v := range t.Float {
			le.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	case importer.Double:
		for i, v := range t.Float {
			le.PutUint64(raw[8*i:], math.Float64bits(float64(v)))
		}
	case importer.Float16:
		for i, v := range t.Float {
			le.PutUint16(raw[2*i:], f32ToF16(v))
		}
	case importer.BFloat16:
		for i, v := range t.Float {
			le.PutUint16(raw[2*i:], f32ToBF16(v))
		}
	default:
		lo, hi := intRange(dt)
		for i, v := range t.Int {
			if dt == importer.Bool {
				if v != 0 {
					raw[i] = 1
				}
				continue
			}
			if v < lo || v > hi {
				return nil, fmt.Errorf("encode tensor %q: value %d at index %d does not fit %s", name, v, i, onnxTypeName(dt))
			}
			switch size {
			case 1:
				raw[i] = byte(v)
			case 2:
				le.PutUint16(raw[2*i:], uint16(v))
			case 4:
				le.PutUint32(raw[4*i:], uint32(v))
			case 8:
				le.PutUint64(raw[8*i:], uint64(v))
			}
		}
	}
	tp := &onnxpb.TensorProto{Dims: dims, DataType: proto.Int32(int32(dt)), RawData: raw}
	if name != "" {
		tp.Name = proto.String(name)
	}
	return proto.Marshal(tp)
}

// intRange is the value range of an integer element type.
func intRange(dt importer.DataType) (lo, hi int64) {
	switch dt {
	case importer.Int8:
		return math.MinInt8, math.MaxInt8
	case importer.Uint8:
		return 0, math.MaxUint8
	case importer.Int16:
		return math.MinInt16, math.MaxInt16
	case importer.Uint16:
		return 0, math.MaxUint16
	case importer.Int32:
		return math.MinInt32, math.MaxInt32
	case importer.Uint32:
		return 0, math.MaxUint32
	case importer.Uint64:
		return 0, math.MaxInt64
	}
	return math.MinInt64, math.MaxInt64
}
