package quant

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnxpb"
)

// The integer op kind OpLinear: crossbar-mapped linear layers (Conv, Gemm,
// MatMul with a constant operand) through MatMulFunc, bias, requantization and
// clamp; their build is builder.linear, reached for every node the float
// layers list (not by op name).

func init() {
	registerKind(OpLinear, kindSpec{exec: execLinear, check: checkLinear, export: exportLinear, work: linearWork, traffic: noTraffic})
}

// linearWork: each output code is requantized and clamped (the fused
// activation) by the digital units; the products are the crossbars' work.
func linearWork(n *Network, op *Op) DigitalWork {
	out := n.elems(op.Out)
	return DigitalWork{Requant: out, Activations: out}
}

func execLinear(x *execCtx) error {
	n := x.n
	op := x.op
	ws := x.ws
	vals := x.vals
	out := x.out
	bs := x.bs
	mm := x.mm
	return n.execLinear(op, vals[op.In[0]], out, bs, mm, ws)
}

func checkLinear(x *checkCtx) error {
	n := x.n
	op := x.op
	in := x.in
	out := x.out
	if op.Linear < 0 || op.Linear >= len(n.Linears) {
		return fmt.Errorf("linear index %d", op.Linear)
	}
	l := n.Linears[op.Linear]
	if l.ABits != in.Bits || l.InputSigned != in.Signed {
		return fmt.Errorf("layer %q expects %d-bit signed=%v input, value has %d-bit signed=%v", l.Name, l.ABits, l.InputSigned, in.Bits, in.Signed)
	}
	cout := l.Groups * l.N
	if len(op.Bias) != cout || (len(op.Mult) != 1 && len(op.Mult) != cout) {
		return fmt.Errorf("%d biases, %d multipliers for %d channels", len(op.Bias), len(op.Mult), cout)
	}
	if op.Win == nil {
		if l.Groups != 1 || in.size()%l.K != 0 || out.size() != in.size()/l.K*l.N {
			return fmt.Errorf("input %v / output %v do not match K=%d N=%d", in.Shape, out.Shape, l.K, l.N)
		}
		return nil
	}
	w := op.Win
	if err := checkWindow(w, in); err != nil {
		return err
	}
	if w.InC%l.Groups != 0 || l.K != w.InC/l.Groups*w.KH*w.KW {
		return fmt.Errorf("K=%d does not match %d channels / %d groups × %d×%d", l.K, w.InC, l.Groups, w.KH, w.KW)
	}
	if len(out.Shape) != 3 || out.Shape[0] != cout || out.Shape[1] != w.OutH || out.Shape[2] != w.OutW {
		return fmt.Errorf("output shape %v, want [%d %d %d]", out.Shape, cout, w.OutH, w.OutW)
	}
	return nil
}

func exportLinear(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	tmp := x.tmp
	return w.linear(op, in, tmp)
}

