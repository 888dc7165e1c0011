//go:build amd64 && !purego

#include "textflag.h"

// The macros below are the pieces the GEMM kernels are built of. In the
// AVX-512 kernels a 16-column block of C is held one ZMM per row, a 6-row A
// panel (6 floats per k step, 24 bytes) at a time; the AVX2 6×16 kernels
// (the *Y macros) hold a row in two YMM. Each expands to exactly the instructions
// it replaces, in the same order: the FMA order per element of C defines the
// result bits, and every kernel must produce the same bits for a block.

// ZERO6 clears the six accumulators of one 6-row panel (acc = 0).
#define ZERO6(r0, r1, r2, r3, r4, r5) \
	VPXORD r0, r0, r0 \
	VPXORD r1, r1, r1 \
	VPXORD r2, r2, r2 \
	VPXORD r3, r3, r3 \
	VPXORD r4, r4, r4 \
	VPXORD r5, r5, r5

// FMA6 is one k step of a 6-row A panel: acc[i] += a[i]·brow for i = 0..5,
// a[i] the float at 4·i bytes from the panel pointer a, broadcast into the
// FMA; brow the ZMM holding the current row of B.
#define FMA6(a, brow, r0, r1, r2, r3, r4, r5) \
	VFMADD231PS.BCST 0(a), brow, r0 \
	VFMADD231PS.BCST 4(a), brow, r1 \
	VFMADD231PS.BCST 8(a), brow, r2 \
	VFMADD231PS.BCST 12(a), brow, r3 \
	VFMADD231PS.BCST 16(a), brow, r4 \
	VFMADD231PS.BCST 20(a), brow, r5

// BROW_INDIRECT loads the current B row (16 floats) of an indirect kernel
// into brow: row kk sits at b (DI) + offs[kk] floats, R10 pointing at
// offs[kk] (the shifted-plane convolution's B, kernels_conv.go); R11 is
// its scratch register.
#define BROW_INDIRECT(brow) \
	MOVQ (R10), R11 \
	VMOVUPS (DI)(R11*4), brow

// FMA12_STEP is one k step of the 12-row kernels, FMA6 over the A panels at
// SI (rows Z0..Z5) and R9 (Z6..Z11), each panel pointer then advancing to
// its next k (24 bytes).
#define FMA12_STEP(brow) \
	FMA6(SI, brow, Z0, Z1, Z2, Z3, Z4, Z5) \
	FMA6(R9, brow, Z6, Z7, Z8, Z9, Z10, Z11) \
	ADDQ $24, SI \
	ADDQ $24, R9

// FMA18_STEP is FMA12_STEP over a third panel at R12 (rows Z12..Z17).
#define FMA18_STEP(brow) \
	FMA6(SI, brow, Z0, Z1, Z2, Z3, Z4, Z5) \
	FMA6(R9, brow, Z6, Z7, Z8, Z9, Z10, Z11) \
	FMA6(R12, brow, Z12, Z13, Z14, Z15, Z16, Z17) \
	ADDQ $24, SI \
	ADDQ $24, R9 \
	ADDQ $24, R12

// CADD6 stores C += acc for six consecutive rows of C starting at DX, DX
// stepping ldc (R8, in bytes) between rows and left on the sixth row.
#define CADD6(r0, r1, r2, r3, r4, r5) \
	VADDPS (DX), r0, r0 \
	VMOVUPS r0, (DX) \
	ADDQ R8, DX \
	VADDPS (DX), r1, r1 \
	VMOVUPS r1, (DX) \
	ADDQ R8, DX \
	VADDPS (DX), r2, r2 \
	VMOVUPS r2, (DX) \
	ADDQ R8, DX \
	VADDPS (DX), r3, r3 \
	VMOVUPS r3, (DX) \
	ADDQ R8, DX \
	VADDPS (DX), r4, r4 \
	VMOVUPS r4, (DX) \
	ADDQ R8, DX \
	VADDPS (DX), r5, r5 \
	VMOVUPS r5, (DX)

