package interp

import (
	"fmt"
	"slices"

	"github.com/rramc/rramc/importer"
)

// Window geometry of Conv and pooling nodes, and im2col. This is the one
// implementation of the ONNX window arithmetic (kernel_shape, strides,
// dilations, pads, auto_pad, ceil_mode) in rramc: the float kernels, shape
// inference and the quantizer's integer Conv and pooling all resolve a node
// through NodeWindow and lower a Conv with Im2col or Im2colRows.

// convAttrs holds a Conv node's spatial attributes as given (per spatial
// axis, before resolving against an input size).
type convAttrs struct {
	kernel, strides, dilations, pads []int
	autoPad                          string
	group                            int
}

func readConvAttrs(n *importer.Node, pool bool) (convAttrs, error) {
	var a convAttrs
	var err error
	if a.kernel, err = n.AttrSmallInts("kernel_shape"); err != nil {
		return a, err
	}
	if a.strides, err = n.AttrSmallInts("strides"); err != nil {
		return a, err
	}
	if a.dilations, err = n.AttrSmallInts("dilations"); err != nil {
		return a, err
	}
	if a.pads, err = n.AttrSmallInts("pads"); err != nil {
		return a, err
	}
	if a.autoPad, err = n.AttrString("auto_pad", "NOTSET"); err != nil {
		return a, err
	}
	switch a.autoPad {
	case "", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return a, fmt.Errorf("unknown auto_pad %q", a.autoPad)
	}
	if !pool {
		g, err := n.AttrInt("group", 1)
		if err != nil {
			return a, err
		}
		if g < 1 || g > 1<<24 {
			return a, fmt.Errorf("group %d out of range", g)
		}
		a.group = int(g)
	} else if a.kernel == nil {
		return a, fmt.Errorf("kernel_shape is required")
	}
	return a, nil
}

// axisAttrs is one spatial axis of a window's attributes with ONNX's
// defaults applied: kernel, stride, dilation, pads before and after.
type axisAttrs struct{ k, s, d, pb, pe int }

// maxSpatial is the highest spatial rank rramc's windows take (3-D Conv
// and pooling over D×H×W).
const maxSpatial = 3

// axes resolves the attributes for `spatial` spatial dims (1 to 3) and a
// kernel of the given size (from the weight shape when kernel_shape is
// absent), one entry per axis in the tensor's order.
func (a convAttrs) axes(spatial int, kernel []int) ([]axisAttrs, error) {
	if spatial < 1 || spatial > maxSpatial {
		return nil, fmt.Errorf("%d-D windows are not supported (1-D to %d-D)", spatial, maxSpatial)
	}
	if a.kernel != nil {
		if len(a.kernel) != spatial {
			return nil, fmt.Errorf("kernel_shape %v does not have %d dims", a.kernel, spatial)
		}
		if kernel != nil && !slices.Equal(a.kernel, kernel) {
			return nil, fmt.Errorf("kernel_shape %v differs from weight spatial shape %v", a.kernel, kernel)
		}
		kernel = a.kernel
	}
	if len(kernel) != spatial {
		return nil, fmt.Errorf("kernel %v does not have %d dims", kernel, spatial)
	}
	chk := func(name string, v []int, want int) error {
		if v != nil && len(v) != want {
			return fmt.Errorf("%s %v has %d values, want %d", name, v, len(v), want)
		}
		return nil
	}
	if err := chk("strides", a.strides, spatial); err != nil {
		return nil, err
	}
	if err := chk("dilations", a.dilations, spatial); err != nil {
		return nil, err
	}
	if err := chk("pads", a.pads, 2*spatial); err != nil {
		return nil, err
	}
	get := func(v []int, i, def int) int {
		if v == nil {
			return def
		}
		return v[i]
	}
	ax := make([]axisAttrs, spatial)
	for i := range ax {
		ax[i] = axisAttrs{k: kernel[i], s: get(a.strides, i, 1), d: get(a.dilations, i, 1),
			pb: get(a.pads, i, 0), pe: get(a.pads, spatial+i, 0)}
		if ax[i].s <= 0 || ax[i].d <= 0 {
			return nil, fmt.Errorf("strides and dilations must be positive")
		}
	}
	return ax, nil
}

