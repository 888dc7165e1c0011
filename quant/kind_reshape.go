package quant

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpReshape: ops that change only the shape: the codes are
// shared, unchanged. A Cast that keeps every code's value (whole numbers to
// a float type: a uint8 image input entering the graph; see kind_cast.go)
// is one too.

func init() {
	registerKind(OpReshape, kindSpec{alias: true, keepsEncoding: true, check: checkReshape, export: exportReshape})
	registerBuilder("Flatten", (*builder).reshape)
	registerBuilder("Reshape", (*builder).reshape)
	registerBuilder("Squeeze", (*builder).reshape)
	registerBuilder("Unsqueeze", (*builder).reshape)
	registerBuilder("Identity", (*builder).reshape)
	registerBuilder("Dropout", (*builder).reshape)
}

func exportReshape(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	out := x.out
	tmp := x.tmp
	shape := []int64{-1}
	for _, d := range out.Shape {
		shape = append(shape, int64(d))
	}
	w.node("Reshape", []string{in, w.int64s(out.Name+"_shape", shape)}, tmp)
	w.fname[op.Out] = tmp
	return nil
}

func checkReshape(x *checkCtx) error {
	in, out := x.in, x.out
	if in.size() != out.size() {
		return fmt.Errorf("input %v output %v", in.Shape, out.Shape)
	}
	if !in.sameEncoding(out) {
		return fmt.Errorf("reshape changes the encoding")
	}
	return nil
}

