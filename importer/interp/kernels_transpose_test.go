package interp

import (
	"math/rand/v2"
	"testing"
)

// TestTranspose16: the 16×16 block transpose (AVX-512 where available)
// against the definition dst[off[j]+i] = src[i·stride+j], with a source
// stride wider than the block and scattered, unordered destination rows;
// nothing outside the destination rows is written.
func TestTranspose16(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, stride := range []int{16, 23, 784} {
		src := make([]float32, 15*stride+16+5)
		for i := range src {
			src[i] = r.Float32()
		}
		dst := make([]float32, 16*40)
		var off [16]int
		for j, k := range r.Perm(40)[:16] {
			off[j] = k * 16
		}
		const sentinel = -7
		for i := range dst {
			dst[i] = sentinel
		}
		transpose16(src, stride, dst, &off)
		written := make([]bool, len(dst))
		for j, o := range off {
			for i := 0; i < 16; i++ {
				if got, want := dst[o+i], src[i*stride+j]; got != want {
					t.Fatalf("stride %d: dst[off[%d]+%d] = %v, want src[%d] = %v", stride, j, i, got, i*stride+j, want)
				}
				written[o+i] = true
			}
		}
		for i, w := range written {
			if !w && dst[i] != sentinel {
				t.Fatalf("stride %d: dst[%d] outside the block rows was written", stride, i)
			}
		}
	}
}
