package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// The integer op kinds OpReduceMax, OpReduceMin, OpReduceSum, OpReduceMean:
// reductions of groups of codes of one sample, the groups listed by an
// index map. They take what the window kinds (2-D pooling, global pooling)
// do not: pooling over one or three spatial axes (MaxPool, AveragePool) and
// the Reduce family over any set of per-sample axes, with or without the
// reduced axes kept.
//
// Max and Min pick one of the input codes (the encoding is the input's;
// padding never wins). Sum and Mean add the codes of a group exactly in 64
// bits, S = Σ x, and requantize once:
//
//	y = clamp(round(S · M / d), lo, hi)
//
// with d the group's length for Mean (1 for Sum) and M = s_x/s_y the
// Multiplier M0·2^-Shift (none: the same scale, M = 1). The quotient
// S·M0/(d·2^Shift) is rounded exactly, to nearest with ties to even, as
// every rounding of quant (mulDivRound). An average pool's padding taps
// counted by count_include_pad are entries of the map that hold no code:
// they add 0 and count in d.
//
// The index map lives in Op.Table:
//
//	[planes, planeIn, groups, off_0 … off_groups, idx …]
//
// Output code p·groups + j (p < planes, j < groups) reduces the input codes
// p·planeIn + idx[k] for k in [off_j, off_j+1); idx = -1 is a padding tap.
// A pooling window's groups are the same for every channel (planes = C); a
// Reduce over arbitrary axes lists each group once (planes = 1).

func init() {
	for _, k := range []OpKind{OpReduceMax, OpReduceMin, OpReduceSum, OpReduceMean} {
		registerKind(k, kindSpec{exec: execReduce, check: checkReduce, export: exportReduce, work: reduceWork})
	}
	// ReduceMax and ReduceMean over every axis after the channels are
	// global pooling: kind_globalpool.go builds them and hands the other
	// axes here.
	registerReduction("ReduceMax", OpReduceMax, nil, false)
	registerReduction("ReduceMean", OpReduceMean, nil, false)
	registerReduction("ReduceMin", OpReduceMin, nil, true)
	registerReduction("ReduceSum", OpReduceSum, nil, true)
}

// groupMap is the decoded index map of a reduction (see the file comment).
type groupMap struct {
	planes, planeIn, groups int
	off, idx                []int32
}

// decodeGroups reads op's index map; ok is false when the table is not
// one (checkReduce says why).
func decodeGroups(t []int32) (g groupMap, ok bool) {
	if len(t) < 4 {
		return g, false
	}
	g.planes, g.planeIn, g.groups = int(t[0]), int(t[1]), int(t[2])
	if g.planes <= 0 || g.planeIn <= 0 || g.groups <= 0 || len(t) < 3+g.groups+1 {
		return g, false
	}
	g.off = t[3 : 3+g.groups+1]
	g.idx = t[3+g.groups+1:]
	return g, true
}

// table encodes a group map for Op.Table.
func (g groupMap) table() []int32 {
	t := make([]int32, 0, 3+len(g.off)+len(g.idx))
	t = append(t, int32(g.planes), int32(g.planeIn), int32(g.groups))
	t = append(t, g.off...)
	return append(t, g.idx...)
}

// longest is the length of the longest group.
func (g groupMap) longest() int {
	m := 0
	for j := 0; j < g.groups; j++ {
		m = max(m, int(g.off[j+1]-g.off[j]))
	}
	return m
}

// reduceWork: every entry of the map is one comparison or addition per
// plane, and a requantized sum one multiplier application per output code.
func reduceWork(n *Network, op *Op) DigitalWork {
	g, ok := decodeGroups(op.Table)
	if !ok {
		return DigitalWork{}
	}
	w := DigitalWork{PoolOps: int64(g.planes) * int64(len(g.idx))}
	if len(op.Mult) == 1 {
		w.Requant = n.elems(op.Out)
	}
	return w
}

func execReduce(x *execCtx) error { return execGroups(x, reduceGroup) }

