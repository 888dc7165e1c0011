package quant

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnxpb"
)

// The integer op kinds OpMaxPool, OpAvgPool: 2-D max and average pooling.
// Max pooling keeps the input's codes. The average keeps them too (rounded
// division of the window's sum) unless its calibrated range is at most half
// the input's (or a QDQ model gives it a scale of its own): then the sum is
// requantized once, y = round(Σx · M0/(d·2^Shift)) with M = s_x/s_y and d
// the window's count (mulDivRound), so that an average of many codes keeps
// its resolution. Mult holds M (empty: same scale).

func init() {
	registerKind(OpMaxPool, kindSpec{exec: execMaxPoolAvgPool, check: checkMaxPoolAvgPool, export: exportMaxPoolAvgPool, work: poolWork})
	registerKind(OpAvgPool, kindSpec{exec: execMaxPoolAvgPool, check: checkMaxPoolAvgPool, export: exportMaxPoolAvgPool, work: poolWork})
	registerBuilder("MaxPool", (*builder).pool)
	registerBuilder("AveragePool", (*builder).pool)
}

// poolWork: every output code is one comparison or addition per window
// position, and a requantized average one multiplier application.
func poolWork(n *Network, op *Op) DigitalWork {
	if op.Win == nil {
		return DigitalWork{}
	}
	w := DigitalWork{PoolOps: n.elems(op.Out) * int64(op.Win.KH) * int64(op.Win.KW)}
	if len(op.Mult) == 1 {
		w.Requant = n.elems(op.Out)
	}
	return w
}

func execMaxPoolAvgPool(x *execCtx) error {
	op := x.op
	vals := x.vals
	out := x.out
	bs := x.bs
	pool2D(op, vals[op.In[0]], out, bs)
	return nil
}

// averageCode is the average of a window's codes summing to sum over d
// taps: rounded division, or the requantization by Mult (see the kinds'
// comment).
func averageCode(op *Op, sum, d int64) int32 {
	if len(op.Mult) == 1 {
		return sat32(mulDivRound(sum, op.Mult[0], d))
	}
	return int32(roundDiv(sum, d))
}

func checkMaxPoolAvgPool(x *checkCtx) error {
	op := x.op
	in := x.in
	out := x.out
	if err := checkWindow(op.Win, in); err != nil {
		return err
	}
	w := op.Win
	if len(op.Mult) > 1 || len(op.Mult) == 1 && op.Kind != OpAvgPool {
		return fmt.Errorf("%d multipliers for %s", len(op.Mult), op.Kind)
	}
	if len(op.Mult) == 0 && !in.sameEncoding(out) {
		return fmt.Errorf("pooling without a multiplier changes the encoding")
	}
	if lo, hi := in.Range(); len(op.Mult) == 1 && float64(w.KH*w.KW)*math.Max(-float64(lo), float64(hi)) >= 1<<32 {
		return fmt.Errorf("a window of %d codes can overflow the 32-bit sum the multiplier takes", w.KH*w.KW)
	}
	if len(out.Shape) != 3 || out.Shape[0] != w.InC || out.Shape[1] != w.OutH || out.Shape[2] != w.OutW {
		return fmt.Errorf("output shape %v", out.Shape)
	}
	return nil
}

func exportMaxPoolAvgPool(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	tmp := x.tmp
	win := op.Win
	ekh, ekw := (win.KH-1)*win.DilH+1, (win.KW-1)*win.DilW+1
	pb := max(win.PadB, (win.OutH-1)*win.StrideH+ekh-win.InH-win.PadT)
	pr := max(win.PadR, (win.OutW-1)*win.StrideW+ekw-win.InW-win.PadL)
	attrs := []*onnxpb.AttributeProto{attrIs("kernel_shape", int64(win.KH), int64(win.KW)),
		attrIs("strides", int64(win.StrideH), int64(win.StrideW)),
		attrIs("pads", int64(win.PadT), int64(win.PadL), int64(pb), int64(pr))}
	if op.Kind == OpMaxPool {
		attrs = append(attrs, attrIs("dilations", int64(win.DilH), int64(win.DilW)))
		w.node("MaxPool", []string{in}, tmp, attrs...)
		w.fname[op.Out] = tmp
		return nil
	}
	if win.DilH != 1 || win.DilW != 1 {
		return fmt.Errorf("dilated AveragePool needs opset 19")
	}
	if win.CountIncludePad {
		attrs = append(attrs, attrI("count_include_pad", 1))
	}
	w.node("AveragePool", []string{in}, tmp, attrs...)
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}