// linear quantizes the weights of f and emits an OpLinear with its fused
// bias Add (MatMul) and activation.
func (b *builder) linear(n *importer.Node, f *floatLayer) error {
	if f.convT != nil {
		return b.convTranspose(n, f)
	}
	in, ok := b.input(n, 0)
	if !ok {
		b.unsupported(n, "input is not an integer value")
		return nil
	}
	inV := b.net.Values[in]
	l := &Linear{Index: len(b.net.Linears), Name: n.Name, Op: n.OpType, Groups: 1,
		WBits: b.cfg.WBits, ABits: inV.Bits, InputSigned: inV.Signed}
	if l.Name == "" {
		l.Name = fmt.Sprintf("%s_%d", n.OpType, l.Index)
	}
	l.Name = b.uniqueLinearName(l.Name, l.Index)
	op := Op{Kind: OpLinear, Name: l.Name, In: []int{in}, Linear: l.Index}
	var outShape []int
	bias := make([]float64, f.cout)
	alpha, beta := 1.0, 1.0
	switch n.OpType {
	case "Conv":
		wt := b.g.Initializers[n.Inputs[1]]
		groups := int(attrInt(n, "group", 1))
		if len(inV.Shape) != 3 || groups <= 0 || inV.Shape[0]%groups != 0 || f.cout%groups != 0 || wt.Shape[1]*groups != inV.Shape[0] {
			return fmt.Errorf("quant: %w: %s: input %v, weight %v, group %d do not match", importer.ErrInvalidModel, nodeWhere(n), inV.Shape, wt.Shape, groups)
		}
		win, err := window(n, inV.Shape, wt.Shape[2:])
		if err != nil {
			return err
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" && f.bias == nil {
			b.unsupported(n, "bias is not a constant vector of one value per output channel")
			return nil
		}
		l.Groups = groups
		l.K, l.N = wt.Shape[1]*wt.Shape[2]*wt.Shape[3], f.cout/groups
		op.Win = win
		outShape = []int{f.cout, win.OutH, win.OutW}
	case "Gemm":
		// one row per sample; in a graph quantized at batch 1 (b.lead = 0)
		// the value is the whole [M, K] matrix
		rows := len(inV.Shape) == 2 && b.lead == 0
		if !(len(inV.Shape) == 1 || rows) || inV.Shape[len(inV.Shape)-1] != f.k {
			return fmt.Errorf("quant: %w: %s: input %v per sample, weight wants %d features", importer.ErrInvalidModel, nodeWhere(n), inV.Shape, f.k)
		}
		alpha = float64(attrFloat(n, "alpha", 1))
		beta = float64(attrFloat(n, "beta", 1))
		l.K, l.N = f.k, f.cout
		outShape = []int{f.cout}
		if rows {
			outShape = []int{inV.Shape[0], f.cout}
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" && f.bias == nil {
			c, okc := constFloats(b.g, n.Inputs[2])
			if !okc || len(c) != 1 {
				b.unsupported(n, "bias C is not a constant vector or scalar")
				return nil
			}
			for i := range bias {
				bias[i] = float64(c[0])
			}
		}
	case "MatMul":
		if len(inV.Shape) < 1 || inV.Shape[len(inV.Shape)-1] != f.k {
			return fmt.Errorf("quant: %w: %s: input %v per sample, weight wants %d features", importer.ErrInvalidModel, nodeWhere(n), inV.Shape, f.k)
		}
		l.K, l.N = f.k, f.cout
		outShape = slices.Clone(inV.Shape)
		outShape[len(outShape)-1] = f.cout
	}
	if f.bias != nil {
		for i, v := range f.bias {
			bias[i] = float64(v) * beta
		}
	}
	out := n.Outputs[0]
	if n.OpType == "MatMul" && f.bias != nil {
		add := soleConsumer(b.g, b.cons, out)
		b.done[add] = true
		out = add.Outputs[0]
	}
	out, lo, hi, nonNeg := b.fuseActivation(out)
	sy, signed, clo, chi := b.encode(out, !nonNeg, lo, hi)
	y := b.newValue(out, outShape, sy, signed)
	op.Out = y
	op.Lo, op.Hi = clo, chi

	wantAxis := 0
	if f.kn {
		wantAxis = 1
	}
	var codes []int32
	var err error
	if l.WScale, codes, err = b.weightCodes(n, f, alpha, wantAxis); err != nil {
		return err
	}
	l.Weights = make([][]int32, l.Groups)
	for g := range l.Weights {
		l.Weights[g] = make([]int32, l.K*l.N)
	}
	for c := 0; c < f.cout; c++ {
		g, nn := c/l.N, c%l.N
		wg := l.Weights[g]
		for kk, q := range codes[c*f.k : (c+1)*f.k] {
			wg[kk*l.N+nn] = q
		}
	}
	op.Bias, op.Mult = requantOf(bias, inV.Scale, l.WScale, sy)
	zeros, pruned := f.zeros(codes, 0, len(codes))
	b.net.Linears = append(b.net.Linears, l)
	b.net.Layers = append(b.net.Layers, LayerStats{Name: l.Name, Weights: f.cout * f.k, Pruned: pruned, Zeros: zeros, PrunedChannels: f.prunedCh})
	b.emit(op)
	return nil
}

