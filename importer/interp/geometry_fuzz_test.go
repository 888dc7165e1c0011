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
// random 1-D or 2-D geometry — shapes, kernels larger than the input, pads,
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
// in microseconds.
type windowCase struct {
	op                string // Conv, MaxPool, AveragePool
	rank              int    // spatial rank: 1 or 2
	n, c, groups, m   int    // batch, input channels, groups, output channels (Conv)
	in, k, s, d       [2]int // per spatial axis
	pads              [4]int // begin H, begin W, end H, end W (2-D); begin, -, end, - (1-D)
	autoPad           string
	ceil, includePad  bool
	seed              byte
	withBias, setDefs bool
	constW            bool
}

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
	c.n = 1 + b(2)%2
	c.groups = 1
	if c.op == "Conv" {
		c.groups = 1 + b(19)%3
	}
	c.c = c.groups * (1 + b(3)%3)
	c.m = c.groups * (1 + b(18)%3)
	inRange := 9
	if b(21)&1 != 0 {
		inRange = 40 // past the vector kernels' block widths (16 and 32 columns)
	}
	for a := 0; a < 2; a++ {
		c.in[a] = 1 + b(4+a)%inRange
		c.k[a] = 1 + b(6+a)%6
		c.s[a] = 1 + b(8+a)%4
		c.d[a] = 1 + b(10+a)%3
	}
	for i := range c.pads {
		c.pads[i] = b(12+i) % 5
	}
	c.autoPad = []string{"NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[b(16)%5]
	c.ceil = b(17)&1 != 0 && c.op != "Conv"
	c.includePad = b(17)&2 != 0
	c.withBias = b(17)&4 != 0
	c.setDefs = b(17)&8 != 0 // spell out default attributes or leave them out
	c.constW = b(17)&16 != 0 // weights as initializers: the pre-packed kernels
	c.seed = byte(b(20))
	if c.rank == 1 {
		c.in[0], c.k[0], c.s[0], c.d[0] = 1, 1, 1, 1
		c.pads[0], c.pads[2] = 0, 0
	}
	return c
}

// axes returns the per-axis values in the order of the node's attributes.
func (c windowCase) axes(v [2]int) []int64 {
	if c.rank == 1 {
		return []int64{int64(v[1])}
	}
	return []int64{int64(v[0]), int64(v[1])}
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
		if c.rank == 1 {
			a["pads"] = ints("pads", []int64{int64(c.pads[1]), int64(c.pads[3])})
		} else {
			a["pads"] = ints("pads", []int64{int64(c.pads[0]), int64(c.pads[1]), int64(c.pads[2]), int64(c.pads[3])})
		}
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

func (c windowCase) shape(ch int) []int {
	if c.rank == 1 {
		return []int{c.n, ch, c.in[1]}
	}
	return []int{c.n, ch, c.in[0], c.in[1]}
}

func checkWindowCase(t *testing.T, c windowCase) {
	x := importer.NewFloat(c.shape(c.c), smallInts(c.n*c.c*c.in[0]*c.in[1], uint32(c.seed)))
	var w, bias *importer.Tensor
	feeds := map[string]*importer.Tensor{"x": x}
	node := &importer.Node{Name: "window", OpType: c.op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: c.attrs()}
	g := &importer.Graph{Name: "fuzz", Initializers: map[string]*importer.Tensor{}, ValueInfo: map[string]importer.ValueInfo{},
		Inputs: []importer.ValueInfo{{Name: "x"}}, Outputs: []importer.ValueInfo{{Name: "y"}}, Nodes: []*importer.Node{node}}
	if c.op == "Conv" {
		wShape := append([]int{c.m, c.c / c.groups}, c.k[0], c.k[1])
		if c.rank == 1 {
			wShape = []int{c.m, c.c / c.groups, c.k[1]}
		}
		w = importer.NewFloat(wShape, smallInts(c.m*c.c/c.groups*c.k[0]*c.k[1], uint32(c.seed)+7))
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
// plain loops. valid is false for a geometry the specification rejects.
// An AveragePool window without a counted tap has no defined value and
// is NaN here (not compared); a MaxPool window with no tap inside the
// input gives the lowest float32, as onnxruntime computes it.
func naiveWindowOp(c windowCase, x, w, bias *importer.Tensor) (y *importer.Tensor, valid bool) {
	var out, padB, padE [2]int
	for a := 2 - c.rank; a < 2; a++ {
		in, k, s, d := c.in[a], c.k[a], c.s[a], c.d[a]
		ext := (k-1)*d + 1
		pb, pe := c.pads[a], c.pads[a+2]
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
	if c.rank == 1 {
		out[0] = 1
	}
	outC := c.c
	if c.op == "Conv" {
		outC = c.m
	}
	shape := []int{c.n, outC, out[0], out[1]}
	if c.rank == 1 {
		shape = []int{c.n, outC, out[1]}
	}
	y = importer.NewFloat(shape, make([]float32, c.n*outC*out[0]*out[1]))
	H, W := c.in[0], c.in[1]
	xAt := func(n, ch, h, w int) float32 { return x.Float[((n*c.c+ch)*H+h)*W+w] }
	for n := 0; n < c.n; n++ {
		for oc := 0; oc < outC; oc++ {
			for oh := 0; oh < out[0]; oh++ {
				for ow := 0; ow < out[1]; ow++ {
					var v float32
					switch c.op {
					case "Conv":
						cg := c.c / c.groups
						grp := oc / (c.m / c.groups)
						if bias != nil {
							v = bias.Float[oc]
						}
						for ic := 0; ic < cg; ic++ {
							for kh := 0; kh < c.k[0]; kh++ {
								for kw := 0; kw < c.k[1]; kw++ {
									h := oh*c.s[0] - padB[0] + kh*c.d[0]
									ww := ow*c.s[1] - padB[1] + kw*c.d[1]
									if h < 0 || h >= H || ww < 0 || ww >= W {
										continue
									}
									v += xAt(n, grp*cg+ic, h, ww) * w.Float[((oc*cg+ic)*c.k[0]+kh)*c.k[1]+kw]
								}
							}
						}
					case "MaxPool":
						v = -math.MaxFloat32
						for kh := 0; kh < c.k[0]; kh++ {
							for kw := 0; kw < c.k[1]; kw++ {
								h := oh*c.s[0] - padB[0] + kh*c.d[0]
								ww := ow*c.s[1] - padB[1] + kw*c.d[1]
								if h >= 0 && h < H && ww >= 0 && ww < W {
									v = max(v, xAt(n, oc, h, ww))
								}
							}
						}
					case "AveragePool":
						var sum float64
						count := 0
						for kh := 0; kh < c.k[0]; kh++ {
							for kw := 0; kw < c.k[1]; kw++ {
								h := oh*c.s[0] - padB[0] + kh*c.d[0]
								ww := ow*c.s[1] - padB[1] + kw*c.d[1]
								inside := h >= 0 && h < H && ww >= 0 && ww < W
								// count_include_pad counts taps in the padded
								// input; taps past the end padding (ceil_mode)
								// never count.
								inPadded := h >= -padB[0] && h < H+padE[0] && ww >= -padB[1] && ww < W+padE[1]
								if inside {
									sum += float64(xAt(n, oc, h, ww))
								}
								if inside || (c.includePad && inPadded) {
									count++
								}
							}
						}
						v = float32(math.NaN())
						if count > 0 {
							v = float32(sum / float64(count))
						}
					}
					y.Float[((n*outC+oc)*out[0]+oh)*out[1]+ow] = v
				}
			}
		}
	}
	return y, true
}
