package interp

// A 1×1, stride-1, unpadded, ungrouped convolution of one image is the
// GEMM out (M×P) = W (M×K) · x (K×P) + bias, and x, read as a row-major
// K×P matrix, already holds every full gemmNR-column panel of B in place:
// row kk of panel q is the 16 contiguous floats at kk·P + q·16. The
// indirect micro-kernels (kernels_conv.go) read it there through the
// offset table kk·P. The last, partial panel (P not a multiple of 16:
// 14×14 = 196 leaves 4 columns, 7×7 = 49 one) is computed a column at a
// time with the rows as vector lanes (sgemmCol48), from x in place too,
// when it has at most colTailMax columns, and packed otherwise. And the
// first k-block stores acc + bias per row (sgemmIndirectBias*) instead of
// adding acc to a C filled with the bias beforehand, so there is no fill
// pass over C and no read of it.
//
// The values are those of the packed path (directConvColumns, gemmPP):
// every micro-kernel runs the same FMAs per element (acc from zero, k
// ascending within a k-block of gemmKC), a full 6-row panel's first block
// is stored as acc + bias as C += acc stores it on the bias-filled C, the
// partial column panel goes through a zeroed tile added to C as gemmBlock
// adds it, and the partial row panel's rows are stored as (acc + 0) + bias,
// the sum of that zeroed-tile route (it differs from acc + bias only in
// the sign of a zero). Later k-blocks add to C as gemmBlock does.
// TestConv1x1Bits and TestConv1x1SignedZeros hold the two paths against
// each other bit for bit.

// useConv1x1 selects the in-place path where it applies; tests switch it
// off to compare with the packed path.
var useConv1x1 = true

// conv1x1Applies reports whether the in-place kernels can run (they need
// the AVX-512 indirect kernels); otherwise the packed path computes the
// convolution.
func conv1x1Applies() bool { return useConv1x1 && useAsmKernel && useAVX512 }

// conv1x1SplitsRows reports whether a parallel 1×1 convolution splits its
// output channels (rows) rather than its pixels (column panels) across the
// workers. Rows are contiguous runs of the output, the part of it the
// next layer's worker (a depthwise convolution splits channels) reads.
func conv1x1SplitsRows(m, p, workers int) bool {
	return m >= 3*gemmMR*workers
}

// conv1x1Finish is what a 1×1 convolution applies to each block of its
// output once the block is final: the fused activation ep or the fused
// residual rs (at most one; both nil: nothing), for the image whose
// output starts at value off of rs's shortcut.
type conv1x1Finish struct {
	ep  epilogue
	rs  *residual
	off int
}

// rows applies f to columns [c0,c1) of rows [r0,r1) of out (P columns),
// the same elementwise operations as the unfused passes.
func (f conv1x1Finish) rows(out []float32, P, r0, r1, c0, c1 int) {
	switch {
	case f.rs != nil:
		for r := r0; r < r1; r++ {
			f.rs.apply(out[r*P+c0:r*P+c1], f.off+r*P+c0)
		}
	case f.ep != nil:
		f.ep.applyRows(out, P, r0, r1, c0, c1)
	}
}

func (f conv1x1Finish) none() bool { return f.ep == nil && f.rs == nil }

// conv1x1 computes out (M×P) = W·x + bias for one image (x: K×P), with up
// to workers goroutines; bias is nil for none. fin is applied to each
// block of out once it is final.
func conv1x1(pa packedA, x []float32, bias []float32, out []float32, P int, s *gemmScratch, workers int, fin conv1x1Finish) {
	m, k := pa.m, pa.k
	if m == 0 || P == 0 {
		return
	}
	np := (m + gemmMR - 1) / gemmMR
	full := P / gemmNR
	// The offset table: row kk of any full panel is kk·P floats after the
	// panel's first column.
	if cap(s.offs) < k {
		s.offs = make([]int, k)
	}
	offs := s.offs[:k]
	for kk := range offs {
		offs[kk] = kk * P
	}
	if bias == nil {
		s.zeros = grow(s.zeros, m)
		clear(s.zeros)
		bias = s.zeros
	}
	// The partial column panel: at most colTailMax columns a column at a
	// time, rows as lanes, x read in place; wider ones packed (zero-padded)
	// as packBPanels packs them.
	var tail []float32
	c0 := full * gemmNR
	cols := P-c0 <= colTailMax && useAVX512VL
	if c0 < P && !cols {
		s.b = grow(s.b, gemmNR*k)
		tail = s.b
		for kk := 0; kk < k; kk++ {
			dst := tail[kk*gemmNR : kk*gemmNR+gemmNR]
			n := copy(dst, x[kk*P+c0:kk*P+P])
			clear(dst[n:])
		}
	}
	run := func(p0, p1, q0, q1 int) {
		conv1x1Block(pa, x, offs, bias, out, P, p0, p1, q0, min(q1, full), fin)
		if c0 == P || q1 <= full {
			return
		}
		if cols {
			conv1x1TailCols(pa, x, bias, out, P, c0, p0, p1)
		} else {
			for r := p0 * gemmMR; r < min(p1*gemmMR, m); r++ {
				fill(out[r*P+c0:(r+1)*P], bias[r])
			}
			gemmBlock(pa, tail, k, P-c0, out[c0:], P, p0, p1, 0, 1, nil)
		}
		fin.rows(out, P, p0*gemmMR, min(p1*gemmMR, m), c0, P)
	}
	nq := (P + gemmNR - 1) / gemmNR
	switch {
	case workers <= 1 || m*P*k < 1<<16:
		run(0, np, 0, nq)
	case conv1x1SplitsRows(m, P, workers):
		// Whole 18-row units, the widest kernel's.
		const unit = 3
		parallelFor((np+unit-1)/unit, workers, func(u0, u1 int) { run(u0*unit, min(u1*unit, np), 0, nq) })
	default:
		parallelFor(nq, workers, func(q0, q1 int) { run(0, np, q0, q1) })
	}
}

