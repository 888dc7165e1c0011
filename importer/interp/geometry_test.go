package interp

import (
	"math/rand/v2"
	"testing"
)

// Im2colRows is Im2col transposed, for random geometries including kernels
// that reach past small inputs on both sides.
func TestIm2colRowsIsTransposeOfIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for trial := 0; trial < 300; trial++ {
		p := ConvParams{KernelH: 1 + r.IntN(5), KernelW: 1 + r.IntN(5), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			DilationH: 1 + r.IntN(2), DilationW: 1 + r.IntN(2),
			Pads: [4]int{r.IntN(5), r.IntN(5), r.IntN(5), r.IntN(5)}}
		c, h, w := 1+r.IntN(3), 1+r.IntN(6), 1+r.IntN(6)
		g, err := NewConvGeometry(c, h, w, 1, p)
		if err != nil {
			continue // window larger than the padded input
		}
		src := make([]int32, c*h*w)
		for i := range src {
			src[i] = int32(i + 1)
		}
		k, n := g.K(), g.P()
		kp := make([]int32, k*n)
		pk := make([]int32, k*n)
		Im2col(&g, src, kp, -1)
		Im2colRows(&g, src, pk, -1)
		for i := 0; i < k; i++ {
			for j := 0; j < n; j++ {
				if kp[i*n+j] != pk[j*k+i] {
					t.Fatalf("trial %d %+v: Im2col[%d,%d] = %d, Im2colRows[%d,%d] = %d", trial, g, i, j, kp[i*n+j], j, i, pk[j*k+i])
				}
			}
		}
	}
}