// params resolves the attributes for `spatial` (1 or 2) spatial dims in
// the 2-D form of ConvParams.
func (a convAttrs) params(spatial int, kernel []int, ceil bool) (ConvParams, error) {
	if spatial > 2 {
		return ConvParams{}, fmt.Errorf("internal error: %d-D window in 2-D form", spatial)
	}
	ax, err := a.axes(spatial, kernel)
	if err != nil {
		return ConvParams{}, err
	}
	p := ConvParams{AutoPad: a.autoPad, CeilMode: ceil, KernelH: 1, StrideH: 1, DilationH: 1}
	h, w := ax[0], ax[len(ax)-1]
	if spatial == 2 {
		p.KernelH, p.StrideH, p.DilationH = h.k, h.s, h.d
		p.Pads[0], p.Pads[2] = h.pb, h.pe
	}
	p.KernelW, p.StrideW, p.DilationW = w.k, w.s, w.d
	p.Pads[1], p.Pads[3] = w.pb, w.pe
	return p, nil
}

// spatialHW reads the spatial size of an N×C×(H×)W tensor as H, W.
func spatialHW(shape []int) (h, w int) {
	if len(shape) == 3 {
		return 1, shape[2]
	}
	return shape[2], shape[3]
}

// ConvParams are the spatial attributes of an ONNX Conv or pooling node in
// 2-D form (a 1-D node uses H = 1, KernelH = 1, stride 1, no H padding).
type ConvParams struct {
	KernelH, KernelW     int
	StrideH, StrideW     int    // 0 means 1
	DilationH, DilationW int    // 0 means 1
	Pads                 [4]int // ONNX order: H begin, W begin, H end, W end
	AutoPad              string // "", "NOTSET", "SAME_UPPER", "SAME_LOWER" or "VALID"
	CeilMode             bool   // pooling only: round the output size up
}

// ConvGeometry is the resolved shape arithmetic of one 2-D convolution or
// pooling window over a C×H×W input: effective pads and output size. With
// effective kernel extent e = (k-1)·d + 1 the output size per axis is
//
//	NOTSET: out = floor((in + pad_begin + pad_end - e) / s) + 1   (ceil with CeilMode,
//	        dropping a last window that would start in the end padding)
//	VALID:  as NOTSET with no padding
//	SAME_*: out = ceil(in / s), total pad = max(0, (out-1)·s + e - in), split
//	        evenly with the odd element at the end (SAME_UPPER) or the
//	        beginning (SAME_LOWER)
//
// exactly as the ONNX operator specification defines it.
type ConvGeometry struct {
	InC, InH, InW    int // input channels (all groups), height, width
	Groups           int // channel groups (1 = dense, InC = depthwise)
	KH, KW           int
	StrideH, StrideW int
	DilH, DilW       int
	PadT, PadL       int // padding before (top, left)
	PadB, PadR       int // padding after (bottom, right)
	OutH, OutW       int
}

