package interp

import (
	"fmt"
	"slices"
	"sync"

	"github.com/rramc/rramc/importer"
)

func init() {
	register("Conv", 2, 3, compileConv, shapeWindow)
	registerFusedProducer("Conv", compileConvEpilogue)
	registerResidualProducer("Conv", compileConvResidual)
	register("Gemm", 2, 3, compileGemm, shapeGemm)
	register("MatMul", 2, 2, compileMatMul, shapeMatMul)
}

// convWeights is a Conv weight packed per group for the GEMM kernel.
type convWeights struct {
	m, k   int // per group
	groups []packedA
}

func packConvWeights(w *importer.Tensor, groups int) convWeights {
	m := w.Shape[0] / groups
	k := w.Len() / w.Shape[0]
	cw := convWeights{m: m, k: k}
	for g := 0; g < groups; g++ {
		cw.groups = append(cw.groups, packA(w.Float[g*m*k:(g+1)*m*k], k, m, k, false, nil))
	}
	return cw
}

var colPool = sync.Pool{New: func() any { return new([]float32) }}

func compileConv(c *compileCtx, n *importer.Node) (kernel, error) {
	return compileConvEpilogue(c, n, nil)
}

// compileConvEpilogue is compileConv with an activation fused into the
// output (ep nil: none); see fuse.go.
func compileConvEpilogue(c *compileCtx, n *importer.Node, ep epilogue) (kernel, error) {
	return compileConvFused(c, n, ep, nil)
}

// compileConvResidual is compileConv with a residual Add and the
// activation after it fused into the output (fuse.go): its kernel takes
// the shortcut after the Conv's own inputs. A shortcut of another shape
// than the output (one that broadcasts) is added by the Add's own
// computation after the convolution.
func compileConvResidual(c *compileCtx, n *importer.Node, rs residualSpec) (kernel, error) {
	return compileConvFused(c, n, nil, &rs)
}