// uniqueLinearName is name, or name_index when a layer already has it:
// mapping files key on layer names.
func (b *builder) uniqueLinearName(name string, index int) string {
	for _, o := range b.net.Linears {
		if o.Name == name {
			return fmt.Sprintf("%s_%d", name, index)
		}
	}
	return name
}

// weightCodes quantizes f's weights (times alpha) per output channel c to
// B-bit codes at scale s_c = max_k |w_ck|·|alpha| / (2^(B-1)-1), or one scale
// for the tensor: scales has one entry per channel (or one), codes[c·f.k+kk]
// is weight kk of channel c. Weights of a pre-quantized model keep their
// scales (one, or one per channel along ONNX axis wantAxis of the weight).
func (b *builder) weightCodes(n *importer.Node, f *floatLayer, alpha float64, wantAxis int) (scales []float64, codes []int32, err error) {
	qmax := float64(int32(1)<<(b.cfg.WBits-1) - 1)
	nsc := 1
	if b.cfg.PerChannel {
		nsc = f.cout
	}
	scales = make([]float64, nsc)
	for c := 0; c < f.cout; c++ {
		m := 0.0
		for kk := 0; kk < f.k; kk++ {
			m = math.Max(m, math.Abs(float64(f.w[f.index(c, kk)])*alpha))
		}
		if nsc > 1 {
			scales[c] = m
		} else {
			scales[0] = math.Max(scales[0], m)
		}
	}
	for i, m := range scales {
		if m > 0 {
			scales[i] = float64(float32(m / qmax))
		} else {
			scales[i] = 1
		}
	}
	if ws, ok := b.p.fixedW[n.Inputs[1]]; ok {
		// pre-quantized weights keep their scales; the codes round back exactly
		switch {
		case len(ws.scales) == 1:
			nsc = 1
		case len(ws.scales) == f.cout && ws.axis == wantAxis:
			nsc = f.cout
		default:
			return nil, nil, fmt.Errorf("quant: %w: %s: weight %q has %d scales along axis %d; the crossbar needs one per tensor or per output channel (axis %d)",
				ErrUnsupported, nodeWhere(n), n.Inputs[1], len(ws.scales), ws.axis, wantAxis)
		}
		scales = make([]float64, nsc)
		for i := range scales {
			scales[i] = ws.scales[i] * math.Abs(alpha)
		}
	}
	codes = make([]int32, f.cout*f.k)
	for c := 0; c < f.cout; c++ {
		s := scales[min(c, nsc-1)]
		for kk := 0; kk < f.k; kk++ {
			codes[c*f.k+kk] = clamp32(roundSat32(float64(f.w[f.index(c, kk)])*alpha/s), int32(-qmax-1), int32(qmax))
		}
	}
	return scales, codes, nil
}

// zeros counts, over channel-major positions [from, to) of f's weights
// (c·f.k+kk), the zero codes and the weights pruning set to zero.
func (f *floatLayer) zeros(codes []int32, from, to int) (zeros, pruned int) {
	for i := from; i < to; i++ {
		if codes[i] == 0 {
			zeros++
		}
		if f.w[f.index(i/f.k, i%f.k)] == 0 {
			pruned++
		}
	}
	return zeros, pruned
}

// requantOf is the bias at scale s_x·s_w[c] and the requantization
// multiplier s_x·s_w[c]/s_y of a linear layer's output channels.
func requantOf(bias []float64, sx float64, wscale []float64, sy float64) ([]int32, []Multiplier) {
	q := make([]int32, len(bias))
	for c := range q {
		q[c] = roundSat32(bias[c] / (sx * wscale[min(c, len(wscale)-1)]))
	}
	mult := make([]Multiplier, len(wscale))
	for i, s := range wscale {
		mult[i] = NewMultiplier(sx * s / sy)
	}
	return q, mult
}