// NewConvGeometry resolves p for an input of inC×inH×inW split in groups.
func NewConvGeometry(inC, inH, inW, groups int, p ConvParams) (ConvGeometry, error) {
	g := ConvGeometry{InC: inC, InH: inH, InW: inW, Groups: groups, KH: p.KernelH, KW: p.KernelW,
		StrideH: p.StrideH, StrideW: p.StrideW, DilH: p.DilationH, DilW: p.DilationW}
	if g.StrideH == 0 {
		g.StrideH = 1
	}
	if g.StrideW == 0 {
		g.StrideW = 1
	}
	if g.DilH == 0 {
		g.DilH = 1
	}
	if g.DilW == 0 {
		g.DilW = 1
	}
	switch {
	case inC <= 0 || inH <= 0 || inW <= 0:
		return g, fmt.Errorf("input %dx%dx%d has an empty dimension", inC, inH, inW)
	case groups <= 0 || inC%groups != 0:
		return g, fmt.Errorf("%d input channels cannot be split in %d groups", inC, groups)
	case g.KH <= 0 || g.KW <= 0:
		return g, fmt.Errorf("kernel %dx%d is empty", g.KH, g.KW)
	case g.StrideH < 0 || g.StrideW < 0 || g.DilH < 0 || g.DilW < 0:
		return g, fmt.Errorf("negative stride or dilation")
	case g.KH > 1<<20 || g.KW > 1<<20 || g.DilH > 1<<20 || g.DilW > 1<<20 || g.StrideH > 1<<20 || g.StrideW > 1<<20:
		return g, fmt.Errorf("kernel, stride or dilation too large")
	}
	for _, v := range p.Pads {
		if v < 0 || v > 1<<20 {
			return g, fmt.Errorf("pads %v out of range", p.Pads)
		}
	}
	var err error
	g.OutH, g.PadT, g.PadB, err = convAxis(inH, g.KH, g.StrideH, g.DilH, p.Pads[0], p.Pads[2], p.AutoPad, p.CeilMode)
	if err != nil {
		return g, fmt.Errorf("height: %w", err)
	}
	g.OutW, g.PadL, g.PadR, err = convAxis(inW, g.KW, g.StrideW, g.DilW, p.Pads[1], p.Pads[3], p.AutoPad, p.CeilMode)
	if err != nil {
		return g, fmt.Errorf("width: %w", err)
	}
	return g, nil
}

// convAxis computes one axis: output size and effective pads.
func convAxis(in, k, s, d, pb, pe int, autoPad string, ceil bool) (out, padB, padE int, err error) {
	ext := (k-1)*d + 1
	if autoPad == "VALID" {
		// No padding; ceil_mode applies as with explicit pads (ONNX shape
		// inference, onnxruntime), including the rule below.
		autoPad, pb, pe = "NOTSET", 0, 0
	}
	switch autoPad {
	case "", "NOTSET":
		span := in + pb + pe - ext
		if span < 0 {
			return 0, 0, 0, fmt.Errorf("window extent %d larger than padded input %d", ext, in+pb+pe)
		}
		if ceil {
			out = (span+s-1)/s + 1
			// A window may not start in the end padding (PyTorch and
			// onnxruntime drop it).
			if (out-1)*s >= in+pb {
				out--
			}
		} else {
			out = span/s + 1
		}
		return out, pb, pe, nil
	case "SAME_UPPER", "SAME_LOWER":
		out = (in + s - 1) / s
		total := max(0, (out-1)*s+ext-in)
		if autoPad == "SAME_UPPER" {
			padB = total / 2
		} else {
			padB = total - total/2
		}
		return out, padB, total - padB, nil
	}
	return 0, 0, 0, fmt.Errorf("unknown auto_pad %q", autoPad)
}

// GroupC is the number of input channels per group.
func (g *ConvGeometry) GroupC() int { return g.InC / g.Groups }

// K is the im2col row count per group: GroupC·KH·KW.
func (g *ConvGeometry) K() int { return g.GroupC() * g.KH * g.KW }

// P is the number of output positions OutH·OutW (im2col columns).
func (g *ConvGeometry) P() int { return g.OutH * g.OutW }

// Im2col lowers one group of one image for convolution as a matrix product.
// src holds GroupC()×InH×InW values (channel-major, the group's slice of an
// NCHW image); dst receives the K()×P() matrix whose row
// (c·KH + kh)·KW + kw and column oh·OutW + ow holds
//
//	src[c, oh·StrideH - PadT + kh·DilH, ow·StrideW - PadL + kw·DilW]
//
// or pad where that position falls outside the image. Row order equals the
// flattening of an ONNX weight [M, C/group, kH, kW], so the output of group
// g is W_g (M/group × K) times this matrix. T is generic so that the
// quantizer can lower integer codes with the same geometry (pad is then the
// input zero point code).
func Im2col[T any](g *ConvGeometry, src, dst []T, pad T) {
	gc, p := g.GroupC(), g.P()
	if len(src) < gc*g.InH*g.InW || len(dst) < g.K()*p {
		panic(fmt.Sprintf("importer.Im2col: src %d / dst %d values too short for geometry %+v", len(src), len(dst), *g))
	}
	row := 0
	for c := 0; c < gc; c++ {
		plane := src[c*g.InH*g.InW : (c+1)*g.InH*g.InW]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				im2colRow(g, plane, kh, kw, dst[row*p:(row+1)*p], pad)
				row++
			}
		}
	}
}

