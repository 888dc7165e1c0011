package interp

// A GEMM with one row of A (a batch-1 classifier: Gemm or MatMul of one
// image's features with the weight matrix) would run the 6-row
// micro-kernel on A's zero padding: five sixths of its FMAs discarded.
// gemv runs the one-row kernels instead (sgemv1x64: four column panels
// at once, so four FMA chains are in flight). The values are gemmBlock's:
// the FMAs of the 6-row kernels' row 0, k-blocks of gemmKC ascending, and
// each block's sum added to C as gemmBlock adds a partial tile (computed
// into a zeroed buffer, acc + 0, then added to C). TestGemvBits holds the
// two against each other bit for bit.

// useGemv selects the one-row kernels where they apply; tests switch it
// off to compare with the 6-row path.
var useGemv = true

// gemvApplies reports whether gemv computes an m-row GEMM.
func gemvApplies(m int) bool { return m == 1 && useGemv && gemvKernels() }

// gemv computes C (1×N) += A (1×K) · B with up to workers goroutines, each
// taking whole column panels; ep, when not nil, runs over each
// goroutine's columns once they are final.
func gemv(pa packedA, pb packedB, c []float32, workers int, ep epilogue) {
	n, k := pb.n, pa.k
	full, nq := n/gemmNR, (n+gemmNR-1)/gemmNR
	block := func(q0, q1 int) {
		for k0 := 0; k0 < k; k0 += gemmKC {
			kc := min(gemmKC, k-k0)
			a := pa.data[k0*gemmMR:]
			q := q0
			for ; q < min(q1, full); q++ {
				panels := 1
				if q+4 <= min(q1, full) {
					panels = 4
				}
				microKernelGemv(kc, a, pb.data[q*gemmNR*k+k0*gemmNR:], gemmNR*k, panels, c[q*gemmNR:])
				q += panels - 1
			}
			if q < q1 {
				// The partial last panel, through a zeroed tile.
				var tmp [gemmNR]float32
				microKernelGemv(kc, a, pb.data[q*gemmNR*k+k0*gemmNR:], gemmNR*k, 1, tmp[:])
				row := c[q*gemmNR : n]
				for j := range row {
					row[j] += tmp[j]
				}
			}
		}
		ep.apply(c[q0*gemmNR : min(q1*gemmNR, n)])
	}
	if workers <= 1 || n*k < 1<<16 {
		block(0, nq)
		return
	}
	parallelFor(nq, workers, block)
}