// window resolves Conv or pooling geometry for an input of per-sample shape
// [C,H,W] (kernel: the Conv weight's spatial shape, nil for pooling) with
// the interpreter's window arithmetic, so the integer model's windows are
// exactly the float model's.
func window(n *importer.Node, in []int, kernel []int) (*Window, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("quant: %w: %s: input shape %v, want [C H W]", ErrUnsupported, nodeWhere(n), in)
	}
	g, err := interp.NodeWindow(n, in[0], in[1:], kernel, 1)
	if err != nil {
		return nil, fmt.Errorf("quant: %w: %s: %v", importer.ErrInvalidModel, nodeWhere(n), err)
	}
	return &Window{KH: g.KH, KW: g.KW, StrideH: g.StrideH, StrideW: g.StrideW,
		PadT: g.PadT, PadL: g.PadL, PadB: g.PadB, PadR: g.PadR, DilH: g.DilH, DilW: g.DilW,
		InC: g.InC, InH: g.InH, InW: g.InW, OutH: g.OutH, OutW: g.OutW}, nil
}

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
		im2col(in, bs, w, g*cg, cg, cols, ws)
		if err := mm(l, g, cols, m, acc); err != nil {
			return err
		}
		// the golden path's requantization (requantRows), here over the
		// ohw×N accumulator rows of each sample
		mults, biases := ws.requantRows(N)
		for c := range mults {
			ch := g*N + c
			mults[c] = mult[min(ch, len(mult)-1)]
			biases[c] = int64(op.Bias[ch])
		}
		for b := 0; b < bs; b++ {
			requantRows(acc[b*ohw*N:], N, ohw, mults, biases, op.Lo, op.Hi, out[(b*cout+g*N)*ohw:(b*cout+g*N+N)*ohw])
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
	mults, biases := ws.requantRows(N)
	for cc := range mults {
		ch := g*N + cc
		mults[cc] = op.Mult[min(ch, len(op.Mult)-1)]
		biases[cc] = int64(op.Bias[ch]) - int64(off)*int64(vp.colsum[cc])
	}
	for b := 0; b < bs; b++ {
		requantRows(c[b*ohw*ldc:], ldc, ohw, mults, biases, op.Lo, op.Hi, out[(b*cout+g*N)*ohw:(b*cout+g*N+N)*ohw])
	}
}

// requantTile is the number of accumulator rows requantRows converts per
// channel sweep: 64 rows of up to 64 int32 columns stay in the L1 cache while
// every channel reads its column of them.
const requantTile = 64

