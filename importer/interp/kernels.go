package interp

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// im2colPacked is Im2col followed by packing as the B operand of the GEMM
// (gemmNR-column panels), fused so the K×P matrix is never materialised:
// each row goes through a P-value scratch row that stays in cache. With
// workers > 1 the input channels are split across goroutines (each writes
// its own rows, so the result does not depend on the split).
func im2colPacked(g *ConvGeometry, src []float32, pb []float32, workers int) {
	gc, p := g.GroupC(), g.P()
	if workers > 1 && gc > 1 && g.K()*p >= 1<<15 {
		parallelFor(gc, workers, func(c0, c1 int) { im2colPackedRows(g, src, pb, c0, c1) })
		return
	}
	im2colPackedRows(g, src, pb, 0, gc)
}

func im2colPackedRows(g *ConvGeometry, src []float32, pb []float32, c0, c1 int) {
	p, k := g.P(), g.K()
	nq := (p + gemmNR - 1) / gemmNR
	bufp := colPool.Get().(*[]float32)
	if cap(*bufp) < p {
		*bufp = make([]float32, p)
	}
	rowBuf := (*bufp)[:p]
	row := c0 * g.KH * g.KW
	for c := c0; c < c1; c++ {
		plane := src[c*g.InH*g.InW : (c+1)*g.InH*g.InW]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				im2colRow(g, plane, kh, kw, rowBuf, 0)
				full := p / gemmNR
				for q := 0; q < full; q++ {
					// Fixed-size array copy: 16 floats move without a
					// memmove call.
					off := q*gemmNR*k + row*gemmNR
					*(*[gemmNR]float32)(pb[off : off+gemmNR]) = *(*[gemmNR]float32)(rowBuf[q*gemmNR : q*gemmNR+gemmNR])
				}
				if full < nq {
					dst := pb[full*gemmNR*k+row*gemmNR : full*gemmNR*k+row*gemmNR+gemmNR]
					n := copy(dst, rowBuf[full*gemmNR:])
					for j := n; j < gemmNR; j++ {
						dst[j] = 0
					}
				}
				row++
			}
		}
	}
	colPool.Put(bufp)
}

// ---------------------------------------------------------------------------
// GEMM
//
// C (M×N) += A (M×K) · B (K×N), float32, row-major, BLIS style: A is packed
// into panels of gemmMR rows (k-major), B into panels of gemmNR columns, and a
// register-blocked micro-kernel computes one gemmMR×gemmNR block of C over a
// slice of gemmKC values of k. Every element of C is accumulated in the same
// order (k-blocks ascending, within a block k ascending) no matter how the
// work is split between goroutines, so results do not depend on the thread
// count.

const (
	gemmMR = 6
	gemmNR = 16
	gemmKC = 256
)

// packedA is an M×K matrix packed in gemmMR-row panels: panel p holds rows
// p·MR..p·MR+MR-1 (zero-padded past M) with element (i, k) at
// data[p·MR·K + k·MR + i].
type packedA struct {
	m, k int
	data []float32
}

// packA packs A (trans=false: a[i·lda+k]; trans=true: a[k·lda+i]).
func packA(a []float32, lda, m, k int, trans bool, buf []float32) packedA {
	np := (m + gemmMR - 1) / gemmMR
	need := np * gemmMR * k
	if cap(buf) < need {
		buf = make([]float32, need)
	}
	buf = buf[:need]
	for p := 0; p < np; p++ {
		panel := buf[p*gemmMR*k : (p+1)*gemmMR*k]
		for i := 0; i < gemmMR; i++ {
			r := p*gemmMR + i
			if r >= m {
				for kk := 0; kk < k; kk++ {
					panel[kk*gemmMR+i] = 0
				}
				continue
			}
			if !trans {
				src := a[r*lda : r*lda+k]
				for kk, v := range src {
					panel[kk*gemmMR+i] = v
				}
			} else {
				for kk := 0; kk < k; kk++ {
					panel[kk*gemmMR+i] = a[kk*lda+r]
				}
			}
		}
	}
	return packedA{m: m, k: k, data: buf}
}

// packedB is a K×N matrix packed in gemmNR-column panels: panel q holds
// columns q·NR..q·NR+NR-1 (zero-padded past N) with element (k, j) at
// data[q·NR·K + k·NR + j].
type packedB struct {
	k, n int
	data []float32
}

