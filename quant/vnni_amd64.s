#include "textflag.h"

// func vnniKernel4x32(a *byte, lda int, b *byte, kq int, c *int32, ldc int, load int)
//
// C[4×32] (+)= A[4×4kq] (u8) · B[4kq×32] (s8) with VPDPBUSD. A rows are lda
// bytes apart; B is packed per k-quad as 32 columns × 4 bytes (128 bytes);
// C rows are ldc bytes apart. load != 0 accumulates into C, else C is
// overwritten.
TEXT ·vnniKernel4x32(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), DX
	MOVQ b+16(FP), BX
	MOVQ kq+24(FP), CX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R11
	MOVQ load+48(FP), AX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (DI)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	LEAQ (R13)(R11*1), R14
	TESTQ AX, AX
	JZ zero
	VMOVDQU32 (DI), Z0
	VMOVDQU32 64(DI), Z1
	VMOVDQU32 (R12), Z2
	VMOVDQU32 64(R12), Z3
	VMOVDQU32 (R13), Z4
	VMOVDQU32 64(R13), Z5
	VMOVDQU32 (R14), Z6
	VMOVDQU32 64(R14), Z7
	JMP start
zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
start:
	TESTQ CX, CX
	JZ done
loop:
	VMOVDQU32 (BX), Z8
	VMOVDQU32 64(BX), Z9
	VPBROADCASTD (SI), Z10
	VPBROADCASTD (R8), Z11
	VPBROADCASTD (R9), Z12
	VPBROADCASTD (R10), Z13
	VPDPBUSD Z8, Z10, Z0
	VPDPBUSD Z9, Z10, Z1
	VPDPBUSD Z8, Z11, Z2
	VPDPBUSD Z9, Z11, Z3
	VPDPBUSD Z8, Z12, Z4
	VPDPBUSD Z9, Z12, Z5
	VPDPBUSD Z8, Z13, Z6
	VPDPBUSD Z9, Z13, Z7
	ADDQ $128, BX
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JNZ loop
done:
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z1, 64(DI)
	VMOVDQU32 Z2, (R12)
	VMOVDQU32 Z3, 64(R12)
	VMOVDQU32 Z4, (R13)
	VMOVDQU32 Z5, 64(R13)
	VMOVDQU32 Z6, (R14)
	VMOVDQU32 Z7, 64(R14)
	VZEROUPPER
	RET

// func vnniKernel4x16(a *byte, lda int, b *byte, kq int, c *int32, ldc int, load int)
//
// vnniKernel4x32 for a 16-column block (B packed as 16 columns × 4 bytes per
// k-quad): used when N ≤ 16, where a 32-wide tile would waste half the work.
TEXT ·vnniKernel4x16(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), DX
	MOVQ b+16(FP), BX
	MOVQ kq+24(FP), CX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R11
	MOVQ load+48(FP), AX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (DI)(R11*1), R12
	LEAQ (R12)(R11*1), R13
	LEAQ (R13)(R11*1), R14
	TESTQ AX, AX
	JZ zero16
	VMOVDQU32 (DI), Z0
	VMOVDQU32 (R12), Z2
	VMOVDQU32 (R13), Z4
	VMOVDQU32 (R14), Z6
	JMP start16
zero16:
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPXORD Z6, Z6, Z6
start16:
	TESTQ CX, CX
	JZ done16
loop16:
	VMOVDQU32 (BX), Z8
	VPBROADCASTD (SI), Z10
	VPBROADCASTD (R8), Z11
	VPBROADCASTD (R9), Z12
	VPBROADCASTD (R10), Z13
	VPDPBUSD Z8, Z10, Z0
	VPDPBUSD Z8, Z11, Z2
	VPDPBUSD Z8, Z12, Z4
	VPDPBUSD Z8, Z13, Z6
	ADDQ $64, BX
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JNZ loop16
done16:
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z2, (R12)
	VMOVDQU32 Z4, (R13)
	VMOVDQU32 Z6, (R14)
	VZEROUPPER
	RET