// BIAS6 stores C = acc + bias[i] for six consecutive rows of C starting at
// DX (stepping as CADD6), bias[i] the float at off+4·i bytes from BX,
// broadcast: the first k-block of a convolution, whose C would otherwise be
// filled with the bias and then updated by CADD6.
#define BIAS6(off, r0, r1, r2, r3, r4, r5) \
	VADDPS.BCST off+0(BX), r0, r0 \
	VMOVUPS r0, (DX) \
	ADDQ R8, DX \
	VADDPS.BCST off+4(BX), r1, r1 \
	VMOVUPS r1, (DX) \
	ADDQ R8, DX \
	VADDPS.BCST off+8(BX), r2, r2 \
	VMOVUPS r2, (DX) \
	ADDQ R8, DX \
	VADDPS.BCST off+12(BX), r3, r3 \
	VMOVUPS r3, (DX) \
	ADDQ R8, DX \
	VADDPS.BCST off+16(BX), r4, r4 \
	VMOVUPS r4, (DX) \
	ADDQ R8, DX \
	VADDPS.BCST off+20(BX), r5, r5 \
	VMOVUPS r5, (DX)

// PART_CADD6 stores C += acc for the six rows of a full panel of a partial
// tile (only the first rows rows of C are written), row by row from DX:
// after each row AX, the rows still to store, counts down, reaching 0 jumps
// to done, else DX steps ldc (R8 bytes) to the next row.
#define PART_CADD6(done, r0, r1, r2, r3, r4, r5) \
	VADDPS (DX), r0, r0 \
	VMOVUPS r0, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS (DX), r1, r1 \
	VMOVUPS r1, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS (DX), r2, r2 \
	VMOVUPS r2, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS (DX), r3, r3 \
	VMOVUPS r3, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS (DX), r4, r4 \
	VMOVUPS r4, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS (DX), r5, r5 \
	VMOVUPS r5, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX

// PART_CADD6_LAST is PART_CADD6 for the last, partly padded panel: each
// acc is first added to Z19 = 0 (acc + 0, as gemmBlock's partial tile
// computed in a zeroed buffer has it), and its sixth row is the last one.
#define PART_CADD6_LAST(done, r0, r1, r2, r3, r4, r5) \
	VADDPS Z19, r0, r0 \
	VADDPS (DX), r0, r0 \
	VMOVUPS r0, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r1, r1 \
	VADDPS (DX), r1, r1 \
	VMOVUPS r1, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r2, r2 \
	VADDPS (DX), r2, r2 \
	VMOVUPS r2, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r3, r3 \
	VADDPS (DX), r3, r3 \
	VMOVUPS r3, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r4, r4 \
	VADDPS (DX), r4, r4 \
	VMOVUPS r4, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r5, r5 \
	VADDPS (DX), r5, r5 \
	VMOVUPS r5, (DX)

// PART_BIAS6 is PART_CADD6 storing C = acc + bias[i] (BIAS6's first
// k-block form, bias[i] the float at off+4·i bytes from BX).
#define PART_BIAS6(off, done, r0, r1, r2, r3, r4, r5) \
	VADDPS.BCST off+0(BX), r0, r0 \
	VMOVUPS r0, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS.BCST off+4(BX), r1, r1 \
	VMOVUPS r1, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS.BCST off+8(BX), r2, r2 \
	VMOVUPS r2, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS.BCST off+12(BX), r3, r3 \
	VMOVUPS r3, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS.BCST off+16(BX), r4, r4 \
	VMOVUPS r4, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS.BCST off+20(BX), r5, r5 \
	VMOVUPS r5, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX

// PART_BIAS6_LAST is PART_CADD6_LAST storing C = acc + 0 + bias[i].
#define PART_BIAS6_LAST(off, done, r0, r1, r2, r3, r4, r5) \
	VADDPS Z19, r0, r0 \
	VADDPS.BCST off+0(BX), r0, r0 \
	VMOVUPS r0, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r1, r1 \
	VADDPS.BCST off+4(BX), r1, r1 \
	VMOVUPS r1, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r2, r2 \
	VADDPS.BCST off+8(BX), r2, r2 \
	VMOVUPS r2, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r3, r3 \
	VADDPS.BCST off+12(BX), r3, r3 \
	VMOVUPS r3, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r4, r4 \
	VADDPS.BCST off+16(BX), r4, r4 \
	VMOVUPS r4, (DX) \
	DECQ AX \
	JZ done \
	ADDQ R8, DX \
	VADDPS Z19, r5, r5 \
	VADDPS.BCST off+20(BX), r5, r5 \
	VMOVUPS r5, (DX)