// packB packs B (trans=false: b[k·ldb+j]; trans=true: b[j·ldb+k]) using up
// to workers goroutines.
func packB(b []float32, ldb, k, n int, trans bool, buf []float32, workers int) packedB {
	nq := (n + gemmNR - 1) / gemmNR
	need := nq * gemmNR * k
	if cap(buf) < need {
		buf = make([]float32, need)
	}
	buf = buf[:need]
	if workers > 1 && k*n >= 1<<15 {
		parallelFor(nq, workers, func(q0, q1 int) { packBPanels(b, ldb, k, n, trans, q0, q1, buf) })
	} else {
		packBPanels(b, ldb, k, n, trans, 0, nq, buf)
	}
	return packedB{k: k, n: n, data: buf}
}

func packBPanels(b []float32, ldb, k, n int, trans bool, q0, q1 int, buf []float32) {
	for q := q0; q < q1; q++ {
		panel := buf[q*gemmNR*k : (q+1)*gemmNR*k]
		c0 := q * gemmNR
		w := min(gemmNR, n-c0)
		if !trans {
			for kk := 0; kk < k; kk++ {
				dst := panel[kk*gemmNR : kk*gemmNR+gemmNR]
				src := b[kk*ldb+c0 : kk*ldb+c0+w]
				copy(dst, src)
				for j := w; j < gemmNR; j++ {
					dst[j] = 0
				}
			}
		} else {
			for j := 0; j < gemmNR; j++ {
				if j >= w {
					for kk := 0; kk < k; kk++ {
						panel[kk*gemmNR+j] = 0
					}
					continue
				}
				src := b[(c0+j)*ldb : (c0+j)*ldb+k]
				for kk, v := range src {
					panel[kk*gemmNR+j] = v
				}
			}
		}
	}
}

// gemmScratch holds reusable packing buffers.
type gemmScratch struct {
	a, b []float32
	// pad and grid are the shifted-plane convolution's padded input and
	// output grid (kernels_conv.go).
	pad, grid []float32
	// offs and zeros are the 1×1 convolution's offset table and zero
	// bias (conv1x1.go).
	offs  []int
	zeros []float32
}

var gemmPool = sync.Pool{New: func() any { return new(gemmScratch) }}

// gemmPP computes C += A·B from packed operands with up to workers
// goroutines, splitting by column panels or row panels, whichever has more.
// ep, when not nil, is applied to the M×N result block by block as each
// is final (while it is still in cache).
func gemmPP(pa packedA, pb packedB, c []float32, ldc int, workers int, ep epilogue) {
	m, n, k := pa.m, pb.n, pa.k
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if pb.k != k {
		panic(fmt.Sprintf("importer: gemm inner dimensions %d and %d differ", k, pb.k))
	}
	if gemvApplies(m) {
		gemv(pa, pb, c, workers, ep)
		return
	}
	nq := (n + gemmNR - 1) / gemmNR
	np := (m + gemmMR - 1) / gemmMR
	switch {
	case workers <= 1 || m*n*k < 1<<16:
		gemmBlock(pa, pb.data, k, n, c, ldc, 0, np, 0, nq, ep)
	case gemmSplitsColumns(m, n, workers):
		parallelFor(nq, workers, func(q0, q1 int) { gemmBlock(pa, pb.data, k, n, c, ldc, 0, np, q0, q1, ep) })
	default:
		parallelFor(np, workers, func(p0, p1 int) { gemmBlock(pa, pb.data, k, n, c, ldc, p0, p1, 0, nq, ep) })
	}
}

// gemmSplitsColumns reports whether a parallel M×N GEMM splits its work
// by column panels (each goroutine then needs only its own panels of B)
// rather than by row panels.
func gemmSplitsColumns(m, n, workers int) bool {
	nq := (n + gemmNR - 1) / gemmNR
	np := (m + gemmMR - 1) / gemmMR
	return nq >= np || nq >= 4*workers
}

