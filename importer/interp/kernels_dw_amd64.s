//go:build amd64 && !purego

#include "textflag.h"

// One function per stride (1, 2) and kernel width (3, 5), each computing
// blocks of four output rows (four independent accumulators per vector,
// so the FMA latency overlaps), then the remaining rows one by one.

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

// func dwChannels1K3AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)
// Stride 1, kernel width 3, see kernels_dw_amd64.go. Per channel (its
// input, output, weights and bias in xch, och, wch, bch), per run of output
// rows (runp: its descriptor), per block of output rows (SI: the first
// row's first kernel row's input, DX: its output, DI and R9: the input and
// output distance between rows), per vector (R10, R11, BX: its masks):
// Z0.. accumulate the taps, kernel row (R13, R8: rows 0 and 1 of the
// block, rows 2 and 3 at 2·DI from them; AX) by kernel row, column by
// column, each a masked load
// times the broadcast weight (R14, Z8), in the order of dwIndirectAVX512;
// then bias (Z31) + sum under the store mask.
TEXT ·dwChannels1K3AVX512(SB), NOSPLIT, $72-136
	MOVQ xstep+88(FP), DI
	MOVQ ostep+104(FP), R9
	MOVQ x+0(FP), AX
	MOVQ AX, xch-24(SP)
	MOVQ out+8(FP), AX
	MOVQ AX, och-32(SP)
	MOVQ wt+16(FP), AX
	MOVQ AX, wch-40(SP)
	MOVQ bias+24(FP), AX
	MOVQ AX, bch-48(SP)
	MOVQ nch+40(FP), AX
	MOVQ AX, chl-56(SP)
dw1k3ch:
	MOVQ bch-48(SP), AX
	VBROADCASTSS (AX), Z31
	MOVQ runs+48(FP), AX
	MOVQ AX, runp-64(SP)
	MOVQ nruns+56(FP), AX
	MOVQ AX, runl-72(SP)
dw1k3run:
	MOVQ runp-64(SP), AX
	MOVQ xch-24(SP), SI
	ADDQ 0(AX), SI
	MOVQ och-32(SP), DX
	ADDQ 8(AX), DX
	MOVQ wch-40(SP), R8
	ADDQ 16(AX), R8
	MOVQ R8, wt-16(SP)
	MOVQ 24(AX), R8
	MOVQ R8, nkh-8(SP)
	MOVQ 32(AX), CX
