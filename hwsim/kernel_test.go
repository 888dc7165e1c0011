package hwsim

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// The exact-column kernel (AVX-512 when the CPU has it) equals the
// definition Σ_t popcount(p_t & c)·2^s_t - popcount(ps & c)·2^sb.
func TestExactColsKernel(t *testing.T) {
	if !hasVPOPCNT {
		t.Log("no AVX-512 VPOPCNTDQ: checking the portable kernel only")
	}
	rng := rand.New(rand.NewPCG(31, 31))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 64, 129} {
		for _, np := range []int{0, 1, 3, 7} {
			cols := make([]uint64, n)
			for i := range cols {
				cols[i] = rng.Uint64() >> rng.IntN(64)
			}
			pl := make([]uint64, np)
			sh := make([]uint64, np)
			for i := range pl {
				pl[i] = rng.Uint64()
				sh[i] = uint64(rng.IntN(16))
			}
			ps := rng.Uint64() & -uint64(rng.IntN(2))
			sb := uint(rng.IntN(16))
			want := make([]int64, n)
			for i, c := range cols {
				for j, p := range pl {
					want[i] += int64(bits.OnesCount64(p&c)) << sh[j]
				}
				want[i] -= int64(bits.OnesCount64(ps&c)) << sb
			}
			got := make([]int64, n)
			exactCols(got, cols, pl, sh, ps, sb)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d planes=%d: kernel differs from the definition", n, np)
			}
			saved := hasVPOPCNT
			hasVPOPCNT = false
			clear(got)
			exactCols(got, cols, pl, sh, ps, sb)
			hasVPOPCNT = saved
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d planes=%d: portable kernel differs from the definition", n, np)
			}
		}
	}
}
