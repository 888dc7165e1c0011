package interp_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// FuzzConvPoolGeometry builds one Conv, MaxPool or AveragePool node with a
// random 1-D, 2-D or 3-D geometry — shapes, kernels larger than the input, pads,
// strides, dilations, groups, ceil_mode, auto_pad, count_include_pad — runs
// it through the interpreter and compares it with naiveWindowOp, a direct
// transcription of the ONNX operator definitions that shares no code with
// the interpreter. A geometry the specification rejects (an output size
// below 1, channels not divisible by groups) must be an error wrapping
// ErrInvalidModel; anything else must match. Never a panic.
//
// Inputs and weights are small integers, so every Conv and MaxPool output
// is exact in float32 and compared exactly; averages within 1e-6 relative.
//
//	go test -run '^$' -fuzz FuzzConvPoolGeometry -fuzztime 10m ./importer/interp
func FuzzConvPoolGeometry(f *testing.F) {
	seeds := [][]byte{
		{0, 2, 1, 1, 1, 1, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 1, 0},          // 1×1 map, 5×5 kernel, pads 2 (issue 10)
		{0, 1, 1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0},          // 1-D Conv of length 1
		{1, 2, 1, 2, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0},          // MaxPool ceil_mode
		{2, 2, 2, 3, 6, 7, 3, 2, 2, 3, 2, 1, 0, 1, 2, 0, 2, 0, 1, 1},          // AveragePool SAME_UPPER, count_include_pad
		{0, 2, 1, 4, 7, 6, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 3, 0, 2, 0},          // grouped, dilated Conv, SAME_LOWER
		{0, 2, 2, 6, 4, 4, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 4, 0, 6, 0},          // depthwise, VALID
		{1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0},          // VALID + ceil_mode: no window may start past the input
		{0, 1, 0, 1, 33, 37, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 16, 0, 0, 0, 1}, // larger planes, constant weights
		{1, 1, 0, 1, 31, 39, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},  // MaxPool 2×2/2 on a large plane
		{2, 1, 0, 1, 31, 39, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},  // AveragePool 2×2/2 on a large plane
		{0, 1, 0, 0, 29, 35, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, 0, 16, 0, 2, 0, 1}, // depthwise 3×3, stride 2, constant weights
		// 3-D (byte 22 odd): depth in, kernel, stride, dilation, pads at 23-28
		{0, 1, 0, 1, 5, 6, 2, 2, 0, 0, 0, 0, 1, 0, 0, 1, 0, 4, 1, 0, 0, 0, 1, 4, 2, 1, 0, 1, 0},  // Conv 3×3×3, pads, bias
		{1, 1, 1, 0, 5, 5, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 6, 2, 1, 1, 0, 1},  // MaxPool 3-D ceil_mode, dilated depth
		{2, 1, 0, 1, 4, 7, 2, 1, 1, 0, 1, 0, 2, 1, 0, 1, 0, 2, 0, 0, 0, 0, 1, 5, 3, 2, 0, 2, 1},  // AveragePool 3-D count_include_pad
		{2, 1, 0, 0, 3, 3, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0},  // AveragePool 3-D SAME_UPPER, kernel past the input
		{0, 1, 1, 2, 3, 4, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0, 3, 24, 2, 2, 3, 0, 1, 3, 1, 0, 2, 0, 0}, // grouped 3-D Conv, SAME_LOWER, constant weights
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := decodeWindowCase(data)
		checkWindowCase(t, c)
	})
}

// windowCase is one fuzzed node. Sizes are kept small so every case runs
// in microseconds. Per-axis arrays are in D, H, W order; a 1-D case uses W
// only, a 2-D case H and W.
type windowCase struct {
	op                string // Conv, MaxPool, AveragePool
	rank              int    // spatial rank: 1, 2 or 3
	n, c, groups, m   int    // batch, input channels, groups, output channels (Conv)
	in, k, s, d       [3]int // per spatial axis
	pads              [6]int // begin D, H, W, end D, H, W
	autoPad           string
	ceil, includePad  bool
	seed              byte
	withBias, setDefs bool
	constW            bool
}