dw1k3qrow:
	CMPQ CX, $4
	JLT dw1k3qdone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw1k3qvec:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R10, R13
	LEAQ (R13)(DI*1), R8
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw1k3qkh:
	KMOVW 2(BX), K1
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VMOVUPS.Z 0(R8), K1, Z5
	VMOVUPS.Z 0(R13)(DI*2), K1, Z6
	VMOVUPS.Z 0(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 6(BX), K1
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VMOVUPS.Z 4(R8), K1, Z5
	VMOVUPS.Z 4(R13)(DI*2), K1, Z6
	VMOVUPS.Z 4(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 10(BX), K1
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VMOVUPS.Z 8(R8), K1, Z5
	VMOVUPS.Z 8(R13)(DI*2), K1, Z6
	VMOVUPS.Z 8(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	ADDQ xrow+96(FP), R13
	ADDQ xrow+96(FP), R8
	ADDQ $12, R14
	DECQ AX
	JNZ dw1k3qkh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VADDPS Z31, Z1, Z1
	VADDPS Z31, Z2, Z2
	VADDPS Z31, Z3, Z3
	LEAQ (R11)(R9*2), R13
	VMOVUPS Z0, K2, (R11)
	VMOVUPS Z1, K2, (R11)(R9*1)
	VMOVUPS Z2, K2, (R11)(R9*2)
	VMOVUPS Z3, K2, (R13)(R9*1)
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw1k3qvec
	LEAQ (SI)(DI*4), SI
	LEAQ (DX)(R9*4), DX
	SUBQ $4, CX
	JMP dw1k3qrow
dw1k3qdone:
dw1k3orow:
	TESTQ CX, CX
	JZ dw1k3odone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw1k3ovec:
	VPXORD Z0, Z0, Z0
	MOVQ R10, R13
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw1k3okh:
	KMOVW 2(BX), K1
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 6(BX), K1
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 10(BX), K1
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	ADDQ xrow+96(FP), R13
	ADDQ $12, R14
	DECQ AX
	JNZ dw1k3okh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VMOVUPS Z0, K2, (R11)
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw1k3ovec
	ADDQ DI, SI
	ADDQ R9, DX
	DECQ CX
	JMP dw1k3orow
dw1k3odone:
	ADDQ $40, runp-64(SP)
	DECQ runl-72(SP)
	JNZ dw1k3run
	MOVQ chin+112(FP), AX
	ADDQ AX, xch-24(SP)
	MOVQ chout+120(FP), AX
	ADDQ AX, och-32(SP)
	MOVQ wstep+128(FP), AX
	ADDQ AX, wch-40(SP)
	MOVQ bstep+32(FP), AX
	ADDQ AX, bch-48(SP)
	DECQ chl-56(SP)
	JNZ dw1k3ch
	VZEROUPPER
	RET

// func dwChannels1K5AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)
// Stride 1, kernel width 5, see kernels_dw_amd64.go. Per channel (its
// input, output, weights and bias in xch, och, wch, bch), per run of output
// rows (runp: its descriptor), per block of output rows (SI: the first
// row's first kernel row's input, DX: its output, DI and R9: the input and
// output distance between rows), per vector (R10, R11, BX: its masks):
// Z0.. accumulate the taps, kernel row (R13, R8: rows 0 and 1 of the
// block, rows 2 and 3 at 2·DI from them; AX) by kernel row, column by
// column, each a masked load
// times the broadcast weight (R14, Z8), in the order of dwIndirectAVX512;
// then bias (Z31) + sum under the store mask.
TEXT ·dwChannels1K5AVX512(SB), NOSPLIT, $72-136
	MOVQ xstep+88(FP), DI
	MOVQ ostep+104(FP), R9
	MOVQ x+0(FP), AX
	MOVQ AX, xch-24(SP)
	MOVQ out+8(FP), AX
	MOVQ AX, och-32(SP)
	MOVQ wt+16(FP), AX
	MOVQ AX, wch-40(SP)
	MOVQ bias+24(FP), AX
	MOVQ AX, bch-48(SP)
	MOVQ nch+40(FP), AX
	MOVQ AX, chl-56(SP)
dw1k5ch:
	MOVQ bch-48(SP), AX
	VBROADCASTSS (AX), Z31
	MOVQ runs+48(FP), AX
	MOVQ AX, runp-64(SP)
	MOVQ nruns+56(FP), AX
	MOVQ AX, runl-72(SP)
dw1k5run:
	MOVQ runp-64(SP), AX
	MOVQ xch-24(SP), SI
	ADDQ 0(AX), SI
	MOVQ och-32(SP), DX
	ADDQ 8(AX), DX
	MOVQ wch-40(SP), R8
	ADDQ 16(AX), R8
	MOVQ R8, wt-16(SP)
	MOVQ 24(AX), R8
	MOVQ R8, nkh-8(SP)
	MOVQ 32(AX), CX
dw1k5qrow:
	CMPQ CX, $4
	JLT dw1k5qdone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw1k5qvec:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R10, R13
	LEAQ (R13)(DI*1), R8
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw1k5qkh:
	KMOVW 2(BX), K1
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VMOVUPS.Z 0(R8), K1, Z5
	VMOVUPS.Z 0(R13)(DI*2), K1, Z6
	VMOVUPS.Z 0(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 6(BX), K1
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VMOVUPS.Z 4(R8), K1, Z5
	VMOVUPS.Z 4(R13)(DI*2), K1, Z6
	VMOVUPS.Z 4(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 10(BX), K1
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VMOVUPS.Z 8(R8), K1, Z5
	VMOVUPS.Z 8(R13)(DI*2), K1, Z6
	VMOVUPS.Z 8(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 14(BX), K1
	VBROADCASTSS 12(R14), Z8
	VMOVUPS.Z 12(R13), K1, Z4
	VMOVUPS.Z 12(R8), K1, Z5
	VMOVUPS.Z 12(R13)(DI*2), K1, Z6
	VMOVUPS.Z 12(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 18(BX), K1
	VBROADCASTSS 16(R14), Z8
	VMOVUPS.Z 16(R13), K1, Z4
	VMOVUPS.Z 16(R8), K1, Z5
	VMOVUPS.Z 16(R13)(DI*2), K1, Z6
	VMOVUPS.Z 16(R8)(DI*2), K1, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	ADDQ xrow+96(FP), R13
	ADDQ xrow+96(FP), R8
	ADDQ $20, R14
	DECQ AX
	JNZ dw1k5qkh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VADDPS Z31, Z1, Z1
	VADDPS Z31, Z2, Z2
	VADDPS Z31, Z3, Z3
	LEAQ (R11)(R9*2), R13
	VMOVUPS Z0, K2, (R11)
	VMOVUPS Z1, K2, (R11)(R9*1)
	VMOVUPS Z2, K2, (R11)(R9*2)
	VMOVUPS Z3, K2, (R13)(R9*1)
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw1k5qvec
	LEAQ (SI)(DI*4), SI
	LEAQ (DX)(R9*4), DX
	SUBQ $4, CX
	JMP dw1k5qrow
dw1k5qdone:
dw1k5orow:
	TESTQ CX, CX
	JZ dw1k5odone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw1k5ovec:
	VPXORD Z0, Z0, Z0
	MOVQ R10, R13
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw1k5okh:
	KMOVW 2(BX), K1
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 6(BX), K1
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 10(BX), K1
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 14(BX), K1
	VBROADCASTSS 12(R14), Z8
	VMOVUPS.Z 12(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 18(BX), K1
	VBROADCASTSS 16(R14), Z8
	VMOVUPS.Z 16(R13), K1, Z4
	VFMADD231PS Z8, Z4, Z0
	ADDQ xrow+96(FP), R13
	ADDQ $20, R14
	DECQ AX
	JNZ dw1k5okh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VMOVUPS Z0, K2, (R11)
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw1k5ovec
	ADDQ DI, SI
	ADDQ R9, DX
	DECQ CX
	JMP dw1k5orow
dw1k5odone:
	ADDQ $40, runp-64(SP)
	DECQ runl-72(SP)
	JNZ dw1k5run
	MOVQ chin+112(FP), AX
	ADDQ AX, xch-24(SP)
	MOVQ chout+120(FP), AX
	ADDQ AX, och-32(SP)
	MOVQ wstep+128(FP), AX
	ADDQ AX, wch-40(SP)
	MOVQ bstep+32(FP), AX
	ADDQ AX, bch-48(SP)
	DECQ chl-56(SP)
	JNZ dw1k5ch
	VZEROUPPER
	RET

// func dwChannels2K3AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)
// Stride 2, kernel width 3, see kernels_dw_amd64.go. Per channel (its
// input, output, weights and bias in xch, och, wch, bch), per run of output
// rows (runp: its descriptor), per block of output rows (SI: the first
// row's first kernel row's input, DX: its output, DI and R9: the input and
// output distance between rows), per vector (R10, R11, BX: its masks):
// Z0.. accumulate the taps, kernel row (R13, R8: rows 0 and 1 of the
// block, rows 2 and 3 at 2·DI from them; AX) by kernel row, column by
// column, each a masked load of two vectors and their even lanes
// times the broadcast weight (R14, Z8), in the order of dwIndirectAVX512;
// then bias (Z31) + sum under the store mask.
TEXT ·dwChannels2K3AVX512(SB), NOSPLIT, $72-136
	VMOVDQU32 dwEven<>(SB), Z30
	MOVQ xstep+88(FP), DI
	MOVQ ostep+104(FP), R9
	MOVQ x+0(FP), AX
	MOVQ AX, xch-24(SP)
	MOVQ out+8(FP), AX
	MOVQ AX, och-32(SP)
	MOVQ wt+16(FP), AX
	MOVQ AX, wch-40(SP)
	MOVQ bias+24(FP), AX
	MOVQ AX, bch-48(SP)
	MOVQ nch+40(FP), AX
	MOVQ AX, chl-56(SP)
dw2k3ch:
	MOVQ bch-48(SP), AX
	VBROADCASTSS (AX), Z31
	MOVQ runs+48(FP), AX
	MOVQ AX, runp-64(SP)
	MOVQ nruns+56(FP), AX
	MOVQ AX, runl-72(SP)
dw2k3run:
	MOVQ runp-64(SP), AX
	MOVQ xch-24(SP), SI
	ADDQ 0(AX), SI
	MOVQ och-32(SP), DX
	ADDQ 8(AX), DX
	MOVQ wch-40(SP), R8
	ADDQ 16(AX), R8
	MOVQ R8, wt-16(SP)
	MOVQ 24(AX), R8
	MOVQ R8, nkh-8(SP)
	MOVQ 32(AX), CX
dw2k3qrow:
	CMPQ CX, $4
	JLT dw2k3qdone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw2k3qvec:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R10, R13
	LEAQ (R13)(DI*1), R8
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw2k3qkh:
	KMOVW 2(BX), K1
	KMOVW 4(BX), K3
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VMOVUPS.Z 64(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 0(R8), K1, Z5
	VMOVUPS.Z 64(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 0(R13)(DI*2), K1, Z6
	VMOVUPS.Z 64(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 0(R8)(DI*2), K1, Z7
	VMOVUPS.Z 64(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 6(BX), K1
	KMOVW 8(BX), K3
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VMOVUPS.Z 68(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 4(R8), K1, Z5
	VMOVUPS.Z 68(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 4(R13)(DI*2), K1, Z6
	VMOVUPS.Z 68(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 4(R8)(DI*2), K1, Z7
	VMOVUPS.Z 68(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 10(BX), K1
	KMOVW 12(BX), K3
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VMOVUPS.Z 72(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 8(R8), K1, Z5
	VMOVUPS.Z 72(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 8(R13)(DI*2), K1, Z6
	VMOVUPS.Z 72(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 8(R8)(DI*2), K1, Z7
	VMOVUPS.Z 72(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	ADDQ xrow+96(FP), R13
	ADDQ xrow+96(FP), R8
	ADDQ $12, R14
	DECQ AX
	JNZ dw2k3qkh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VADDPS Z31, Z1, Z1
	VADDPS Z31, Z2, Z2
	VADDPS Z31, Z3, Z3
	LEAQ (R11)(R9*2), R13
	VMOVUPS Z0, K2, (R11)
	VMOVUPS Z1, K2, (R11)(R9*1)
	VMOVUPS Z2, K2, (R11)(R9*2)
	VMOVUPS Z3, K2, (R13)(R9*1)
	ADDQ $128, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw2k3qvec
	LEAQ (SI)(DI*4), SI
	LEAQ (DX)(R9*4), DX
	SUBQ $4, CX
	JMP dw2k3qrow
dw2k3qdone:
dw2k3orow:
	TESTQ CX, CX
	JZ dw2k3odone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw2k3ovec:
	VPXORD Z0, Z0, Z0
	MOVQ R10, R13
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw2k3okh:
	KMOVW 2(BX), K1
	KMOVW 4(BX), K3
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VMOVUPS.Z 64(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 6(BX), K1
	KMOVW 8(BX), K3
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VMOVUPS.Z 68(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 10(BX), K1
	KMOVW 12(BX), K3
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VMOVUPS.Z 72(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	ADDQ xrow+96(FP), R13
	ADDQ $12, R14
	DECQ AX
	JNZ dw2k3okh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VMOVUPS Z0, K2, (R11)
	ADDQ $128, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw2k3ovec
	ADDQ DI, SI
	ADDQ R9, DX
	DECQ CX
	JMP dw2k3orow
dw2k3odone:
	ADDQ $40, runp-64(SP)
	DECQ runl-72(SP)
	JNZ dw2k3run
	MOVQ chin+112(FP), AX
	ADDQ AX, xch-24(SP)
	MOVQ chout+120(FP), AX
	ADDQ AX, och-32(SP)
	MOVQ wstep+128(FP), AX
	ADDQ AX, wch-40(SP)
	MOVQ bstep+32(FP), AX
	ADDQ AX, bch-48(SP)
	DECQ chl-56(SP)
	JNZ dw2k3ch
	VZEROUPPER
	RET

// func dwChannels2K5AVX512(x, out, wt, bias *float32, bstep, nch int, runs *int, nruns int, masks *uint16, mstride, vecs, xstep, xrow, ostep, chin, chout, wstep int)
// Stride 2, kernel width 5, see kernels_dw_amd64.go. Per channel (its
// input, output, weights and bias in xch, och, wch, bch), per run of output
// rows (runp: its descriptor), per block of output rows (SI: the first
// row's first kernel row's input, DX: its output, DI and R9: the input and
// output distance between rows), per vector (R10, R11, BX: its masks):
// Z0.. accumulate the taps, kernel row (R13, R8: rows 0 and 1 of the
// block, rows 2 and 3 at 2·DI from them; AX) by kernel row, column by
// column, each a masked load of two vectors and their even lanes
// times the broadcast weight (R14, Z8), in the order of dwIndirectAVX512;
// then bias (Z31) + sum under the store mask.
TEXT ·dwChannels2K5AVX512(SB), NOSPLIT, $72-136
	VMOVDQU32 dwEven<>(SB), Z30
	MOVQ xstep+88(FP), DI
	MOVQ ostep+104(FP), R9
	MOVQ x+0(FP), AX
	MOVQ AX, xch-24(SP)
	MOVQ out+8(FP), AX
	MOVQ AX, och-32(SP)
	MOVQ wt+16(FP), AX
	MOVQ AX, wch-40(SP)
	MOVQ bias+24(FP), AX
	MOVQ AX, bch-48(SP)
	MOVQ nch+40(FP), AX
	MOVQ AX, chl-56(SP)
dw2k5ch:
	MOVQ bch-48(SP), AX
	VBROADCASTSS (AX), Z31
	MOVQ runs+48(FP), AX
	MOVQ AX, runp-64(SP)
	MOVQ nruns+56(FP), AX
	MOVQ AX, runl-72(SP)
dw2k5run:
	MOVQ runp-64(SP), AX
	MOVQ xch-24(SP), SI
	ADDQ 0(AX), SI
	MOVQ och-32(SP), DX
	ADDQ 8(AX), DX
	MOVQ wch-40(SP), R8
	ADDQ 16(AX), R8
	MOVQ R8, wt-16(SP)
	MOVQ 24(AX), R8
	MOVQ R8, nkh-8(SP)
	MOVQ 32(AX), CX
dw2k5qrow:
	CMPQ CX, $4
	JLT dw2k5qdone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw2k5qvec:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R10, R13
	LEAQ (R13)(DI*1), R8
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw2k5qkh:
	KMOVW 2(BX), K1
	KMOVW 4(BX), K3
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VMOVUPS.Z 64(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 0(R8), K1, Z5
	VMOVUPS.Z 64(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 0(R13)(DI*2), K1, Z6
	VMOVUPS.Z 64(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 0(R8)(DI*2), K1, Z7
	VMOVUPS.Z 64(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 6(BX), K1
	KMOVW 8(BX), K3
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VMOVUPS.Z 68(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 4(R8), K1, Z5
	VMOVUPS.Z 68(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 4(R13)(DI*2), K1, Z6
	VMOVUPS.Z 68(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 4(R8)(DI*2), K1, Z7
	VMOVUPS.Z 68(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 10(BX), K1
	KMOVW 12(BX), K3
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VMOVUPS.Z 72(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 8(R8), K1, Z5
	VMOVUPS.Z 72(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 8(R13)(DI*2), K1, Z6
	VMOVUPS.Z 72(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 8(R8)(DI*2), K1, Z7
	VMOVUPS.Z 72(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 14(BX), K1
	KMOVW 16(BX), K3
	VBROADCASTSS 12(R14), Z8
	VMOVUPS.Z 12(R13), K1, Z4
	VMOVUPS.Z 76(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 12(R8), K1, Z5
	VMOVUPS.Z 76(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 12(R13)(DI*2), K1, Z6
	VMOVUPS.Z 76(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 12(R8)(DI*2), K1, Z7
	VMOVUPS.Z 76(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	KMOVW 18(BX), K1
	KMOVW 20(BX), K3
	VBROADCASTSS 16(R14), Z8
	VMOVUPS.Z 16(R13), K1, Z4
	VMOVUPS.Z 80(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VMOVUPS.Z 16(R8), K1, Z5
	VMOVUPS.Z 80(R8), K3, Z13
	VPERMT2PS Z13, Z30, Z5
	VMOVUPS.Z 16(R13)(DI*2), K1, Z6
	VMOVUPS.Z 80(R13)(DI*2), K3, Z14
	VPERMT2PS Z14, Z30, Z6
	VMOVUPS.Z 16(R8)(DI*2), K1, Z7
	VMOVUPS.Z 80(R8)(DI*2), K3, Z15
	VPERMT2PS Z15, Z30, Z7
	VFMADD231PS Z8, Z4, Z0
	VFMADD231PS Z8, Z5, Z1
	VFMADD231PS Z8, Z6, Z2
	VFMADD231PS Z8, Z7, Z3
	ADDQ xrow+96(FP), R13
	ADDQ xrow+96(FP), R8
	ADDQ $20, R14
	DECQ AX
	JNZ dw2k5qkh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VADDPS Z31, Z1, Z1
	VADDPS Z31, Z2, Z2
	VADDPS Z31, Z3, Z3
	LEAQ (R11)(R9*2), R13
	VMOVUPS Z0, K2, (R11)
	VMOVUPS Z1, K2, (R11)(R9*1)
	VMOVUPS Z2, K2, (R11)(R9*2)
	VMOVUPS Z3, K2, (R13)(R9*1)
	ADDQ $128, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw2k5qvec
	LEAQ (SI)(DI*4), SI
	LEAQ (DX)(R9*4), DX
	SUBQ $4, CX
	JMP dw2k5qrow
dw2k5qdone:
dw2k5orow:
	TESTQ CX, CX
	JZ dw2k5odone
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ masks+64(FP), BX
	MOVQ vecs+80(FP), R12
dw2k5ovec:
	VPXORD Z0, Z0, Z0
	MOVQ R10, R13
	MOVQ wt-16(SP), R14
	MOVQ nkh-8(SP), AX
dw2k5okh:
	KMOVW 2(BX), K1
	KMOVW 4(BX), K3
	VBROADCASTSS 0(R14), Z8
	VMOVUPS.Z 0(R13), K1, Z4
	VMOVUPS.Z 64(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 6(BX), K1
	KMOVW 8(BX), K3
	VBROADCASTSS 4(R14), Z8
	VMOVUPS.Z 4(R13), K1, Z4
	VMOVUPS.Z 68(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 10(BX), K1
	KMOVW 12(BX), K3
	VBROADCASTSS 8(R14), Z8
	VMOVUPS.Z 8(R13), K1, Z4
	VMOVUPS.Z 72(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 14(BX), K1
	KMOVW 16(BX), K3
	VBROADCASTSS 12(R14), Z8
	VMOVUPS.Z 12(R13), K1, Z4
	VMOVUPS.Z 76(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	KMOVW 18(BX), K1
	KMOVW 20(BX), K3
	VBROADCASTSS 16(R14), Z8
	VMOVUPS.Z 16(R13), K1, Z4
	VMOVUPS.Z 80(R13), K3, Z12
	VPERMT2PS Z12, Z30, Z4
	VFMADD231PS Z8, Z4, Z0
	ADDQ xrow+96(FP), R13
	ADDQ $20, R14
	DECQ AX
	JNZ dw2k5okh
	KMOVW (BX), K2
	VADDPS Z31, Z0, Z0
	VMOVUPS Z0, K2, (R11)
	ADDQ $128, R10
	ADDQ $64, R11
	ADDQ mstride+72(FP), BX
	DECQ R12
	JNZ dw2k5ovec
	ADDQ DI, SI
	ADDQ R9, DX
	DECQ CX
	JMP dw2k5orow
dw2k5odone:
	ADDQ $40, runp-64(SP)
	DECQ runl-72(SP)
	JNZ dw2k5run
	MOVQ chin+112(FP), AX
	ADDQ AX, xch-24(SP)
	MOVQ chout+120(FP), AX
	ADDQ AX, och-32(SP)
	MOVQ wstep+128(FP), AX
	ADDQ AX, wch-40(SP)
	MOVQ bstep+32(FP), AX
	ADDQ AX, bch-48(SP)
	DECQ chl-56(SP)
	JNZ dw2k5ch
	VZEROUPPER
	RET
