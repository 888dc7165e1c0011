package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// Lowering to the crossbar's one convolution. The integer Linear kind
// computes 2-D convolutions (im2col rows times a K×N weight matrix per
// group). Before calibration, on quant's private copy of the graph, two
// other linear layers are rewritten into it, exactly (ConvTranspose is not
// rewritten: the builder splits it into stride-1 phases,
// kind_convtranspose.go):
//
//   - A 1-D Conv is a 2-D Conv of height 1 between two Reshapes.
//   - A 3-D Conv is a 2-D Conv over the depth taps stacked as channels:
//     the padded input X[C, D, H, W] is gathered into X'[c·k_d + t, z, h, w]
//     = X[c, z·s_d + t·d_d, h, w] for the D_out output depths, the depths are
//     stacked along the height ([C·k_d, D_out·H', W], H' the padded height
//     rounded up to a multiple of the row stride, so that no kept output row
//     reads across two depths), the kernel is the same numbers read as
//     [M, C/g·k_d, k_h, k_w], and the rows of each depth that straddle two
//     are dropped from the output (Pad, Reshape, Slice).
//
// The rewritten Conv keeps the original node (and its output name), so
// placement reports the 1-D or 3-D Conv where it runs: on the crossbars.

// lowerLinears rewrites g's 1-D and 3-D Conv nodes with a constant weight
// and known input shape; others are left for the builder to refuse with a
// reason.
func lowerLinears(g *importer.Graph, opset int64) error {
	l := &lowering{g: g}
	for _, pass := range []struct {
		op    string
		lower func(*importer.Node) (pre, post []*importer.Node, err error)
	}{{"Conv", l.conv1D}, {"Conv", l.conv3D}} {
		var err error
		if l.shapes, err = interp.InferShapes(g, opset); err != nil {
			return err
		}
		var nodes []*importer.Node
		for _, n := range g.Nodes {
			var pre, post []*importer.Node
			if n.OpType == pass.op && n.InDefaultDomain() {
				if pre, post, err = pass.lower(n); err != nil {
					return err
				}
			}
			nodes = append(nodes, pre...)
			nodes = append(nodes, n)
			nodes = append(nodes, post...)
		}
		g.Nodes = nodes
	}
	return nil
}

type lowering struct {
	g      *importer.Graph
	shapes map[string]*interp.ValueShape
	seq    int
}

func (l *lowering) name(n *importer.Node, what string) string {
	l.seq++
	return fmt.Sprintf("%s__%s%d", n.Name, what, l.seq)
}

// spatial returns the per-sample shape of value name ([C, D...]) when it is
// static.
func (l *lowering) spatial(name string) ([]int, bool) {
	s := l.shapes[name]
	if s == nil || !s.Known || len(s.Dims) < 3 {
		return nil, false
	}
	out := make([]int, len(s.Dims)-1)
	for i, d := range s.Dims[1:] {
		if d.Param != "" || d.Value <= 0 {
			return nil, false
		}
		out[i] = int(d.Value)
	}
	return out, true
}

func (l *lowering) ints(n *importer.Node, what string, v ...int64) string {
	name := l.name(n, what)
	l.g.Initializers[name] = importer.NewInt([]int{len(v)}, v)
	return name
}

func (l *lowering) node(n *importer.Node, op string, in []string, what string) *importer.Node {
	return &importer.Node{Name: l.name(n, what), OpType: op, Inputs: in,
		Outputs: []string{l.name(n, what+"_out")}, Attrs: map[string]*importer.Attr{}}
}

