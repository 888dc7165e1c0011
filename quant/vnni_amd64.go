//go:build amd64

package quant

import (
	"os"
	"sync"

	"golang.org/x/sys/cpu"
)

//go:noescape
func vnniKernel4x32(a *byte, lda int, b *byte, kq int, c *int32, ldc int, load int)

//go:noescape
func vnniKernel4x16(a *byte, lda int, b *byte, kq int, c *int32, ldc int, load int)

// hasVNNI reports AVX-512F + AVX-512 VNNI with the OS saving ZMM state.
// RRAMC_NOVNNI=1 forces the portable kernel (for comparisons).
var hasVNNI = detectVNNI()

func detectVNNI() bool {
	if os.Getenv("RRAMC_NOVNNI") != "" {
		return false
	}
	// x/sys/cpu sets the AVX-512 fields only with OSXSAVE and XCR0 enabling
	// SSE, AVX, opmask, ZMM_Hi256 and Hi16_ZMM state.
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI
}

// vnniBufs is the per-call scratch of mul, pooled to avoid an allocation
// per product.
type vnniBufs struct {
	a []byte
	c []int32
}

var vnniScratch = sync.Pool{New: func() any { return new(vnniBufs) }}

const (
	vnniMR = 4   // rows per kernel call
	vnniNR = 32  // columns per kernel call (two ZMM registers)
	vnniKC = 256 // k-quads per cache block (1 KiB of each A row)
	vnniMB = 64  // rows per cache block
)

// vnniPacked is W in the kernel's layout: for each 32-column block nb and
// k-quad q, 128 bytes holding column j's weights 4q..4q+3 at bytes 4j..4j+3
// (int8, zero padded), plus the column sums that undo the +128 input offset
// of signed codes.
type vnniPacked struct {
	k, n, kq, nb int
	nr           int // columns per block: 32, or 16 when N ≤ 16
	b            []byte
	colsum       []int32
}

func packVNNI(w []int32, k, n int) *vnniPacked {
	if !hasVNNI || k > 1<<16 {
		return nil
	}
	for _, v := range w {
		if v < -128 || v > 127 {
			return nil
		}
	}
	nr := vnniNR
	if n <= 16 {
		nr = 16
	}
	p := &vnniPacked{k: k, n: n, kq: (k + 3) / 4, nb: (n + nr - 1) / nr, nr: nr}
	p.b = make([]byte, p.nb*p.kq*nr*4)
	p.colsum = make([]int32, p.nb*nr)
	for r := 0; r < k; r++ {
		q, t := r/4, r%4
		for c := 0; c < n; c++ {
			v := w[r*n+c]
			nb, j := c/nr, c%nr
			p.b[(nb*p.kq+q)*nr*4+j*4+t] = byte(int8(v))
			p.colsum[c] += v
		}
	}
	return p
}

// mul computes out = x·W with the VNNI kernel. It returns false (leaving out
// untouched) when the codes do not fit: VPDPBUSD multiplies unsigned bytes,
// so codes in [0, 255] go in as they are and codes in [-128, 127] are offset
// by +128, the offset removed exactly afterwards with 128·Σ_k w[k][n].
func (p *vnniPacked) mul(x []int32, m int, out []int32) bool {
	lo, hi := int32(0), int32(0)
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	switch {
	case lo >= 0 && hi <= 255:
		p.mulOffset(x, m, out, 0)
	case lo >= -128 && hi <= 127:
		p.mulOffset(x, m, out, 128)
	default:
		return false
	}
	return true
}

// mulOffset is mul for codes known to lie in [-off, 255-off].
func (p *vnniPacked) mulOffset(x []int32, m int, out []int32, off int32) {
	k := p.k
	lda, ldc := p.lda(), p.ldc()
	mp := (m + vnniMR - 1) / vnniMR * vnniMR
	sc := vnniScratch.Get().(*vnniBufs)
	defer vnniScratch.Put(sc)
	if cap(sc.a) < mp*lda {
		sc.a = make([]byte, mp*lda)
	}
	if cap(sc.c) < mp*ldc {
		sc.c = make([]int32, mp*ldc)
	}
	a, c := sc.a[:mp*lda], sc.c[:mp*ldc]
	for i := 0; i < m; i++ {
		row := x[i*k : (i+1)*k]
		dst := a[i*lda : (i+1)*lda]
		for j, v := range row {
			dst[j] = byte(v + off)
		}
		clear(dst[k:]) // K padding: zero weights there, but keep it defined
	}
	clear(a[m*lda:]) // padding rows
	p.gemmBytes(a, mp, c)
	p.finish(c, m, out, off)
}

// lda is the byte stride of an A row (K rounded up to a multiple of 4);
// ldc the int32 stride of a C row (N rounded up to the column block).
func (p *vnniPacked) lda() int { return p.kq * 4 }
func (p *vnniPacked) ldc() int { return p.nb * p.nr }

// gemmBytes computes C = A·W for mp (a multiple of vnniMR) rows of unsigned
// bytes a (stride lda) into c (stride ldc), without the offset correction.
func (p *vnniPacked) gemmBytes(a []byte, mp int, c []int32) {
	lda, ldc, nr := p.lda(), p.ldc(), p.nr
	// blocks: vnniMB rows × vnniKC k-quads of A (64 KiB) stay in L2 while
	// every column block streams its vnniKC·nr·4 bytes of W past them.
	for i0 := 0; i0 < mp; i0 += vnniMB {
		i1 := min(i0+vnniMB, mp)
		for q0 := 0; q0 < p.kq; q0 += vnniKC {
			kq := min(vnniKC, p.kq-q0)
			load := 0
			if q0 > 0 {
				load = 1
			}
			for nb := 0; nb < p.nb; nb++ {
				bp := &p.b[(nb*p.kq+q0)*nr*4]
				for i := i0; i < i1; i += vnniMR {
					if nr == 16 {
						vnniKernel4x16(&a[i*lda+q0*4], lda, bp, kq, &c[i*ldc+nb*nr], ldc*4, load)
					} else {
						vnniKernel4x32(&a[i*lda+q0*4], lda, bp, kq, &c[i*ldc+nb*nr], ldc*4, load)
					}
				}
			}
		}
	}
}

// finish copies the first m rows of C to out (M×N), removing the input
// offset: out = C - off·Σ_k w[k][n].
func (p *vnniPacked) finish(c []int32, m int, out []int32, off int32) {
	n, ldc := p.n, p.ldc()
	for i := 0; i < m; i++ {
		src := c[i*ldc : i*ldc+n]
		dst := out[i*n : (i+1)*n]
		if off == 0 {
			copy(dst, src)
			continue
		}
		for j := range dst {
			dst[j] = src[j] - off*p.colsum[j]
		}
	}
}
