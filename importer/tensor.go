package importer

import (
	"fmt"
	"math"
	"slices"
)

// MaxTensorElements is the largest element count one tensor may have (2^31-1;
// 8 GiB of float32). The decoder refuses larger tensors, and every shape the
// interpreter computes from model data (Reshape targets, ConstantOfShape,
// Pad, Expand...) is checked against it before anything is allocated, so a
// hostile file cannot request terabytes.
const MaxTensorElements = math.MaxInt32

// NewFloat returns a float32 tensor of the given shape. data is used as is
// when non-nil (its length must equal the shape's element count); nil data
// allocates zeros. It panics on a length mismatch or negative dim, as slicing
// does: callers pass shapes they computed themselves.
func NewFloat(shape []int, data []float32) *Tensor {
	n := NumElements(shape)
	if data == nil {
		data = make([]float32, n)
	} else if len(data) != n {
		panic(fmt.Sprintf("importer.NewFloat: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: Float, Shape: append([]int(nil), shape...), Float: data}
}

// NewInt returns an int64 tensor of the given shape (see NewFloat for data).
func NewInt(shape []int, data []int64) *Tensor {
	n := NumElements(shape)
	if data == nil {
		data = make([]int64, n)
	} else if len(data) != n {
		panic(fmt.Sprintf("importer.NewInt: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), Int: data}
}

// ScalarFloat returns a rank-0 float32 tensor.
func ScalarFloat(v float32) *Tensor { return NewFloat(nil, []float32{v}) }

// ScalarInt returns a rank-0 int64 tensor.
func ScalarInt(v int64) *Tensor { return NewInt(nil, []int64{v}) }

// IsFloat reports whether the tensor's values are held in Float.
func (t *Tensor) IsFloat() bool { return t.DType.IsFloat() }

// Offset returns the row-major offset of the element at idx. It panics when
// idx has the wrong rank or an index is out of range, like slice indexing.
func (t *Tensor) Offset(idx ...int) int {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("importer.Tensor: %d indices for rank %d", len(idx), len(t.Shape)))
	}
	off := 0
	for i, v := range idx {
		if v < 0 || v >= t.Shape[i] {
			panic(fmt.Sprintf("importer.Tensor: index %d out of range [0,%d) in dim %d", v, t.Shape[i], i))
		}
		off = off*t.Shape[i] + v
	}
	return off
}

// At returns the element at idx as float32 (integer tensors are converted).
func (t *Tensor) At(idx ...int) float32 {
	o := t.Offset(idx...)
	if t.IsFloat() {
		return t.Float[o]
	}
	return float32(t.Int[o])
}

// IntAt returns the element at idx as int64 (float tensors are truncated
// toward zero, as a C cast does).
func (t *Tensor) IntAt(idx ...int) int64 {
	o := t.Offset(idx...)
	if t.IsFloat() {
		return int64(t.Float[o])
	}
	return t.Int[o]
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	if t.Float != nil {
		c.Float = append([]float32(nil), t.Float...)
	}
	if t.Int != nil {
		c.Int = append([]int64(nil), t.Int...)
	}
	return c
}

// Floats returns the values as float32, converting integer tensors.
func (t *Tensor) Floats() []float32 {
	if t.IsFloat() {
		return t.Float
	}
	out := make([]float32, len(t.Int))
	for i, v := range t.Int {
		out[i] = float32(v)
	}
	return out
}

// Ints returns the values as int64, truncating float tensors toward zero.
func (t *Tensor) Ints() []int64 {
	if !t.IsFloat() {
		return t.Int
	}
	out := make([]int64, len(t.Float))
	for i, v := range t.Float {
		out[i] = int64(v)
	}
	return out
}

// String gives a short description (type and shape), for error messages.
func (t *Tensor) String() string {
	if t == nil {
		return "<nil tensor>"
	}
	return fmt.Sprintf("%s%v", t.DType, t.Shape)
}

// String names the ONNX element type.
func (t DataType) String() string {
	switch t {
	case Float:
		return "float32"
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Uint16:
		return "uint16"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Int64:
		return "int64"
	case String:
		return "string"
	case Bool:
		return "bool"
	case Float16:
		return "float16"
	case Double:
		return "float64"
	case Uint32:
		return "uint32"
	case Uint64:
		return "uint64"
	case BFloat16:
		return "bfloat16"
	}
	return fmt.Sprintf("dtype(%d)", int32(t))
}

// NumElements is the element count of shape (1 for a scalar). It panics on
// a negative dim; use CheckNumElements for shapes computed from model data.
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("importer: negative dim in shape %v", shape))
		}
		n *= d
	}
	return n
}

// CheckNumElements is the element count of shape, or an error when a dim
// is negative or the count exceeds MaxTensorElements. It never overflows.
func CheckNumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > MaxTensorElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, MaxTensorElements)
		}
		n *= d
	}
	if n > MaxTensorElements {
		return 0, fmt.Errorf("shape %v has more than %d elements", shape, MaxTensorElements)
	}
	return n, nil
}

// Strides returns the row-major strides (in elements) of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// BroadcastShapes returns the shape of numpy-style multidirectional
// broadcasting of the given shapes: shapes are right-aligned, and each dim
// pair must be equal or contain a 1.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case o == d || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v are not broadcastable (dim %d: %d vs %d)", shapes, off+i-rank, o, d)
			}
		}
	}
	return out, nil
}

// WholeValues converts a float tensor of whole numbers to integer type dt
// (a batch of image bytes carried as floats, for a model whose input is
// uint8). A value that is not a whole number in dt's range is an error
// naming its index: it would not survive the conversion.
func WholeValues(t *Tensor, dt DataType) (*Tensor, error) {
	if !dt.IsWhole() {
		return nil, fmt.Errorf("%w: %v is not an integer or bool type", ErrInvalidModel, dt)
	}
	if !t.IsFloat() {
		return nil, fmt.Errorf("%w: %v values given where floats holding whole numbers were expected", ErrInvalidModel, t.DType)
	}
	lo, hi := dt.IntRange()
	out := &Tensor{DType: dt, Shape: slices.Clone(t.Shape), Int: make([]int64, len(t.Float))}
	for i, v := range t.Float {
		f := float64(v)
		if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
			return nil, fmt.Errorf("value %v at index %d is not a whole number in %v's range %d..%d", v, i, dt, lo, hi)
		}
		out.Int[i] = int64(f)
	}
	return out, nil
}

// ArgMaxRows returns the top-1 class of each sample of a float batch
// [N, C, ...]: the index of the largest value of each of the N rows, the
// first one on ties (as numpy's and onnxruntime's argmax).
func ArgMaxRows(t *Tensor) ([]int, error) {
	if t == nil || len(t.Shape) == 0 || t.Shape[0] <= 0 || t.Float == nil || len(t.Float) != t.Len() {
		return nil, fmt.Errorf("argmax: output is not a float batch [N, classes] (%v)", t)
	}
	n := t.Shape[0]
	c := len(t.Float) / n
	if c == 0 {
		return nil, fmt.Errorf("argmax: output shape %v has no classes", t.Shape)
	}
	out := make([]int, n)
	for i := range out {
		row := t.Float[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out, nil
}