// decodeWindowCase reads a case from fuzz bytes. Bytes 0-21 have the
// meaning they had when the fuzzer was 1-D/2-D only (so old corpus entries
// still decode to the same case); an odd byte 22 makes the case 3-D, with
// the depth axis from bytes 23-28.
func decodeWindowCase(data []byte) windowCase {
	b := func(i int) int {
		if i < len(data) {
			return int(data[i])
		}
		return 0
	}
	var c windowCase
	c.op = []string{"Conv", "MaxPool", "AveragePool"}[b(0)%3]
	c.rank = 1 + b(1)%2
	if b(22)&1 != 0 {
		c.rank = 3
	}
	c.n = 1 + b(2)%2
	c.groups = 1
	if c.op == "Conv" {
		c.groups = 1 + b(19)%3
	}
	c.c = c.groups * (1 + b(3)%3)
	c.m = c.groups * (1 + b(18)%3)
	inRange := 9
	if b(21)&1 != 0 && c.rank < 3 {
		inRange = 40 // past the vector kernels' block widths (16 and 32 columns)
	}
	for a := 0; a < 2; a++ {
		c.in[1+a] = 1 + b(4+a)%inRange
		c.k[1+a] = 1 + b(6+a)%6
		c.s[1+a] = 1 + b(8+a)%4
		c.d[1+a] = 1 + b(10+a)%3
	}
	c.pads[1], c.pads[2], c.pads[4], c.pads[5] = b(12)%5, b(13)%5, b(14)%5, b(15)%5
	c.in[0], c.k[0], c.s[0], c.d[0] = 1, 1, 1, 1
	if c.rank == 3 {
		c.in[0] = 1 + b(23)%7
		c.k[0] = 1 + b(24)%4
		c.s[0] = 1 + b(25)%3
		c.d[0] = 1 + b(26)%3
		c.pads[0], c.pads[3] = b(27)%4, b(28)%4
	}
	c.autoPad = []string{"NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[b(16)%5]
	c.ceil = b(17)&1 != 0 && c.op != "Conv"
	c.includePad = b(17)&2 != 0
	c.withBias = b(17)&4 != 0
	c.setDefs = b(17)&8 != 0 // spell out default attributes or leave them out
	c.constW = b(17)&16 != 0 // weights as initializers: the pre-packed kernels
	c.seed = byte(b(20))
	if c.rank == 1 {
		c.in[1], c.k[1], c.s[1], c.d[1] = 1, 1, 1, 1
		c.pads[1], c.pads[4] = 0, 0
	}
	return c
}

// first is the index of the first spatial axis the case uses.
func (c windowCase) first() int { return 3 - c.rank }

// axes returns the per-axis values in the order of the node's attributes.
func (c windowCase) axes(v [3]int) []int64 {
	var out []int64
	for a := c.first(); a < 3; a++ {
		out = append(out, int64(v[a]))
	}
	return out
}

func (c windowCase) attrs() map[string]*importer.Attr {
	ints := func(name string, v []int64) *importer.Attr {
		return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
	}
	a := map[string]*importer.Attr{
		"kernel_shape": ints("kernel_shape", c.axes(c.k)),
		"strides":      ints("strides", c.axes(c.s)),
		"dilations":    ints("dilations", c.axes(c.d)),
		"auto_pad":     {Name: "auto_pad", Kind: importer.AttrString, S: c.autoPad},
	}
	if c.autoPad == "NOTSET" {
		begin := c.axes([3]int{c.pads[0], c.pads[1], c.pads[2]})
		end := c.axes([3]int{c.pads[3], c.pads[4], c.pads[5]})
		a["pads"] = ints("pads", append(begin, end...))
		if !c.setDefs {
			delete(a, "auto_pad")
		}
	}
	if c.op != "Conv" {
		if c.ceil || c.setDefs {
			a["ceil_mode"] = &importer.Attr{Name: "ceil_mode", Kind: importer.AttrInt, I: b2i(c.ceil)}
		}
	} else if c.groups > 1 || c.setDefs {
		a["group"] = &importer.Attr{Name: "group", Kind: importer.AttrInt, I: int64(c.groups)}
	}
	if c.op == "AveragePool" && (c.includePad || c.setDefs) {
		a["count_include_pad"] = &importer.Attr{Name: "count_include_pad", Kind: importer.AttrInt, I: b2i(c.includePad)}
	}
	return a
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// smallInts fills n values in -3..3 from a seeded linear congruential
// sequence.
func smallInts(n int, seed uint32) []float32 {
	v := make([]float32, n)
	x := seed*2654435761 + 1
	for i := range v {
		x = x*1664525 + 1013904223
		v[i] = float32(int(x>>28)%7 - 3)
	}
	return v
}

func (c windowCase) shape(lead ...int) []int {
	for a := c.first(); a < 3; a++ {
		lead = append(lead, c.in[a])
	}
	return lead
}

func checkWindowCase(t *testing.T, c windowCase) {
	x := importer.NewFloat(c.shape(c.n, c.c), smallInts(c.n*c.c*c.in[0]*c.in[1]*c.in[2], uint32(c.seed)))
	var w, bias *importer.Tensor
	feeds := map[string]*importer.Tensor{"x": x}
	node := &importer.Node{Name: "window", OpType: c.op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: c.attrs()}
	g := &importer.Graph{Name: "fuzz", Initializers: map[string]*importer.Tensor{}, ValueInfo: map[string]importer.ValueInfo{},
		Inputs: []importer.ValueInfo{{Name: "x"}}, Outputs: []importer.ValueInfo{{Name: "y"}}, Nodes: []*importer.Node{node}}
	if c.op == "Conv" {
		wShape := []int{c.m, c.c / c.groups}
		for a := c.first(); a < 3; a++ {
			wShape = append(wShape, c.k[a])
		}
		w = importer.NewFloat(wShape, smallInts(c.m*c.c/c.groups*c.k[0]*c.k[1]*c.k[2], uint32(c.seed)+7))
		param := func(name string, v *importer.Tensor) {
			node.Inputs = append(node.Inputs, name)
			if c.constW {
				g.Initializers[name] = v
				return
			}
			g.Inputs = append(g.Inputs, importer.ValueInfo{Name: name})
			feeds[name] = v
		}
		param("w", w)
		if c.withBias {
			bias = importer.NewFloat([]int{c.m}, smallInts(c.m, uint32(c.seed)+13))
			param("b", bias)
		}
	}
	want, valid := naiveWindowOp(c, x, w, bias)

	got, err := func() (out *importer.Tensor, err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%+v: panic: %v", c, r)
			}
		}()
		p, err := interp.NewProgram(g, interp.WithOpset(19))
		if err != nil {
			return nil, err
		}
		outs, err := p.Run(feeds)
		if err != nil {
			return nil, err
		}
		return outs["y"], nil
	}()
	if !valid {
		if err == nil {
			t.Fatalf("%+v: invalid geometry accepted, output shape %v", c, got.Shape)
		}
		if !errors.Is(err, importer.ErrInvalidModel) {
			t.Fatalf("%+v: error does not wrap ErrInvalidModel: %v", c, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%+v: %v", c, err)
	}
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		t.Fatalf("%+v: shape %v, want %v", c, got.Shape, want.Shape)
	}
	for i, v := range want.Float {
		if math.IsNaN(float64(v)) {
			continue // undefined by the specification (see naiveWindowOp)
		}
		tol := 0.0
		if c.op == "AveragePool" {
			tol = 1e-6 * math.Max(1, math.Abs(float64(v)))
		}
		if math.Abs(float64(got.Float[i]-v)) > tol {
			t.Fatalf("%+v: element %d = %v, want %v", c, i, got.Float[i], v)
		}
	}
}

// naiveWindowOp computes the node from the ONNX operator definitions with
// plain loops over D, H and W (unused axes have size 1). valid is false for
// a geometry the specification rejects. An AveragePool window without a
// counted tap has no defined value and is NaN here (not compared); a
// MaxPool window with no tap inside the input gives the lowest float32, as
// onnxruntime computes it.
func naiveWindowOp(c windowCase, x, w, bias *importer.Tensor) (y *importer.Tensor, valid bool) {
	out := [3]int{1, 1, 1}
	var padB, padE [3]int
	for a := c.first(); a < 3; a++ {
		in, k, s, d := c.in[a], c.k[a], c.s[a], c.d[a]
		ext := (k-1)*d + 1
		pb, pe := c.pads[a], c.pads[a+3]
		if c.autoPad == "VALID" {
			// No padding; ceil_mode still applies, as in ONNX's shape
			// inference and onnxruntime (the operator text gives only the
			// floor formula for VALID).
			pb, pe = 0, 0
		}
		switch c.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out[a] = (in + s - 1) / s
			total := max(0, (out[a]-1)*s+ext-in)
			pb, pe = total/2, total-total/2
			if c.autoPad == "SAME_LOWER" {
				pb, pe = total-total/2, total/2
			}
		default:
			span := in + pb + pe - ext
			if span < 0 {
				return nil, false
			}
			out[a] = span/s + 1
			if c.ceil {
				out[a] = (span+s-1)/s + 1
				// The last window must start inside the input or its
				// begin padding.
				if (out[a]-1)*s >= in+pb {
					out[a]--
				}
			}
		}
		padB[a], padE[a] = pb, pe
	}
	outC := c.c
	if c.op == "Conv" {
		outC = c.m
	}
	shape := []int{c.n, outC}
	for a := c.first(); a < 3; a++ {
		shape = append(shape, out[a])
	}
	y = importer.NewFloat(shape, make([]float32, c.n*outC*out[0]*out[1]*out[2]))
	D, H, W := c.in[0], c.in[1], c.in[2]
	xAt := func(n, ch, z, h, w int) float32 { return x.Float[(((n*c.c+ch)*D+z)*H+h)*W+w] }
	// pos is the input coordinate of tap t at output o along axis a.
	pos := func(a, o, t int) int { return o*c.s[a] - padB[a] + t*c.d[a] }
	inside := func(a, i int) bool { return i >= 0 && i < c.in[a] }
	inPadded := func(a, i int) bool { return i >= -padB[a] && i < c.in[a]+padE[a] }
	for n := 0; n < c.n; n++ {
		for oc := 0; oc < outC; oc++ {
			for od := 0; od < out[0]; od++ {
				for oh := 0; oh < out[1]; oh++ {
					for ow := 0; ow < out[2]; ow++ {
						var v float32
						var sum float64
						count := 0
						switch c.op {
						case "Conv":
							cg := c.c / c.groups
							grp := oc / (c.m / c.groups)
							if bias != nil {
								v = bias.Float[oc]
							}
							for ic := 0; ic < cg; ic++ {
								for kd := 0; kd < c.k[0]; kd++ {
									for kh := 0; kh < c.k[1]; kh++ {
										for kw := 0; kw < c.k[2]; kw++ {
											z, h, ww := pos(0, od, kd), pos(1, oh, kh), pos(2, ow, kw)
											if !inside(0, z) || !inside(1, h) || !inside(2, ww) {
												continue
											}
											v += xAt(n, grp*cg+ic, z, h, ww) * w.Float[(((oc*cg+ic)*c.k[0]+kd)*c.k[1]+kh)*c.k[2]+kw]
										}
									}
								}
							}
						case "MaxPool", "AveragePool":
							v = -math.MaxFloat32
							for kd := 0; kd < c.k[0]; kd++ {
								for kh := 0; kh < c.k[1]; kh++ {
									for kw := 0; kw < c.k[2]; kw++ {
										z, h, ww := pos(0, od, kd), pos(1, oh, kh), pos(2, ow, kw)
										in := inside(0, z) && inside(1, h) && inside(2, ww)
										if in {
											v = max(v, xAt(n, oc, z, h, ww))
											sum += float64(xAt(n, oc, z, h, ww))
										}
										// count_include_pad counts taps in the
										// padded input; taps past the end
										// padding (ceil_mode) never count.
										if in || (c.includePad && inPadded(0, z) && inPadded(1, h) && inPadded(2, ww)) {
											count++
										}
									}
								}
							}
							if c.op == "AveragePool" {
								v = float32(math.NaN())
								if count > 0 {
									v = float32(sum / float64(count))
								}
							}
						}
						y.Float[(((n*outC+oc)*out[0]+od)*out[1]+oh)*out[2]+ow] = v
					}
				}
			}
		}
	}
	return y, true
}