// compileConvFused compiles a Conv with an activation epilogue ep or a
// residual rs fused in (at most one; both nil: the plain Conv).
func compileConvFused(c *compileCtx, n *importer.Node, ep epilogue, rspec *residualSpec) (kernel, error) {
	at, err := readConvAttrs(n, false)
	if err != nil {
		return nil, err
	}
	// A constant weight is packed once per node: the fused plan's kernel
	// shares the unfused one's copy (nodePrepared).
	pre, err := nodePrepared(c, n, func() (*convWeights, error) {
		w := c.constInput(n, 1)
		if w == nil {
			return nil, nil
		}
		if err := checkConvWeight(w, at.group); err != nil {
			return nil, err
		}
		if _, err := at.axes(len(w.Shape)-2, w.Shape[2:]); err != nil {
			return nil, err
		}
		cw := packConvWeights(w, at.group)
		return &cw, nil
	})
	if err != nil {
		return nil, err
	}
	// conv reports whether it applied rs (not when the shortcut's shape is
	// not the output's).
	conv := func(ar *arena, ins []*importer.Tensor, rs *residual) (*importer.Tensor, bool, error) {
		x, w := ins[0], ins[1]
		var b *importer.Tensor
		if len(ins) > 2 {
			b = ins[2]
		}
		if err := needFloat(x, "input X"); err != nil {
			return nil, false, err
		}
		if err := checkConvWeight(w, at.group); err != nil {
			return nil, false, err
		}
		if len(x.Shape) != len(w.Shape) {
			return nil, false, fmt.Errorf("input %v and weight %v ranks differ", x.Shape, w.Shape)
		}
		if len(w.Shape) > 4 {
			return convND(ar, n, x, w, b, at.group, pre, ep, rs)
		}
		p, err := at.params(len(w.Shape)-2, w.Shape[2:], false)
		if err != nil {
			return nil, false, err
		}
		N, C := x.Shape[0], x.Shape[1]
		H, W := spatialHW(x.Shape)
		if C != w.Shape[1]*at.group {
			return nil, false, fmt.Errorf("input has %d channels, weight %v with group %d expects %d", C, w.Shape, at.group, w.Shape[1]*at.group)
		}
		g, err := NewConvGeometry(C, H, W, at.group, p)
		if err != nil {
			return nil, false, err
		}
		M := w.Shape[0]
		if b != nil {
			if err := needFloat(b, "bias B"); err != nil {
				return nil, false, err
			}
			if len(b.Shape) != 1 || b.Shape[0] != M {
				return nil, false, fmt.Errorf("bias shape %v, want [%d]", b.Shape, M)
			}
		}
		outShape := []int{N, M, g.OutH, g.OutW}
		if len(x.Shape) == 3 {
			outShape = []int{N, M, g.OutW}
		}
		if _, err := importer.CheckNumElements(outShape); err != nil {
			return nil, false, err
		}
		if _, err := importer.CheckNumElements([]int{g.K(), g.P()}); err != nil {
			return nil, false, err
		}
		cw := pre
		if cw == nil {
			v := packConvWeights(w, at.group)
			cw = &v
		}
		if !rs.fits(outShape) {
			rs = nil
		}
		out := ar.newFloat(outShape)
		if b == nil {
			clear(out.Float)
		}
		convForward(&g, cw, x.Float, b, out.Float, N, M, numWorkers(), ep, rs)
		return out, rs != nil, nil
	}
	if rspec == nil {
		return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
			y, _, err := conv(ar, ins, nil)
			if err != nil {
				return nil, err
			}
			return one(y), nil
		}, nil
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		short := ins[len(ins)-1]
		ins = ins[:len(ins)-1]
		var rs *residual
		if short.IsFloat() {
			rs = &residual{residualSpec: *rspec, r: short.Float, shape: short.Shape}
		}
		y, applied, err := conv(ar, ins, rs)
		if err != nil || applied {
			return one(y), err
		}
		// The Add node's own computation (broadcasting, type errors), then
		// the activation.
		a, b := y, short
		if rspec.first {
			a, b = short, y
		}
		sum, err := binary(ar, opAdd, a, b)
		ar.discard(y)
		if err != nil {
			return nil, err
		}
		rspec.act.apply(sum.Float)
		return one(sum), nil
	}, nil
}

// convND is a Conv over three spatial axes (the rank the 2-D kernels do
// not take): per image and group, Im2colND and one GEMM of the packed
// weights with it, after the bias.
func convND(ar *arena, n *importer.Node, x, w, b *importer.Tensor, groups int, pre *convWeights, ep epilogue, rs *residual) (*importer.Tensor, bool, error) {
	N, C, M := x.Shape[0], x.Shape[1], w.Shape[0]
	if C != w.Shape[1]*groups {
		return nil, false, fmt.Errorf("input has %d channels, weight %v with group %d expects %d", C, w.Shape, groups, w.Shape[1]*groups)
	}
	g, err := NodeWindowND(n, C, x.Shape[2:], w.Shape[2:], groups)
	if err != nil {
		return nil, false, err
	}
	if b != nil {
		if err := needFloat(b, "bias B"); err != nil {
			return nil, false, err
		}
		if len(b.Shape) != 1 || b.Shape[0] != M {
			return nil, false, fmt.Errorf("bias shape %v, want [%d]", b.Shape, M)
		}
	}
	outShape := append([]int{N, M}, g.OutShape()...)
	if _, err := importer.CheckNumElements(outShape); err != nil {
		return nil, false, err
	}
	K, P := g.K(), g.P()
	if _, err := importer.CheckNumElements([]int{K, P}); err != nil {
		return nil, false, err
	}
	cw := pre
	if cw == nil {
		v := packConvWeights(w, groups)
		cw = &v
	}
	out := ar.newFloat(outShape)
	clear(out.Float)
	workers := numWorkers()
	col := make([]float32, K*P)
	var packed []float32
	in, gc, mg := g.InSize(), g.GroupC(), M/groups
	for img := 0; img < N; img++ {
		oi := out.Float[img*M*P : (img+1)*M*P]
		if b != nil {
			for m := 0; m < M; m++ {
				row := oi[m*P : (m+1)*P]
				for i := range row {
					row[i] = b.Float[m]
				}
			}
		}
		for gi := 0; gi < groups; gi++ {
			src := x.Float[(img*C+gi*gc)*in : (img*C+(gi+1)*gc)*in]
			Im2colND(&g, src, col, 0)
			pb := packB(col, P, K, P, false, packed, workers)
			packed = pb.data
			gemmPP(cw.groups[gi], pb, oi[gi*mg*P:(gi+1)*mg*P], P, workers, nil)
		}
	}
	ep.apply(out.Float)
	if !rs.fits(outShape) {
		return out, false, nil
	}
	rs.applyParallel(out.Float, workers)
	return out, rs != nil, nil
}

