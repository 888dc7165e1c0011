package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// chunkSamples is how many samples one task of the batch-parallel run
// covers. Samples are independent, so the split never changes a result.
const chunkSamples = 32

// Run quantizes the float input batch x (first dimension = batch) with the
// calibrated input scale, runs the integer program and returns the
// dequantized output (code·scale, float32), with the graph's trailing
// Softmax/LogSoftmax applied if it had one. mm computes every linear layer's
// product; nil means the exact golden GEMM (GoldenMatMul).
//
// With mm nil the batch is split over the Config.Workers goroutines
// (GOMAXPROCS when 0); with a caller's mm, calls are serial (one goroutine)
// so that mm need not be safe for concurrent use — use RunWorkers to
// parallelize a concurrency-safe mm. Results never depend on the worker
// count or the batch size.
func (n *Network) Run(x *importer.Tensor, mm MatMulFunc) (*importer.Tensor, error) {
	w := 1
	if mm == nil {
		w = n.Config.Workers
	}
	return n.RunWorkers(x, mm, w)
}

// RunWorkers is Run with an explicit number of goroutines (0 = GOMAXPROCS);
// mm must be safe for concurrent use when workers != 1.
func (n *Network) RunWorkers(x *importer.Tensor, mm MatMulFunc, workers int) (*importer.Tensor, error) {
	codes, shape, err := n.RunCodes(x, mm, workers)
	if err != nil {
		return nil, err
	}
	out := &importer.Tensor{DType: importer.Float, Shape: shape, Float: make([]float32, len(codes))}
	s := n.Values[n.Output].Scale
	for i, c := range codes {
		out.Float[i] = float32(float64(c) * s)
	}
	if n.Post != "" {
		if err := applyPost(out, n.Post, n.PostAxis); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunCodes runs the integer program and returns the integer codes of the
// output value (shape [batch, ...]) without dequantization: the bit-exact
// result simulators compare against.
func (n *Network) RunCodes(x *importer.Tensor, mm MatMulFunc, workers int) ([]int32, []int, error) {
	if err := n.check(); err != nil {
		return nil, nil, err
	}
	if x == nil || len(x.Shape) == 0 {
		return nil, nil, fmt.Errorf("quant: run: input must have a batch dimension")
	}
	in := &n.Values[n.Input]
	per := in.size()
	bs := x.Shape[0]
	if bs <= 0 || len(x.Float) != bs*per {
		return nil, nil, fmt.Errorf("quant: run: input %v (%d floats) does not hold a batch of %q %v", x.Shape, len(x.Float), n.InputName, in.Shape)
	}
	golden := mm == nil
	if golden {
		mm = GoldenMatMul
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for _, l := range n.Linears {
		if l.cache == nil {
			l.cache = &packCache{}
		}
	}
	outV := &n.Values[n.Output]
	outPer := outV.size()
	result := make([]int32, bs*outPer)
	tasks := (bs + chunkSamples - 1) / chunkSamples
	workers = min(workers, tasks)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := &workState{golden: golden, bufs: make([][]int32, len(n.Values)), vals: make([][]int32, len(n.Values))}
			for !failed.Load() {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				lo, hi := t*chunkSamples, min((t+1)*chunkSamples, bs)
				codes, err := n.runChunk(x.Float[lo*per:hi*per], hi-lo, mm, ws)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				copy(result[lo*outPer:hi*outPer], codes)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	shape := append([]int{bs}, outV.Shape...)
	return result, shape, nil
}

// workState is one worker's reusable memory: a buffer per value (the shapes
// repeat from chunk to chunk) and the lowering scratch, so that a run
// allocates per worker, not per chunk.
type workState struct {
	golden bool      // mm is the golden GEMM: Conv may take the fused byte path
	bufs   [][]int32 // owned buffers by value index
	vals   [][]int32 // current contents (aliases for reshapes)
	cols   []int32
	acc    []int32
	abuf   []byte
	pimg   []byte
	mults  []Multiplier
	biases []int64
	offs   []int
}

func grow(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// QuantizeInput converts float inputs to input codes: round(x/s) (ties to
// even) clamped to the input value's code range.
func (n *Network) QuantizeInput(x []float32, dst []int32) {
	in := &n.Values[n.Input]
	lo, hi := in.Range()
	inv := 1 / in.Scale
	for i, v := range x {
		dst[i] = clamp32(roundSat32(float64(v)*inv), lo, hi)
	}
}

func (n *Network) runChunk(x []float32, bs int, mm MatMulFunc, ws *workState) ([]int32, error) {
	vals := ws.vals
	ws.bufs[n.Input] = grow(ws.bufs[n.Input], len(x))
	vals[n.Input] = ws.bufs[n.Input]
	n.QuantizeInput(x, vals[n.Input])
	for i := range n.Ops {
		op := &n.Ops[i]
		if err := n.exec(op, ws, bs, mm); err != nil {
			return nil, fmt.Errorf("quant: %s %q: %w", op.Kind, op.Name, err)
		}
	}
	return vals[n.Output], nil
}

func (n *Network) exec(op *Op, ws *workState, bs int, mm MatMulFunc) error {
	vals := ws.vals
	outV := &n.Values[op.Out]
	switch op.Kind {
	case OpReshape:
		vals[op.Out] = vals[op.In[0]]
		return nil
	}
	ws.bufs[op.Out] = grow(ws.bufs[op.Out], bs*outV.size())
	out := ws.bufs[op.Out]
	vals[op.Out] = out
	switch op.Kind {
	case OpLinear:
		return n.execLinear(op, vals[op.In[0]], out, bs, mm, ws)
	case OpAdd:
		a, b := vals[op.In[0]], vals[op.In[1]]
		ma, mb, mo := op.Mult[0], op.Mult[1], op.Mult[2]
		for i := range out {
			sa := ma.apply64(int64(a[i]) << addShift)
			sb := mb.apply64(int64(b[i]) << addShift)
			out[i] = clamp32(sat32(mo.apply64(sa+sb)), op.Lo, op.Hi)
		}
	case OpClamp:
		for i, v := range vals[op.In[0]] {
			out[i] = clamp32(v, op.Lo, op.Hi)
		}
	case OpMaxPool, OpAvgPool:
		pool2D(op, vals[op.In[0]], out, bs)
	case OpGlobalAvg, OpGlobalMax:
		in := &n.Values[op.In[0]]
		c := in.Shape[0]
		hw := in.size() / c
		src := vals[op.In[0]]
		for i := 0; i < bs*c; i++ {
			p := src[i*hw : (i+1)*hw]
			if op.Kind == OpGlobalMax {
				m := p[0]
				for _, v := range p[1:] {
					m = max(m, v)
				}
				out[i] = clamp32(m, op.Lo, op.Hi)
			} else {
				var s int64
				for _, v := range p {
					s += int64(v)
				}
				out[i] = clamp32(int32(roundDiv(s, int64(hw))), op.Lo, op.Hi)
			}
		}
	case OpTranspose:
		transpose(vals[op.In[0]], n.Values[op.In[0]].Shape, op.Perm, out, bs)
	case OpConcat:
		outer := 1
		for _, d := range outV.Shape[:op.Axis] {
			outer *= d
		}
		pos := 0
		for b := 0; b < bs*outer; b++ {
			for j, vi := range op.In {
				v := &n.Values[vi]
				inner := v.size() / outer
				src := vals[vi][b*inner : (b+1)*inner]
				m := op.Mult[j]
				for _, c := range src {
					out[pos] = clamp32(m.Apply(c), op.Lo, op.Hi)
					pos++
				}
			}
		}
	case OpAffine:
		in := &n.Values[op.In[0]]
		c := in.Shape[0]
		inner := in.size() / c
		src := vals[op.In[0]]
		for i := 0; i < bs*c; i++ {
			ch := i % c
			m, off, neg := op.Mult[ch], int64(op.Bias[ch]), op.Neg[ch]
			for j := i * inner; j < (i+1)*inner; j++ {
				v := m.apply64(int64(src[j]))
				if neg {
					v = -v
				}
				out[j] = clamp32(sat32(v+off), op.Lo, op.Hi)
			}
		}
	case OpLUT:
		lo, _ := n.Values[op.In[0]].Range()
		for i, v := range vals[op.In[0]] {
			out[i] = op.Table[v-lo]
		}
	default:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	return nil
}

// addShift is the left shift applied to both Add operands before they are
// rescaled to the common scale (TFLite's left_shift = 20): A-bit codes
// shifted by 20 stay below 2^28.
const addShift = 20

func (n *Network) execLinear(op *Op, in, out []int32, bs int, mm MatMulFunc, ws *workState) error {
	l := n.Linears[op.Linear]
	K, N := l.K, l.N
	mult := op.Mult
	if op.Win == nil {
		// Gemm/MatMul: the input value is already M×K row-major.
		m := len(in) / K
		ws.acc = grow(ws.acc, m*N)
		acc := ws.acc
		if err := mm(l, 0, in, m, acc); err != nil {
			return err
		}
		for r := 0; r < m; r++ {
			for c := 0; c < N; c++ {
				mu := mult[0]
				if len(mult) > 1 {
					mu = mult[c]
				}
				v := int64(acc[r*N+c]) + int64(op.Bias[c])
				out[r*N+c] = clamp32(sat32(mu.apply64(v)), op.Lo, op.Hi)
			}
		}
		return nil
	}
	w := op.Win
	ohw := w.OutH * w.OutW
	m := bs * ohw
	cg := w.InC / l.Groups
	cout := l.Groups * N
	ws.cols = grow(ws.cols, m*K)
	ws.acc = grow(ws.acc, m*N)
	cols, acc := ws.cols, ws.acc
	for g := 0; g < l.Groups; g++ {
		if ws.golden && l.ABits <= 8 {
			p, err := l.packed(g)
			if err != nil {
				return err
			}
			if p.vnni != nil {
				n.convBytes(op, l, p.vnni, g, in, out, bs, ws)
				continue
			}
		}
		im2col(in, bs, w, g*cg, cg, cols)
		if err := mm(l, g, cols, m, acc); err != nil {
			return err
		}
		for b := 0; b < bs; b++ {
			for c := 0; c < N; c++ {
				ch := g*N + c
				mu := mult[0]
				if len(mult) > 1 {
					mu = mult[ch]
				}
				bias := int64(op.Bias[ch])
				dst := out[(b*cout+ch)*ohw : (b*cout+ch+1)*ohw]
				src := acc[b*ohw*N:]
				for p := range dst {
					dst[p] = clamp32(sat32(mu.apply64(int64(src[p*N+c])+bias)), op.Lo, op.Hi)
				}
			}
		}
	}
	return nil
}

// convBytes is the golden model's fused Conv path for group g: the input
// codes are lowered straight to the VNNI kernel's unsigned bytes (offset +128
// for signed codes, so padding code 0 becomes byte 128), multiplied, and
// requantized from the kernel's output — the same integers as im2col +
// GoldenMatMul, without the int32 M×K matrix.
func (n *Network) convBytes(op *Op, l *Linear, vp *vnniPacked, g int, in, out []int32, bs int, ws *workState) {
	w := op.Win
	ohw := w.OutH * w.OutW
	m := bs * ohw
	mp := (m + 3) / 4 * 4
	lda, ldc := vp.lda(), vp.ldc()
	cg := w.InC / l.Groups
	var off int32
	if l.InputSigned {
		off = 128
	}
	if cap(ws.abuf) < mp*lda+8 {
		ws.abuf = make([]byte, mp*lda+8)
	}
	a := ws.abuf[:mp*lda+8]
	im2colBytes(in, bs, w, g*cg, cg, a, lda, off, ws)
	ws.acc = grow(ws.acc, mp*ldc)
	c := ws.acc
	vp.gemmBytes(a, mp, c)
	N := l.N
	cout := l.Groups * N
	if cap(ws.mults) < N {
		ws.mults = make([]Multiplier, N)
		ws.biases = make([]int64, N)
	}
	mults, biases := ws.mults[:N], ws.biases[:N]
	for cc := range mults {
		ch := g*N + cc
		mults[cc] = op.Mult[min(ch, len(op.Mult)-1)]
		biases[cc] = int64(op.Bias[ch]) - int64(off)*int64(vp.colsum[cc])
	}
	lo, hi := op.Lo, op.Hi
	for b := 0; b < bs; b++ {
		dst := out[(b*cout+g*N)*ohw : (b*cout+g*N+N)*ohw]
		for p := 0; p < ohw; p++ {
			row := c[(b*ohw+p)*ldc : (b*ohw+p)*ldc+N]
			for cc, v := range row {
				dst[cc*ohw+p] = clamp32(sat32(mults[cc].apply64(int64(v)+biases[cc])), lo, hi)
			}
		}
	}
}

// im2colBytes is im2col writing byte(code+off) rows of stride lda. Each
// sample's group channels are first copied into a zero-padded byte image
// (padding = byte(off), the code 0), so the lowering is branch-free copying;
// kernel rows of up to 8 bytes move as one 8-byte word (the overhang is
// overwritten by the next entry, or lands in the K padding whose weights are
// zero, or in the 8 spare bytes at the end of a). The K..lda padding bytes
// are left as they are: they meet zero weights.
func im2colBytes(in []int32, bs int, w *Window, c0, cg int, a []byte, lda int, off int32, ws *workState) {
	hw := w.InH * w.InW
	hp := max(w.InH+w.PadT+w.PadB, (w.OutH-1)*w.StrideH+(w.KH-1)*w.DilH+1)
	wp := max(w.InW+w.PadL+w.PadR, (w.OutW-1)*w.StrideW+(w.KW-1)*w.DilW+1)
	psz := cg*hp*wp + 8
	if cap(ws.pimg) < psz {
		ws.pimg = make([]byte, psz)
	}
	img := ws.pimg[:psz]
	pad := byte(off)
	for i := range img {
		img[i] = pad
	}
	word := w.DilW == 1 && w.KW <= 8
	// offsets of the (channel, kernel row) image rows relative to the
	// window's top-left corner
	nr := cg * w.KH
	if cap(ws.offs) < nr {
		ws.offs = make([]int, nr)
	}
	offs := ws.offs[:nr]
	for c := 0; c < cg; c++ {
		for i := 0; i < w.KH; i++ {
			offs[c*w.KH+i] = (c*hp + i*w.DilH) * wp
		}
	}
	row := 0
	for b := 0; b < bs; b++ {
		base := b * w.InC * hw
		for c := 0; c < cg; c++ {
			src := in[base+(c0+c)*hw : base+(c0+c+1)*hw]
			for y := 0; y < w.InH; y++ {
				d := img[(c*hp+y+w.PadT)*wp+w.PadL:]
				d = d[:w.InW]
				for x, v := range src[y*w.InW : (y+1)*w.InW] {
					d[x] = byte(v + off)
				}
			}
		}
		for oh := 0; oh < w.OutH; oh++ {
			for ow := 0; ow < w.OutW; ow++ {
				t := row * lda
				row++
				corner := oh*w.StrideH*wp + ow*w.StrideW
				if word {
					for _, o := range offs {
						binary.LittleEndian.PutUint64(a[t:], binary.LittleEndian.Uint64(img[corner+o:]))
						t += w.KW
					}
					continue
				}
				for _, o := range offs {
					srow := img[corner+o:]
					for j := 0; j < w.KW; j++ {
						a[t] = srow[j*w.DilW]
						t++
					}
				}
			}
		}
	}
}

// geometry is w as the interpreter's window geometry over cg channels (one
// group's).
func (w *Window) geometry(cg int) interp.ConvGeometry {
	return interp.ConvGeometry{InC: cg, InH: w.InH, InW: w.InW, Groups: 1, KH: w.KH, KW: w.KW,
		StrideH: w.StrideH, StrideW: w.StrideW, DilH: w.DilH, DilW: w.DilW,
		PadT: w.PadT, PadL: w.PadL, PadB: w.PadB, PadR: w.PadR, OutH: w.OutH, OutW: w.OutW}
}

// im2col writes the M×K matrix of a Conv group: row (b, oh, ow), column
// (c, kh, kw) over channels c0..c0+cg-1; positions in the padding get code 0
// (zero point 0). The lowering is the interpreter's (interp.Im2colRows).
func im2col(in []int32, bs int, w *Window, c0, cg int, cols []int32) {
	g := w.geometry(cg)
	hw, k, p := w.InH*w.InW, g.K(), g.P()
	for b := 0; b < bs; b++ {
		base := b*w.InC*hw + c0*hw
		interp.Im2colRows(&g, in[base:base+cg*hw], cols[b*p*k:(b+1)*p*k], 0)
	}
}

// pool2D runs MaxPool or AveragePool over [bs, C, H, W]. Padding positions
// never win a max; for the average they count only with CountIncludePad.
func pool2D(op *Op, in, out []int32, bs int) {
	w := op.Win
	hw := w.InH * w.InW
	ohw := w.OutH * w.OutW
	for bc := 0; bc < bs*w.InC; bc++ {
		plane := in[bc*hw : (bc+1)*hw]
		dst := out[bc*ohw : (bc+1)*ohw]
		for oh := 0; oh < w.OutH; oh++ {
			y0 := oh*w.StrideH - w.PadT
			for ow := 0; ow < w.OutW; ow++ {
				x0 := ow*w.StrideW - w.PadL
				if w.DilH == 1 && w.DilW == 1 && y0 >= 0 && x0 >= 0 && y0+w.KH <= w.InH && x0+w.KW <= w.InW {
					// window inside the image: no padding to consider
					var sum int64
					mx := plane[y0*w.InW+x0]
					for i := 0; i < w.KH; i++ {
						for _, v := range plane[(y0+i)*w.InW+x0 : (y0+i)*w.InW+x0+w.KW] {
							sum += int64(v)
							mx = max(mx, v)
						}
					}
					r := mx
					if op.Kind == OpAvgPool {
						r = int32(roundDiv(sum, int64(w.KH*w.KW)))
					}
					dst[oh*w.OutW+ow] = clamp32(r, op.Lo, op.Hi)
					continue
				}
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
						r = int32(roundDiv(sum, int64(d)))
					}
				}
				dst[oh*w.OutW+ow] = clamp32(r, op.Lo, op.Hi)
			}
		}
	}
}

// transpose permutes the per-sample axes of src (shape per sample) by perm.
func transpose(src []int32, shape, perm []int, dst []int32, bs int) {
	r := len(shape)
	per := 1
	for _, d := range shape {
		per *= d
	}
	stride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		stride[i] = s
		s *= shape[i]
	}
	outShape := make([]int, r)
	outStride := make([]int, r) // input stride of each output axis
	for i, p := range perm {
		outShape[i] = shape[p]
		outStride[i] = stride[p]
	}
	idx := make([]int, r)
	for b := 0; b < bs; b++ {
		sb := src[b*per : (b+1)*per]
		db := dst[b*per : (b+1)*per]
		for i := range idx {
			idx[i] = 0
		}
		off := 0
		for o := range db {
			db[o] = sb[off]
			for a := r - 1; a >= 0; a-- {
				idx[a]++
				off += outStride[a]
				if idx[a] < outShape[a] {
					break
				}
				off -= outStride[a] * outShape[a]
				idx[a] = 0
			}
		}
	}
}

// applyPost applies a trailing Softmax/LogSoftmax in float64 over axis
// (of the full shape, batch included).
func applyPost(t *importer.Tensor, op string, axis int) error {
	r := len(t.Shape)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return fmt.Errorf("quant: %s axis %d out of range for rank %d", op, axis, r)
	}
	inner := 1
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	d := t.Shape[axis]
	outer := len(t.Float) / (d * inner)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*d*inner + in
			mx := math.Inf(-1)
			for i := 0; i < d; i++ {
				mx = math.Max(mx, float64(t.Float[base+i*inner]))
			}
			var s float64
			for i := 0; i < d; i++ {
				s += math.Exp(float64(t.Float[base+i*inner]) - mx)
			}
			for i := 0; i < d; i++ {
				v := float64(t.Float[base+i*inner]) - mx
				if op == "LogSoftmax" {
					t.Float[base+i*inner] = float32(v - math.Log(s))
				} else {
					t.Float[base+i*inner] = float32(math.Exp(v) / s)
				}
			}
		}
	}
	return nil
}
