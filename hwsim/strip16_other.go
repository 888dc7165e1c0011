//go:build !amd64

package hwsim

var hasStrip16 = false

func strip16Cols(lo *uint16, hi *uint16, n int, pats *uint16, shifts *uint64, np int, neg int, keep uint64, top uint64, out *int32) int {
	panic("hwsim: strip16Cols without AVX-512")
}