func checkConvWeight(w *importer.Tensor, group int) error {
	if err := needFloat(w, "weight W"); err != nil {
		return err
	}
	if len(w.Shape) < 3 {
		return fmt.Errorf("weight shape %v has rank < 3", w.Shape)
	}
	if w.Shape[0]%group != 0 {
		return fmt.Errorf("weight has %d output channels, not divisible by group %d", w.Shape[0], group)
	}
	if w.Len() == 0 {
		return fmt.Errorf("weight %v is empty", w.Shape)
	}
	return nil
}

// convForward computes the convolution of N images into out (N×M×P).
// With more images than workers the batch is split across goroutines (one
// single-threaded GEMM per image, or per batchLanes images on the
// batch-lane path); otherwise each image's GEMMs use all workers. All give
// identical results (see gemmPP and kernels_convbatch.go). ep, when not
// nil, is applied to every output value once it is final; rs, when not
// nil (ep is then nil), to each image's or batch of images' output once
// it is complete (or each output row on the batch-lane path).
func convForward(g *ConvGeometry, cw *convWeights, x []float32, b *importer.Tensor, out []float32, N, M, workers int, ep epilogue, rs *residual) {
	imgIn := g.InC * g.InH * g.InW
	P := g.P()
	mg := M / g.Groups
	direct := g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 &&
		g.PadT == 0 && g.PadL == 0 && g.PadB == 0 && g.PadR == 0
	// The in-place 1×1 path applies rs itself, to each block as it is
	// final.
	inPlace1x1 := direct && g.Groups == 1 && conv1x1Applies()
	var plan *shiftPlan
	if useShiftConv && shiftApplies(g) && !direct {
		v := newShiftPlan(g)
		plan = &v
	}
	one := func(img int, inner int, s *gemmScratch) {
		xi := x[img*imgIn : (img+1)*imgIn]
		oi := out[img*M*P : (img+1)*M*P]
		if plan != nil {
			shiftConvImage(g, plan, cw.groups, xi, b, oi, s, inner, ep)
			return
		}

		if inPlace1x1 {
			var bias []float32
			if b != nil {
				bias = b.Float
			}
			conv1x1(cw.groups[0], xi, bias, oi, P, s, inner, conv1x1Finish{ep: ep, rs: rs, off: img * M * P})
			return
		}
		if direct && g.Groups == 1 && inner > 1 && M*P*g.K() >= 1<<16 && gemmSplitsColumns(M, P, inner) {
			directConvColumns(cw.groups[0], xi, b, oi, P, s, inner, ep)
			return
		}
		if b != nil {
			splitRows(M, P, inner, func(m0, m1 int) {
				for m := m0; m < m1; m++ {
					fill(oi[m*P:(m+1)*P], b.Float[m])
				}
			})
		}
		gc := g.GroupC()
		for gi := 0; gi < g.Groups; gi++ {
			src := xi[gi*gc*g.InH*g.InW : (gi+1)*gc*g.InH*g.InW]
			var pb packedB
			if direct {
				pb = packB(src, P, g.K(), P, false, s.b, inner)
			} else {
				need := ((P + gemmNR - 1) / gemmNR) * gemmNR * g.K()
				if cap(s.b) < need {
					s.b = make([]float32, need)
				}
				im2colPacked(g, src, s.b[:need], inner)
				pb = packedB{k: g.K(), n: P, data: s.b[:need]}
			}
			s.b = pb.data
			gemmPP(cw.groups[gi], pb, oi[gi*mg*P:(gi+1)*mg*P], P, inner, ep)
		}
	}
	var lanes *batchPlan
	if useBatchConv && N >= batchLanes && batchApplies(g, M) {
		v := newBatchPlan(g)
		lanes = &v
	}
	if N >= workers || workers <= 1 {
		// With lanes, whole groups of batchLanes images go to one worker.
		unit := 1
		if lanes != nil && N >= batchLanes*workers {
			unit = batchLanes
		}
		parallelFor((N+unit-1)/unit, workers, func(lo, hi int) {
			s := gemmPool.Get().(*gemmScratch)
			lo, hi = lo*unit, min(hi*unit, N)
			img := lo
			if lanes != nil {
				var bias []float32
				if b != nil {
					bias = b.Float
				}
				// The epilogue runs on each output row as it is
				// de-interleaved.
				rows := rs
				if rows == nil && ep != nil {
					rows = &residual{residualSpec: residualSpec{act: ep}}
				}
				for ; img+batchLanes <= hi; img += batchLanes {
					convLanes(g, lanes, cw.groups[0], x[img*imgIn:(img+batchLanes)*imgIn], bias, out[img*M*P:(img+batchLanes)*M*P], s, rows, img*M*P)
				}
			}
			for ; img < hi; img++ {
				one(img, 1, s)
				if !inPlace1x1 {
					rs.apply(out[img*M*P:(img+1)*M*P], img*M*P)
				}
			}
			gemmPool.Put(s)
		})
		return
	}
	s := gemmPool.Get().(*gemmScratch)
	for img := 0; img < N; img++ {
		one(img, workers, s)
	}
	gemmPool.Put(s)
	if !inPlace1x1 {
		rs.applyParallel(out[:N*M*P], workers)
	}
}