// im2colRow writes the im2col row of kernel tap (kh, kw) of one channel
// plane into out (P values).
func im2colRow[T any](g *ConvGeometry, plane []T, kh, kw int, out []T, pad T) {
	offW := kw*g.DilW - g.PadL
	// Output columns ow whose input column is inside the image:
	// 0 <= ow*s + offW < InW.
	owLo := 0
	if offW < 0 {
		owLo = (-offW + g.StrideW - 1) / g.StrideW
	}
	owHi := 0 // exclusive
	if g.InW-offW > 0 {
		owHi = (g.InW - offW + g.StrideW - 1) / g.StrideW
	}
	// Clamp to [0, OutW] with owLo <= owHi. When the tap never lands inside
	// the image (a kernel wider than a small padded input) the range is
	// empty and every output is padding; the slices below must then not be
	// formed at all, since owLo+offW may be negative or past InW.
	owHi = min(owHi, g.OutW)
	owLo = min(owLo, g.OutW)
	if owHi < owLo {
		owHi = owLo
	}
	for oh := 0; oh < g.OutH; oh++ {
		ih := oh*g.StrideH - g.PadT + kh*g.DilH
		o := out[oh*g.OutW : (oh+1)*g.OutW]
		if ih < 0 || ih >= g.InH {
			for i := range o {
				o[i] = pad
			}
			continue
		}
		in := plane[ih*g.InW : (ih+1)*g.InW]
		for i := 0; i < owLo; i++ {
			o[i] = pad
		}
		if owHi == owLo {
			// no input column in range
		} else if g.StrideW == 1 {
			if owHi-owLo <= 32 {
				// Short runs (small feature maps): a plain loop beats the
				// memmove call.
				src := in[owLo+offW : owHi+offW]
				dst := o[owLo:owHi]
				for i := range dst {
					dst[i] = src[i]
				}
			} else {
				copy(o[owLo:owHi], in[owLo+offW:owHi+offW])
			}
		} else {
			iw := owLo*g.StrideW + offW
			for i := owLo; i < owHi; i++ {
				o[i] = in[iw]
				iw += g.StrideW
			}
		}
		for i := owHi; i < g.OutW; i++ {
			o[i] = pad
		}
	}
}

// NodeWindow resolves the window of a Conv, MaxPool or AveragePool node
// over one sample of inC channels and the given spatial size (1 or 2
// dims; a 1-D window has H = 1). kernel is a Conv weight's spatial shape
// (nil for pooling, whose kernel_shape is required); groups splits the
// channels (1 for pooling). Errors describe the attribute at fault.
func NodeWindow(n *importer.Node, inC int, spatial, kernel []int, groups int) (ConvGeometry, error) {
	pool := n.OpType != "Conv"
	at, err := readConvAttrs(n, pool)
	if err != nil {
		return ConvGeometry{}, err
	}
	ceil := false
	if pool {
		c, err := n.AttrInt("ceil_mode", 0)
		if err != nil {
			return ConvGeometry{}, err
		}
		ceil = c != 0
	}
	p, err := at.params(len(spatial), kernel, ceil)
	if err != nil {
		return ConvGeometry{}, err
	}
	h, w := 1, spatial[len(spatial)-1]
	if len(spatial) == 2 {
		h = spatial[0]
	}
	return NewConvGeometry(inC, h, w, groups, p)
}

