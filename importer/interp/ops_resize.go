package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// Resize (opsets 10-19) and Upsample (7-9). The output size per axis comes
// from sizes (with keep_aspect_ratio_policy) or from floor(in·scale); each
// output coordinate x is mapped to an input coordinate by the
// coordinate_transformation_mode (half_pixel, half_pixel_symmetric,
// pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
// tf_crop_and_resize with roi and extrapolation_value), then interpolated separably per axis:
// nearest (nearest_mode round_prefer_floor, round_prefer_ceil, floor,
// ceil), linear (n-linear) or cubic (cubic_coeff_a, exclude_outside).
// Taps outside the input take the edge value, as ONNX's reference does.
// antialias is refused. Upsample is Resize with asymmetric coordinates and
// floor rounding.
func init() {
	register("Resize", 1, 4, compileResize, shapeResize)
	register("Upsample", 1, 2, compileResize, shapeResize)
}

type resizeAttrs struct {
	mode, coord, nearest string
	cubicA, extrap       float64
	excludeOutside       bool
	axes                 []int64
	policy               string
	upsample             bool
	resize10             bool // opset 10 Resize (see readResizeAttrs)
	scalesAttr           []float32
}

func readResizeAttrs(n *importer.Node, opset int64) (resizeAttrs, error) {
	r := resizeAttrs{upsample: n.OpType == "Upsample"}
	var err error
	if r.mode, err = n.AttrString("mode", "nearest"); err != nil {
		return r, err
	}
	switch r.mode {
	case "nearest", "linear", "cubic":
	case "bilinear", "trilinear": // Upsample's old names
		if !r.upsample {
			return r, fmt.Errorf("mode %q", r.mode)
		}
		r.mode = "linear"
	default:
		return r, fmt.Errorf("mode %q not supported", r.mode)
	}
	if r.upsample {
		r.coord, r.nearest = "asymmetric", "floor"
		if r.scalesAttr, err = n.AttrFloats("scales"); err != nil {
			return r, err
		}
		return r, nil
	}
	defCoord := "half_pixel"
	if opset < 11 {
		defCoord = "asymmetric"
	}
	if r.coord, err = n.AttrString("coordinate_transformation_mode", defCoord); err != nil {
		return r, err
	}
	switch r.coord {
	case "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize", "tf_half_pixel_for_nn":
	default:
		return r, fmt.Errorf("coordinate_transformation_mode %q not supported", r.coord)
	}
	// Resize-10 had neither nearest_mode nor coordinate modes: nearest maps
	// with the ratio of the floored output size to the input size and
	// floors, linear with the given scale (as ONNX's test data for opset 10
	// does).
	defNearest := "round_prefer_floor"
	if opset < 11 {
		defNearest = "floor"
		r.resize10 = true
	}
	if r.nearest, err = n.AttrString("nearest_mode", defNearest); err != nil {
		return r, err
	}
	switch r.nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return r, fmt.Errorf("nearest_mode %q not supported", r.nearest)
	}
	a, err := n.AttrFloat("cubic_coeff_a", -0.75)
	if err != nil {
		return r, err
	}
	e, err := n.AttrFloat("extrapolation_value", 0)
	if err != nil {
		return r, err
	}
	r.cubicA, r.extrap = float64(a), float64(e)
	ex, err := n.AttrInt("exclude_outside", 0)
	if err != nil {
		return r, err
	}
	r.excludeOutside = ex != 0
	if aa, err := n.AttrInt("antialias", 0); err != nil {
		return r, err
	} else if aa != 0 {
		return r, fmt.Errorf("antialias is not supported")
	}
	if r.axes, err = n.AttrInts("axes"); err != nil {
		return r, err
	}
	if r.policy, err = n.AttrString("keep_aspect_ratio_policy", "stretch"); err != nil {
		return r, err
	}
	switch r.policy {
	case "stretch", "not_larger", "not_smaller":
	default:
		return r, fmt.Errorf("keep_aspect_ratio_policy %q not supported", r.policy)
	}
	return r, nil
}