// conv1x1Block computes row panels [p0,p1) × full column panels [q0,q1)
// of out, reading x in place, blocking k by gemmKC as gemmBlock does; fin
// runs over every epiloguePanels finished column panels. The kernel
// wrappers' "ran" results are not checked: they decline only without the
// AVX-512 kernels or with kc = 0, and conv1x1Applies keeps callers off
// this path without those kernels (kc ≥ 1 by the k loop).
func conv1x1Block(pa packedA, x []float32, offs []int, bias, out []float32, P, p0, p1, q0, q1 int, fin conv1x1Finish) {
	m, k := pa.m, pa.k
	if q0 >= q1 {
		return
	}
	fullRows := m / gemmMR // row panels without A's zero padding
	maxOff := (k - 1) * P
	var ap [3][]float32
	for k0 := 0; k0 < k; k0 += gemmKC {
		kc := min(gemmKC, k-k0)
		off := offs[k0 : k0+kc]
		first := k0 == 0
		for q := q0; q < q1; q++ {
			if !fin.none() && k0+kc == k && q > q0 && (q-q0)%epiloguePanels == 0 {
				fin.rows(out, P, p0*gemmMR, min(p1*gemmMR, m), (q-epiloguePanels)*gemmNR, q*gemmNR)
			}
			b := x[q*gemmNR:]
			p := p0
			// Whole 18-row blocks in one call.
			if groups := (min(p1, fullRows) - p0) / 3; groups > 0 {
				var rowBias []float32
				if first {
					rowBias = bias[p0*gemmMR:]
				}
				microKernelIndirectRows(kc, pa.data[p0*gemmMR*k+k0*gemmMR:], gemmMR*k, groups, b, off, maxOff, rowBias, out[p0*gemmMR*P+q*gemmNR:], P)
				p += 3 * groups
			}
			// The rest: up to two full row panels, or up to three
			// whose last is partial (m not a multiple of 6).
			if rem := p1 - p; rem > 0 {
				r0 := p * gemmMR
				c := out[r0*P+q*gemmNR:]
				for i := range rem {
					ap[i] = pa.data[(p+i)*gemmMR*k+k0*gemmMR : (p+i)*gemmMR*k+(k0+kc)*gemmMR]
				}
				var rowBias []float32
				if first {
					rowBias = bias[r0:]
				}
				switch {
				case p1 > fullRows:
					microKernelIndirectPart(kc, &ap, rem, b, off, maxOff, rowBias, c, P, m-r0)
				case first:
					microKernelIndirectBias(kc, &ap, rem, b, off, maxOff, rowBias, c, P)
				case rem == 2:
					microKernelIndirect2(kc, ap[0], ap[1], b, off, maxOff, c, P)
				default:
					microKernelIndirect(kc, ap[0], b, off, maxOff, c, P)
				}
			}
		}
		if !fin.none() && k0+kc == k {
			last := q0 + (q1-1-q0)/epiloguePanels*epiloguePanels
			fin.rows(out, P, p0*gemmMR, min(p1*gemmMR, m), last*gemmNR, q1*gemmNR)
		}
	}
}

// colTailMax is the widest partial column panel computed a column at a
// time (7×7 outputs leave one column, 14×14 four): each column costs one
// 8-lane FMA per 6 rows and k, where a 16-column panel costs six 16-lane
// ones for all of them.
const colTailMax = 8

// conv1x1TailCols computes row panels [p0,p1) of the partial last column
// panel (columns [c0,P), at most colTailMax) one column at a time, reading
// x in place: per k-block and column, the rows' sums plus 0 (microKernelCol)
// added to out as gemmBlock adds its partial tiles (bias + sum in the
// first block).
func conv1x1TailCols(pa packedA, x, bias, out []float32, P, c0, p0, p1 int) {
	m, k := pa.m, pa.k
	var tmp [8 * 8]float32
	for k0 := 0; k0 < k; k0 += gemmKC {
		kc := min(gemmKC, k-k0)
		for c := c0; c < P; c++ {
			xc := x[k0*P+c:]
			for p := p0; p < p1; {
				panels := 1
				if p+8 <= p1 {
					panels = 8
				}
				microKernelCol(kc, pa.data[p*gemmMR*k+k0*gemmMR:], gemmMR*k, panels, xc, P, tmp[:])
				for pi := range panels {
					r0 := (p + pi) * gemmMR
					for i := range min(gemmMR, m-r0) {
						o := &out[(r0+i)*P+c]
						if k0 == 0 {
							*o = bias[r0+i] + tmp[pi*8+i]
						} else {
							*o += tmp[pi*8+i]
						}
					}
				}
				p += panels
			}
		}
	}
}