// ZERO6Y clears the AVX2 6×16 accumulators Y0..Y11 (two YMM per row).
#define ZERO6Y \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

// FMA6Y is one k step of the AVX2 6×16 kernels: acc[i] += a[i]·brow for
// the 6 floats of the A panel at SI, broadcast in turn into Y14 and Y15,
// brow the current B row in Y12 (columns 0..7) and Y13 (8..15).
#define FMA6Y \
	VBROADCASTSS 0(SI), Y14 \
	VFMADD231PS Y12, Y14, Y0 \
	VFMADD231PS Y13, Y14, Y1 \
	VBROADCASTSS 4(SI), Y15 \
	VFMADD231PS Y12, Y15, Y2 \
	VFMADD231PS Y13, Y15, Y3 \
	VBROADCASTSS 8(SI), Y14 \
	VFMADD231PS Y12, Y14, Y4 \
	VFMADD231PS Y13, Y14, Y5 \
	VBROADCASTSS 12(SI), Y15 \
	VFMADD231PS Y12, Y15, Y6 \
	VFMADD231PS Y13, Y15, Y7 \
	VBROADCASTSS 16(SI), Y14 \
	VFMADD231PS Y12, Y14, Y8 \
	VFMADD231PS Y13, Y14, Y9 \
	VBROADCASTSS 20(SI), Y15 \
	VFMADD231PS Y12, Y15, Y10 \
	VFMADD231PS Y13, Y15, Y11

// CADD6Y stores C += acc for the AVX2 6×16 block, rows from DX stepping
// ldc (R8 bytes), DX left on the sixth row.
#define CADD6Y \
	VADDPS (DX), Y0, Y0 \
	VMOVUPS Y0, (DX) \
	VADDPS 32(DX), Y1, Y1 \
	VMOVUPS Y1, 32(DX) \
	ADDQ R8, DX \
	VADDPS (DX), Y2, Y2 \
	VMOVUPS Y2, (DX) \
	VADDPS 32(DX), Y3, Y3 \
	VMOVUPS Y3, 32(DX) \
	ADDQ R8, DX \
	VADDPS (DX), Y4, Y4 \
	VMOVUPS Y4, (DX) \
	VADDPS 32(DX), Y5, Y5 \
	VMOVUPS Y5, 32(DX) \
	ADDQ R8, DX \
	VADDPS (DX), Y6, Y6 \
	VMOVUPS Y6, (DX) \
	VADDPS 32(DX), Y7, Y7 \
	VMOVUPS Y7, 32(DX) \
	ADDQ R8, DX \
	VADDPS (DX), Y8, Y8 \
	VMOVUPS Y8, (DX) \
	VADDPS 32(DX), Y9, Y9 \
	VMOVUPS Y9, 32(DX) \
	ADDQ R8, DX \
	VADDPS (DX), Y10, Y10 \
	VMOVUPS Y10, (DX) \
	VADDPS 32(DX), Y11, Y11 \
	VMOVUPS Y11, 32(DX)


// func sgemmKernel6x16(kc int, a, b, c *float32, ldc int)
// Y0..Y11 accumulate the 6×16 block (two YMM per row); Y12/Y13 hold the
// current row of the B panel, Y14/Y15 broadcast A values.
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	ZERO6Y
loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	FMA6Y
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ loop
	CADD6Y
	VZEROUPPER
	RET


