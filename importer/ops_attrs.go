package importer

import "fmt"

// Attribute accessors used by the op compilers. Each checks the attribute
// kind, so that a model with, say, a float where an int list belongs gets an
// error naming the attribute instead of a silent default.

func attr(n *Node, name string) *Attr {
	if n.Attrs == nil {
		return nil
	}
	return n.Attrs[name]
}

func attrInt(n *Node, name string, def int64) (int64, error) {
	a := attr(n, name)
	if a == nil {
		return def, nil
	}
	if a.Kind != AttrInt {
		return 0, fmt.Errorf("attribute %s: want an int, have kind %d", name, a.Kind)
	}
	return a.I, nil
}

func attrFloat(n *Node, name string, def float32) (float32, error) {
	a := attr(n, name)
	if a == nil {
		return def, nil
	}
	if a.Kind != AttrFloat {
		return 0, fmt.Errorf("attribute %s: want a float, have kind %d", name, a.Kind)
	}
	return a.F, nil
}

func attrString(n *Node, name, def string) (string, error) {
	a := attr(n, name)
	if a == nil {
		return def, nil
	}
	if a.Kind != AttrString {
		return "", fmt.Errorf("attribute %s: want a string, have kind %d", name, a.Kind)
	}
	return a.S, nil
}

// attrInts returns an int list attribute, nil when absent.
func attrInts(n *Node, name string) ([]int64, error) {
	a := attr(n, name)
	if a == nil {
		return nil, nil
	}
	if a.Kind != AttrInts {
		// Some exporters write a one-element list as a plain int.
		if a.Kind == AttrInt {
			return []int64{a.I}, nil
		}
		return nil, fmt.Errorf("attribute %s: want a list of ints, have kind %d", name, a.Kind)
	}
	return a.Ints, nil
}

func attrFloats(n *Node, name string) ([]float32, error) {
	a := attr(n, name)
	if a == nil {
		return nil, nil
	}
	if a.Kind != AttrFloats {
		return nil, fmt.Errorf("attribute %s: want a list of floats, have kind %d", name, a.Kind)
	}
	return a.Floats, nil
}

func attrTensor(n *Node, name string) (*Tensor, error) {
	a := attr(n, name)
	if a == nil {
		return nil, nil
	}
	if a.Kind != AttrTensor || a.T == nil {
		return nil, fmt.Errorf("attribute %s: want a tensor, have kind %d", name, a.Kind)
	}
	return a.T, nil
}

// smallInts converts int64 attribute values to int, rejecting values beyond
// ±2^31 that could only make later size arithmetic overflow.
func smallInts(name string, v []int64) ([]int, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x > 1<<31 || x < -(1<<31) {
			return nil, fmt.Errorf("attribute %s: value %d out of range", name, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// intsAttr is attrInts followed by smallInts.
func intsAttr(n *Node, name string) ([]int, error) {
	v, err := attrInts(n, name)
	if err != nil {
		return nil, err
	}
	return smallInts(name, v)
}

// one returns a kernel result with a single output.
func one(t *Tensor) []*Tensor { return []*Tensor{t} }

// needFloat checks that input i is a float tensor.
func needFloat(t *Tensor, what string) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	if !t.IsFloat() {
		return fmt.Errorf("%s must be a float tensor, have %s", what, t)
	}
	return nil
}

// intList reads a 1-D (or scalar) integer tensor used as shape, axes, pads...
func intList(t *Tensor, what string) ([]int64, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("%s must be 1-D, have shape %v", what, t.Shape)
	}
	if t.IsFloat() {
		return nil, fmt.Errorf("%s must be an integer tensor, have %s", what, t)
	}
	return t.Int, nil
}