// plan resolves, for input shape in, the output shape and the per-axis
// scale, from the scales or sizes inputs (nil when absent).
func (r resizeAttrs) plan(in []int, roi []float32, scales []float32, sizes []int64) (out []int, scale []float64, roiStart, roiEnd []float64, err error) {
	rank := len(in)
	axes := make([]int, 0, rank)
	if r.axes == nil {
		for i := 0; i < rank; i++ {
			axes = append(axes, i)
		}
	} else {
		for _, a := range r.axes {
			ax, err := normAxis(a, rank)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			axes = append(axes, ax)
		}
	}
	out = append([]int(nil), in...)
	scale = make([]float64, rank)
	for i := range scale {
		scale[i] = 1
	}
	switch {
	case sizes != nil:
		if len(sizes) != len(axes) {
			return nil, nil, nil, nil, fmt.Errorf("sizes %v for %d axes", sizes, len(axes))
		}
		if r.policy != "stretch" {
			s := math.Inf(1)
			if r.policy == "not_smaller" {
				s = math.Inf(-1)
			}
			for k, ax := range axes {
				v := float64(sizes[k]) / float64(in[ax])
				if r.policy == "not_larger" {
					s = math.Min(s, v)
				} else {
					s = math.Max(s, v)
				}
			}
			for _, ax := range axes {
				scale[ax] = s
				out[ax] = int(math.Round(s * float64(in[ax])))
			}
			break
		}
		for k, ax := range axes {
			if sizes[k] < 0 || sizes[k] > importer.MaxTensorElements {
				return nil, nil, nil, nil, fmt.Errorf("sizes %v out of range", sizes)
			}
			out[ax] = int(sizes[k])
			scale[ax] = float64(sizes[k]) / float64(in[ax])
		}
	case scales != nil:
		if len(scales) != len(axes) {
			return nil, nil, nil, nil, fmt.Errorf("scales %v for %d axes", scales, len(axes))
		}
		for k, ax := range axes {
			s := float64(scales[k])
			if !(s > 0) || s*float64(in[ax]) > importer.MaxTensorElements {
				return nil, nil, nil, nil, fmt.Errorf("scales %v out of range", scales)
			}
			scale[ax] = s
			out[ax] = int(math.Floor(float64(in[ax]) * s))
			if r.resize10 && r.mode == "nearest" && in[ax] > 0 {
				scale[ax] = float64(out[ax]) / float64(in[ax])
			}
		}
	default:
		return nil, nil, nil, nil, fmt.Errorf("neither scales nor sizes given")
	}
	if _, err := importer.CheckNumElements(out); err != nil {
		return nil, nil, nil, nil, err
	}
	roiStart, roiEnd = make([]float64, rank), make([]float64, rank)
	for i := range roiEnd {
		roiEnd[i] = 1
	}
	if r.coord == "tf_crop_and_resize" {
		if len(roi) != 2*len(axes) {
			return nil, nil, nil, nil, fmt.Errorf("roi %v for %d axes", roi, len(axes))
		}
		for k, ax := range axes {
			roiStart[ax], roiEnd[ax] = float64(roi[k]), float64(roi[len(axes)+k])
		}
	}
	return out, scale, roiStart, roiEnd, nil
}

// axisTaps are, per output index along one axis, the input indices and
// weights to combine; an empty list means the extrapolation value.
type resizeTaps struct {
	idx [][]int
	w   [][]float64
}

