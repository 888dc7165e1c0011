package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// The integer op kind OpGather: ops that only move codes. Every output code
// is a copy of one input code of the same sample, or a fill code (constant
// padding): Slice, Split, Pad (constant, edge, reflect), Gather and
// GatherElements with constant indices, DepthToSpace, SpaceToDepth, Tile, Expand, and the
// interleaving of a ConvTranspose's phase outputs (kind_convtranspose.go).
// With several inputs (all of one encoding) the index map reads the
// concatenation of one sample's codes of every input, in order. The
// encoding is the input's; nothing is computed.
//
// The index map is not written here a second time: the builder runs the
// float interpreter's own kernel of the node on a tensor of code positions
// (element i holds i) and reads where each output element came from. Running
// it on two samples proves that no output mixes samples (the batch axis is
// left alone), and a fill marker of -1 in place of the padding value marks
// the padded positions.

func init() {
	registerKind(OpGather, kindSpec{inputs: -1, keepsEncoding: true, exec: execGather, check: checkGather, export: exportGather,
		traffic: gatherTraffic})
	for _, op := range []string{"Slice", "Split", "Pad", "Gather", "GatherElements", "DepthToSpace", "SpaceToDepth", "Tile", "Expand"} {
		registerBuilder(op, (*builder).gather)
	}
}

// gatherTraffic: a copy reads the input codes its map names (a Slice reads
// only what it keeps) and writes every output code; fill codes are written,
// not read.
func gatherTraffic(n *Network, op *Op) (read, write int64) {
	b := int64(n.Values[op.Out].Bits)
	for _, j := range op.Table {
		if j >= 0 {
			read += b
		}
	}
	return read, n.bits(op.Out)
}

// gatherFill is the fill code of op (0 when the map has no fill).
func gatherFill(op *Op) int32 {
	if len(op.Bias) == 1 {
		return op.Bias[0]
	}
	return 0
}

func execGather(x *execCtx) error {
	op := x.op
	per := x.outV.size()
	fill := gatherFill(op)
	src := x.vals[op.In[0]]
	inPer := x.n.Values[op.In[0]].size()
	var joined []int32
	if len(op.In) > 1 {
		inPer = x.n.gatherInputs(op)
		joined = make([]int32, inPer)
	}
	for s := 0; s < x.bs; s++ {
		var in []int32
		if joined == nil {
			in = src[s*inPer : (s+1)*inPer]
		} else {
			pos := 0
			for _, vi := range op.In {
				vp := x.n.Values[vi].size()
				pos += copy(joined[pos:], x.vals[vi][s*vp:(s+1)*vp])
			}
			in = joined
		}
		out := x.out[s*per : (s+1)*per]
		for i, j := range op.Table {
			if j < 0 {
				out[i] = fill
			} else {
				out[i] = in[j]
			}
		}
	}
	return nil
}

// gatherInputs is the number of codes per sample the index map of op
// reads: those of all its inputs.
func (n *Network) gatherInputs(op *Op) int {
	t := 0
	for _, vi := range op.In {
		t += n.Values[vi].size()
	}
	return t
}

func checkGather(x *checkCtx) error {
	op := x.op
	out := x.out
	for _, vi := range op.In {
		if in := &x.n.Values[vi]; !in.sameEncoding(out) {
			return fmt.Errorf("a copy changes the encoding")
		}
	}
	if len(op.Table) != out.size() {
		return fmt.Errorf("index map of %d entries for %d output codes", len(op.Table), out.size())
	}
	if len(op.Bias) > 1 {
		return fmt.Errorf("%d fill codes", len(op.Bias))
	}
	if f := gatherFill(op); f < x.olo || f > x.ohi {
		return fmt.Errorf("fill code %d outside the value's codes", f)
	}
	n := int32(x.n.gatherInputs(op))
	for _, j := range op.Table {
		if j < -1 || j >= n {
			return fmt.Errorf("index %d outside the %d input codes", j, n)
		}
	}
	return nil
}

// exportGather writes the copy as ONNX: each input's sample flattened (and
// concatenated when there are several), one fill element appended, a Gather
// by the index map (fill positions point at the appended element) and the
// output shape restored.
func exportGather(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.n.Values[op.In[0]]
	flat := w.name(x.out.Name + "_flat")
	var flats []string
	for i, vi := range op.In {
		src := w.fname[vi]
		if i == 0 {
			src = x.in
		}
		f := w.name(fmt.Sprintf("%s_flat%d", x.out.Name, i))
		w.node("Reshape", []string{src, w.int64s(fmt.Sprintf("%s_flatshape%d", x.out.Name, i), []int64{-1, int64(x.n.Values[vi].size())})}, f)
		flats = append(flats, f)
	}
	if len(flats) == 1 {
		flat = flats[0]
	} else {
		w.node("Concat", flats, flat, attrI("axis", 1))
	}
	padded := w.name(x.out.Name + "_padded")
	fill := w.floats(x.out.Name+"_fill", nil, []float32{float32(gatherFill(op)) * float32(in.Scale)})
	w.node("Pad", []string{flat, w.int64s(x.out.Name+"_pads", []int64{0, 0, 0, 1}), fill}, padded)
	idx := make([]int64, len(op.Table))
	for i, j := range op.Table {
		idx[i] = int64(j)
		if j < 0 {
			idx[i] = int64(x.n.gatherInputs(op))
		}
	}
	g := w.name(x.out.Name + "_gathered")
	w.node("Gather", []string{padded, w.int64s(x.out.Name+"_index", idx)}, g, attrI("axis", 1))
	shape := []int64{-1}
	for _, d := range x.out.Shape {
		shape = append(shape, int64(d))
	}
	w.node("Reshape", []string{g, w.int64s(x.out.Name+"_shape", shape)}, x.tmp)
	w.fname[op.Out] = x.tmp
	return nil
}