func intsAttr(name string, v []int) *importer.Attr {
	a := &importer.Attr{Name: name, Kind: importer.AttrInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

// conv1D rewrites a 1-D Conv n into a 2-D Conv of height 1, returning the
// reshapes to run before and after it.
func (l *lowering) conv1D(n *importer.Node) (pre, post []*importer.Node, err error) {
	if len(n.Inputs) < 2 {
		return nil, nil, nil
	}
	w := l.g.Initializers[n.Inputs[1]]
	in, ok := l.spatial(n.Inputs[0])
	if w == nil || !ok || len(in) != 2 || len(w.Shape) != 3 {
		return nil, nil, nil
	}
	y := n.Outputs[0]
	ys, ok := l.spatial(y)
	if !ok || len(ys) != 2 {
		return nil, nil, nil
	}
	r1 := l.node(n, "Reshape", []string{n.Inputs[0], l.ints(n, "rows", 0, int64(in[0]), 1, int64(in[1]))}, "rows")
	nw := &importer.Tensor{DType: w.DType, Shape: []int{w.Shape[0], w.Shape[1], 1, w.Shape[2]}, Float: w.Float, Int: w.Int}
	wname := l.name(n, "weight")
	l.g.Initializers[wname] = nw
	attrs := map[string]*importer.Attr{}
	for k, a := range n.Attrs {
		attrs[k] = a
	}
	for _, name := range []string{"kernel_shape", "strides", "dilations"} {
		if a := n.Attrs[name]; a != nil && len(a.Ints) == 1 {
			def := int64(1)
			attrs[name] = &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: []int64{def, a.Ints[0]}}
		}
	}
	if a := n.Attrs["pads"]; a != nil && len(a.Ints) == 2 {
		attrs["pads"] = &importer.Attr{Name: "pads", Kind: importer.AttrInts, Ints: []int64{0, a.Ints[0], 0, a.Ints[1]}}
	}
	n.Inputs = append([]string{r1.Outputs[0], wname}, n.Inputs[2:]...)
	n.Attrs = attrs
	conv := l.name(n, "conv2d")
	n.Outputs = []string{conv}
	r2 := &importer.Node{Name: l.name(n, "unrows"), OpType: "Reshape", Attrs: map[string]*importer.Attr{},
		Inputs: []string{conv, l.ints(n, "cols", 0, int64(ys[0]), int64(ys[1]))}, Outputs: []string{y}}
	return []*importer.Node{r1}, []*importer.Node{r2}, nil
}

// conv3D rewrites a 3-D Conv n into a 2-D Conv over stacked depth taps,
// returning the copies to run before and after it.
func (l *lowering) conv3D(n *importer.Node) (pre, post []*importer.Node, err error) {
	if len(n.Inputs) < 2 {
		return nil, nil, nil
	}
	w := l.g.Initializers[n.Inputs[1]]
	in, ok := l.spatial(n.Inputs[0])
	if w == nil || !ok || len(in) != 4 || len(w.Shape) != 5 {
		return nil, nil, nil
	}
	group := int(attrInt(n, "group", 1))
	geo, err := interp.NodeWindowND(n, in[0], in[1:], w.Shape[2:], group)
	if err != nil {
		return nil, nil, fmt.Errorf("quant: %w: %s: %v", importer.ErrInvalidModel, nodeWhere(n), err)
	}
	c, m := in[0], w.Shape[0]
	d, h, wd := geo.Axes[0], geo.Axes[1], geo.Axes[2]
	hp := h.In + h.PadBegin + h.PadEnd
	extra := (h.Stride - hp%h.Stride) % h.Stride
	hp += extra
	x := n.Inputs[0]
	if d.PadBegin+d.PadEnd+h.PadBegin+h.PadEnd+extra+wd.PadBegin+wd.PadEnd > 0 {
		p := l.node(n, "Pad", []string{x, l.ints(n, "pads", 0, 0, int64(d.PadBegin), int64(h.PadBegin), int64(wd.PadBegin),
			0, 0, int64(d.PadEnd), int64(h.PadEnd+extra), int64(wd.PadEnd))}, "pad")
		pre = append(pre, p)
		x = p.Outputs[0]
	}
	taps := make([]int64, 0, d.Out*d.Kernel)
	for z := 0; z < d.Out; z++ {
		for t := 0; t < d.Kernel; t++ {
			taps = append(taps, int64(z*d.Stride+t*d.Dil))
		}
	}
	tapsName := l.name(n, "depths")
	l.g.Initializers[tapsName] = importer.NewInt([]int{d.Out, d.Kernel}, taps)
	gather := l.node(n, "Gather", []string{x, tapsName}, "depths")
	gather.Attrs["axis"] = &importer.Attr{Name: "axis", Kind: importer.AttrInt, I: 2}
	tr := l.node(n, "Transpose", []string{gather.Outputs[0]}, "tapsfirst")
	tr.Attrs["perm"] = &importer.Attr{Name: "perm", Kind: importer.AttrInts, Ints: []int64{0, 1, 3, 2, 4, 5}}
	stack := l.node(n, "Reshape", []string{tr.Outputs[0],
		l.ints(n, "stacked", 0, int64(c*d.Kernel), int64(d.Out*hp), int64(wd.In+wd.PadBegin+wd.PadEnd))}, "stack")
	pre = append(pre, gather, tr, stack)

	wname := l.name(n, "weight")
	l.g.Initializers[wname] = &importer.Tensor{DType: w.DType, Float: w.Float, Int: w.Int,
		Shape: []int{m, w.Shape[1] * w.Shape[2], w.Shape[3], w.Shape[4]}}
	y := n.Outputs[0]
	conv := l.name(n, "conv2d")
	n.Inputs = append([]string{stack.Outputs[0], wname}, n.Inputs[2:]...)
	n.Outputs = []string{conv}
	n.Attrs = map[string]*importer.Attr{
		"kernel_shape": intsAttr("kernel_shape", []int{h.Kernel, wd.Kernel}),
		"strides":      intsAttr("strides", []int{h.Stride, wd.Stride}),
		"dilations":    intsAttr("dilations", []int{h.Dil, wd.Dil}),
		"group":        {Name: "group", Kind: importer.AttrInt, I: int64(group)},
	}
	// Rows: (D_out·H' - ext_h)/s_h + 1 computed, D_out·H'/s_h wanted; the
	// first H_out of each depth's H'/s_h rows are the output.
	ext := (h.Kernel-1)*h.Dil + 1
	rows := (d.Out*hp-ext)/h.Stride + 1
	perDepth := hp / h.Stride
	fill := l.node(n, "Pad", []string{conv, l.ints(n, "rowpads", 0, 0, 0, 0, 0, 0, int64(d.Out*perDepth-rows), 0)}, "rows")
	split := l.node(n, "Reshape", []string{fill.Outputs[0], l.ints(n, "depthrows", 0, int64(m), int64(d.Out), int64(perDepth), int64(wd.Out))}, "split")
	keep := &importer.Node{Name: l.name(n, "keep"), OpType: "Slice", Attrs: map[string]*importer.Attr{},
		Inputs:  []string{split.Outputs[0], l.ints(n, "s", 0), l.ints(n, "e", int64(h.Out)), l.ints(n, "a", 3)},
		Outputs: []string{y}}
	return pre, []*importer.Node{fill, split, keep}, nil
}