// func sgemmKernel12x16(kc int, a0, a1, b, c *float32, ldc int)
// AVX-512 variant for two consecutive 6-row A panels: Z0..Z11 accumulate
// the 12×16 block (one ZMM per row), Z12 holds the current row of the B
// panel, A values are broadcast from memory into the FMA. Each element of C
// sees exactly the same sequence of FMAs as in sgemmKernel6x16, so results
// are bit-identical whichever kernel computes a block.
TEXT ·sgemmKernel12x16(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
loop512:
	VMOVUPS (DI), Z12
	FMA12_STEP(Z12)
	ADDQ $64, DI
	DECQ CX
	JNZ loop512
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	VZEROUPPER
	RET


// func sgemmIndirect6x16(kc int, a, b *float32, offs *int, c *float32, ldc int)
// sgemmKernel6x16 with row kk of the B panel read from b + offs[kk] floats
// (the shifted-plane convolution, kernels_conv.go) instead of a packed
// panel. Same FMA sequence per element of C.
TEXT ·sgemmIndirect6x16(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R10
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	ZERO6Y
iloop:
	MOVQ (R10), R11
	VMOVUPS (DI)(R11*4), Y12
	VMOVUPS 32(DI)(R11*4), Y13
	FMA6Y
	ADDQ $24, SI
	ADDQ $8, R10
	DECQ CX
	JNZ iloop
	CADD6Y
	VZEROUPPER
	RET


// func sgemmIndirect12x16(kc int, a0, a1, b *float32, offs *int, c *float32, ldc int)
// sgemmKernel12x16 with row kk of the B panel read from b + offs[kk] floats.
TEXT ·sgemmIndirect12x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ offs+32(FP), R10
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
iloop512:
	BROW_INDIRECT(Z12)
	FMA12_STEP(Z12)
	ADDQ $8, R10
	DECQ CX
	JNZ iloop512
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	VZEROUPPER
	RET


// func dwIndirectAVX512(k int, w, b *float32, offs *int, out *float32, pairs int, bias float32)
// One output channel of a depthwise convolution over the shifted-plane
// grid, 32 columns (two accumulators) per iteration: out[j] = bias +
// Σ_kk w[6·kk]·b[offs[kk]+j], the FMAs in the order of sgemmIndirect*'s
// row 0 (w is a packed 6-row A panel, row 0 used), then bias + sum as the
// GEMM path adds its block to the bias-initialised C.
TEXT ·dwIndirectAVX512(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), R12
	MOVQ w+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R10
	MOVQ out+32(FP), DX
	MOVQ pairs+40(FP), CX
	VBROADCASTSS bias+48(FP), Z4
dwpair:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ R12, BX
	MOVQ SI, R13
	MOVQ R10, R14
dwtap:
	MOVQ (R14), R11
	VBROADCASTSS (R13), Z5
	VFMADD231PS (DI)(R11*4), Z5, Z0
	VFMADD231PS 64(DI)(R11*4), Z5, Z1
	ADDQ $24, R13
	ADDQ $8, R14
	DECQ BX
	JNZ dwtap
	VADDPS Z4, Z0, Z0
	VADDPS Z4, Z1, Z1
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ $128, DI
	ADDQ $128, DX
	DECQ CX
	JNZ dwpair
	VZEROUPPER
	RET


// func sgemmIndirect18x16(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc int)
// sgemmIndirect12x16 over three consecutive packed A panels: Z0..Z17
// accumulate the 18×16 block, Z18 holds the current B row. Same FMA
// sequence per element of C as the 6- and 12-row kernels.
TEXT ·sgemmIndirect18x16(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ offs+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
iloop18:
	BROW_INDIRECT(Z18)
	FMA18_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ iloop18
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	CADD6(Z12, Z13, Z14, Z15, Z16, Z17)
	VZEROUPPER
	RET


// func sgemmKernel18x16(kc int, a0, a1, a2, b, c *float32, ldc int)
// sgemmKernel12x16 over three consecutive packed A panels: Z0..Z17
// accumulate the 18×16 block, Z18 holds the current B row. Same FMA
// sequence per element of C as the 6- and 12-row kernels.
TEXT ·sgemmKernel18x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
loop18:
	VMOVUPS (DI), Z18
	FMA18_STEP(Z18)
	ADDQ $64, DI
	DECQ CX
	JNZ loop18
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	CADD6(Z12, Z13, Z14, Z15, Z16, Z17)
	VZEROUPPER
	RET

// func sgemmIndirect16x16(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc int)
// sgemmIndirect18x16 for an output of 16 rows: the third panel's first
// 4 rows only (the rest is zero padding of A), so the padding rows of C
// are neither computed nor written. Same FMA sequence per element.
TEXT ·sgemmIndirect16x16(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ offs+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
iloop16p:
	BROW_INDIRECT(Z18)
	FMA6(SI, Z18, Z0, Z1, Z2, Z3, Z4, Z5)
	FMA6(R9, Z18, Z6, Z7, Z8, Z9, Z10, Z11)
	VFMADD231PS.BCST 0(R12), Z18, Z12
	VFMADD231PS.BCST 4(R12), Z18, Z13
	VFMADD231PS.BCST 8(R12), Z18, Z14
	VFMADD231PS.BCST 12(R12), Z18, Z15
	ADDQ $24, SI
	ADDQ $24, R9
	ADDQ $24, R12
	ADDQ $8, R10
	DECQ CX
	JNZ iloop16p
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	VADDPS (DX), Z12, Z12
	VMOVUPS Z12, (DX)
	ADDQ R8, DX
	VADDPS (DX), Z13, Z13
	VMOVUPS Z13, (DX)
	ADDQ R8, DX
	VADDPS (DX), Z14, Z14
	VMOVUPS Z14, (DX)
	ADDQ R8, DX
	VADDPS (DX), Z15, Z15
	VMOVUPS Z15, (DX)
	VZEROUPPER
	RET

// func sgemmIndirect14x16(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc int)
// sgemmIndirect18x16 for an output of 14 rows: the third panel's first
// 2 rows only (the rest is zero padding of A), so the padding rows of C
// are neither computed nor written. Same FMA sequence per element.
TEXT ·sgemmIndirect14x16(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ offs+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
iloop14p:
	BROW_INDIRECT(Z18)
	FMA6(SI, Z18, Z0, Z1, Z2, Z3, Z4, Z5)
	FMA6(R9, Z18, Z6, Z7, Z8, Z9, Z10, Z11)
	VFMADD231PS.BCST 0(R12), Z18, Z12
	VFMADD231PS.BCST 4(R12), Z18, Z13
	ADDQ $24, SI
	ADDQ $24, R9
	ADDQ $24, R12
	ADDQ $8, R10
	DECQ CX
	JNZ iloop14p
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	VADDPS (DX), Z12, Z12
	VMOVUPS Z12, (DX)
	ADDQ R8, DX
	VADDPS (DX), Z13, Z13
	VMOVUPS Z13, (DX)
	VZEROUPPER
	RET

// func sgemmIndirectBias6x16(kc int, a0, b *float32, offs *int, bias, c *float32, ldc int)
// The first k-block of a 1×1 convolution (conv1x1.go): the FMAs of
// sgemmIndirect6x16 (row kk of B at b + offs[kk] floats), then row i of C
// is stored as acc + bias[i] instead of acc + C, the sum C += acc computes
// on a C filled with the bias, without the fill or the read of C.
TEXT ·sgemmIndirectBias6x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R10
	MOVQ bias+32(FP), BX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
bloop6:
	BROW_INDIRECT(Z18)
	FMA6(SI, Z18, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ $24, SI
	ADDQ $8, R10
	DECQ CX
	JNZ bloop6
	BIAS6(0, Z0, Z1, Z2, Z3, Z4, Z5)
	VZEROUPPER
	RET

// func sgemmIndirectBias12x16(kc int, a0, a1, b *float32, offs *int, bias, c *float32, ldc int)
// sgemmIndirectBias6x16 over 2 consecutive packed A panels (12 rows).
TEXT ·sgemmIndirectBias12x16(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ offs+32(FP), R10
	MOVQ bias+40(FP), BX
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
bloop12:
	BROW_INDIRECT(Z18)
	FMA12_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ bloop12
	BIAS6(0, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	BIAS6(24, Z6, Z7, Z8, Z9, Z10, Z11)
	VZEROUPPER
	RET

// func sgemmIndirectBias18x16(kc int, a0, a1, a2, b *float32, offs *int, bias, c *float32, ldc int)
// sgemmIndirectBias6x16 over 3 consecutive packed A panels (18 rows).
TEXT ·sgemmIndirectBias18x16(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ offs+40(FP), R10
	MOVQ bias+48(FP), BX
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), R8
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
bloop18:
	BROW_INDIRECT(Z18)
	FMA18_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ bloop18
	BIAS6(0, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	BIAS6(24, Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	BIAS6(48, Z12, Z13, Z14, Z15, Z16, Z17)
	VZEROUPPER
	RET

// func sgemmIndirectBias18x16Rows(kc int, a *float32, astride, groups int, b *float32, offs *int, bias, c *float32, ldc int)
// sgemmIndirectBias18x16 over groups consecutive 18-row blocks of C (A
// panels astride floats apart, bias advancing 18 values a block): one call
// per column panel instead of one per 18 rows.
TEXT ·sgemmIndirectBias18x16Rows(SB), NOSPLIT, $0-72
	MOVQ a+8(FP), R13
	MOVQ groups+24(FP), AX
	MOVQ b+32(FP), DI
	MOVQ bias+48(FP), BX
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), R8
	SHLQ $2, R8
groupBias18:
	MOVQ kc+0(FP), CX
	MOVQ offs+40(FP), R10
	MOVQ astride+16(FP), R11
	MOVQ R13, SI
	LEAQ (SI)(R11*4), R9
	LEAQ (R9)(R11*4), R12
	LEAQ (R12)(R11*4), R13
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
loopBias18r:
	BROW_INDIRECT(Z18)
	FMA18_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ loopBias18r
	BIAS6(0, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	BIAS6(24, Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	BIAS6(48, Z12, Z13, Z14, Z15, Z16, Z17)
	ADDQ R8, DX
	ADDQ $72, BX
	DECQ AX
	JNZ groupBias18
	VZEROUPPER
	RET

// func sgemmIndirectAcc18x16Rows(kc int, a *float32, astride, groups int, b *float32, offs *int, c *float32, ldc int)
// sgemmIndirect18x16 over groups consecutive 18-row blocks of C (A panels
// astride floats apart).
TEXT ·sgemmIndirectAcc18x16Rows(SB), NOSPLIT, $0-64
	MOVQ a+8(FP), R13
	MOVQ groups+24(FP), AX
	MOVQ b+32(FP), DI
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8
groupAcc18:
	MOVQ kc+0(FP), CX
	MOVQ offs+40(FP), R10
	MOVQ astride+16(FP), R11
	MOVQ R13, SI
	LEAQ (SI)(R11*4), R9
	LEAQ (R9)(R11*4), R12
	LEAQ (R12)(R11*4), R13
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
loopAcc18r:
	BROW_INDIRECT(Z18)
	FMA18_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ loopAcc18r
	CADD6(Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ R8, DX
	CADD6(Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ R8, DX
	CADD6(Z12, Z13, Z14, Z15, Z16, Z17)
	ADDQ R8, DX
	DECQ AX
	JNZ groupAcc18
	VZEROUPPER
	RET

// func sgemmIndirectBias6x16Part(kc int, a0, b *float32, offs *int, bias, c *float32, ldc, rows int)
// The last rows (1..6·panels) of a column panel of a 1×1 convolution
// (conv1x1.go): the FMAs of sgemmIndirect18x16 over the panels holding them
// (the last one partial, A's zero padding past the output's rows), then
// only the first rows rows of C are written: acc + bias[i] (Bias: the first
// k-block) or C + acc (Acc), with acc + 0 for the last panel's, the sum
// gemmBlock forms for a partial tile (computed into a zeroed buffer, then
// added to C).
TEXT ·sgemmIndirectBias6x16Part(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R10
	MOVQ bias+32(FP), BX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	MOVQ rows+56(FP), AX
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	VPXORD Z19, Z19, Z19
partBias6:
	BROW_INDIRECT(Z18)
	FMA6(SI, Z18, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ $24, SI
	ADDQ $8, R10
	DECQ CX
	JNZ partBias6
	PART_BIAS6_LAST(0, partBias6done, Z0, Z1, Z2, Z3, Z4, Z5)
partBias6done:
	VZEROUPPER
	RET

// func sgemmIndirectBias12x16Part(kc int, a0, a1, b *float32, offs *int, bias, c *float32, ldc, rows int)
// sgemmIndirectBias6x16Part's bias form over 2 A panel(s).
TEXT ·sgemmIndirectBias12x16Part(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ offs+32(FP), R10
	MOVQ bias+40(FP), BX
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	MOVQ rows+64(FP), AX
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	VPXORD Z19, Z19, Z19
partBias12:
	BROW_INDIRECT(Z18)
	FMA12_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ partBias12
	PART_BIAS6(0, partBias12done, Z0, Z1, Z2, Z3, Z4, Z5)
	PART_BIAS6_LAST(24, partBias12done, Z6, Z7, Z8, Z9, Z10, Z11)
partBias12done:
	VZEROUPPER
	RET

// func sgemmIndirectBias18x16Part(kc int, a0, a1, a2, b *float32, offs *int, bias, c *float32, ldc, rows int)
// sgemmIndirectBias6x16Part's bias form over 3 A panel(s).
TEXT ·sgemmIndirectBias18x16Part(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ offs+40(FP), R10
	MOVQ bias+48(FP), BX
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), R8
	MOVQ rows+72(FP), AX
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
	VPXORD Z19, Z19, Z19
partBias18:
	BROW_INDIRECT(Z18)
	FMA18_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ partBias18
	PART_BIAS6(0, partBias18done, Z0, Z1, Z2, Z3, Z4, Z5)
	PART_BIAS6(24, partBias18done, Z6, Z7, Z8, Z9, Z10, Z11)
	PART_BIAS6_LAST(48, partBias18done, Z12, Z13, Z14, Z15, Z16, Z17)
partBias18done:
	VZEROUPPER
	RET

// func sgemmIndirectAcc6x16Part(kc int, a0, b *float32, offs *int, c *float32, ldc, rows int)
// sgemmIndirectBias6x16Part's acc form over 1 A panel(s).
TEXT ·sgemmIndirectAcc6x16Part(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R10
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	MOVQ rows+48(FP), AX
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	VPXORD Z19, Z19, Z19
partAcc6:
	BROW_INDIRECT(Z18)
	FMA6(SI, Z18, Z0, Z1, Z2, Z3, Z4, Z5)
	ADDQ $24, SI
	ADDQ $8, R10
	DECQ CX
	JNZ partAcc6
	PART_CADD6_LAST(partAcc6done, Z0, Z1, Z2, Z3, Z4, Z5)
partAcc6done:
	VZEROUPPER
	RET

// func sgemmIndirectAcc12x16Part(kc int, a0, a1, b *float32, offs *int, c *float32, ldc, rows int)
// sgemmIndirectBias6x16Part's acc form over 2 A panel(s).
TEXT ·sgemmIndirectAcc12x16Part(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ offs+32(FP), R10
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	MOVQ rows+56(FP), AX
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	VPXORD Z19, Z19, Z19
partAcc12:
	BROW_INDIRECT(Z18)
	FMA12_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ partAcc12
	PART_CADD6(partAcc12done, Z0, Z1, Z2, Z3, Z4, Z5)
	PART_CADD6_LAST(partAcc12done, Z6, Z7, Z8, Z9, Z10, Z11)
partAcc12done:
	VZEROUPPER
	RET

// func sgemmIndirectAcc18x16Part(kc int, a0, a1, a2, b *float32, offs *int, c *float32, ldc, rows int)
// sgemmIndirectBias6x16Part's acc form over 3 A panel(s).
TEXT ·sgemmIndirectAcc18x16Part(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ offs+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	MOVQ rows+64(FP), AX
	SHLQ $2, R8
	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
	VPXORD Z19, Z19, Z19
partAcc18:
	BROW_INDIRECT(Z18)
	FMA18_STEP(Z18)
	ADDQ $8, R10
	DECQ CX
	JNZ partAcc18
	PART_CADD6(partAcc18done, Z0, Z1, Z2, Z3, Z4, Z5)
	PART_CADD6(partAcc18done, Z6, Z7, Z8, Z9, Z10, Z11)
	PART_CADD6_LAST(partAcc18done, Z12, Z13, Z14, Z15, Z16, Z17)
partAcc18done:
	VZEROUPPER
	RET

// func sgemv1x64(kc int, a, b *float32, bstride int, c *float32)
// C[0..63] += (acc + 0) for one row of A (a packed 6-row A panel, row 0:
// a[6·kk]) times four packed 16-column B panels bstride floats apart
// (gemv.go): per element the FMAs of the 6-row kernels' row 0, then the
// sum gemmBlock forms for a partial tile (a zeroed buffer, added to C).
// Four panels at once keep four FMA chains in flight.
TEXT ·sgemv1x64(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ bstride+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DX
	LEAQ (DI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z5, Z5, Z5
gemv4:
	VBROADCASTSS (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS (R9), Z4, Z1
	VFMADD231PS (R10), Z4, Z2
	VFMADD231PS (R11), Z4, Z3
	ADDQ $24, SI
	ADDQ $64, DI
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JNZ gemv4
	VADDPS Z5, Z0, Z0
	VADDPS 0(DX), Z0, Z0
	VMOVUPS Z0, 0(DX)
	VADDPS Z5, Z1, Z1
	VADDPS 64(DX), Z1, Z1
	VMOVUPS Z1, 64(DX)
	VADDPS Z5, Z2, Z2
	VADDPS 128(DX), Z2, Z2
	VMOVUPS Z2, 128(DX)
	VADDPS Z5, Z3, Z3
	VADDPS 192(DX), Z3, Z3
	VMOVUPS Z3, 192(DX)
	VZEROUPPER
	RET

// func sgemv1x16(kc int, a, b *float32, bstride int, c *float32)
// sgemv1x64 for one column panel.
TEXT ·sgemv1x16(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ bstride+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
gemv1:
	VBROADCASTSS (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ gemv1
	VADDPS Z5, Z0, Z0
	VADDPS 0(DX), Z0, Z0
	VMOVUPS Z0, 0(DX)
	VZEROUPPER
	RET

// func sgemmCol48(kc int, a *float32, astride int, x *float32, xstride int, out *float32)
// One output column of eight A panels (48 rows) of a 1×1 convolution
// (conv1x1.go), the rows as vector lanes: acc_p += A_p[kk] (6 rows, masked
// to them) · x[kk·xstride], kk ascending, the FMAs of the 16-column kernels
// for that column; out[8p+i] = acc_p[i] + 0 (a partial tile's sum; lanes
// 6, 7 zero). A panels astride floats apart.
TEXT ·sgemmCol48(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ astride+16(FP), R8
	SHLQ $2, R8
	MOVQ x+24(FP), DI
	MOVQ xstride+32(FP), R11
	SHLQ $2, R11
	MOVQ out+40(FP), DX
	MOVL $0x3f, AX
	KMOVW AX, K1
	LEAQ (R8)(R8*2), R10
	LEAQ (SI)(R8*4), R9
	VPXORD Y0, Y0, Y0
	VPXORD Y1, Y1, Y1
	VPXORD Y2, Y2, Y2
	VPXORD Y3, Y3, Y3
	VPXORD Y4, Y4, Y4
	VPXORD Y5, Y5, Y5
	VPXORD Y6, Y6, Y6
	VPXORD Y7, Y7, Y7
	VPXORD Y17, Y17, Y17
col48:
	VBROADCASTSS (DI), Y16
	VFMADD231PS (SI), Y16, K1, Y0
	VFMADD231PS (SI)(R8*1), Y16, K1, Y1
	VFMADD231PS (SI)(R8*2), Y16, K1, Y2
	VFMADD231PS (SI)(R10*1), Y16, K1, Y3
	VFMADD231PS (R9), Y16, K1, Y4
	VFMADD231PS (R9)(R8*1), Y16, K1, Y5
	VFMADD231PS (R9)(R8*2), Y16, K1, Y6
	VFMADD231PS (R9)(R10*1), Y16, K1, Y7
	ADDQ $24, SI
	ADDQ $24, R9
	ADDQ R11, DI
	DECQ CX
	JNZ col48
	VADDPS Y17, Y0, Y0
	VMOVUPS Y0, 0(DX)
	VADDPS Y17, Y1, Y1
	VMOVUPS Y1, 32(DX)
	VADDPS Y17, Y2, Y2
	VMOVUPS Y2, 64(DX)
	VADDPS Y17, Y3, Y3
	VMOVUPS Y3, 96(DX)
	VADDPS Y17, Y4, Y4
	VMOVUPS Y4, 128(DX)
	VADDPS Y17, Y5, Y5
	VMOVUPS Y5, 160(DX)
	VADDPS Y17, Y6, Y6
	VMOVUPS Y6, 192(DX)
	VADDPS Y17, Y7, Y7
	VMOVUPS Y7, 224(DX)
	VZEROUPPER
	RET

// func sgemmCol6(kc int, a *float32, astride int, x *float32, xstride int, out *float32)
// sgemmCol48 for one A panel.
TEXT ·sgemmCol6(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ astride+16(FP), R8
	SHLQ $2, R8
	MOVQ x+24(FP), DI
	MOVQ xstride+32(FP), R11
	SHLQ $2, R11
	MOVQ out+40(FP), DX
	MOVL $0x3f, AX
	KMOVW AX, K1
	VPXORD Y0, Y0, Y0
	VPXORD Y17, Y17, Y17
col6:
	VBROADCASTSS (DI), Y16
	VFMADD231PS (SI), Y16, K1, Y0
	ADDQ $24, SI
	ADDQ R11, DI
	DECQ CX
	JNZ col6
	VADDPS Y17, Y0, Y0
	VMOVUPS Y0, 0(DX)
	VZEROUPPER
	RET