func (r resizeAttrs) taps(in, out int, scale, rs, re float64) resizeTaps {
	t := resizeTaps{idx: make([][]int, out), w: make([][]float64, out)}
	// The resized length as a real number: ONNX's reference maps align_corners
	// and tf_crop_and_resize coordinates with it, not with the floored
	// output size.
	lr := scale * float64(in)
	for x := 0; x < out; x++ {
		xf := float64(x)
		var xo float64
		switch r.coord {
		case "half_pixel":
			xo = (xf+0.5)/scale - 0.5
		case "half_pixel_symmetric":
			adj := float64(out) / (scale * float64(in))
			center := float64(in) / 2
			xo = center*(1-adj) + (xf+0.5)/scale - 0.5
		case "tf_half_pixel_for_nn":
			xo = (xf + 0.5) / scale
		case "pytorch_half_pixel":
			if lr > 1 {
				xo = (xf+0.5)/scale - 0.5
			}
		case "align_corners":
			if lr > 1 {
				xo = xf * float64(in-1) / (lr - 1)
			}
		case "asymmetric":
			xo = xf / scale
		case "tf_crop_and_resize":
			if lr > 1 {
				xo = rs*float64(in-1) + xf*(re-rs)*float64(in-1)/(lr-1)
			} else {
				xo = 0.5 * (rs + re) * float64(in-1)
			}
			if xo < 0 || xo > float64(in-1) {
				continue // extrapolation value
			}
		}
		clampI := func(i int) int { return min(max(i, 0), in-1) }
		switch r.mode {
		case "nearest":
			var i float64
			switch r.nearest {
			case "round_prefer_floor":
				if xo == math.Floor(xo)+0.5 {
					i = math.Floor(xo)
				} else {
					i = math.Round(xo)
				}
			case "round_prefer_ceil":
				if xo == math.Floor(xo)+0.5 {
					i = math.Ceil(xo)
				} else {
					i = math.Round(xo)
				}
			case "floor":
				i = math.Floor(xo)
			case "ceil":
				i = math.Ceil(xo)
			}
			t.idx[x], t.w[x] = []int{clampI(int(i))}, []float64{1}
		case "linear":
			x0 := math.Floor(xo)
			f := xo - x0
			t.idx[x] = []int{clampI(int(x0)), clampI(int(x0) + 1)}
			t.w[x] = []float64{1 - f, f}
		case "cubic":
			x0 := math.Floor(xo)
			f := xo - x0
			a := r.cubicA
			ws := []float64{
				((a*(f+1)-5*a)*(f+1)+8*a)*(f+1) - 4*a,
				((a+2)*f-(a+3))*f*f + 1,
				((a+2)*(1-f)-(a+3))*(1-f)*(1-f) + 1,
				((a*(2-f)-5*a)*(2-f)+8*a)*(2-f) - 4*a,
			}
			idx := make([]int, 4)
			sum := 0.0
			for k := range ws {
				j := int(x0) - 1 + k
				if r.excludeOutside && (j < 0 || j >= in) {
					ws[k] = 0
				}
				sum += ws[k]
				idx[k] = clampI(j)
			}
			if r.excludeOutside && sum != 0 {
				for k := range ws {
					ws[k] /= sum
				}
			}
			t.idx[x], t.w[x] = idx, ws
		}
	}
	return t
}

func compileResize(c *compileCtx, n *importer.Node) (kernel, error) {
	r, err := readResizeAttrs(n, c.opset)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		roi, scales, sizes, err := r.inputs(ins, c.opset)
		if err != nil {
			return nil, err
		}
		shape, scale, rs, re, err := r.plan(x.Shape, roi, scales, sizes)
		if err != nil {
			return nil, err
		}
		rank := len(shape)
		taps := make([]resizeTaps, rank)
		for d := 0; d < rank; d++ {
			taps[d] = r.taps(x.Shape[d], shape[d], scale[d], rs[d], re[d])
		}
		st := importer.Strides(x.Shape)
		out := ar.newFloat(shape)
		o := 0
		k := make([]int, rank)
		forEachIndex(shape, func(idx []int) {
			// Sum over the product of the axes' taps.
			for d := 0; d < rank; d++ {
				if len(taps[d].idx[idx[d]]) == 0 {
					out.Float[o] = float32(r.extrap)
					o++
					return
				}
				k[d] = 0
			}
			sum := 0.0
			for {
				off, w := 0, 1.0
				for d := 0; d < rank; d++ {
					off += taps[d].idx[idx[d]][k[d]] * st[d]
					w *= taps[d].w[idx[d]][k[d]]
				}
				sum += w * float64(x.Float[off])
				d := rank - 1
				for ; d >= 0; d-- {
					k[d]++
					if k[d] < len(taps[d].idx[idx[d]]) {
						break
					}
					k[d] = 0
				}
				if d < 0 {
					break
				}
			}
			out.Float[o] = float32(sum)
			o++
		})
		return one(out), nil
	}, nil
}

// inputs reads roi, scales and sizes by opset and op: Upsample has scales
// as attribute (7-8) or input 1 (9); Resize 10 has scales as input 1, from
// 11 roi, scales, sizes as inputs 1-3. Empty tensors count as absent.
func (r resizeAttrs) inputs(ins []*importer.Tensor, opset int64) (roi, scales []float32, sizes []int64, err error) {
	get := func(i int) *importer.Tensor {
		if i < len(ins) && ins[i] != nil && ins[i].Len() > 0 {
			return ins[i]
		}
		return nil
	}
	floats := func(t *importer.Tensor, what string) ([]float32, error) {
		if t == nil {
			return nil, nil
		}
		if !t.IsFloat() {
			return nil, fmt.Errorf("%s must be a float tensor, have %s", what, t)
		}
		return t.Float, nil
	}
	if r.upsample || opset < 11 {
		if r.scalesAttr != nil {
			return nil, r.scalesAttr, nil, nil
		}
		scales, err = floats(get(1), "scales")
		return nil, scales, nil, err
	}
	if roi, err = floats(get(1), "roi"); err != nil {
		return nil, nil, nil, err
	}
	if scales, err = floats(get(2), "scales"); err != nil {
		return nil, nil, nil, err
	}
	if t := get(3); t != nil {
		if sizes, err = intList(t, "sizes"); err != nil {
			return nil, nil, nil, err
		}
		if scales != nil {
			return nil, nil, nil, fmt.Errorf("both scales and sizes given")
		}
	}
	return roi, scales, sizes, nil
}