func (b *builder) pool(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		b.unsupported(n, "MaxPool's Indices output: flat positions in the whole batch tensor depend on the sample's batch index, which the per-sample integer program does not have")
		return nil
	}
	vx := b.net.Values[x]
	ks := attrInts(n, "kernel_shape")
	if len(ks) != 2 {
		// one or three spatial axes: a grouped reduction (kind_reduce.go)
		return b.windowPool(n, x)
	}
	w, err := window(n, vx.Shape, nil)
	if err != nil {
		return err
	}
	shape := []int{vx.Shape[0], w.OutH, w.OutW}
	if n.OpType == "AveragePool" {
		w.CountIncludePad = attrInt(n, "count_include_pad", 0) != 0
		op, why := b.reduceEncoding(n, Op{Kind: OpAvgPool, Name: n.Name, In: []int{x}, Win: w}, x, shape, w.KH*w.KW)
		if why != "" {
			b.unsupported(n, why)
			return nil
		}
		b.emit(op)
		return nil
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	lo, hi := vx.Range()
	b.emit(Op{Kind: OpMaxPool, Name: n.Name, In: []int{x}, Out: v, Win: w, Lo: lo, Hi: hi})
	return nil
}

// pool2D runs MaxPool or AveragePool over [bs, C, H, W]. Padding positions
// never win a max; for the average they count only with CountIncludePad.
// The windows wholly inside the image (all of them when there is no
// padding) are a rectangle of output positions, found once per call; there
// poolInside runs without a bounds test per tap, with the divisor fixed at
// the window size (a shift when it is a power of two).
func pool2D(op *Op, in, out []int32, bs int) {
	w := op.Win
	hw := w.InH * w.InW
	ohw := w.OutH * w.OutW
	oh0, oh1 := insideOutputs(w.OutH, w.StrideH, w.PadT, w.KH, w.DilH, w.InH)
	ow0, ow1 := insideOutputs(w.OutW, w.StrideW, w.PadL, w.KW, w.DilW, w.InW)
	whole := newAverager(op, int64(w.KH*w.KW))
	for bc := 0; bc < bs*w.InC; bc++ {
		plane := in[bc*hw : (bc+1)*hw]
		dst := out[bc*ohw : (bc+1)*ohw]
		for oh := 0; oh < w.OutH; oh++ {
			row := dst[oh*w.OutW : (oh+1)*w.OutW]
			if oh < oh0 || oh >= oh1 || ow0 >= ow1 {
				for ow := range row {
					row[ow] = poolWindow(op, plane, oh, ow)
				}
				continue
			}
			for ow := 0; ow < ow0; ow++ {
				row[ow] = poolWindow(op, plane, oh, ow)
			}
			poolInside(op, plane, oh, ow0, row[ow0:ow1], whole)
			for ow := ow1; ow < w.OutW; ow++ {
				row[ow] = poolWindow(op, plane, oh, ow)
			}
		}
	}
}

// insideOutputs is the range [lo, hi) of output positions along one axis
// whose windows (k taps dil apart, starting at o·stride − pad) lie inside
// the input's n positions; lo ≥ hi when there are none.
func insideOutputs(outs, stride, pad, k, dil, n int) (lo, hi int) {
	ext := (k-1)*dil + 1
	lo = (pad + stride - 1) / stride
	if n-ext+pad < 0 {
		return lo, 0
	}
	hi = min(outs, (n-ext+pad)/stride+1)
	return lo, hi
}

