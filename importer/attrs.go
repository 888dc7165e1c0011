package importer

import "fmt"

// Attribute accessors. Each checks the attribute kind, so that a model with,
// say, a float where an int list belongs gets an error naming the attribute
// instead of a silent default. Absent attributes give the default (or nil).

// Attr returns the attribute called name, nil when the node has none.
func (n *Node) Attr(name string) *Attr {
	if n.Attrs == nil {
		return nil
	}
	return n.Attrs[name]
}

// AttrInt returns an int attribute, def when absent.
func (n *Node) AttrInt(name string, def int64) (int64, error) {
	a := n.Attr(name)
	if a == nil {
		return def, nil
	}
	if a.Kind != AttrInt {
		return 0, fmt.Errorf("attribute %s: want an int, have kind %d", name, a.Kind)
	}
	return a.I, nil
}

// AttrFloat returns a float attribute, def when absent.
func (n *Node) AttrFloat(name string, def float32) (float32, error) {
	a := n.Attr(name)
	if a == nil {
		return def, nil
	}
	if a.Kind != AttrFloat {
		return 0, fmt.Errorf("attribute %s: want a float, have kind %d", name, a.Kind)
	}
	return a.F, nil
}

// AttrString returns a string attribute, def when absent.
func (n *Node) AttrString(name, def string) (string, error) {
	a := n.Attr(name)
	if a == nil {
		return def, nil
	}
	if a.Kind != AttrString {
		return "", fmt.Errorf("attribute %s: want a string, have kind %d", name, a.Kind)
	}
	return a.S, nil
}

// AttrInts returns an int list attribute, nil when absent.
func (n *Node) AttrInts(name string) ([]int64, error) {
	a := n.Attr(name)
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

// AttrFloats returns a float list attribute, nil when absent.
func (n *Node) AttrFloats(name string) ([]float32, error) {
	a := n.Attr(name)
	if a == nil {
		return nil, nil
	}
	if a.Kind != AttrFloats {
		return nil, fmt.Errorf("attribute %s: want a list of floats, have kind %d", name, a.Kind)
	}
	return a.Floats, nil
}

// AttrTensor returns a tensor attribute, nil when absent.
func (n *Node) AttrTensor(name string) (*Tensor, error) {
	a := n.Attr(name)
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

// AttrSmallInts is AttrInts converted to int, refusing values beyond ±2^31
// (sizes, axes, pads: larger ones could only overflow later arithmetic).
func (n *Node) AttrSmallInts(name string) ([]int, error) {
	v, err := n.AttrInts(name)
	if err != nil {
		return nil, err
	}
	return smallInts(name, v)
}