// gather builds one OpGather per output of a code-moving node.
func (b *builder) gather(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	if b.lead == 1 {
		if why := b.selectsBatch(n, len(vx.Shape)+1); why != "" {
			b.unsupported(n, why)
			return nil
		}
	}
	maps, shapes, fill, why := b.indexMaps(n, vx.Shape)
	if why != "" {
		b.unsupported(n, why)
		return nil
	}
	var fillCode []int32
	if fill != nil {
		lo, hi := vx.Range()
		c := int32(lo) // -inf pads (max pooling) become the lowest code
		if !math.IsInf(*fill, -1) {
			c = clamp32(roundSat32(*fill/vx.Scale), lo, hi)
		}
		fillCode = []int32{c}
	}
	for i, out := range n.Outputs {
		if out == "" {
			continue
		}
		v := b.aliasValue(out, x, shapes[i])
		op := Op{Kind: OpGather, Name: n.Name, In: []int{x}, Out: v, Table: maps[i]}
		if fillCode != nil && hasFill(maps[i]) {
			op.Bias = fillCode
		}
		b.emit(op)
	}
	return nil
}

func hasFill(m []int32) bool {
	for _, j := range m {
		if j < 0 {
			return true
		}
	}
	return false
}

// selectsBatch says why a Slice, Gather or Split of a value of the given
// rank (batch axis included) picks along the batch axis ("" when it does
// not). The index map run on two samples cannot see it: slicing 0:3, or
// gathering indices [0 1], keeps two samples whole but not twenty, and the
// integer program runs every sample on its own.
func (b *builder) selectsBatch(n *importer.Node, rank int) string {
	isBatch := func(axis int) bool { return axis == 0 || axis == -rank }
	switch n.OpType {
	case "Gather", "Split":
		if isBatch(int(attrInt(n, "axis", 0))) {
			return "axis 0 is the batch axis: the integer model runs every sample on its own"
		}
	case "Slice":
		var starts, ends, axes, steps []int
		if a := n.Attrs["starts"]; a != nil { // opset < 10: attributes
			starts, ends = int64sToInts(a.Ints), attrInts(n, "ends")
			axes = attrInts(n, "axes")
		} else {
			input := func(i int) []int {
				if i < len(n.Inputs) && n.Inputs[i] != "" {
					v, _ := constInts(b.g, n.Inputs[i])
					return v
				}
				return nil
			}
			starts, ends, axes, steps = input(1), input(2), input(3), input(4)
		}
		for i := range starts {
			axis := i
			if axes != nil {
				if i >= len(axes) {
					break
				}
				axis = axes[i]
			}
			if !isBatch(axis) || i >= len(ends) {
				continue
			}
			step := 1
			if i < len(steps) {
				step = steps[i]
			}
			if starts[i] != 0 || step != 1 || ends[i] < math.MaxInt32 {
				return fmt.Sprintf("slice %d:%d:%d of axis 0, the batch axis: the integer model runs every sample on its own", starts[i], ends[i], step)
			}
		}
	}
	return ""
}

func int64sToInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// maxIndexMap bounds the per-sample size of a copied value: the map is
// computed on two samples of int64 positions (256 MiB at the bound).
const maxIndexMap = 1 << 24

// fillMarker replaces the padding value when the index map is computed.
const fillMarker = -1