// poolInside pools the output positions ow0, ow0+1, ... of row oh into dst,
// every window inside the plane.
func poolInside(op *Op, plane []int32, oh, ow0 int, dst []int32, avg averager) {
	w := op.Win
	y0 := oh*w.StrideH - w.PadT
	isMax := op.Kind == OpMaxPool
	if w.KH == 2 && w.KW == 2 && w.DilH == 1 && w.DilW == 1 {
		top := plane[y0*w.InW : (y0+1)*w.InW]
		bot := plane[(y0+1)*w.InW : (y0+2)*w.InW]
		for i := range dst {
			x0 := (ow0+i)*w.StrideW - w.PadL
			a, b, c, d := top[x0], top[x0+1], bot[x0], bot[x0+1]
			var r int32
			if isMax {
				r = max(a, b, c, d)
			} else {
				r = avg.of(int64(a) + int64(b) + int64(c) + int64(d))
			}
			dst[i] = clamp32(r, op.Lo, op.Hi)
		}
		return
	}
	for i := range dst {
		x0 := (ow0+i)*w.StrideW - w.PadL
		var sum int64
		mx := plane[y0*w.InW+x0]
		for ky := 0; ky < w.KH; ky++ {
			line := plane[(y0+ky*w.DilH)*w.InW+x0:]
			for kx := 0; kx < w.KW; kx++ {
				v := line[kx*w.DilW]
				sum += int64(v)
				mx = max(mx, v)
			}
		}
		r := mx
		if !isMax {
			r = avg.of(sum)
		}
		dst[i] = clamp32(r, op.Lo, op.Hi)
	}
}

// poolWindow is the pooled code of output (oh, ow), testing every tap
// against the plane's bounds: the windows that reach into the padding.
func poolWindow(op *Op, plane []int32, oh, ow int) int32 {
	w := op.Win
	var sum int64
	var mx int32 = math.MinInt32
	cnt, padCnt := 0, 0
	for i := 0; i < w.KH; i++ {
		y := oh*w.StrideH - w.PadT + i*w.DilH
		for j := 0; j < w.KW; j++ {
			x := ow*w.StrideW - w.PadL + j*w.DilW
			if y < 0 || y >= w.InH || x < 0 || x >= w.InW {
				// inside the declared padding (not beyond it, as
				// ceil_mode windows can reach)
				if y >= -w.PadT && y < w.InH+w.PadB && x >= -w.PadL && x < w.InW+w.PadR {
					padCnt++
				}
				continue
			}
			v := plane[y*w.InW+x]
			sum += int64(v)
			mx = max(mx, v)
			cnt++
		}
	}
	var r int32
	if op.Kind == OpMaxPool {
		if cnt > 0 {
			r = mx
		}
	} else {
		d := cnt
		if w.CountIncludePad {
			d += padCnt
		}
		if d > 0 {
			r = averageCode(op, sum, int64(d))
		}
	}
	return clamp32(r, op.Lo, op.Hi)
}

// averager is averageCode for one divisor d, resolved once per call: with
// no multiplier and d a power of two the rounded division is a shift.
type averager struct {
	op    *Op
	d     int64
	pow2  bool
	shift uint
}

func newAverager(op *Op, d int64) averager {
	a := averager{op: op, d: d}
	if len(op.Mult) == 0 && d > 0 && d&(d-1) == 0 {
		a.pow2, a.shift = true, uint(bits.TrailingZeros64(uint64(d)))
	}
	return a
}

// of is averageCode(op, sum, d).
func (a averager) of(sum int64) int32 {
	if a.pow2 {
		// roundDiv by 2^shift: the arithmetic shift is the floor, the
		// mask the (non-negative) remainder
		q, r := sum>>a.shift, sum&(a.d-1)
		if 2*r > a.d || 2*r == a.d && q&1 != 0 {
			q++
		}
		return int32(q)
	}
	return averageCode(a.op, sum, a.d)
}
