package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// The integer op kind OpResize: Resize and Upsample (nearest, linear, cubic;
// every coordinate mode the float interpreter has) in exact fixed point,
// same scale as the input. The interpolation is separable: along per-sample
// axis d every output index has T_d taps (input index i, weight w), and
//
//	y = clamp(round(Σ over the product of the axes' taps of Π_d W_d · x) / 2^(F·r)), lo, hi)
//
// with W = round(w·2^F), F = resizeFracBits, r the per-sample rank, and the
// taps of one output adjusted so that their fixed-point weights sum to
// exactly 2^F when the real ones sum to 1 (a constant image stays exactly
// constant). The division is one rounding, to nearest, ties to even. The
// taps and weights are the float interpreter's own (interp.ResizePlan).
//
// Table holds, axis after axis, for every output index of the axis its T_d
// (index, W) pairs; an index of -1 marks the extrapolation value
// (tf_crop_and_resize outside the region), whose code is Bias[0]. Perm holds
// T_d per axis.

// resizeFracBits is F, the fraction bits of the interpolation weights: the
// weight error of at most 2^-13 moves an 8-bit code by < 0.04.
const resizeFracBits = 12

// resizeMaxRank bounds the per-sample rank: the weight products (F bits per
// axis) times a code and up to 4 taps per axis must stay below 2^63.
const resizeMaxRank = 3

func init() {
	registerKind(OpResize, kindSpec{keepsEncoding: true, exec: execResize, check: checkResize, export: exportResize, work: resizeWork})
	registerBuilder("Resize", (*builder).resize)
	registerBuilder("Upsample", (*builder).resize)
}

// resizeWork: one multiply-add per tap combination of every output code.
func resizeWork(n *Network, op *Op) DigitalWork {
	taps := int64(1)
	for _, t := range op.Perm {
		taps *= int64(t)
	}
	return DigitalWork{PoolOps: n.elems(op.Out) * taps}
}

// resizeTap is one input index (times its axis stride) and weight.
type resizeTap struct {
	off int
	w   int64
}

// resizeTaps splits op.Table into per axis, per output index tap lists
// (nil: extrapolation), with offsets scaled by the input strides.
func resizeTaps(op *Op, in, out []int) [][][]resizeTap {
	stride := make([]int, len(in))
	s := 1
	for d := len(in) - 1; d >= 0; d-- {
		stride[d] = s
		s *= in[d]
	}
	taps := make([][][]resizeTap, len(out))
	pos := 0
	for d, n := range out {
		t := op.Perm[d]
		taps[d] = make([][]resizeTap, n)
		for o := range taps[d] {
			var list []resizeTap
			for k := 0; k < t; k++ {
				i, w := op.Table[pos], op.Table[pos+1]
				pos += 2
				if i >= 0 {
					list = append(list, resizeTap{off: int(i) * stride[d], w: int64(w)})
				}
			}
			taps[d][o] = list
		}
	}
	return taps
}

func execResize(x *execCtx) error {
	op := x.op
	inV := &x.n.Values[op.In[0]]
	out := x.outV.Shape
	taps := resizeTaps(op, inV.Shape, out)
	r := len(out)
	shift := int64(1) << (resizeFracBits * r)
	lo, hi := x.outV.Range()
	fill := gatherFill(op)
	per, inPer := x.outV.size(), inV.size()
	idx := make([]int, r)
	for s := 0; s < x.bs; s++ {
		src, dst := x.vals[op.In[0]][s*inPer:(s+1)*inPer], x.out[s*per:(s+1)*per]
		var acc func(d, off int, w int64) int64
		acc = func(d, off int, w int64) int64 {
			if d == r {
				return w * int64(src[off])
			}
			var sum int64
			for _, t := range taps[d][idx[d]] {
				if t.w != 0 {
					sum += acc(d+1, off+t.off, w*t.w)
				}
			}
			return sum
		}
		clear(idx)
		for o := range dst {
			extrap := false
			for d := range idx {
				if taps[d][idx[d]] == nil {
					extrap = true
				}
			}
			if extrap {
				dst[o] = fill
			} else {
				dst[o] = clamp32(int32(roundDiv(acc(0, 0, 1), shift)), lo, hi)
			}
			for d := r - 1; d >= 0; d-- {
				idx[d]++
				if idx[d] < out[d] {
					break
				}
				idx[d] = 0
			}
		}
	}
	return nil
}