// shapeResize is the shape rule of Resize and Upsample: the rank is kept;
// sizes are known when scales or sizes are constants and the input static.
func shapeResize(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	if !x.Known {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	r, err := readResizeAttrs(sc.n, sc.c.opset)
	if err != nil {
		return nil, err
	}
	unknown := []*ValueShape{{DType: x.DType, Dims: unknownDims(len(x.Dims)), Known: true}}
	if len(sc.n.Inputs) > 3 && sc.n.Inputs[3] != "" && sc.cst(3) == nil {
		if dims := symbolicSizes(sc, r, len(x.Dims), 3); dims != nil {
			return []*ValueShape{{DType: x.DType, Dims: dims, Known: true}}, nil
		}
	}
	in, ok := intsOf(x.Dims)
	if !ok {
		return unknown, nil
	}
	ins := make([]*importer.Tensor, len(sc.n.Inputs))
	for i := 1; i < len(ins); i++ {
		if sc.n.Inputs[i] != "" {
			if ins[i] = sc.cst(i); ins[i] == nil {
				return unknown, nil
			}
		}
	}
	roi, scales, sizes, err := r.inputs(ins, sc.c.opset)
	if err != nil {
		return nil, err
	}
	shape, _, _, _, err := r.plan(in, roi, scales, sizes)
	if err != nil {
		return nil, err
	}
	return []*ValueShape{{DType: x.DType, Dims: dimsOf(shape), Known: true}}, nil
}

// ResizeAxis is the interpolation along one axis of a Resize: for every
// output index, the input indices and their weights (no taps: the
// extrapolation value).
type ResizeAxis struct {
	Index  [][]int
	Weight [][]float64
}

// ResizePlan is what Resize or Upsample node n does to an input of shape
// in: the output shape and, per axis, the separable interpolation taps
// (output = Σ over the product of the axes' taps of Π weights · input), and
// the extrapolation value. args are the node's inputs after the data (roi,
// scales, sizes by opset; nil when absent). quant builds its integer Resize
// from this plan, so the float and integer paths share one definition of
// the coordinate and rounding modes.
func ResizePlan(n *importer.Node, opset int64, in []int, args []*importer.Tensor) (out []int, axes []ResizeAxis, extrapolation float64, err error) {
	r, err := readResizeAttrs(n, opset)
	if err != nil {
		return nil, nil, 0, err
	}
	roi, scales, sizes, err := r.inputs(append([]*importer.Tensor{nil}, args...), opset)
	if err != nil {
		return nil, nil, 0, err
	}
	out, scale, rs, re, err := r.plan(in, roi, scales, sizes)
	if err != nil {
		return nil, nil, 0, err
	}
	axes = make([]ResizeAxis, len(out))
	for d := range out {
		t := r.taps(in[d], out[d], scale[d], rs[d], re[d])
		axes[d] = ResizeAxis{Index: t.idx, Weight: t.w}
	}
	return out, axes, r.extrap, nil
}

// symbolicSizes returns the output dims of a Resize whose sizes (input i)
// are not constant but known up to symbols (PyTorch's interpolate writes
// sizes = concat(shape(x)[:2], constant)): with sizes over every axis and
// the stretch policy they are the output dims. nil otherwise.
func symbolicSizes(sc *shapeCtx, r resizeAttrs, rank, i int) []importer.Dim {
	if r.upsample || sc.c.opset < 11 || r.axes != nil || r.policy != "stretch" {
		return nil
	}
	s := sc.in(i)
	if s == nil || s.Vals == nil || len(s.Vals) != rank {
		return nil
	}
	for _, d := range s.Vals {
		if IsUnknownDim(d) || d.Param == "" && d.Value < 0 {
			return nil
		}
	}
	return append([]importer.Dim(nil), s.Vals...)
}