// gemmBlock runs the micro-kernel over row panels [p0,p1) × column panels
// [q0,q1) of packed A and B, blocking k by gemmKC. In the last k-block,
// ep (if any) runs over the rows of every epiloguePanels finished column
// panels.
func gemmBlock(pa packedA, pb []float32, k, n int, c []float32, ldc int, p0, p1, q0, q1 int, ep epilogue) {
	m := pa.m
	// tmp takes up to three partial tiles (the last column panel, or row
	// panels past m): the widest kernel runs into it and only the wanted
	// values are added to C, the sum of the block as C += acc would add it.
	var tmp [3 * gemmMR * gemmNR]float32
	for k0 := 0; k0 < k; k0 += gemmKC {
		kc := min(gemmKC, k-k0)
		for q := q0; q < q1; q++ {
			if ep != nil && k0+kc == k && q > q0 && (q-q0)%epiloguePanels == 0 {
				ep.applyRows(c, ldc, p0*gemmMR, min(p1*gemmMR, m), (q-epiloguePanels)*gemmNR, q*gemmNR)
			}
			bp := pb[q*gemmNR*k+k0*gemmNR : q*gemmNR*k+(k0+kc)*gemmNR]
			c0 := q * gemmNR
			w := min(gemmNR, n-c0)
			for p := p0; p < p1; p++ {
				ap := pa.data[p*gemmMR*k+k0*gemmMR : p*gemmMR*k+(k0+kc)*gemmMR]
				r0 := p * gemmMR
				h := min(gemmMR, m-r0)
				if w == gemmNR && p+2 < p1 && r0+3*gemmMR <= m {
					ap1 := pa.data[(p+1)*gemmMR*k+k0*gemmMR : (p+1)*gemmMR*k+(k0+kc)*gemmMR]
					ap2 := pa.data[(p+2)*gemmMR*k+k0*gemmMR : (p+2)*gemmMR*k+(k0+kc)*gemmMR]
					if microKernel3(kc, ap, ap1, ap2, bp, c[r0*ldc+c0:], ldc) {
						p += 2
						continue
					}
				}
				if w == gemmNR && p+1 < p1 && r0+2*gemmMR <= m {
					ap1 := pa.data[(p+1)*gemmMR*k+k0*gemmMR : (p+1)*gemmMR*k+(k0+kc)*gemmMR]
					if microKernel2(kc, ap, ap1, bp, c[r0*ldc+c0:], ldc) {
						p++
						continue
					}
				}
				if h == gemmMR && w == gemmNR {
					microKernel(kc, ap, bp, c[r0*ldc+c0:], ldc)
					continue
				}
				tmp = [3 * gemmMR * gemmNR]float32{}
				switch {
				case p+2 < p1 && microKernel3(kc, ap, pa.data[(p+1)*gemmMR*k+k0*gemmMR:(p+1)*gemmMR*k+(k0+kc)*gemmMR], pa.data[(p+2)*gemmMR*k+k0*gemmMR:(p+2)*gemmMR*k+(k0+kc)*gemmMR], bp, tmp[:], gemmNR):
					h = min(3*gemmMR, m-r0)
					p += 2
				case p+1 < p1 && microKernel2(kc, ap, pa.data[(p+1)*gemmMR*k+k0*gemmMR:(p+1)*gemmMR*k+(k0+kc)*gemmMR], bp, tmp[:], gemmNR):
					h = min(2*gemmMR, m-r0)
					p++
				default:
					microKernel(kc, ap, bp, tmp[:], gemmNR)
				}
				for i := 0; i < h; i++ {
					row := c[(r0+i)*ldc+c0 : (r0+i)*ldc+c0+w]
					t := tmp[i*gemmNR : i*gemmNR+w]
					for j := range row {
						row[j] += t[j]
					}
				}
			}
		}
		if ep != nil && k0+kc == k && q1 > q0 {
			last := q0 + (q1-1-q0)/epiloguePanels*epiloguePanels
			ep.applyRows(c, ldc, p0*gemmMR, min(p1*gemmMR, m), last*gemmNR, min(q1*gemmNR, n))
		}
	}
}

