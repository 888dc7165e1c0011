package interp

// 1×1 convolution straight from the input planes.
//
// The im2col matrix of a 1×1, stride-1, unpadded convolution is the input
// itself: row k is channel k's plane of P values. When P is a whole number
// of gemmNR-column panels the indirect micro-kernel reads B row k at
// offset k·P of the input, and writes C straight into the output, so
// neither a packed copy of the input nor an output grid is made. The
// workers split the column panels; each fills its columns with the bias,
// runs the k-blocks over them and applies the epilogue while they are in
// cache.
//
// Each output element sees the same products in the same order (bias first,
// k-blocks of gemmKC ascending, k ascending within a block, the block's sum
// added to the running value) as with packB and gemmBlock, so the result is
// bit-identical to that path (TestConv1x1Direct).

// useConv1x1Direct selects this path where it applies; tests switch it off
// to compare with the packed GEMM.
var useConv1x1Direct = true

// conv1x1Applies reports whether conv1x1Image computes g: a pointwise
// convolution (1×1, stride 1, no padding; any dilation is moot) over a
// whole number of column panels, one group.
func conv1x1Applies(g *ConvGeometry) bool {
	return useConv1x1Direct && g.Groups == 1 && g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 &&
		g.PadT == 0 && g.PadL == 0 && g.PadB == 0 && g.PadR == 0 && g.P()%gemmNR == 0
}

// conv1x1Chunk is how many column panels a worker finishes at a time
// (bias, every k-block, epilogue): 64 columns of all output channels.
const conv1x1Chunk = 4

// conv1x1Image computes one image: out (pa.m×P) = W · x (K×P) (+ bias,
// pa.m values or nil), then ep, with up to workers goroutines.
func conv1x1Image(pa packedA, x, bias, out []float32, P, workers int, ep epilogue) {
	m, k := pa.m, pa.k
	offs := make([]int, k)
	for i := range offs {
		offs[i] = i * P
	}
	maxOff := (k - 1) * P
	x, out = x[:k*P], out[:m*P]
	full := m / gemmMR // row panels written in place; a partial last one goes through tmp
	nq := P / gemmNR
	chunks := (nq + conv1x1Chunk - 1) / conv1x1Chunk
	if m*P*k < 1<<16 {
		workers = 1
	}
	parallelFor(chunks, workers, func(ch0, ch1 int) {
		var tmp [gemmMR * gemmNR]float32
		for ch := ch0; ch < ch1; ch++ {
			q0, q1 := ch*conv1x1Chunk, min((ch+1)*conv1x1Chunk, nq)
			c0, c1 := q0*gemmNR, q1*gemmNR
			for r := 0; r < m; r++ {
				// A plain loop: rows of a few panels are too short for
				// fill's doubling copies to pay for their calls.
				row := out[r*P+c0 : r*P+c1]
				var v float32
				if bias != nil {
					v = bias[r]
				}
				for j := range row {
					row[j] = v
				}
			}
			for k0 := 0; k0 < k; k0 += gemmKC {
				kc := min(gemmKC, k-k0)
				off := offs[k0 : k0+kc]
				for q := q0; q < q1; q++ {
					b := x[q*gemmNR:]
					if full > 0 {
						indirectPanels(pa, k0, kc, full, b, off, maxOff, out[q*gemmNR:], P)
					}
					if r0 := full * gemmMR; r0 < m {
						ap := pa.data[full*gemmMR*k+k0*gemmMR : full*gemmMR*k+(k0+kc)*gemmMR]
						tmp = [gemmMR * gemmNR]float32{}
						microKernelIndirect(kc, ap, b, off, maxOff, tmp[:], gemmNR)
						for i := 0; i < m-r0; i++ {
							row := out[(r0+i)*P+q*gemmNR : (r0+i)*P+q*gemmNR+gemmNR]
							t := tmp[i*gemmNR : i*gemmNR+gemmNR]
							for j := range row {
								row[j] += t[j]
							}
						}
					}
				}
			}
			if ep != nil {
				ep.applyRows(out, P, 0, m, c0, c1)
			}
		}
	})
}
