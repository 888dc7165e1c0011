//go:build amd64

package hwsim

import (
	"os"

	"golang.org/x/sys/cpu"
)

//go:noescape
func exactCols8(cols *uint64, n int, planes *uint64, shifts *uint64, np int, ps uint64, sb uint64, out *int64)

//go:noescape
func convertColsW8(colsT *uint64, n int, koff *int, kval *uint64, nk int, d uint64, top uint64, sh uint64, neg uint64, out *int64) int

//go:noescape
func convertCols8(cols *uint64, n int, p uint64, d uint64, top uint64, sh uint64, neg uint64, out *int64) int

// hasVPOPCNT reports AVX-512F + AVX-512 VPOPCNTDQ with the OS saving ZMM
// state. RRAMC_NOAVX512=1 forces the portable kernel (for comparisons).
var hasVPOPCNT = detectVPOPCNT()

func detectVPOPCNT() bool {
	if os.Getenv("RRAMC_NOAVX512") != "" {
		return false
	}
	// x/sys/cpu sets the AVX-512 fields only with OSXSAVE and XCR0 enabling
	// SSE, AVX, opmask, ZMM_Hi256 and Hi16_ZMM state.
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VPOPCNTDQ
}

// exactColsSIMD handles the largest multiple of 8 columns of exactCols with
// the AVX-512 kernel and returns how many it did.
func exactColsSIMD(ca []int64, cols []uint64, pl []uint64, sh []uint64, ps uint64, sb uint) int {
	n := len(cols) &^ 7
	if !hasVPOPCNT || n == 0 || len(ca) < n {
		return 0
	}
	var p0, s0 *uint64
	if len(pl) > 0 {
		p0, s0 = &pl[0], &sh[0]
	}
	exactCols8(&cols[0], n, p0, s0, len(pl), ps, uint64(sb), &ca[0])
	return n
}

// convertColsSIMD handles the largest multiple of 8 columns of one input
// plane p through an ADC (see convertCols8) with the AVX-512 kernel and
// returns how many columns it did and how many conversions lost
// information.
func convertColsSIMD(ca []int64, cols []uint64, p uint64, d uint, top int64, sh uint, neg bool) (done int, lost int64) {
	n := len(cols) &^ 7
	if !hasVPOPCNT || !cpu.X86.HasAVX512DQ || n == 0 || len(ca) < n {
		return 0, 0
	}
	var ng uint64
	if neg {
		ng = 1
	}
	return n, int64(convertCols8(&cols[0], n, p, uint64(d), uint64(top), uint64(sh), ng, &ca[0]))
}

// convertColsWSIMD is convertColsSIMD for multi-word columns stored
// word-major (colsT[k·stride + c], c from the OU's first column): the
// plane's non-zero words are words[j] = kval[j] at word index kidx[j]. It
// handles the largest multiple of 8 of the len(ca) columns and returns how
// many it did and how many conversions lost information.
func convertColsWSIMD(ca []int64, colsT []uint64, stride int, kidx []int, kval []uint64, koff []int, d uint, top int64, sh uint, neg bool) (done int, lost int64) {
	n := len(ca) &^ 7
	if !hasVPOPCNT || !cpu.X86.HasAVX512DQ || n == 0 || len(kidx) == 0 {
		return 0, 0
	}
	koff = koff[:len(kidx)]
	for j, k := range kidx {
		_ = colsT[k*stride+n-1] // every load of the kernel is in bounds
		koff[j] = k * stride * 8
	}
	var ng uint64
	if neg {
		ng = 1
	}
	return n, int64(convertColsW8(&colsT[0], n, &koff[0], &kval[0], len(kidx), uint64(d), uint64(top), uint64(sh), ng, &ca[0]))
}