// Im2colRows is Im2col transposed: dst receives the P()×K() matrix whose
// row oh·OutW + ow holds the K() window values of that output position, in
// the same (c, kh, kw) order, for an integer GEMM that multiplies positions
// by weights (K×N). src holds the group's GroupC()×InH×InW values.
func Im2colRows[T any](g *ConvGeometry, src, dst []T, pad T) {
	gc, p, k := g.GroupC(), g.P(), g.K()
	if len(src) < gc*g.InH*g.InW || len(dst) < k*p {
		panic(fmt.Sprintf("interp.Im2colRows: src %d / dst %d values too short for geometry %+v", len(src), len(dst), *g))
	}
	hw := g.InH * g.InW
	for oh := 0; oh < g.OutH; oh++ {
		for ow := 0; ow < g.OutW; ow++ {
			row := dst[(oh*g.OutW+ow)*k : (oh*g.OutW+ow+1)*k]
			t := 0
			x0 := ow*g.StrideW - g.PadL
			for c := 0; c < gc; c++ {
				plane := src[c*hw : (c+1)*hw]
				for i := 0; i < g.KH; i++ {
					y := oh*g.StrideH - g.PadT + i*g.DilH
					if y < 0 || y >= g.InH {
						for j := 0; j < g.KW; j++ {
							row[t] = pad
							t++
						}
						continue
					}
					line := plane[y*g.InW : (y+1)*g.InW]
					if g.DilW == 1 && x0 >= 0 && x0+g.KW <= g.InW {
						copy(row[t:t+g.KW], line[x0:x0+g.KW])
						t += g.KW
						continue
					}
					for j := 0; j < g.KW; j++ {
						if x := x0 + j*g.DilW; x >= 0 && x < g.InW {
							row[t] = line[x]
						} else {
							row[t] = pad
						}
						t++
					}
				}
			}
		}
	}
}

// Axis is one spatial axis of a window resolved against its input size:
// the attributes with defaults applied, the effective pads and the output
// size (convAxis, the same arithmetic as ConvGeometry's axes).
type Axis struct {
	In, Kernel, Stride, Dil int
	PadBegin, PadEnd        int
	Out                     int
}

// WindowGeometry is the window of a Conv or pooling node over any number of
// spatial axes (rramc's 3-D Conv and pooling; 1-D and 2-D windows resolve
// to the same numbers, and their kernels use the 2-D form ConvGeometry).
type WindowGeometry struct {
	InC, Groups int
	Axes        []Axis
}

// GroupC is the number of input channels per group.
func (g *WindowGeometry) GroupC() int { return g.InC / g.Groups }

// Taps is the number of kernel taps per channel (product of kernel sizes).
func (g *WindowGeometry) Taps() int {
	n := 1
	for _, a := range g.Axes {
		n *= a.Kernel
	}
	return n
}

// K is the im2col row count per group: GroupC·∏kernel.
func (g *WindowGeometry) K() int { return g.GroupC() * g.Taps() }

// P is the number of output positions (im2col columns), ∏out.
func (g *WindowGeometry) P() int {
	n := 1
	for _, a := range g.Axes {
		n *= a.Out
	}
	return n
}

// InSize is the number of input positions per channel, ∏in.
func (g *WindowGeometry) InSize() int {
	n := 1
	for _, a := range g.Axes {
		n *= a.In
	}
	return n
}

// OutShape is the spatial output shape.
func (g *WindowGeometry) OutShape() []int {
	s := make([]int, len(g.Axes))
	for i, a := range g.Axes {
		s[i] = a.Out
	}
	return s
}

// NodeWindowND resolves the window of a Conv, MaxPool or AveragePool node
// over one sample of inC channels and the given spatial size (1 to 3
// dims). kernel and groups are as for NodeWindow.
func NodeWindowND(n *importer.Node, inC int, spatial, kernel []int, groups int) (WindowGeometry, error) {
	pool := n.OpType != "Conv"
	at, err := readConvAttrs(n, pool)
	if err != nil {
		return WindowGeometry{}, err
	}
	ceil := false
	if pool {
		c, err := n.AttrInt("ceil_mode", 0)
		if err != nil {
			return WindowGeometry{}, err
		}
		ceil = c != 0
	}
	ax, err := at.axes(len(spatial), kernel)
	if err != nil {
		return WindowGeometry{}, err
	}
	return newWindowGeometry(inC, groups, spatial, ax, at.autoPad, ceil)
}