func checkResize(x *checkCtx) error {
	op := x.op
	in, out := x.in, x.out
	if !in.sameEncoding(out) {
		return fmt.Errorf("resize changes the encoding")
	}
	r := len(out.Shape)
	if r == 0 || r > resizeMaxRank || len(in.Shape) != r || len(op.Perm) != r {
		return fmt.Errorf("ranks: input %v, output %v, %d tap counts", in.Shape, out.Shape, len(op.Perm))
	}
	want := 0
	for d, t := range op.Perm {
		if t < 1 || t > 4 {
			return fmt.Errorf("%d taps on axis %d", t, d)
		}
		want += 2 * t * out.Shape[d]
	}
	if len(op.Table) != want {
		return fmt.Errorf("tap table of %d entries, want %d", len(op.Table), want)
	}
	if len(op.Bias) > 1 {
		return fmt.Errorf("%d fill codes", len(op.Bias))
	}
	if f := gatherFill(op); f < x.olo || f > x.ohi {
		return fmt.Errorf("fill code %d outside the value's codes", f)
	}
	pos := 0
	for d, t := range op.Perm {
		for range out.Shape[d] * t {
			i, w := op.Table[pos], op.Table[pos+1]
			pos += 2
			if i < -1 || i >= int32(in.Shape[d]) || w < -4<<resizeFracBits || w > 4<<resizeFracBits {
				return fmt.Errorf("axis %d: tap (%d, %d) outside input %v or weight range", d, i, w, in.Shape)
			}
		}
	}
	return nil
}

func exportResize(x *exportCtx) error {
	return fmt.Errorf("the fixed-point Resize has no QDQ form in this exporter")
}

// resize builds OpResize from the float interpreter's plan for the node.
func (b *builder) resize(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	r := len(vx.Shape)
	if r == 0 || r > resizeMaxRank {
		b.unsupported(n, fmt.Sprintf("per-sample rank %d (at most %d)", r, resizeMaxRank))
		return nil
	}
	args := make([]*importer.Tensor, max(len(n.Inputs)-1, 0))
	for i, name := range n.Inputs[1:] {
		if name == "" {
			continue
		}
		if t := b.g.Initializers[name]; t != nil {
			args[i] = t
			continue
		}
		dims, ok := b.constDims(name)
		if !ok {
			b.unsupported(n, fmt.Sprintf("argument %q is not known from the static shapes", name))
			return nil
		}
		// Sizes computed from shapes: the batch entry must be the batch
		// itself (planned here for one sample).
		v := make([]int64, len(dims))
		batch, hasBatch := b.batchDim()
		for k, d := range dims {
			switch {
			case d.Param == "":
				v[k] = d.Value
			case k == 0 && hasBatch && d == batch:
				v[k] = 1
			default:
				b.unsupported(n, fmt.Sprintf("argument %q depends on %q", name, d.Param))
				return nil
			}
		}
		args[i] = importer.NewInt([]int{len(v)}, v)
	}
	in := append([]int{1}, vx.Shape...)
	out, axes, extrap, err := interp.ResizePlan(n, b.p.opset, in, args)
	if err != nil {
		b.unsupported(n, err.Error())
		return nil
	}
	if out[0] != 1 || len(axes[0].Index) != 1 || slices.ContainsFunc(axes[0].Index[0], func(i int) bool { return i != 0 }) {
		b.unsupported(n, "resizes the batch axis")
		return nil
	}
	op := Op{Kind: OpResize, Name: n.Name, In: []int{x}}
	extrapolates := false
	for d, ax := range axes[1:] {
		// Taps of fixed-point weight 0 are dropped (an axis that is not
		// resized keeps one tap per output).
		idx := make([][]int32, len(ax.Index))
		ws := make([][]int32, len(ax.Index))
		t := 1
		for o := range ax.Index {
			for k, w := range fixedWeights(ax.Weight[o]) {
				if w != 0 {
					idx[o] = append(idx[o], int32(ax.Index[o][k]))
					ws[o] = append(ws[o], w)
				}
			}
			if len(idx[o]) == 0 && len(ax.Index[o]) > 0 {
				idx[o], ws[o] = []int32{int32(ax.Index[o][0])}, []int32{0}
			}
			t = max(t, len(idx[o]))
		}
		if t > 4 {
			b.unsupported(n, fmt.Sprintf("%d taps on axis %d", t, d+1))
			return nil
		}
		op.Perm = append(op.Perm, t)
		for o := range idx {
			for k := 0; k < t; k++ {
				switch {
				case k < len(idx[o]):
					op.Table = append(op.Table, idx[o][k], ws[o][k])
				case len(idx[o]) == 0:
					op.Table = append(op.Table, -1, 0)
					extrapolates = true
				default:
					op.Table = append(op.Table, 0, 0)
				}
			}
		}
	}
	if extrapolates {
		lo, hi := vx.Range()
		op.Bias = []int32{clamp32(roundSat32(extrap/vx.Scale), lo, hi)}
	}
	op.Out = b.aliasValue(n.Outputs[0], x, out[1:])
	b.emit(op)
	return nil
}

// fixedWeights rounds interpolation weights to F fraction bits; when the
// real weights sum to 1 the largest is adjusted so that the fixed-point
// ones sum to exactly 2^F.
func fixedWeights(w []float64) []int32 {
	q := make([]int32, len(w))
	sum, qsum, big := 0.0, int32(0), 0
	for i, v := range w {
		q[i] = int32(math.RoundToEven(v * (1 << resizeFracBits)))
		sum += v
		qsum += q[i]
		if math.Abs(v) > math.Abs(w[big]) {
			big = i
		}
	}
	if len(w) > 0 && math.Abs(sum-1) < 1e-9 {
		q[big] += 1<<resizeFracBits - qsum
	}
	return q
}
