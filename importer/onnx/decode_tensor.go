package onnx

import (
	encbin "encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnxpb"
)

// Allocation limits. Every size read from a file is checked against the data
// actually present (raw_data length, typed field length, external file size)
// before anything is allocated; these caps bound what a file can make us
// allocate even when the data is present (an external region can be shared by
// many tensors, and int8 data widens to int64 in memory).
const (
	// MaxModelElements is the largest total element count of all tensors
	// (initializers and tensor attributes) of one model.
	MaxModelElements = math.MaxInt32
)

// dataTypeNames names every ONNX element type, including those newer than
// the bundled onnx.proto, so rejections can say what was found.
var dataTypeNames = map[importer.DataType]string{
	importer.Undefined: "UNDEFINED", importer.Float: "FLOAT", importer.Uint8: "UINT8", importer.Int8: "INT8",
	importer.Uint16: "UINT16", importer.Int16: "INT16", importer.Int32: "INT32", importer.Int64: "INT64",
	importer.String: "STRING", importer.Bool: "BOOL", importer.Float16: "FLOAT16", importer.Double: "DOUBLE",
	importer.Uint32: "UINT32", importer.Uint64: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128",
	importer.BFloat16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ",
	19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4",
	23: "FLOAT4E2M1", 24: "FLOAT8E8M0", 25: "UINT2", 26: "INT2",
}

// onnxTypeName returns the ONNX name of t (e.g. "FLOAT", "FLOAT8E4M3FN").
func onnxTypeName(t importer.DataType) string {
	if s, ok := dataTypeNames[t]; ok {
		return s
	}
	return "DataType(" + strconv.Itoa(int(t)) + ")"
}

// dimsCount checks dims and returns the element count they describe.
func dimsCount(dims []int64) (int64, error) {
	n := int64(1)
	for i, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("dims[%d] = %d is negative (dims %v)", i, d, dims)
		}
		if d != 0 && n > importer.MaxTensorElements/d {
			return 0, fmt.Errorf("dims %v describe more than %d elements", dims, int64(importer.MaxTensorElements))
		}
		n *= d
	}
	// A zero dimension after a huge prefix is fine: the product is 0.
	return n, nil
}

// decodeTensor converts a TensorProto into a Tensor. where names the tensor
// in error messages.
func (d *decoder) decodeTensor(tp *onnxpb.TensorProto, where string) (*importer.Tensor, error) {
	if err := d.reserveTensor(tp, where); err != nil {
		return nil, err
	}
	return d.convertTensor(tp, where)
}

// reserveTensor checks what can be checked without touching the data (type,
// dims) and takes the tensor's elements from the model's budget. It is the
// sequential half of decodeTensor; convertTensor may then run concurrently.
func (d *decoder) reserveTensor(tp *onnxpb.TensorProto, where string) error {
	dt := importer.DataType(tp.GetDataType())
	if dt.Size() == 0 {
		return invalidf(d.file, where, "element type %s is not supported", onnxTypeName(dt))
	}
	if tp.Segment != nil {
		return invalidf(d.file, where, "segmented tensors are not supported")
	}
	count, err := dimsCount(tp.Dims)
	if err != nil {
		return invalidf(d.file, where, "%v", err)
	}
	if count > d.budget {
		return invalidf(d.file, where, "the model's tensors hold more than %d elements in total", int64(MaxModelElements))
	}
	d.budget -= count
	return nil
}