// newWindowGeometry resolves per-axis attributes against the input, with
// the same checks as NewConvGeometry.
func newWindowGeometry(inC, groups int, spatial []int, ax []axisAttrs, autoPad string, ceil bool) (WindowGeometry, error) {
	g := WindowGeometry{InC: inC, Groups: groups, Axes: make([]Axis, len(ax))}
	switch {
	case inC <= 0:
		return g, fmt.Errorf("input has %d channels", inC)
	case groups <= 0 || inC%groups != 0:
		return g, fmt.Errorf("%d input channels cannot be split in %d groups", inC, groups)
	}
	for i, a := range ax {
		switch {
		case spatial[i] <= 0:
			return g, fmt.Errorf("input spatial shape %v has an empty dimension", spatial)
		case a.k <= 0:
			return g, fmt.Errorf("kernel dimension %d is %d", i, a.k)
		case a.k > 1<<20 || a.s > 1<<20 || a.d > 1<<20:
			return g, fmt.Errorf("kernel, stride or dilation too large")
		case a.pb < 0 || a.pe < 0 || a.pb > 1<<20 || a.pe > 1<<20:
			return g, fmt.Errorf("pads %d, %d of axis %d out of range", a.pb, a.pe, i)
		}
		out, pb, pe, err := convAxis(spatial[i], a.k, a.s, a.d, a.pb, a.pe, autoPad, ceil)
		if err != nil {
			return g, fmt.Errorf("spatial axis %d: %w", i, err)
		}
		g.Axes[i] = Axis{In: spatial[i], Kernel: a.k, Stride: a.s, Dil: a.d, PadBegin: pb, PadEnd: pe, Out: out}
	}
	return g, nil
}

// tapIndex lists, for each kernel tap t and output position o of one axis,
// the input coordinate o·stride − padBegin + t·dil, or −1 outside the input.
func (a *Axis) tapIndex() []int {
	idx := make([]int, a.Kernel*a.Out)
	for t := 0; t < a.Kernel; t++ {
		for o := 0; o < a.Out; o++ {
			i := o*a.Stride - a.PadBegin + t*a.Dil
			if i < 0 || i >= a.In {
				i = -1
			}
			idx[t*a.Out+o] = i
		}
	}
	return idx
}

// Im2colND is Im2col over any number of spatial axes: src holds
// GroupC()×InSize() values of one group of one image; dst receives the
// K()×P() matrix whose row (c, kernel tap in row-major order) and column
// (output position in row-major order) holds the input value the tap
// reads there, or pad outside the input. The row order is the flattening of
// an ONNX weight [M, C/group, k...].
func Im2colND[T any](g *WindowGeometry, src, dst []T, pad T) {
	gc, p, in := g.GroupC(), g.P(), g.InSize()
	if len(src) < gc*in || len(dst) < g.K()*p {
		panic(fmt.Sprintf("interp.Im2colND: src %d / dst %d values too short for geometry %+v", len(src), len(dst), *g))
	}
	// Pad to three axes with leading unit axes so that one loop nest serves
	// every rank.
	axes := make([]Axis, 0, maxSpatial)
	for len(axes)+len(g.Axes) < maxSpatial {
		axes = append(axes, Axis{In: 1, Kernel: 1, Stride: 1, Dil: 1, Out: 1})
	}
	axes = append(axes, g.Axes...)
	d, h, w := &axes[0], &axes[1], &axes[2]
	ti := [3][]int{d.tapIndex(), h.tapIndex(), w.tapIndex()}
	row := 0
	for c := 0; c < gc; c++ {
		plane := src[c*in : (c+1)*in]
		for kd := 0; kd < d.Kernel; kd++ {
			for kh := 0; kh < h.Kernel; kh++ {
				for kw := 0; kw < w.Kernel; kw++ {
					out := dst[row*p : (row+1)*p]
					col := 0
					for od := 0; od < d.Out; od++ {
						z := ti[0][kd*d.Out+od]
						for oh := 0; oh < h.Out; oh++ {
							y := ti[1][kh*h.Out+oh]
							for ow := 0; ow < w.Out; ow++ {
								x := ti[2][kw*w.Out+ow]
								if z < 0 || y < 0 || x < 0 {
									out[col] = pad
								} else {
									out[col] = plane[(z*h.In+y)*w.In+x]
								}
								col++
							}
						}
					}
					row++
				}
			}
		}
	}
}
