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
