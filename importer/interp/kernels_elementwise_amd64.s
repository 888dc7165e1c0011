//go:build amd64 && !purego

#include "textflag.h"

// func reluAVX512(dst, src *float32, n int)
// n is a positive multiple of 16. dst[i] = src[i] with the value cleared to
// +0 when its sign bit is set: the sign, spread by an arithmetic shift,
// masks the value off (the same bits as reluSlice's portable loop).
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
reluloop:
	VMOVUPS (SI), Z0
	VPSRAD $31, Z0, Z1
	VPANDND Z0, Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ reluloop
	VZEROUPPER
	RET

// func clampAVX512(dst, src *float32, n int, lo, hi float32)
// n is a positive multiple of 16. dst[i] = min(max(src[i], lo), hi) with
// the operand order of "if v < lo { v = lo }; if v > hi { v = hi }": MAXPS
// and MINPS return their second source when the comparison fails, so a NaN
// src passes through and equal values keep src.
TEXT ·clampAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	VBROADCASTSS lo+24(FP), Z2
	VBROADCASTSS hi+28(FP), Z3
clamploop:
	VMOVUPS (SI), Z0
	VMAXPS Z0, Z2, Z0
	VMINPS Z0, Z3, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ clamploop
	VZEROUPPER
	RET
