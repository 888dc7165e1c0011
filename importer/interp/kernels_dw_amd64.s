//go:build amd64 && !purego

#include "textflag.h"

// dwEven selects the even lanes of a pair of vectors (VPERMT2PS indices).
DATA dwEven<>+0(SB)/4, $0
DATA dwEven<>+4(SB)/4, $2
DATA dwEven<>+8(SB)/4, $4
DATA dwEven<>+12(SB)/4, $6
DATA dwEven<>+16(SB)/4, $8
DATA dwEven<>+20(SB)/4, $10
DATA dwEven<>+24(SB)/4, $12
DATA dwEven<>+28(SB)/4, $14
DATA dwEven<>+32(SB)/4, $16
DATA dwEven<>+36(SB)/4, $18
DATA dwEven<>+40(SB)/4, $20
DATA dwEven<>+44(SB)/4, $22
DATA dwEven<>+48(SB)/4, $24
DATA dwEven<>+52(SB)/4, $26
DATA dwEven<>+56(SB)/4, $28
DATA dwEven<>+60(SB)/4, $30
GLOBL dwEven<>(SB), RODATA|NOPTR, $64

// func dwRows1AVX512(x *float32, xoff, xstep, xrow, nkh int, wt *float32, kw int, masks *uint16, mstride, vecs int, out *float32, ostep, rows int, bias float32)
// Per output row (SI: its first kernel row's input, DX: its output), per
// vector (R10, R11, BX: its masks): Z0 accumulates the taps, kernel row
// (R13, AX) by kernel row, column (DI, R9: the column's masks, R8) by
// column, each a masked load times the
// broadcast weight (R14), in the order of dwIndirectAVX512; then bias + Z0.
TEXT ·dwRows1AVX512(SB), NOSPLIT, $0-108
	MOVQ x+0(FP), SI
	MOVQ xoff+8(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ out+80(FP), DX
	MOVQ rows+96(FP), CX
	VBROADCASTSS bias+104(FP), Z31
dw1row:
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+56(FP), BX
	MOVQ vecs+72(FP), R12
dw1vec:
	VPXORD Z0, Z0, Z0
	MOVQ R10, R13
	MOVQ wt+40(FP), R14
	MOVQ nkh+32(FP), AX
dw1kh:
	MOVQ R13, DI
	LEAQ 2(BX), R9
	MOVQ kw+48(FP), R8
dw1kw:
	KMOVW (R9), K1
	VMOVUPS.Z (DI), K1, Z1
	VFMADD231PS.BCST (R14), Z1, Z0
	ADDQ $4, DI
	ADDQ $4, R9
	ADDQ $24, R14
	DECQ R8
	JNZ dw1kw
	ADDQ xrow+24(FP), R13
	DECQ AX
	JNZ dw1kh
	VADDPS Z31, Z0, Z0
	KMOVW (BX), K2
	VMOVUPS Z0, K2, (R11)
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ mstride+64(FP), BX
	DECQ R12
	JNZ dw1vec
	ADDQ xstep+16(FP), SI
	ADDQ ostep+88(FP), DX
	DECQ CX
	JNZ dw1row
	VZEROUPPER
	RET

// func dwRows2AVX512(x *float32, xoff, xstep, xrow, nkh int, wt *float32, kw int, masks *uint16, mstride, vecs int, out *float32, ostep, rows int, bias float32)
// Per output row (SI: its first kernel row's input, DX: its output), per
// vector (R10, R11, BX: its masks): Z0 accumulates the taps, kernel row
// (R13, AX) by kernel row, column (DI, R9: the column's masks, R8) by
// column, each a masked load of two vectors and their even lanes times the
// broadcast weight (R14), in the order of dwIndirectAVX512; then bias + Z0.
TEXT ·dwRows2AVX512(SB), NOSPLIT, $0-108
	MOVQ x+0(FP), SI
	MOVQ xoff+8(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ out+80(FP), DX
	MOVQ rows+96(FP), CX
	VBROADCASTSS bias+104(FP), Z31
	VMOVDQU32 dwEven<>(SB), Z30
dw2row:
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+56(FP), BX
	MOVQ vecs+72(FP), R12
dw2vec:
	VPXORD Z0, Z0, Z0
	MOVQ R10, R13
	MOVQ wt+40(FP), R14
	MOVQ nkh+32(FP), AX
dw2kh:
	MOVQ R13, DI
	LEAQ 2(BX), R9
	MOVQ kw+48(FP), R8
dw2kw:
	KMOVW (R9), K1
	KMOVW 2(R9), K3
	VMOVUPS.Z (DI), K1, Z1
	VMOVUPS.Z 64(DI), K3, Z2
	VPERMT2PS Z2, Z30, Z1
	VFMADD231PS.BCST (R14), Z1, Z0
	ADDQ $4, DI
	ADDQ $4, R9
	ADDQ $24, R14
	DECQ R8
	JNZ dw2kw
	ADDQ xrow+24(FP), R13
	DECQ AX
	JNZ dw2kh
	VADDPS Z31, Z0, Z0
	KMOVW (BX), K2
	VMOVUPS Z0, K2, (R11)
	ADDQ $128, R10
	ADDQ $64, R11
	ADDQ mstride+64(FP), BX
	DECQ R12
	JNZ dw2vec
	ADDQ xstep+16(FP), SI
	ADDQ ostep+88(FP), DX
	DECQ CX
	JNZ dw2row
	VZEROUPPER
	RET