// execGroups runs a grouped reduction: f gives the output code of one
// group (taps index plane; -1 is a padding tap).
func execGroups(x *execCtx, f func(op *Op, plane, taps []int32) int32) error {
	op := x.op
	g, ok := decodeGroups(op.Table)
	if !ok {
		return fmt.Errorf("bad index map")
	}
	inPer, per := x.n.Values[op.In[0]].size(), x.outV.size()
	src := x.vals[op.In[0]]
	for s := 0; s < x.bs; s++ {
		in, out := src[s*inPer:(s+1)*inPer], x.out[s*per:(s+1)*per]
		for p := 0; p < g.planes; p++ {
			plane := in[p*g.planeIn : (p+1)*g.planeIn]
			dst := out[p*g.groups : (p+1)*g.groups]
			for j := range dst {
				dst[j] = f(op, plane, g.idx[g.off[j]:g.off[j+1]])
			}
		}
	}
	return nil
}

// reduceGroup is the output code of one group.
func reduceGroup(op *Op, plane []int32, taps []int32) int32 {
	switch op.Kind {
	case OpReduceMax, OpReduceMin:
		// A group of padding only (a ceil_mode window past the input) has
		// no code: the float op gives the lowest (highest) float, which
		// quantizes to the clamp bound.
		r, found := op.Lo, false
		if op.Kind == OpReduceMin {
			r = op.Hi
		}
		for _, i := range taps {
			if i < 0 {
				continue
			}
			v := plane[i]
			if !found || op.Kind == OpReduceMax && v > r || op.Kind == OpReduceMin && v < r {
				r, found = v, true
			}
		}
		return clamp32(r, op.Lo, op.Hi)
	default:
		var s int64
		for _, i := range taps {
			if i >= 0 {
				s += int64(plane[i])
			}
		}
		d := int64(1)
		if op.Kind == OpReduceMean {
			d = max(int64(len(taps)), 1)
		}
		if len(op.Mult) == 1 {
			return clamp32(sat32(mulDivRound(s, op.Mult[0], d)), op.Lo, op.Hi)
		}
		return clamp32(sat32(roundDiv(s, d)), op.Lo, op.Hi)
	}
}

// mulDivRound returns round(s·M0 / (d·2^Shift)) for |s| < 2^32 and
// 1 ≤ d < 2^31, to nearest with ties to even, exactly: the product s·M0
// fits in 64 bits, and the division by 2^Shift and by d is carried as a
// quotient and two remainders, so that nothing is rounded twice.
func mulDivRound(s int64, m Multiplier, d int64) int64 {
	p := s * int64(m.M0)
	sh := m.Shift
	q1 := p >> sh // floor(p / 2^sh)
	r1 := p - q1<<sh
	q := q1 / d
	r2 := q1 - q*d
	if r2 < 0 { // floor division
		q--
		r2 += d
	}
	// p/(d·2^sh) = q + f with f = (r2·2^sh + r1)/(d·2^sh) in [0, 1): round up
	// when f > 1/2, i.e. (2·r2 − d)·2^sh + 2·r1 > 0, and on a tie when q is
	// odd. With r1 < 2^sh the sign is that of 2·r2 − d unless it is 0 or −1.
	var c int64
	switch l := 2*r2 - d; {
	case l >= 1:
		c = 1
	case l <= -2:
		c = -1
	default:
		c = l<<sh + 2*r1 // l·2^sh + 2·r1, below 2^63 for sh ≤ 62
	}
	if c > 0 || c == 0 && q&1 != 0 {
		q++
	}
	return q
}