// convertTensor decodes a tensor reserveTensor accepted. It only reads d's
// immutable fields and the external-file cache (which locks), so several
// may run at once.
func (d *decoder) convertTensor(tp *onnxpb.TensorProto, where string) (*importer.Tensor, error) {
	dt := importer.DataType(tp.GetDataType())
	size := dt.Size()
	count, err := dimsCount(tp.Dims)
	if err != nil || size == 0 {
		return nil, invalidf(d.file, where, "tensor was not checked before decoding")
	}
	shape := make([]int, len(tp.Dims))
	for i, v := range tp.Dims {
		shape[i] = int(v)
	}
	t := &importer.Tensor{DType: dt, Shape: shape}
	n := int(count)
	nbytes := count * int64(size)

	external := tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL
	typed := len(tp.FloatData) + len(tp.Int32Data) + len(tp.Int64Data) + len(tp.DoubleData) +
		len(tp.Uint64Data) + len(tp.StringData)
	switch {
	case external:
		if tp.RawData != nil || typed != 0 {
			return nil, invalidf(d.file, where, "data_location is EXTERNAL but the tensor also holds data inline")
		}
		raw, err := d.readExternal(tp, nbytes, where)
		if err != nil {
			return nil, err
		}
		if err := d.fromRaw(t, raw, n, where); err != nil {
			return nil, err
		}
	case tp.RawData != nil:
		if typed != 0 {
			return nil, invalidf(d.file, where, "tensor holds both raw_data and typed data")
		}
		if int64(len(tp.RawData)) != nbytes {
			return nil, invalidf(d.file, where, "raw_data has %d bytes, dims %v of %s need %d",
				len(tp.RawData), tp.Dims, onnxTypeName(dt), nbytes)
		}
		if err := d.fromRaw(t, tp.RawData, n, where); err != nil {
			return nil, err
		}
	default:
		if err := d.fromTyped(t, tp, n, where); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// fromRaw decodes n little-endian elements of t.DType from raw (whose length
// the caller has checked) into t.Float or t.Int.
// hostLittleEndian is true on little-endian hosts, where float32 raw_data
// can be copied as is.
var hostLittleEndian = encbin.NativeEndian.Uint16([]byte{1, 0}) == 1

func (d *decoder) fromRaw(t *importer.Tensor, raw []byte, n int, where string) error {
	le := encbin.LittleEndian
	switch t.DType {
	case importer.Float:
		f := make([]float32, n)
		raw = raw[:4*n]
		if hostLittleEndian && n > 0 {
			// ONNX raw_data is little-endian IEEE 754, the host's own
			// layout: one memmove instead of a decode per element (the
			// weights of a large model are most of its load time).
			copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*n), raw)
		} else {
			for i := range f {
				f[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			}
		}
		t.Float = f
	case importer.Double:
		f := make([]float32, n)
		raw = raw[:8*n]
		for i := range f {
			f[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
		t.Float = f
	case importer.Float16:
		f := make([]float32, n)
		raw = raw[:2*n]
		for i := range f {
			f[i] = f16ToF32(le.Uint16(raw[2*i:]))
		}
		t.Float = f
	case importer.BFloat16:
		f := make([]float32, n)
		raw = raw[:2*n]
		for i := range f {
			f[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
		t.Float = f
	case importer.Uint8:
		v := make([]int64, n)
		for i, b := range raw[:n] {
			v[i] = int64(b)
		}
		t.Int = v
	case importer.Int8:
		v := make([]int64, n)
		for i, b := range raw[:n] {
			v[i] = int64(int8(b))
		}
		t.Int = v
	case importer.Bool:
		v := make([]int64, n)
		for i, b := range raw[:n] {
			if b != 0 {
				v[i] = 1
			}
		}
		t.Int = v
	case importer.Uint16:
		v := make([]int64, n)
		raw = raw[:2*n]
		for i := range v {
			v[i] = int64(le.Uint16(raw[2*i:]))
		}
		t.Int = v
	case importer.Int16:
		v := make([]int64, n)
		raw = raw[:2*n]
		for i := range v {
			v[i] = int64(int16(le.Uint16(raw[2*i:])))
		}
		t.Int = v
	case importer.Int32:
		v := make([]int64, n)
		raw = raw[:4*n]
		for i := range v {
			v[i] = int64(int32(le.Uint32(raw[4*i:])))
		}
		t.Int = v
	case importer.Uint32:
		v := make([]int64, n)
		raw = raw[:4*n]
		for i := range v {
			v[i] = int64(le.Uint32(raw[4*i:]))
		}
		t.Int = v
	case importer.Int64:
		v := make([]int64, n)
		raw = raw[:8*n]
		for i := range v {
			v[i] = int64(le.Uint64(raw[8*i:]))
		}
		t.Int = v
	case importer.Uint64:
		v := make([]int64, n)
		raw = raw[:8*n]
		for i := range v {
			u := le.Uint64(raw[8*i:])
			if u > math.MaxInt64 {
				return invalidf(d.file, where, "UINT64 value %d at index %d does not fit in int64", u, i)
			}
			v[i] = int64(u)
		}
		t.Int = v
	default:
		return invalidf(d.file, where, "element type %s is not supported", onnxTypeName(t.DType))
	}
	return nil
}

// fromTyped decodes the typed repeated field ONNX uses for t.DType. The
// decoded protobuf message is discarded after loading, so float_data and
// int64_data are adopted without copying.
func (d *decoder) fromTyped(t *importer.Tensor, tp *onnxpb.TensorProto, n int, where string) error {
	check := func(field string, got int) error {
		if got != n {
			return invalidf(d.file, where, "%s has %d values, dims %v of %s need %d", field, got, tp.Dims, onnxTypeName(t.DType), n)
		}
		return nil
	}
	switch t.DType {
	case importer.Float:
		if err := check("float_data", len(tp.FloatData)); err != nil {
			return err
		}
		t.Float = tp.FloatData
		if t.Float == nil {
			t.Float = []float32{}
		}
	case importer.Double:
		if err := check("double_data", len(tp.DoubleData)); err != nil {
			return err
		}
		f := make([]float32, n)
		for i, v := range tp.DoubleData {
			f[i] = float32(v)
		}
		t.Float = f
	case importer.Float16, importer.BFloat16:
		// ONNX stores the 16-bit patterns in the low bits of int32_data.
		if err := check("int32_data", len(tp.Int32Data)); err != nil {
			return err
		}
		f := make([]float32, n)
		for i, v := range tp.Int32Data {
			if t.DType == importer.Float16 {
				f[i] = f16ToF32(uint16(v))
			} else {
				f[i] = math.Float32frombits(uint32(uint16(v)) << 16)
			}
		}
		t.Float = f
	case importer.Int64:
		if err := check("int64_data", len(tp.Int64Data)); err != nil {
			return err
		}
		t.Int = tp.Int64Data
		if t.Int == nil {
			t.Int = []int64{}
		}
	case importer.Int32, importer.Int16, importer.Int8, importer.Uint16, importer.Uint8, importer.Bool:
		if err := check("int32_data", len(tp.Int32Data)); err != nil {
			return err
		}
		v := make([]int64, n)
		for i, x := range tp.Int32Data {
			switch t.DType {
			case importer.Bool:
				if x != 0 {
					v[i] = 1
				}
			case importer.Int8:
				v[i] = int64(int8(x))
			case importer.Uint8:
				v[i] = int64(uint8(x))
			case importer.Int16:
				v[i] = int64(int16(x))
			case importer.Uint16:
				v[i] = int64(uint16(x))
			default:
				v[i] = int64(x)
			}
		}
		t.Int = v
	case importer.Uint32, importer.Uint64:
		if err := check("uint64_data", len(tp.Uint64Data)); err != nil {
			return err
		}
		v := make([]int64, n)
		for i, u := range tp.Uint64Data {
			if t.DType == importer.Uint32 {
				u = uint64(uint32(u))
			}
			if u > math.MaxInt64 {
				return invalidf(d.file, where, "UINT64 value %d at index %d does not fit in int64", u, i)
			}
			v[i] = int64(u)
		}
		t.Int = v
	default:
		return invalidf(d.file, where, "element type %s is not supported", onnxTypeName(t.DType))
	}
	return nil
}

// f16ToF32 converts an IEEE 754 binary16 bit pattern to float32 exactly
// (every half value, subnormals included, is representable as float32).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // Inf or NaN: keep the payload.
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		// Zero or subnormal: mant × 2^-24, exact in float32.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	// Normal: rebias the exponent from 15 to 127.
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// f32ToF16 converts f to the nearest binary16 (round to nearest even),
// overflowing to infinity and keeping NaN a NaN.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 // quiet NaN
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal or zero in half precision.
		if e < -10 {
			return sign
		}
		m := mant | 0x800000 // implicit leading 1
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is the correct rounding
	}
	return sign | uint16(r)
}

// f32ToBF16 rounds f to bfloat16 (round to nearest even).
func f32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7f800000 == 0x7f800000 && b&0x7fffff != 0 {
		return uint16(b>>16) | 0x40 // quiet NaN
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