// requantRows turns the rows×N accumulators acc (row stride ldc) into output
// codes stored channel-major: dst[ch*rows+p] = clamp(sat(M_ch·(acc[p][ch] +
// bias_ch)), lo, hi), the integers of clamp32(sat32(apply64(...))). It walks
// one channel at a time over a tile of rows, so the channel's multiplier,
// shift and rounding constant stay in registers and the stores are
// contiguous; clamping in int64 to [lo, hi] (lo ≤ hi, both int32) is the
// saturation and the clamp in one, without branches.
func requantRows(acc []int32, ldc, rows int, mults []Multiplier, biases []int64, lo, hi int32, dst []int32) {
	lo64, hi64 := int64(lo), int64(hi)
	for p0 := 0; p0 < rows; p0 += requantTile {
		p1 := min(p0+requantTile, rows)
		for ch, mu := range mults {
			bias, m0 := biases[ch], int64(mu.M0)
			d := dst[ch*rows+p0 : ch*rows+p1]
			src := acc[p0*ldc+ch:]
			if mu.Shift == 0 {
				for i := range d {
					d[i] = int32(min(max((int64(src[i*ldc])+bias)*m0, lo64), hi64))
				}
				continue
			}
			sh := uint(mu.Shift)
			half := int64(1)<<(sh-1) - 1
			for i := range d {
				p := (int64(src[i*ldc]) + bias) * m0
				v := (p + half + (p>>sh)&1) >> sh
				d[i] = int32(min(max(v, lo64), hi64))
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
	hp, wp, offs := w.paddedImage(cg, ws)
	nr := len(offs)
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
					// One bounds check per row instead of two per
					// kernel row: offs ascends, so the last entry's
					// 8-byte load and store are the farthest ones.
					last := offs[nr-1]
					_ = a[t+(nr-1)*w.KW+7]
					_ = img[corner+last+7]
					dp, sp := unsafe.Pointer(&a[t]), unsafe.Pointer(&img[corner])
					for _, o := range offs {
						*(*uint64)(dp) = *(*uint64)(unsafe.Add(sp, o))
						dp = unsafe.Add(dp, w.KW)
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

// paddedImage is the layout im2col and im2colBytes copy a group's cg
// channels into: the zero-padded image's height and width (large enough that
// every window, even one reaching past the bottom or right padding, stays
// inside) and, in ws.offs, the offsets of the image rows of each (channel,
// kernel row) relative to a window's top-left corner, ascending.
func (w *Window) paddedImage(cg int, ws *workState) (hp, wp int, offs []int) {
	hp = max(w.InH+w.PadT+w.PadB, (w.OutH-1)*w.StrideH+(w.KH-1)*w.DilH+1)
	wp = max(w.InW+w.PadL+w.PadR, (w.OutW-1)*w.StrideW+(w.KW-1)*w.DilW+1)
	nr := cg * w.KH
	if cap(ws.offs) < nr {
		ws.offs = make([]int, nr)
	}
	offs = ws.offs[:nr]
	for c := 0; c < cg; c++ {
		for i := 0; i < w.KH; i++ {
			offs[c*w.KH+i] = (c*hp + i*w.DilH) * wp
		}
	}
	return hp, wp, offs
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
// (zero point 0), the lowering of interp.Im2colRows. As in im2colBytes, each
// sample's group channels are first copied into a zero-padded image (ws.pimg32,
// cleared once per call: the padding is never written), so every kernel row
// is one branch-free copy of KW codes instead of a bounds test per tap and a
// memmove call per row.
func im2col(in []int32, bs int, w *Window, c0, cg int, cols []int32, ws *workState) {
	hw := w.InH * w.InW
	hp, wp, offs := w.paddedImage(cg, ws)
	nr := len(offs)
	psz := cg * hp * wp
	ws.pimg32 = grow(ws.pimg32, psz)
	img := ws.pimg32[:psz]
	clear(img)
	k := nr * w.KW
	kw, dw := w.KW, w.DilW
	row := 0
	for b := 0; b < bs; b++ {
		base := b * w.InC * hw
		for c := 0; c < cg; c++ {
			src := in[base+(c0+c)*hw : base+(c0+c+1)*hw]
			for y := 0; y < w.InH; y++ {
				d := img[(c*hp+y+w.PadT)*wp+w.PadL:]
				copy(d[:w.InW], src[y*w.InW:(y+1)*w.InW])
			}
		}
		for oh := 0; oh < w.OutH; oh++ {
			for ow := 0; ow < w.OutW; ow++ {
				dst := cols[row*k : (row+1)*k]
				row++
				corner := oh*w.StrideH*wp + ow*w.StrideW
				t := 0
				for _, o := range offs {
					s := img[corner+o : corner+o+(kw-1)*dw+1]
					d := dst[t : t+kw]
					t += kw
					if dw == 1 {
						s = s[:kw]
						for j := range d {
							d[j] = s[j]
						}
						continue
					}
					for j := range d {
						d[j] = s[j*dw]
					}
				}
			}
		}
	}
}

func (w *qdqWriter) linear(op *Op, in, tmp string) error {
	n := w.n
	l := n.Linears[op.Linear]
	inV := &n.Values[op.In[0]]
	cout := l.Groups * l.N
	// weights in ONNX layout
	var dims []int64
	codes := make([]int32, cout*l.K)
	axis := int64(0)
	form := l.Op
	if form == "Gemm" && len(inV.Shape) > 1 {
		// A Gemm of a graph quantized at batch 1 reads the whole [M, K]
		// matrix as one sample; behind the exported batch axis that is
		// [N, M, K], which Gemm (2-D only) cannot take and MatMul plus
		// the bias can, with the same weights.
		form = "MatMul"
	}
	switch form {
	case "Conv":
		win := op.Win
		dims = []int64{int64(cout), int64(win.InC / l.Groups), int64(win.KH), int64(win.KW)}
		for c := 0; c < cout; c++ {
			g, nn := c/l.N, c%l.N
			for k := 0; k < l.K; k++ {
				codes[c*l.K+k] = l.Weights[g][k*l.N+nn]
			}
		}
	case "Gemm":
		dims = []int64{int64(l.N), int64(l.K)} // transB = 1
		for c := 0; c < l.N; c++ {
			for k := 0; k < l.K; k++ {
				codes[c*l.K+k] = l.Weights[0][k*l.N+c]
			}
		}
	case "MatMul":
		dims = []int64{int64(l.K), int64(l.N)}
		copy(codes, l.Weights[0])
		axis = 1
	default:
		return fmt.Errorf("linear op %q", l.Op)
	}
	ws := make([]float32, len(l.WScale))
	bs := make([]float32, len(l.WScale))
	zp := make([]int32, len(l.WScale))
	for i, s := range l.WScale {
		ws[i] = float32(s)
		bs[i] = float32(inV.Scale * s)
	}
	var sdims []int64
	if len(ws) > 1 {
		sdims = []int64{int64(len(ws))}
	}
	var dqAttrs []*onnxpb.AttributeProto
	if len(ws) > 1 {
		dqAttrs = append(dqAttrs, attrI("axis", axis))
	}
	wq := w.bytesT(l.Name+"_w_q", dims, codes, true)
	wdq := w.name(l.Name + "_w")
	w.node("DequantizeLinear", []string{wq, w.floats(l.Name+"_w_scale", sdims, ws), w.bytesT(l.Name+"_w_zp", sdims, zp, true)}, wdq, dqAttrs...)
	bq := w.int32s(l.Name+"_b_q", []int64{int64(cout)}, op.Bias)
	bdq := w.name(l.Name + "_b")
	var bAttrs []*onnxpb.AttributeProto
	if len(bs) > 1 {
		bAttrs = append(bAttrs, attrI("axis", 0))
	}
	w.node("DequantizeLinear", []string{bq, w.floats(l.Name+"_b_scale", sdims, bs), w.int32s(l.Name+"_b_zp", sdims, zp)}, bdq, bAttrs...)
	switch form {
	case "Conv":
		win := op.Win
		w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(l.Name), OpType: proto.String("Conv"),
			Input: []string{in, wdq, bdq}, Output: []string{tmp}, Attribute: []*onnxpb.AttributeProto{
				attrIs("kernel_shape", int64(win.KH), int64(win.KW)),
				attrIs("strides", int64(win.StrideH), int64(win.StrideW)),
				attrIs("pads", int64(win.PadT), int64(win.PadL), int64(win.PadB), int64(win.PadR)),
				attrIs("dilations", int64(win.DilH), int64(win.DilW)),
				attrI("group", int64(l.Groups))}})
	case "Gemm":
		w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(l.Name), OpType: proto.String("Gemm"),
			Input: []string{in, wdq, bdq}, Output: []string{tmp}, Attribute: []*onnxpb.AttributeProto{attrI("transB", 1)}})
	case "MatMul":
		mm := w.name(l.Name + "_mm")
		w.g.Node = append(w.g.Node, &onnxpb.NodeProto{Name: proto.String(l.Name), OpType: proto.String("MatMul"),
			Input: []string{in, wdq}, Output: []string{mm}})
		w.node("Add", []string{mm, bdq}, tmp)
	}
	w.fname[op.Out] = w.qdq(op.Out, tmp, op.Lo, op.Hi)
	return nil
}