func checkReduce(x *checkCtx) error {
	op, in, out := x.op, x.in, x.out
	g, err := checkGroups(x)
	if err != nil {
		return err
	}
	switch op.Kind {
	case OpReduceMax, OpReduceMin:
		if len(op.Mult) != 0 || !in.sameEncoding(out) {
			return fmt.Errorf("%s changes the encoding", op.Kind)
		}
	default:
		if len(op.Mult) > 1 {
			return fmt.Errorf("%d multipliers, want at most 1", len(op.Mult))
		}
		if len(op.Mult) == 0 && !in.sameEncoding(out) {
			return fmt.Errorf("a sum without a multiplier changes the encoding")
		}
		lo, hi := in.Range()
		if float64(g.longest())*math.Max(-float64(lo), float64(hi)) >= 1<<32 {
			return fmt.Errorf("groups of %d codes of %d bits can overflow the 32-bit sum the multiplier takes", g.longest(), in.Bits)
		}
	}
	return nil
}

// checkGroups validates op's index map against its input and output.
func checkGroups(x *checkCtx) (groupMap, error) {
	op, in, out := x.op, x.in, x.out
	g, ok := decodeGroups(op.Table)
	if !ok {
		return g, fmt.Errorf("index map header %v", op.Table[:min(len(op.Table), 3)])
	}
	if g.planes*g.planeIn != in.size() || g.planes*g.groups != out.size() {
		return g, fmt.Errorf("index map of %d planes of %d codes into %d groups for input %v and output %v", g.planes, g.planeIn, g.groups, in.Shape, out.Shape)
	}
	if g.off[0] != 0 || int(g.off[g.groups]) != len(g.idx) {
		return g, fmt.Errorf("index map offsets [%d, %d] for %d entries", g.off[0], g.off[g.groups], len(g.idx))
	}
	for j := 0; j < g.groups; j++ {
		if g.off[j+1] < g.off[j] {
			return g, fmt.Errorf("index map offset %d decreases", j+1)
		}
	}
	for _, i := range g.idx {
		if i < -1 || int(i) >= g.planeIn {
			return g, fmt.Errorf("index %d outside the %d codes of a plane", i, g.planeIn)
		}
	}
	return g, nil
}

// exportReduce writes the reduction as ONNX: the sample flattened, one
// zero appended, a Gather of every group padded to the longest (Max/Min
// repeat a group's first code; padding taps and Sum fill read the zero),
// the reduction over the group axis and the output shape restored. An
// average whose groups differ in length (pooling windows cut by the
// border) is refused: its per-window divisor would need a float
// intermediate that the QDQ form cannot carry without a second rounding.
func exportReduce(x *exportCtx) error {
	w, op := x.w, x.op
	in := x.n.Values[op.In[0]]
	g, ok := decodeGroups(op.Table)
	if !ok {
		return fmt.Errorf("bad index map")
	}
	// Max and Min pick a code; every other kind is requantized.
	isSum := op.Kind != OpReduceMax && op.Kind != OpReduceMin
	zeroFill := op.Kind == OpReduceSum || op.Kind == OpReduceMean
	L := max(g.longest(), 1)
	zero := int64(in.size())
	idx := make([]int64, 0, g.planes*g.groups*L)
	equal := true
	for p := 0; p < g.planes; p++ {
		for j := 0; j < g.groups; j++ {
			taps := g.idx[g.off[j]:g.off[j+1]]
			first := zero
			for _, t := range taps {
				if t >= 0 {
					first = int64(p*g.planeIn) + int64(t)
					break
				}
			}
			if !zeroFill && first == zero {
				return fmt.Errorf("a %s group of padding only has no ONNX form", op.Kind)
			}
			for k := 0; k < L; k++ {
				switch {
				case k < len(taps) && taps[k] >= 0:
					idx = append(idx, int64(p*g.planeIn)+int64(taps[k]))
				case zeroFill:
					idx = append(idx, zero)
				default:
					idx = append(idx, first)
				}
			}
			equal = equal && len(taps) == L
		}
	}
	if op.Kind == OpReduceMean && !equal {
		return fmt.Errorf("an average over windows of different lengths (padding not counted) has no QDQ form in this exporter")
	}
	if !equal && !zeroFill && isSum {
		return fmt.Errorf("a %s over groups of different lengths has no QDQ form in this exporter", op.Kind)
	}
	flat := w.name(x.out.Name + "_flat")
	w.node("Reshape", []string{x.in, w.int64s(x.out.Name+"_flatshape", []int64{-1, int64(in.size())})}, flat)
	padded := w.name(x.out.Name + "_padded")
	w.node("Pad", []string{flat, w.int64s(x.out.Name+"_pads", []int64{0, 0, 0, 1})}, padded)
	gathered := w.name(x.out.Name + "_groups")
	w.node("Gather", []string{padded, w.int64s(x.out.Name+"_index", idx)}, gathered, attrI("axis", 1))
	shaped := w.name(x.out.Name + "_grouped")
	w.node("Reshape", []string{gathered, w.int64s(x.out.Name+"_groupshape", []int64{-1, int64(g.planes * g.groups), int64(L)})}, shaped)
	red := w.name(x.out.Name + "_reduced")
	if op.Kind == OpReduceSum { // axes are an input from opset 13 on
		w.node("ReduceSum", []string{shaped, w.int64s(x.out.Name+"_axes", []int64{2})}, red)
	} else {
		w.node(reduceONNX[op.Kind], []string{shaped}, red, attrIs("axes", 2))
	}
	if isSum {
		// quantized where it is computed, so that reading the model back
		// requantizes the sum once, as here
		red = w.qdq(op.Out, red, op.Lo, op.Hi)
	}
	shape := []int64{-1}
	for _, d := range x.out.Shape {
		shape = append(shape, int64(d))
	}
	w.node("Reshape", []string{red, w.int64s(x.out.Name+"_shape", shape)}, x.tmp)
	w.fname[op.Out] = x.tmp
	return nil
}

