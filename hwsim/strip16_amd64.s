#include "textflag.h"

// func strip16Cols(lo *uint16, hi *uint16, n int, pats *uint16, shifts *uint64, np int, neg int, keep uint64, top uint64, out *int32) int
//
// The generic route's conversions of n columns of at most 16 rows, 32
// columns per instruction (AVX-512BW and BITALG), one 16-bit word of cells
// per column (hi: the high plane of 2-bit cells, nil for 1-bit cells). For
// every column c and input step t (pattern pats[t]): s = popcount(pats[t] &
// lo[c]) + 2·popcount(pats[t] & hi[c]), q = min(s & keep, top) (keep clears
// the low bits a truncating ADC drops; all ones otherwise), out[c] ±= q <<
// shifts[t] (minus for t == neg), accumulated in 16 bits over the steps
// and then added to out[c] (32 bits). Returns the conversions with q != s. It
// reads whole blocks of 32 columns: lo and hi must hold
// n rounded up to 32 entries, out n (the lanes past n are neither stored
// nor counted).
TEXT ·strip16Cols(SB), NOSPLIT, $0-88
	MOVQ lo+0(FP), SI
	MOVQ hi+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ pats+24(FP), R8
	MOVQ shifts+32(FP), R9
	MOVQ np+40(FP), R10
	MOVQ neg+48(FP), R11
	MOVQ keep+56(FP), AX
	VPBROADCASTW AX, Z31
	MOVQ top+64(FP), AX
	VPBROADCASTW AX, Z30
	MOVQ out+72(FP), DX
	XORQ R12, R12
	XORQ R13, R13

sblock:
	TESTQ CX, CX
	JLE sdone
	MOVL $-1, AX
	CMPQ CX, $32
	JGE sfull
	MOVL $1, AX
	SHLL CX, AX
	DECL AX

sfull:
	KMOVD AX, K1
	VMOVDQU16 (SI)(R13*1), Z1
	TESTQ DI, DI
	JZ snohi
	VMOVDQU16 (DI)(R13*1), Z2

snohi:
	VPXORD Z0, Z0, Z0
	XORQ BX, BX

splane:
	CMPQ BX, R10
	JGE sstore
	VPBROADCASTW (R8)(BX*2), Z3
	VPANDD Z1, Z3, Z4
	VPOPCNTW Z4, Z4
	TESTQ DI, DI
	JZ ssum
	VPANDD Z2, Z3, Z5
	VPOPCNTW Z5, Z5
	VPADDW Z5, Z5, Z5
	VPADDW Z5, Z4, Z4

ssum:
	VPANDD Z31, Z4, Z5
	VPMINUW Z30, Z5, Z5
	VPCMPW $4, Z5, Z4, K1, K2
	KMOVD K2, AX
	POPCNTL AX, AX
	ADDQ AX, R12
	VMOVQ (R9)(BX*8), X6
	VPSLLW X6, Z5, Z5
	CMPQ BX, R11
	JEQ sneg
	VPADDW Z5, Z0, Z0
	JMP snext

sneg:
	VPSUBW Z5, Z0, Z0

snext:
	INCQ BX
	JMP splane

sstore:
	KMOVD K1, K3
	KSHIFTRD $16, K1, K4
	VPMOVSXWD Y0, Z7
	VEXTRACTI64X4 $1, Z0, Y8
	VPMOVSXWD Y8, Z8
	VMOVDQU32 (DX)(R13*2), K3, Z9
	VPADDD Z7, Z9, Z9
	VMOVDQU32 Z9, K3, (DX)(R13*2)
	VMOVDQU32 64(DX)(R13*2), K4, Z10
	VPADDD Z8, Z10, Z10
	VMOVDQU32 Z10, K4, 64(DX)(R13*2)
	ADDQ $64, R13
	SUBQ $32, CX
	JMP sblock

sdone:
	MOVQ R12, ret+80(FP)
	VZEROUPPER
	RET
