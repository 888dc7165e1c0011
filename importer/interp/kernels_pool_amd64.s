//go:build amd64 && !purego

#include "textflag.h"

// Even and odd lane selectors for VPERMI2PS over a 32-float pair of rows.
DATA pool2even<>+0(SB)/4, $0
DATA pool2even<>+4(SB)/4, $2
DATA pool2even<>+8(SB)/4, $4
DATA pool2even<>+12(SB)/4, $6
DATA pool2even<>+16(SB)/4, $8
DATA pool2even<>+20(SB)/4, $10
DATA pool2even<>+24(SB)/4, $12
DATA pool2even<>+28(SB)/4, $14
DATA pool2even<>+32(SB)/4, $16
DATA pool2even<>+36(SB)/4, $18
DATA pool2even<>+40(SB)/4, $20
DATA pool2even<>+44(SB)/4, $22
DATA pool2even<>+48(SB)/4, $24
DATA pool2even<>+52(SB)/4, $26
DATA pool2even<>+56(SB)/4, $28
DATA pool2even<>+60(SB)/4, $30
GLOBL pool2even<>(SB), RODATA|NOPTR, $64

// POOL2X2LOAD loads, for the 16 (or, masked, fewer) outputs at DI, the
// four window values as Z4 (r0 evens), Z5 (r0 odds), Z6 (r1 evens), Z7
// (r1 odds); K1/K2 mask the two 16-float loads of each row.
#define POOL2X2LOAD \
	VMOVUPS.Z (SI), K1, Z0 \
	VMOVUPS.Z 64(SI), K2, Z1 \
	VMOVUPS.Z (DX), K1, Z2 \
	VMOVUPS.Z 64(DX), K2, Z3 \
	VMOVAPS Z8, Z4 \
	VPERMI2PS Z1, Z0, Z4 \
	VMOVAPS Z9, Z5 \
	VPERMI2PS Z1, Z0, Z5 \
	VMOVAPS Z8, Z6 \
	VPERMI2PS Z3, Z2, Z6 \
	VMOVAPS Z9, Z7 \
	VPERMI2PS Z3, Z2, Z7

// POOL2X2MASKS sets K1, K2 (input lanes of the two loads per row) and K3
// (output lanes) for CX outputs: all 16 when CX >= 16.
#define POOL2X2MASKS \
	MOVQ $16, BX \
	CMPQ CX, BX \
	CMOVQLT CX, BX \
	MOVQ $1, AX \
	SHLXQ BX, AX, AX \
	DECQ AX \
	KMOVW AX, K3 \
	SHLQ $1, BX \
	MOVQ $0xffff, AX \
	MOVQ $1, R9 \
	SHLXQ BX, R9, R9 \
	DECQ R9 \
	CMPQ BX, $16 \
	CMOVQLT R9, AX \
	KMOVW AX, K1 \
	SHRQ $16, R9 \
	KMOVW R9, K2

// func maxPool2x2AVX512(dst, r0, r1 *float32, n int)
// n >= 1. dst[j] is the maximum of r0[2j], r0[2j+1], r1[2j], r1[2j+1]
// taken in that order from -MaxFloat32 with "if v > m { m = v }": VMAXPS
// returns its second source (m) unless the first (v) is greater, so NaN
// never wins and ties keep the earlier value, exactly as the scalar loop.
// The last partial group of 16 is masked (no read past 2n values per row).
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX
	VMOVUPS pool2even<>(SB), Z8
	MOVL $1, AX
	VPBROADCASTD AX, Z9
	VPADDD Z9, Z8, Z9             // odd selectors: 1, 3, ..., 31
	MOVL $0xff7fffff, AX          // -MaxFloat32
	VPBROADCASTD AX, Z10
maxloop:
	POOL2X2MASKS
	POOL2X2LOAD
	VMAXPS Z10, Z4, Z11           // m = v00 > -Max ? v00 : -Max
	VMAXPS Z11, Z5, Z11
	VMAXPS Z11, Z6, Z11
	VMAXPS Z11, Z7, Z11
	VMOVUPS Z11, K3, (DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JGT maxloop
	VZEROUPPER
	RET

// func avgPool2x2AVX512(dst, r0, r1 *float32, n int, div float32)
// n >= 1. dst[j] = (((r0[2j] + r0[2j+1]) + r1[2j]) + r1[2j+1]) / div, the
// scalar loop's order of additions, masked like maxPool2x2AVX512.
TEXT ·avgPool2x2AVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS div+32(FP), Z10
	VMOVUPS pool2even<>(SB), Z8
	MOVL $1, AX
	VPBROADCASTD AX, Z9
	VPADDD Z9, Z8, Z9
avgloop:
	POOL2X2MASKS
	POOL2X2LOAD
	VADDPS Z5, Z4, Z11
	VADDPS Z6, Z11, Z11
	VADDPS Z7, Z11, Z11
	VDIVPS Z10, Z11, Z11          // Z11 / div
	VMOVUPS Z11, K3, (DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JGT avgloop
	VZEROUPPER
	RET

// func deinterleave2AVX512(even, odd, src *float32, n int)
// n ≥ 16, a multiple of 16: even[j] = src[2j], odd[j] = src[2j+1] for
// j < n (the stride-2 phase split of kernels_conv.go's pad).
TEXT ·deinterleave2AVX512(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	VMOVUPS pool2even<>(SB), Z8
	MOVL $1, AX
	VPBROADCASTD AX, Z9
	VPADDD Z9, Z8, Z9             // odd selectors: 1, 3, ..., 31
deintloop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVAPS Z8, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS Z9, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, (DX)
	ADDQ $128, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $16, CX
	JGT deintloop
	VZEROUPPER
	RET
