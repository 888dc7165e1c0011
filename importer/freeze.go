package importer

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ErrBadConstant is wrapped by every error FreezeInputs returns: a constant
// for an input the graph does not have, or whose type or shape the input
// does not declare.
var ErrBadConstant = errors.New("bad constant for a graph input")

// ConstantError is the error of FreezeInputs about one input, so a caller
// can name where its constant came from. It wraps ErrBadConstant.
type ConstantError struct {
	Input string // the input's name
	Msg   string // what is wrong
}

func (e *ConstantError) Error() string {
	return fmt.Sprintf("%v: input %q%s", ErrBadConstant, e.Input, e.Msg)
}

func (e *ConstantError) Unwrap() error { return ErrBadConstant }

// constErr is a ConstantError about input, its message formatted.
func constErr(input, format string, args ...any) error {
	return &ConstantError{Input: input, Msg: fmt.Sprintf(format, args...)}
}

// FreezeInputs returns a copy of m in which each graph input named in
// consts is no longer an input but a constant initializer holding the given
// tensor. Many models pass a parameter as a graph input (a Resize's scales,
// a Reshape's shape, a Slice's starts, a Clip's bound) that is fixed in
// practice; frozen, it is a constant to shape folding and to everything
// downstream, exactly as if the model had been exported with it. m is not
// modified; the tensors are shared, not copied.
//
// A constant must have the input's declared element type (or another
// float type for a float input, or whole numbers in the declared integer
// type's range: NumPy saves float64 and int64 by default), its declared
// rank and every fixed dimension it declares. Errors name the input.
func FreezeInputs(m *Model, consts map[string]*Tensor) (*Model, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("%w: no model graph", ErrBadConstant)
	}
	if len(consts) == 0 {
		return m, nil
	}
	g := m.Graph
	for _, name := range slices.Sorted(maps.Keys(consts)) {
		i := slices.IndexFunc(g.Inputs, func(in ValueInfo) bool { return in.Name == name })
		if i < 0 {
			names := make([]string, len(g.Inputs))
			for j, in := range g.Inputs {
				names[j] = strconv.Quote(in.Name)
			}
			return nil, constErr(name, ": the model has no such input (its inputs: %s)", strings.Join(names, ", "))
		}
		if err := fitsInput(g.Inputs[i], consts[name]); err != nil {
			return nil, err
		}
	}
	c := m.Clone()
	c.Graph.Inputs = slices.DeleteFunc(c.Graph.Inputs, func(in ValueInfo) bool { return consts[in.Name] != nil })
	c.Graph.Initializers = maps.Clone(g.Initializers)
	if c.Graph.Initializers == nil {
		c.Graph.Initializers = map[string]*Tensor{}
	}
	for _, in := range g.Inputs {
		if t := consts[in.Name]; t != nil {
			if in.DType != Undefined && t.DType != in.DType {
				t = &Tensor{DType: in.DType, Shape: t.Shape, Float: t.Float, Int: t.Int}
			}
			c.Graph.Initializers[in.Name] = t
		}
	}
	return c, nil
}

// fitsInput checks a constant against the declared type and shape of the
// input it replaces.
func fitsInput(in ValueInfo, t *Tensor) error {
	if t == nil {
		return constErr(in.Name, ": no tensor")
	}
	if t.Len() != len(t.Float)+len(t.Int) || (t.Float != nil && t.Int != nil) {
		return constErr(in.Name, ": the constant of shape %v holds %d values", t.Shape, len(t.Float)+len(t.Int))
	}
	if in.DType != Undefined && t.DType != in.DType && !convertible(t, in.DType) {
		return constErr(in.Name, " is %v, the constant is %v", in.DType, t.DType)
	}
	if in.Shape == nil {
		return nil // rank unknown: anything goes
	}
	if len(t.Shape) != len(in.Shape) {
		return constErr(in.Name, " has shape %s (rank %d), the constant has shape %v", FormatDims(in.Shape), len(in.Shape), t.Shape)
	}
	for i, d := range in.Shape {
		if d.Value > 0 && int64(t.Shape[i]) != d.Value {
			return constErr(in.Name, " has shape %s, the constant has shape %v (dimension %d)", FormatDims(in.Shape), t.Shape, i)
		}
	}
	return nil
}

// convertible reports whether t's values are values of type dt as they
// are: floats of another precision for a float type, or whole numbers
// within the range of an integer or bool type.
func convertible(t *Tensor, dt DataType) bool {
	switch {
	case dt.IsFloat():
		return t.DType.IsFloat()
	case dt.IsWhole() && t.DType.IsWhole():
		lo, hi := dt.IntRange()
		for _, v := range t.Int {
			if v < lo || v > hi {
				return false
			}
		}
		return true
	}
	return false
}