// reduceAxesOf reads a Reduce node's axes (attribute, or the constant
// second input of opsets 13/18) and whether empty axes mean no reduction.
// ok is false when the axes are an input that is not a constant.
func (b *builder) reduceAxesOf(n *importer.Node) (axes []int, noop, ok bool) {
	axes = attrInts(n, "axes")
	if axes == nil && len(n.Inputs) > 1 && n.Inputs[1] != "" {
		if axes, ok = constInts(b.g, n.Inputs[1]); !ok {
			return nil, false, false
		}
	}
	return axes, attrInt(n, "noop_with_empty_axes", 0) != 0, true
}

// reducedAxes marks the axes a Reduce node n names (negative: from the
// end) among the r axes of its ONNX input, the batch axis first.
func reducedAxes(n *importer.Node, axes []int, r int) ([]bool, error) {
	reduced := make([]bool, r)
	for _, a := range axes {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			return nil, fmt.Errorf("quant: %w: %s: axis %d for rank %d", importer.ErrInvalidModel, nodeWhere(n), a, r)
		}
		reduced[a] = true
	}
	return reduced, nil
}

// reduceGroups builds ReduceMax/Min/Sum/Mean over any per-sample axes
// (every axis when none are given): one group per output code, listing the
// input codes that reduce into it.
func (b *builder) reduceGroups(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	axes, noop, ok := b.reduceAxesOf(n)
	if !ok {
		b.unsupported(n, "axes are not a constant: the integer program's groups are fixed when it is built, and these axes are known only at run time")
		return nil
	}
	if len(axes) == 0 && noop {
		v := b.aliasValue(n.Outputs[0], x, vx.Shape)
		b.emit(Op{Kind: OpReshape, Name: n.Name, In: []int{x}, Out: v})
		return nil
	}
	reduced, err := reducedAxes(n, axes, len(vx.Shape)+1)
	if err != nil {
		return err
	}
	if len(axes) == 0 || reduced[0] {
		b.unsupported(n, fmt.Sprintf("axes %v reduce the batch axis: the integer program runs every sample on its own", axes))
		return nil
	}
	keep := attrInt(n, "keepdims", 1) != 0
	red, ok := reductions[n.OpType]
	if !ok {
		return fmt.Errorf("quant: %s: no grouped reduction for %s", nodeWhere(n), n.OpType)
	}
	g, outShape := axesGroups(vx.Shape, reduced[1:], keep)
	op := Op{Kind: red.kind, Name: n.Name, In: []int{x}, Table: g.table()}
	encode := red.encode
	if encode == nil {
		encode = func(b *builder, n *importer.Node, op Op, x int, shape []int, g groupMap) (Op, string) {
			return b.reduceEncoding(n, op, x, shape, g.longest())
		}
	}
	op, why := encode(b, n, op, x, outShape, g)
	if why != "" {
		b.unsupported(n, why)
		return nil
	}
	b.emit(op)
	return nil
}

