#include "textflag.h"

// func planes8x64(src *int32, chunks int, dst *uint64, stride int)
//
// For every chunk c of 64 codes src[64c : 64c+64]: bit b of the low byte of
// code i goes to bit i of the word at dst + b*stride + 8c (b = 0..7), with
// AVX-512F (VPMOVDB) and AVX-512BW (VPMOVB2M: the top bit of every byte).
TEXT ·planes8x64(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ chunks+8(FP), CX
	MOVQ dst+16(FP), DI
	MOVQ stride+24(FP), DX
	TESTQ CX, CX
	JZ pdone

ploop:
	VMOVDQU32 (SI), Z0
	VMOVDQU32 64(SI), Z1
	VMOVDQU32 128(SI), Z2
	VMOVDQU32 192(SI), Z3
	VPMOVDB Z0, X4
	VPMOVDB Z1, X5
	VPMOVDB Z2, X6
	VPMOVDB Z3, X7
	VINSERTI32X4 $1, X5, Z4, Z4
	VINSERTI32X4 $2, X6, Z4, Z4
	VINSERTI32X4 $3, X7, Z4, Z4
	MOVQ DI, BX
	VPSLLW $7, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPSLLW $6, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPSLLW $5, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPSLLW $4, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPSLLW $3, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPSLLW $2, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPSLLW $1, Z4, Z5
	VPMOVB2M Z5, K2
	KMOVQ K2, (BX)
	ADDQ DX, BX
	VPMOVB2M Z4, K2
	KMOVQ K2, (BX)
	ADDQ $256, SI
	ADDQ $8, DI
	DECQ CX
	JNZ ploop

pdone:
	VZEROUPPER
	RET

// PLANE adds the table row of the pattern of plane b (h bits at the bit
// offset of the strip) into Zb, skipping all-zero patterns.
#define PLANE(zb, skip) \
	MOVQ (BX), AX \
	SHRQ CX, AX \
	ANDQ R13, AX \
	JZ skip \
	IMULQ R10, AX \
	VPADDD (R8)(AX*1), zb, K1, zb \
skip: \
	ADDQ DX, BX

// func lookup16(acc *int32, mask uint16, planes *uint64, stride int, strips int, h int, tab *int32, stripBytes int, rowBytes int, shift7 int, neg7 int, first int)
//
// For one vector and one tile of up to 16 outputs (the lanes set in mask):
// Z_b = Σ over strips s of the table row tab[s][pattern(s, b)] (16 int32
// lanes), where pattern(s, b) is the h bits of plane b (planes + b*stride
// bytes) at bit offset first + s*h; zero patterns are skipped. Then
// acc += Σ_{b<7} Z_b << b ± Z_7 << shift7 (minus when neg7 != 0). Tables
// are stripBytes apart, rows rowBytes apart. The plane buffers must hold 8
// readable bytes past every strip's first byte.
TEXT ·lookup16(SB), NOSPLIT, $0-96
	KMOVW mask+8(FP), K1
	MOVQ planes+16(FP), SI
	MOVQ stride+24(FP), DX
	MOVQ strips+32(FP), DI
	MOVQ h+40(FP), R12
	MOVQ tab+48(FP), R8
	MOVQ stripBytes+56(FP), R9
	MOVQ rowBytes+64(FP), R10
	MOVQ $1, R13
	MOVQ R12, CX
	SHLQ CX, R13
	DECQ R13
	MOVQ first+88(FP), R11
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ DI, DI
	JZ combine

strip:
	MOVQ R11, BX
	SHRQ $3, BX
	ADDQ SI, BX
	MOVQ R11, CX
	ANDQ $7, CX
	PLANE(Z0, skip0)
	PLANE(Z1, skip1)
	PLANE(Z2, skip2)
	PLANE(Z3, skip3)
	PLANE(Z4, skip4)
	PLANE(Z5, skip5)
	PLANE(Z6, skip6)
	PLANE(Z7, skip7)
	ADDQ R12, R11
	ADDQ R9, R8
	DECQ DI
	JNZ strip

combine:
	VPSLLD $1, Z1, Z1
	VPADDD Z1, Z0, Z0
	VPSLLD $2, Z2, Z2
	VPADDD Z2, Z0, Z0
	VPSLLD $3, Z3, Z3
	VPADDD Z3, Z0, Z0
	VPSLLD $4, Z4, Z4
	VPADDD Z4, Z0, Z0
	VPSLLD $5, Z5, Z5
	VPADDD Z5, Z0, Z0
	VPSLLD $6, Z6, Z6
	VPADDD Z6, Z0, Z0
	MOVQ shift7+72(FP), AX
	VPBROADCASTD AX, Z8
	VPSLLVD Z8, Z7, Z7
	MOVQ neg7+80(FP), AX
	TESTQ AX, AX
	JNZ sub7
	VPADDD Z7, Z0, Z0
	JMP store

sub7:
	VPSUBD Z7, Z0, Z0

store:
	MOVQ acc+0(FP), DI
	VMOVDQU32.Z (DI), K1, Z9
	VPADDD Z9, Z0, Z0
	VMOVDQU32 Z0, K1, (DI)
	VZEROUPPER
	RET

// func addRow32(dst, a, b *int32, n int)
//
// dst[i] = a[i] + b[i] for i < n, 16 lanes per instruction (the tail
// masked), AVX-512F.
TEXT ·addRow32(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

rloop:
	CMPQ CX, $16
	JLT rtail
	VMOVDQU32 (SI), Z0
	VPADDD (DX), Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP rloop

rtail:
	TESTQ CX, CX
	JZ rdone
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	VMOVDQU32.Z (SI), K1, Z0
	VMOVDQU32.Z (DX), K1, Z1
	VPADDD Z1, Z0, Z0
	VMOVDQU32 Z0, K1, (DI)

rdone:
	VZEROUPPER
	RET
