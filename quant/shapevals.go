package quant

import (
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// Shape arithmetic. PyTorch exports compute some op arguments from the
// shapes of activations (Shape → Slice/Gather → Concat → Resize sizes).
// Every per-sample shape is static in the integer program, so such a chain
// is no integer op: it is folded. The values come from the float
// interpreter's symbolic shape inference (the one definition of every op's
// shape rule), with the batch dimension kept as a symbol.

// shapeValues returns the inferred shapes and shape values of the graph
// (computed once per build).
func (b *builder) shapeValues() map[string]*interp.ValueShape {
	if b.shapes == nil {
		s, err := interp.InferShapes(b.g, b.p.opset)
		if err != nil || s == nil {
			s = map[string]*interp.ValueShape{}
		}
		b.shapes = s
	}
	return b.shapes
}

// isShapeArithmetic reports a node whose every output is a small integer
// tensor with values inferred from shapes: it is folded, not built.
func (b *builder) isShapeArithmetic(n *importer.Node) bool {
	shapes := b.shapeValues()
	outs := 0
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		s := shapes[o]
		if s == nil || s.Vals == nil || s.DType.IsFloat() {
			return false
		}
		outs++
	}
	return outs > 0
}

// constDims returns the values of an integer argument: an initializer, or
// a value inferred from shapes (batch-dependent entries are symbols); ok is
// false when some entry is unknown.
func (b *builder) constDims(name string) (dims []importer.Dim, ok bool) {
	if t := b.g.Initializers[name]; t != nil {
		if t.DType.IsFloat() {
			return nil, false
		}
		for _, v := range t.Int {
			dims = append(dims, importer.Dim{Value: v})
		}
		return dims, true
	}
	s := b.shapeValues()[name]
	if s == nil || s.Vals == nil {
		return nil, false
	}
	for _, d := range s.Vals {
		if interp.IsUnknownDim(d) {
			return nil, false
		}
	}
	return s.Vals, true
}

// batchDim is the graph inputs' batch dimension as the shape inference
// names it.
func (b *builder) batchDim() (importer.Dim, bool) {
	s := b.shapeValues()[b.p.inputNames[0]] // every input shares the batch
	if s == nil || !s.Known || len(s.Dims) == 0 {
		return importer.Dim{}, false
	}
	return s.Dims[0], true
}