// reduction is how one ONNX Reduce op is built as a grouped reduction:
// its kind, and how the op gets its output value and arithmetic
// parameters (nil: reduceEncoding), or why it cannot.
type reduction struct {
	kind   OpKind
	encode func(b *builder, n *importer.Node, op Op, x int, shape []int, g groupMap) (Op, string)
}

// reductions by ONNX op type, and reduceONNX the ONNX op a kind exports
// as (registerReduction).
var (
	reductions = map[string]reduction{}
	reduceONNX = map[OpKind]string{}
)

// registerReduction declares that the Reduce op opType builds kind
// (registering its builder unless another kind's file routes it here).
func registerReduction(opType string, kind OpKind, encode func(b *builder, n *importer.Node, op Op, x int, shape []int, g groupMap) (Op, string), build bool) {
	reductions[opType] = reduction{kind: kind, encode: encode}
	reduceONNX[kind] = opType
	if build {
		registerBuilder(opType, (*builder).reduceGroups)
	}
}

// axesGroups is the index map reducing the per-sample axes marked in
// reduced of a value of the given shape, and the output shape (reduced
// axes kept as 1 or dropped).
func axesGroups(shape []int, reduced []bool, keep bool) (groupMap, []int) {
	var out []int
	for a, d := range shape {
		switch {
		case !reduced[a]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	size := 1
	for _, d := range shape {
		size *= d
	}
	ngroups := 1
	for a, d := range shape {
		if !reduced[a] {
			ngroups *= d
		}
	}
	// the group of every input code: its coordinates along the kept axes
	group := make([]int32, size)
	coord := make([]int, len(shape))
	for i := range group {
		gi := 0
		for a, d := range shape {
			if !reduced[a] {
				gi = gi*d + coord[a]
			}
		}
		group[i] = int32(gi)
		for a := len(shape) - 1; a >= 0; a-- {
			coord[a]++
			if coord[a] < shape[a] {
				break
			}
			coord[a] = 0
		}
	}
	g := groupMap{planes: 1, planeIn: size, groups: ngroups, off: make([]int32, ngroups+1), idx: make([]int32, size)}
	for _, gi := range group {
		g.off[gi+1]++
	}
	for j := 0; j < ngroups; j++ {
		g.off[j+1] += g.off[j]
	}
	next := slices.Clone(g.off[:ngroups])
	for i, gi := range group {
		g.idx[next[gi]] = int32(i)
		next[gi]++
	}
	return g, out
}

// windowGroups is the index map of MaxPool or AveragePool over the window
// geometry g, the same for every channel: for each output position (row
// major), the input positions its taps read; with includePad, the taps on
// the declared padding as -1 (they count in the average's divisor).
func windowGroups(g *interp.WindowGeometry, includePad bool) groupMap {
	p := g.P()
	m := groupMap{planes: g.InC, planeIn: g.InSize(), groups: p, off: make([]int32, 0, p+1)}
	m.off = append(m.off, 0)
	r := len(g.Axes)
	pos := make([]int, r)  // output position
	taps := make([]int, r) // kernel tap
	for o := 0; o < p; o++ {
		clear(taps)
		for t := 0; t < g.Taps(); t++ {
			idx, inside, padded := 0, true, true
			for a, ax := range g.Axes {
				i := pos[a]*ax.Stride - ax.PadBegin + taps[a]*ax.Dil
				if i < 0 || i >= ax.In {
					inside = false
				}
				if i < -ax.PadBegin || i >= ax.In+ax.PadEnd {
					padded = false
				}
				idx = idx*ax.In + i
			}
			switch {
			case inside:
				m.idx = append(m.idx, int32(idx))
			case padded && includePad:
				m.idx = append(m.idx, -1)
			}
			for a := r - 1; a >= 0; a-- {
				taps[a]++
				if taps[a] < g.Axes[a].Kernel {
					break
				}
				taps[a] = 0
			}
		}
		m.off = append(m.off, int32(len(m.idx)))
		for a := r - 1; a >= 0; a-- {
			pos[a]++
			if pos[a] < g.Axes[a].Out {
				break
			}
			pos[a] = 0
		}
	}
	return m
}

// windowPool builds MaxPool or AveragePool over one or three spatial axes
// (2-D pooling has its window kinds) as a grouped reduction (the average
// with a scale of its own when its calibrated range calls for one, see
// reduceEncoding).
func (b *builder) windowPool(n *importer.Node, x int) error {
	vx := b.net.Values[x]
	if len(vx.Shape) < 2 || len(vx.Shape) > 4 {
		return fmt.Errorf("quant: %w: %s: input shape %v, want [C D…] with 1 to 3 spatial axes", importer.ErrInvalidModel, nodeWhere(n), vx.Shape)
	}
	g, err := interp.NodeWindowND(n, vx.Shape[0], vx.Shape[1:], nil, 1)
	if err != nil {
		return fmt.Errorf("quant: %w: %s: %v", importer.ErrInvalidModel, nodeWhere(n), err)
	}
	if int64(g.InC)*int64(g.P())*int64(g.Taps()) > 1<<26 {
		b.unsupported(n, fmt.Sprintf("a window of %d taps over %d outputs is too large for an index map", g.Taps(), g.P()))
		return nil
	}
	kind := OpReduceMax
	includePad := false
	if n.OpType == "AveragePool" {
		kind = OpReduceMean
		includePad = attrInt(n, "count_include_pad", 0) != 0
	}
	m := windowGroups(&g, includePad)
	shape := append([]int{vx.Shape[0]}, g.OutShape()...)
	op, why := b.reduceEncoding(n, Op{Kind: kind, Name: n.Name, In: []int{x}, Table: m.table()}, x, shape, m.longest())
	if why != "" {
		b.unsupported(n, why)
		return nil
	}
	b.emit(op)
	return nil
}

// reduceEncoding completes op (a grouped reduction or a 2-D average
// pool, input x) with its output value and requantization. Max and Min keep the input's encoding. Sum has
// a scale of its own (a sum outgrows its codes' range); Mean keeps the
// input's encoding unless its calibrated range is at most half the
// input's (or a QDQ model fixes one), as global average pooling does.
func (b *builder) reduceEncoding(n *importer.Node, op Op, x int, shape []int, taps int) (Op, string) {
	vx := b.net.Values[x]
	name := n.Outputs[0]
	_, fixed := b.p.fixed[name]
	lo, hi := vx.Range()
	// the multiplier takes sums below 2^32
	fits := float64(taps)*math.Max(-float64(lo), float64(hi)) < 1<<32
	if op.Kind == OpReduceSum && !fits {
		return op, fmt.Sprintf("a sum of %d codes of %d bits can pass the 32-bit operand of its requantization", taps, vx.Bits)
	}
	mean := op.Kind == OpReduceMean || op.Kind == OpAvgPool
	if op.Kind == OpReduceSum || mean && fits && (fixed || b.p.stats[name] != nil) {
		sy, signed, lo, hi := b.encode(name, vx.Signed, math.Inf(-1), math.Inf(1))
		if op.Kind == OpReduceSum || fixed && (sy != vx.Scale || signed != vx.Signed) || !fixed && sy <= vx.Scale/2 {
			op.Out = b.newValue(name, shape, sy, signed)
			op.Lo, op.Hi = lo, hi
			op.Mult = []Multiplier{NewMultiplier(vx.Scale / sy)}
			return op, ""
		}
	}
	op.Out = b.aliasValue(name, x, shape)
	op.Lo, op.Hi = lo, hi
	return op, ""
}