// indexMaps runs n's float kernel on code positions for a batch of two
// samples of per-sample shape in. It returns, per output, the per-sample
// index map and shape, and the padding value (nil when n does not pad); why
// is set when the node is not a per-sample copy with constant arguments.
func (b *builder) indexMaps(n *importer.Node, in []int) (maps [][]int32, shapes [][]int, fill *float64, why string) {
	// With the batch axis outside the value (lead 1) the op runs on two
	// samples; a graph quantized at batch 1 (lead 0) has no batch axis
	// left to prove anything about, and its values are whole tensors.
	samples := 1 + b.lead
	per := 1
	for _, d := range in {
		per *= d
	}
	if per > maxIndexMap {
		return nil, nil, nil, fmt.Sprintf("input of %d codes per sample is too large for an index map (at most %d)", per, maxIndexMap)
	}
	pos := make([]int64, samples*per)
	for i := range pos {
		pos[i] = int64(i)
	}
	node := *n
	node.Attrs = map[string]*importer.Attr{}
	for k, a := range n.Attrs {
		node.Attrs[k] = a
	}
	node.Inputs = append([]string(nil), n.Inputs...)
	sub := &importer.Graph{Name: "indexmap", Initializers: map[string]*importer.Tensor{}}
	data := "__positions"
	node.Inputs[0] = data
	for i, name := range n.Inputs[1:] {
		if name == "" {
			continue
		}
		t := b.g.Initializers[name]
		if t == nil {
			return nil, nil, nil, fmt.Sprintf("input %d (%q) is not a constant", i+1, name)
		}
		if n.OpType == "Pad" && i+1 == 2 {
			// constant_value: remember it, mark padded positions instead.
			v := 0.0
			switch {
			case t.Len() != 1:
				return nil, nil, nil, "constant_value is not a scalar"
			case t.DType.IsFloat():
				v = float64(t.Float[0])
			default:
				v = float64(t.Int[0])
			}
			fill = &v
			t = importer.NewInt(nil, []int64{fillMarker})
		}
		if n.OpType == "GatherElements" && i+1 == 1 && b.lead == 1 {
			if t, why = sampleIndices(t, samples); why != "" {
				return nil, nil, nil, why
			}
		}
		sub.Initializers[name] = t
	}
	if n.OpType == "Pad" {
		mode, _ := n.AttrString("mode", "constant")
		if mode == "constant" {
			if fill == nil {
				v := float64(attrFloat(n, "value", 0))
				fill = &v
				node.Attrs["value"] = &importer.Attr{Name: "value", Kind: importer.AttrFloat, F: fillMarker}
				if len(n.Inputs) > 1 {
					// opset ≥ 11: the value is an optional input; add it.
					for len(node.Inputs) < 3 {
						node.Inputs = append(node.Inputs, "")
					}
					node.Inputs[2] = "__fill"
					sub.Initializers["__fill"] = importer.NewInt(nil, []int64{fillMarker})
				}
			}
		}
	}
	sub.Inputs = []importer.ValueInfo{{Name: data, DType: importer.Int64}}
	for _, o := range n.Outputs {
		if o != "" {
			sub.Outputs = append(sub.Outputs, importer.ValueInfo{Name: o})
		}
	}
	sub.Nodes = []*importer.Node{&node}
	p, err := interp.NewProgram(sub, interp.WithOpset(b.p.opset))
	if err != nil {
		return nil, nil, nil, err.Error()
	}
	dataShape := slices.Clone(in)
	if b.lead == 1 {
		dataShape = append([]int{samples}, in...)
	}
	res, err := p.Run(map[string]*importer.Tensor{data: importer.NewInt(dataShape, pos)})
	if err != nil {
		return nil, nil, nil, err.Error()
	}
	for _, o := range n.Outputs {
		if o == "" {
			maps, shapes = append(maps, nil), append(shapes, nil)
			continue
		}
		t := res[o]
		if t == nil || len(t.Shape) < b.lead || b.lead == 1 && t.Shape[0] != samples || t.DType.IsFloat() || len(t.Int) != t.Len() {
			return nil, nil, nil, "the batch axis is not kept"
		}
		oper := t.Len() / samples
		m := make([]int32, oper)
		for s := 0; s < samples; s++ {
			for i, v := range t.Int[s*oper : (s+1)*oper] {
				switch {
				case v == fillMarker && fill != nil:
					v = -1
				case v < int64(s*per) || v >= int64((s+1)*per):
					return nil, nil, nil, "an output mixes samples (the batch axis must be left alone)"
				default:
					v -= int64(s * per)
				}
				if s == 0 {
					m[i] = int32(v)
				} else if m[i] != int32(v) {
					return nil, nil, nil, "the copy differs between samples"
				}
			}
		}
		maps = append(maps, m)
		shapes = append(shapes, append([]int(nil), t.Shape[b.lead:]...))
	}
	return maps, shapes, fill, ""
}

// sampleIndices makes GatherElements' constant indices, whose first axis is
// the batch axis like the data's, those of a batch of the given number of
// samples: one per-sample map is a copy only when every row of the
// constant is the same map, and that row is repeated.
func sampleIndices(t *importer.Tensor, samples int) (*importer.Tensor, string) {
	if len(t.Shape) == 0 || t.DType.IsFloat() || len(t.Int) != t.Len() {
		return nil, "indices are not an integer tensor with a batch axis"
	}
	rows := t.Shape[0]
	if rows == 0 {
		return nil, "indices have an empty batch axis"
	}
	per := t.Len() / rows
	for r := 1; r < rows; r++ {
		if !slices.Equal(t.Int[r*per:(r+1)*per], t.Int[:per]) {
			return nil, "the indices differ between samples (rows of the batch axis): not one copy per sample"
		}
	}
	shape := append([]int{samples}, t.Shape[1:]...)
	idx := make([]int64, 0, samples*per)
	for range samples {
		idx = append(idx, t.Int[:per]...)
	}
	return importer.NewInt(shape, idx), ""
}