// directConvColumns computes a 1×1, stride-1, unpadded, ungrouped
// convolution of one image (x: K×P, out: M×P) whose GEMM splits by column
// panels, in a single fork-join: each goroutine fills the bias into its
// columns, packs its own panels of x and runs the GEMM on them, where the
// general path forks three times (bias fill, packing, GEMM) and leaves a
// core idle at each join. The values are those of the general path: the
// same bias, the same packed panels, the same gemmBlock.
func directConvColumns(pa packedA, x []float32, b *importer.Tensor, out []float32, P int, s *gemmScratch, workers int, ep epilogue) {
	m, k := pa.m, pa.k
	nq := (P + gemmNR - 1) / gemmNR
	np := (m + gemmMR - 1) / gemmMR
	s.b = grow(s.b, nq*gemmNR*k)
	pb := s.b[:nq*gemmNR*k]
	parallelFor(nq, workers, func(q0, q1 int) {
		if b != nil {
			c0, c1 := q0*gemmNR, min(q1*gemmNR, P)
			for r := 0; r < m; r++ {
				fill(out[r*P+c0:r*P+c1], b.Float[r])
			}
		}
		packBPanels(x, P, k, P, false, q0, q1, pb)
		gemmBlock(pa, pb, k, P, out, P, 0, np, q0, q1, ep)
	})
}

// splitRows runs fn over the rows [0, rows) of a rows×cols output, split
// across up to workers goroutines when the output is at least two
// elementwiseGrain (the bias fill, crop and epilogue passes of a batch-1
// convolution, which would otherwise leave the other cores idle between
// the parallel GEMMs). fn must touch only its own rows.
func splitRows(rows, cols, workers int, fn func(r0, r1 int)) {
	if workers <= 1 || rows*cols < 2*elementwiseGrain {
		fn(0, rows)
		return
	}
	parallelFor(rows, workers, fn)
}

// ---------------------------------------------------------------------------

