#include "textflag.h"

// func exactCols8(cols *uint64, n int, planes *uint64, shifts *uint64, np int, ps uint64, sb uint64, out *int64)
//
// For every block of 8 column words c (n is a multiple of 8):
//   out = Σ_t popcount(planes[t] & c) << shifts[t]  -  (popcount(ps & c) << sb)
// with AVX-512F and AVX-512 VPOPCNTDQ, 8 columns per instruction.
TEXT ·exactCols8(SB), NOSPLIT, $0-64
	MOVQ cols+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ planes+16(FP), R8
	MOVQ shifts+24(FP), R9
	MOVQ np+32(FP), R10
	MOVQ out+56(FP), DI
	VPBROADCASTQ ps+40(FP), Z5
	VPBROADCASTQ sb+48(FP), Z6
	SHRQ $3, CX
	JZ done

block:
	VMOVDQU64 (SI), Z0
	VPXORQ Z4, Z4, Z4
	XORQ R11, R11

plane:
	CMPQ R11, R10
	JGE sign
	VPBROADCASTQ (R8)(R11*8), Z1
	VPBROADCASTQ (R9)(R11*8), Z3
	VPANDQ Z0, Z1, Z2
	VPOPCNTQ Z2, Z2
	VPSLLVQ Z3, Z2, Z2
	VPADDQ Z2, Z4, Z4
	INCQ R11
	JMP plane

sign:
	VPANDQ Z0, Z5, Z2
	VPOPCNTQ Z2, Z2
	VPSLLVQ Z6, Z2, Z2
	VPSUBQ Z2, Z4, Z4
	VMOVDQU64 Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ block

done:
	VZEROUPPER
	RET

// func convertCols8(cols *uint64, n int, p uint64, d uint64, top uint64, sh uint64, neg uint64, out *int64) int
//
// For every block of 8 column words c (n is a multiple of 8): s =
// popcount(p & c), q = min(s >> d << d, top) (a truncating ADC dropping d
// bits, or with d = 0 a saturating one), out ±= q << sh (minus when
// neg != 0). Returns the number of columns with q != s. AVX-512F,
// VPOPCNTDQ and DQ.
TEXT ·convertCols8(SB), NOSPLIT, $0-72
	MOVQ cols+0(FP), SI
	MOVQ n+8(FP), CX
	VPBROADCASTQ p+16(FP), Z5
	VPBROADCASTQ d+24(FP), Z6
	VPBROADCASTQ top+32(FP), Z7
	VPBROADCASTQ sh+40(FP), Z8
	MOVQ neg+48(FP), R9
	MOVQ out+56(FP), DI
	XORQ R8, R8
	SHRQ $3, CX
	JZ cdone

cblock:
	VMOVDQU64 (SI), Z0
	VPANDQ Z0, Z5, Z1
	VPOPCNTQ Z1, Z1
	VPSRLVQ Z6, Z1, Z2
	VPSLLVQ Z6, Z2, Z2
	VPMINUQ Z7, Z2, Z2
	VPCMPQ $4, Z2, Z1, K2
	KMOVB K2, AX
	POPCNTL AX, AX
	ADDQ AX, R8
	VPSLLVQ Z8, Z2, Z2
	VMOVDQU64 (DI), Z3
	TESTQ R9, R9
	JNZ cneg
	VPADDQ Z2, Z3, Z3
	JMP cstore

cneg:
	VPSUBQ Z2, Z3, Z3

cstore:
	VMOVDQU64 Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ cblock

cdone:
	MOVQ R8, ret+64(FP)
	VZEROUPPER
	RET

// func convertColsW8(colsT *uint64, n int, koff *int, kval *uint64, nk int, d uint64, top uint64, sh uint64, neg uint64, out *int64) int
//
// convertCols8 for columns of several words, stored word-major (word k of
// column c at colsT + koff[j] bytes for the j-th listed word, c
// consecutive): for every block of 8 columns, s = Σ_j popcount(kval[j] &
// word), then the same ADC and accumulation. nk ≥ 1. AVX-512F, VPOPCNTDQ
// and DQ.
TEXT ·convertColsW8(SB), NOSPLIT, $0-88
	MOVQ colsT+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ koff+16(FP), R11
	MOVQ kval+24(FP), R12
	MOVQ nk+32(FP), R13
	VPBROADCASTQ d+40(FP), Z6
	VPBROADCASTQ top+48(FP), Z7
	VPBROADCASTQ sh+56(FP), Z8
	MOVQ neg+64(FP), R9
	MOVQ out+72(FP), DI
	XORQ R8, R8
	SHRQ $3, CX
	JZ wdone

wblock:
	VPXORQ Z4, Z4, Z4
	XORQ BX, BX

wword:
	MOVQ (R11)(BX*8), AX
	VPBROADCASTQ (R12)(BX*8), Z5
	VPANDQ (SI)(AX*1), Z5, Z1
	VPOPCNTQ Z1, Z1
	VPADDQ Z1, Z4, Z4
	INCQ BX
	CMPQ BX, R13
	JLT wword
	VPSRLVQ Z6, Z4, Z2
	VPSLLVQ Z6, Z2, Z2
	VPMINUQ Z7, Z2, Z2
	VPCMPQ $4, Z2, Z4, K2
	KMOVB K2, AX
	POPCNTL AX, AX
	ADDQ AX, R8
	VPSLLVQ Z8, Z2, Z2
	VMOVDQU64 (DI), Z3
	TESTQ R9, R9
	JNZ wneg
	VPADDQ Z2, Z3, Z3
	JMP wstore

wneg:
	VPSUBQ Z2, Z3, Z3

wstore:
	VMOVDQU64 Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ wblock

wdone:
	MOVQ R8, ret+80(FP)
	VZEROUPPER
	RET