// microKernelGo is the portable micro-kernel: C[6×16] += Ap·Bp over kc.
func microKernelGo(kc int, a, b, c []float32, ldc int) {
	var acc [gemmMR][gemmNR]float32
	for kk := 0; kk < kc; kk++ {
		bk := (*[gemmNR]float32)(b[kk*gemmNR : kk*gemmNR+gemmNR])
		ak := a[kk*gemmMR : kk*gemmMR+gemmMR]
		for i := 0; i < gemmMR; i++ {
			av := ak[i]
			r := &acc[i]
			for j := 0; j < gemmNR; j++ {
				r[j] += av * bk[j]
			}
		}
	}
	for i := 0; i < gemmMR; i++ {
		row := c[i*ldc : i*ldc+gemmNR]
		for j := range row {
			row[j] += acc[i][j]
		}
	}
}

// Gemm computes C += A·B for row-major float32 matrices: A is M×K (or K×M
// when transA), B is K×N (or N×K when transB), C is M×N with leading
// dimension ldc. It uses the packed, register-blocked kernel and up to
// workers goroutines; results are identical for any worker count.
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, workers int) {
	s := gemmPool.Get().(*gemmScratch)
	pa := packA(a, lda, m, k, transA, s.a)
	pb := packB(b, ldb, k, n, transB, s.b, workers)
	gemmPP(pa, pb, c, ldc, workers, nil)
	s.a, s.b = pa.data, pb.data
	gemmPool.Put(s)
}

// numWorkers is how many goroutines parallel kernels use.
func numWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// parallelFor runs fn over [0,n) split in contiguous chunks across up to
// workers goroutines (the caller and persistent helpers), the caller being
// one of them. There are chunksPerWorker chunks per goroutine. Goroutine w
// owns the w-th contiguous run of chunks and takes its own from the front;
// once they are gone it takes the others' from the back, so a goroutine
// that starts late or loses its core (to a slow wake-up, the OS scheduler,
// another process) leaves its share to the others instead of making them
// wait for it at the join. Ownership keeps each core on the same part of
// every buffer from one call to the next (the caller the front, the helper
// the back): when whichever goroutine was free took the next chunk, half
// of each layer's output lines had last been written by the other core
// and moved between the cores' caches, and the expansion 1×1 convolutions
// of a batch-1 MobileNetV2 ran slower on two cores than on one. fn must
// touch only the indices of its chunk, so results do not depend on the
// split (every caller's kernel computes each output the same way whatever
// range it is handed).
func parallelFor(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n <= 1 {
		fn(0, n)
		return
	}
	workers = min(workers, n)
	chunks := min(n, workers*chunksPerWorker)
	owned := make([]chunkRange, workers)
	for w := range owned {
		owned[w].set(w*chunks/workers, (w+1)*chunks/workers)
	}
	// The caller is goroutine 0, helpers take seats 1, 2, ... as they
	// arrive (a spinning helper often arrives before the caller starts).
	var seats atomic.Int32
	work := func(w int) {
		if w < workers {
			for {
				c, ok := owned[w].takeFront()
				if !ok {
					break
				}
				fn(n*c/chunks, n*(c+1)/chunks)
			}
		}
		for v := 1; v <= workers; v++ {
			r := &owned[(w+v)%workers]
			for {
				c, ok := r.takeBack()
				if !ok {
					break
				}
				fn(n*c/chunks, n*(c+1)/chunks)
			}
		}
	}
	job := &parallelJob{claim: func() { work(int(seats.Add(1))) }, wake: make(chan struct{}, 1)}
	for w := 1; w < workers; w++ {
		offerJob(job)
	}
	work(0)
	job.finish()
}

// chunkRange is the chunks [lo, hi) not yet taken from one goroutine's
// share, packed in one word so the owner (front) and the others (back)
// take them with a compare-and-swap.
type chunkRange struct{ v atomic.Uint64 }

func (r *chunkRange) set(lo, hi int) { r.v.Store(uint64(lo)<<32 | uint64(hi)) }

func (r *chunkRange) takeFront() (int, bool) {
	for {
		v := r.v.Load()
		lo, hi := int(v>>32), int(v&0xffffffff)
		if lo >= hi {
			return 0, false
		}
		if r.v.CompareAndSwap(v, uint64(lo+1)<<32|uint64(hi)) {
			return lo, true
		}
	}
}

func (r *chunkRange) takeBack() (int, bool) {
	for {
		v := r.v.Load()
		lo, hi := int(v>>32), int(v&0xffffffff)
		if lo >= hi {
			return 0, false
		}
		if r.v.CompareAndSwap(v, uint64(lo)<<32|uint64(hi-1)) {
			return hi - 1, true
		}
	}
}