// reshape handles the layout-only ops: the batch dimension must stay first
// and unchanged.
func (b *builder) reshape(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	if why := dropoutTrains(b.g, n); why != "" {
		b.unsupported(n, why)
		return nil
	}
	vx := b.net.Values[x]
	size := vx.size()
	if b.lead == 0 {
		// quantized at batch 1: every shape is the graph's own, inferred
		return b.reshapeTo(n, x, size)
	}
	var shape []int
	switch n.OpType {
	case "Identity", "Dropout", "Cast": // Cast: one that keeps every code's value (see cast)
		shape = vx.Shape
	case "Flatten":
		axis := int(attrInt(n, "axis", 1))
		if axis < 0 {
			axis += len(vx.Shape) + 1
		}
		if axis != 1 {
			b.unsupported(n, fmt.Sprintf("axis %d folds the batch axis into another (only 1 keeps it apart): %s", axis, b.batchMoveWhy()))
			return nil
		}
		shape = []int{size}
	case "Reshape":
		t, okc := constInts(b.g, n.Inputs[1])
		if !okc || len(t) == 0 {
			b.unsupported(n, "shape is not a constant")
			return nil
		}
		// t[0] is the batch dimension (-1, 0, or the exported batch size).
		rest := slices.Clone(t[1:])
		known, neg := 1, -1
		for i, d := range rest {
			switch {
			case d == 0 && i+1 < len(vx.Shape)+1 && attrInt(n, "allowzero", 0) == 0:
				rest[i] = vx.Shape[i]
				known *= rest[i]
			case d == -1 && neg < 0:
				neg = i
			case d > 0:
				known *= d
			default:
				b.unsupported(n, fmt.Sprintf("target shape %v", t))
				return nil
			}
		}
		if neg >= 0 {
			if known == 0 || size%known != 0 {
				b.unsupported(n, fmt.Sprintf("target shape %v for %v per sample", t, vx.Shape))
				return nil
			}
			rest[neg] = size / known
		}
		if t[0] == -1 && neg >= 0 || t[0] > 1 {
			b.unsupported(n, fmt.Sprintf("target shape %v changes the batch dimension", t))
			return nil
		}
		shape = rest
	case "Squeeze", "Unsqueeze":
		axes := attrInts(n, "axes")
		if axes == nil && len(n.Inputs) > 1 {
			axes, _ = constInts(b.g, n.Inputs[1])
		}
		full := append([]int{-1}, vx.Shape...)
		if n.OpType == "Squeeze" {
			if axes == nil {
				for i, d := range vx.Shape {
					if d == 1 {
						axes = append(axes, i+1)
					}
				}
			}
			drop := map[int]bool{}
			for _, a := range axes {
				if a < 0 {
					a += len(full)
				}
				if a <= 0 || a >= len(full) || full[a] != 1 {
					b.unsupported(n, fmt.Sprintf("axes %v", axes))
					return nil
				}
				drop[a] = true
			}
			for i, d := range full[1:] {
				if !drop[i+1] {
					shape = append(shape, d)
				}
			}
		} else {
			r := len(full) + len(axes)
			ins := map[int]bool{}
			for _, a := range axes {
				if a < 0 {
					a += r
				}
				if a <= 0 || a >= r {
					b.unsupported(n, fmt.Sprintf("axes %v", axes))
					return nil
				}
				ins[a] = true
			}
			j := 1
			for i := 1; i < r; i++ {
				if ins[i] {
					shape = append(shape, 1)
				} else if j < len(full) {
					shape = append(shape, full[j])
					j++
				}
			}
		}
	}
	p := 1
	for _, d := range shape {
		p *= d
	}
	if p != size {
		return fmt.Errorf("quant: %w: %s: %v per sample cannot become %v", importer.ErrInvalidModel, nodeWhere(n), vx.Shape, shape)
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	b.emit(Op{Kind: OpReshape, Name: n.Name, In: []int{x}, Out: v})
	return nil
}

// dtype is the element type of value name in the float graph: the
// declared input type, or what shape inference found.
func (b *builder) dtype(name string) importer.DataType {
	for _, in := range b.g.Inputs {
		if in.Name == name {
			return in.DType
		}
	}
	return b.g.ValueInfo[name].DType
}

// reshapeTo is reshape for a graph quantized at batch 1 (b.lead = 0): the
// output takes the shape the passes inferred for it, which is concrete
// there.
func (b *builder) reshapeTo(n *importer.Node, x, size int) error {
	vi, ok := b.g.ValueInfo[n.Outputs[0]]
	if !ok || vi.Shape == nil {
		b.unsupported(n, "output shape unknown")
		return nil
	}
	shape := make([]int, len(vi.Shape))
	p := 1
	for i, d := range vi.Shape {
		if d.Value <= 0 {
			b.unsupported(n, fmt.Sprintf("output dimension %d is not fixed", i))
			return nil
		}
		shape[i] = int(d.Value)
		p *= shape[i]
	}
	if p != size {
		return fmt.Errorf("quant: %w: %s: %v cannot become %v", importer.ErrInvalidModel, nodeWhere(n), b.net.Values[x].Shape, shape)
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	b.emit(Op{Kind: OpReshape, Name: n.Name, In: []int{x}, Out: v})
	return nil
}

// dropoutTrains says why a Dropout is not the identity ("" when it is):
// its training_mode input (opset 12) is true, or not a constant, with a
// ratio that is not a constant 0. Training masks values at random; run as
// the identity it would be a silent wrong answer.
func dropoutTrains(g *importer.Graph, n *importer.Node) string {
	if n.OpType != "Dropout" || len(n.Inputs) < 3 || n.Inputs[2] == "" {
		return ""
	}
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		if r := g.Initializers[n.Inputs[1]]; r != nil && r.Len() == 1 && r.Floats()[0] == 0 {
			return "" // ratio 0: training keeps every value
		}
	}
	tm := g.Initializers[n.Inputs[2]]
	switch {
	case tm == nil:
		return fmt.Sprintf("training_mode %q is not a constant: training-mode Dropout (random masking) is not supported, only inference", n.Inputs[2])
	case tm.Len() == 1 && tm.Floats()[0] != 0:
		return "training_mode is true: training-mode Dropout (random masking) is not supported, only inference"
	}
	return ""
}