func compileGemm(c *compileCtx, n *importer.Node) (kernel, error) {
	alpha, err := n.AttrFloat("alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := n.AttrFloat("beta", 1)
	if err != nil {
		return nil, err
	}
	ta, err := n.AttrInt("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.AttrInt("transB", 0)
	if err != nil {
		return nil, err
	}
	transA, transB := ta != 0, tb != 0
	// A constant B (the usual weight matrix) is packed once.
	var pre *packedB
	if b := c.constInput(n, 1); b != nil {
		if err := needFloat(b, "input B"); err != nil {
			return nil, err
		}
		if len(b.Shape) != 2 {
			return nil, fmt.Errorf("input B must be 2-D, have %v", b.Shape)
		}
		k, nn := b.Shape[0], b.Shape[1]
		if transB {
			k, nn = nn, k
		}
		v := packB(b.Float, b.Shape[1], k, nn, transB, nil, 1)
		pre = &v
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		a, b := ins[0], ins[1]
		if err := needFloat(a, "input A"); err != nil {
			return nil, err
		}
		if err := needFloat(b, "input B"); err != nil {
			return nil, err
		}
		if len(a.Shape) != 2 || len(b.Shape) != 2 {
			return nil, fmt.Errorf("A %v and B %v must be 2-D", a.Shape, b.Shape)
		}
		m, k := a.Shape[0], a.Shape[1]
		if transA {
			m, k = k, m
		}
		kb, nn := b.Shape[0], b.Shape[1]
		if transB {
			kb, nn = nn, kb
		}
		if k != kb {
			return nil, fmt.Errorf("A %v (transA=%v) and B %v (transB=%v) inner dims differ", a.Shape, transA, b.Shape, transB)
		}
		out := ar.zeroFloat([]int{m, nn})
		workers := numWorkers()
		s := gemmPool.Get().(*gemmScratch)
		pa := packA(a.Float, a.Shape[1], m, k, transA, s.a)
		s.a = pa.data
		pb := pre
		if pb == nil {
			v := packB(b.Float, b.Shape[1], k, nn, transB, s.b, workers)
			s.b = v.data
			pb = &v
		}
		gemmPP(pa, *pb, out.Float, nn, workers, nil)
		gemmPool.Put(s)
		if alpha != 1 {
			for i := range out.Float {
				out.Float[i] *= alpha
			}
		}
		if len(ins) > 2 && ins[2] != nil && beta != 0 {
			cT := ins[2]
			if err := needFloat(cT, "input C"); err != nil {
				return nil, err
			}
			shape, err := importer.BroadcastShapes(cT.Shape, out.Shape)
			if err != nil || !slices.Equal(shape, out.Shape) {
				return nil, fmt.Errorf("C %v is not unidirectionally broadcastable to [%d %d]", cT.Shape, m, nn)
			}
			broadcastLoop(out.Shape, cT.Shape, out.Shape, func(o, ia, sa, ib, sb, cnt int) {
				dst := out.Float[o : o+cnt]
				for i := range dst {
					dst[i] += beta * cT.Float[ib+i*sb]
				}
			})
		}
		return one(out), nil
	}, nil
}

// ---------------------------------------------------------------------------

func compileMatMul(c *compileCtx, n *importer.Node) (kernel, error) {
	var pre *packedB
	if b := c.constInput(n, 1); b != nil && b.IsFloat() && len(b.Shape) == 2 {
		v := packB(b.Float, b.Shape[1], b.Shape[0], b.Shape[1], false, nil, 1)
		pre = &v
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		a, b := ins[0], ins[1]
		if err := needFloat(a, "input A"); err != nil {
			return nil, err
		}
		if err := needFloat(b, "input B"); err != nil {
			return nil, err
		}
		out, err := matMul(ar, a, b, pre)
		if err != nil {
			return nil, err
		}
		return one(out), nil
	}, nil
}

// matMul implements numpy matmul: 1-D operands are promoted (A to a row, B
// to a column) and the added dim removed from the result; leading batch
// dims broadcast.
func matMul(ar *arena, a, b *importer.Tensor, pre *packedB) (*importer.Tensor, error) {
	if len(a.Shape) == 0 || len(b.Shape) == 0 {
		return nil, fmt.Errorf("MatMul operands must have rank >= 1, have %v and %v", a.Shape, b.Shape)
	}
	as, bs := a.Shape, b.Shape
	aVec, bVec := len(as) == 1, len(bs) == 1
	if aVec {
		as = []int{1, as[0]}
	}
	if bVec {
		bs = []int{bs[0], 1}
	}
	m, k := as[len(as)-2], as[len(as)-1]
	kb, nn := bs[len(bs)-2], bs[len(bs)-1]
	if k != kb {
		return nil, fmt.Errorf("MatMul inner dims differ: %v and %v", a.Shape, b.Shape)
	}
	batch, err := importer.BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, err
	}
	outShape := append(append([]int(nil), batch...), m, nn)
	if _, err := importer.CheckNumElements(outShape); err != nil {
		return nil, err
	}
	out := ar.zeroFloat(outShape)
	workers := numWorkers()
	s := gemmPool.Get().(*gemmScratch)
	defer gemmPool.Put(s)
	if len(bs) == 2 {
		// B is one matrix: all of A's rows form a single M'×K product.
		rows := a.Len() / max(k, 1)
		if k == 0 {
			rows = importer.NumElements(as[:len(as)-1])
		}
		pa := packA(a.Float, k, rows, k, false, s.a)
		s.a = pa.data
		var pb packedB
		if pre != nil && !bVec {
			pb = *pre
		} else {
			pb = packB(b.Float, nn, k, nn, false, s.b, workers)
			s.b = pb.data
		}
		gemmPP(pa, pb, out.Float, nn, workers, nil)
	} else {
		ast := broadcastStrides(as[:len(as)-2], batch)
		bst := broadcastStrides(bs[:len(bs)-2], batch)
		nb := importer.NumElements(batch)
		idx := make([]int, len(batch))
		for bi := 0; bi < nb; bi++ {
			ao, bo := 0, 0
			for d := range batch {
				ao += idx[d] * ast[d]
				bo += idx[d] * bst[d]
			}
			am := a.Float[ao*m*k : (ao+1)*m*k]
			bm := b.Float[bo*k*nn : (bo+1)*k*nn]
			pa := packA(am, k, m, k, false, s.a)
			s.a = pa.data
			pb := packB(bm, nn, k, nn, false, s.b, workers)
			s.b = pb.data
			gemmPP(pa, pb, out.Float[bi*m*nn:(bi+1)*m*nn], nn, workers, nil)
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d]++
				if idx[d] < batch[d] {
					break
				}
				idx[d] = 0
			}
		}
	}
	switch {
	case aVec && bVec:
		out.Shape = outShape[:len(outShape)-2]
	case aVec:
		out.Shape = append(outShape[:len(outShape)-2:len(outShape)-2], nn)
	case bVec:
		out.Shape = append(outShape[:len(outShape)-2:len(outShape)-2], m)
	}
	return out, nil
}

// shapeWindow is the shape rule of Conv, MaxPool, AveragePool.
func shapeWindow(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	return inferWindow(n, x, sc.in(1))
}

// shapeGemm is the shape rule of Gemm.
func shapeGemm(sc *shapeCtx) ([]*ValueShape, error) {
	n := sc.n
	x := sc.in(0)
	a, b := x, sc.in(1)
	if !a.Known || !b.Known || len(a.Dims) != 2 || len(b.Dims) != 2 {
		return []*ValueShape{{DType: importer.Float}}, nil
	}
	ta, _ := n.AttrInt("transA", 0)
	tb, _ := n.AttrInt("transB", 0)
	m, nn := a.Dims[0], b.Dims[1]
	if ta != 0 {
		m = a.Dims[1]
	}
	if tb != 0 {
		nn = b.Dims[0]
	}
	return []*ValueShape{{DType: importer.Float, Dims: []importer.Dim{m, nn}, Known: true}}, nil
}

// shapeMatMul is the shape rule of MatMul.
func shapeMatMul(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	return []*ValueShape{inferMatMul(x, sc.in(1))}, nil
}