// A goroutine started per parallelFor call begins only after the runtime
// has woken a parked thread, which on a 2-core VM took about 100 µs: the
// caller had claimed most chunks of a sub-millisecond layer before the
// helper started (a batch-64 3×3 convolution of the small ResNet, 630 µs
// on one core, took 440 µs on two). So the helpers persist (up to
// GOMAXPROCS-1) and, after a job, poll for the next one for helperSpin
// before parking (the same layer: 335 µs). A parallelFor offers its job to
// them and never waits for one to become free (the caller claims chunks
// itself, and a job a helper takes after the caller finished is skipped),
// so nested and concurrent parallelFor calls cannot deadlock.

// helperSpin is how long an idle helper polls for the next job: longer
// than the gaps between the layers of a batch, short enough not to burn a
// core once a run ends.
const helperSpin = 200 * time.Microsecond

// parallelJob is one parallelFor call as the helpers see it.
type parallelJob struct {
	claim  func()
	closed atomic.Bool  // the caller has finished claiming: late helpers skip
	active atomic.Int32 // helpers inside claim
	// wake carries one token from the helper that leaves a closed job
	// last, for a caller that stopped polling.
	wake chan struct{}
}

// run executes claim for a helper unless the caller has closed the job.
// The helper counts itself active before it checks closed and the caller
// sets closed before it reads active, so (the atomics being sequentially
// consistent) either the caller waits for this helper or the helper sees
// the job closed.
func (j *parallelJob) run() {
	j.active.Add(1)
	if !j.closed.Load() {
		j.claim()
	}
	if j.active.Add(-1) == 0 && j.closed.Load() {
		select {
		case j.wake <- struct{}{}:
		default: // a token is already waiting
		}
	}
}

// finishSpin is how long finish polls before it parks.
const finishSpin = 50 * time.Microsecond

// finish closes the job and waits for the helpers still inside claim. It
// polls first: a parked caller is woken onto the helper's processor, and
// the helper, displaced to the global run queue, then missed the next
// layers' jobs (a batch-1 MobileNetV2 ran as fast on two cores as on
// one). The wait is normally at most one chunk of the helper's; past
// finishSpin (a helper that lost its core to another process) the caller
// parks rather than burn the core that helper needs.
func (j *parallelJob) finish() {
	j.closed.Store(true)
	var deadline time.Time
	for spins := 0; j.active.Load() != 0; spins++ {
		if spins&1023 != 1023 {
			continue
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(finishSpin)
		} else if time.Now().After(deadline) {
			// The last helper out sends a token after it sees the job
			// closed; a stale token only costs another look at active.
			for j.active.Load() != 0 {
				<-j.wake
			}
			return
		}
	}
}

var (
	helperJobs    = make(chan *parallelJob, 64)
	helpersMu     sync.Mutex
	helpersActive int
)

// offerJob hands job to a helper, starting helpers up to GOMAXPROCS-1.
func offerJob(job *parallelJob) {
	helpersMu.Lock()
	if helpersActive < runtime.GOMAXPROCS(0)-1 {
		helpersActive++
		go helper()
	}
	helpersMu.Unlock()
	select {
	case helperJobs <- job:
	default: // every slot taken: the caller does the work
	}
}

// helper runs offered jobs, polling between them for helperSpin before it
// parks on the channel. It yields only every 1024 polls: a yield sends it
// to the global run queue, where it can wait for a scheduler tick while
// the caller's next jobs go unclaimed.
func helper() {
	for {
		var job *parallelJob
		deadline := time.Now().Add(helperSpin)
		for spins := 0; job == nil && time.Now().Before(deadline); spins++ {
			select {
			case job = <-helperJobs:
			default:
				if spins&1023 == 1023 {
					runtime.Gosched()
				}
			}
		}
		if job == nil {
			job = <-helperJobs
		}
		job.run()
	}
}

// chunksPerWorker is how many chunks parallelFor cuts per goroutine: enough
// that a late goroutine's share is spread over the others in small pieces,
// few enough that each chunk still amortises its call (a GEMM's row-panel
// split of a 7×7 layer has only 27 panels).
const chunksPerWorker = 4
