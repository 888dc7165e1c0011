//go:build !amd64

package quant

type vnniPacked struct{}

func packVNNI(w []int32, k, n int) *vnniPacked { return nil }

func (p *vnniPacked) mul(x []int32, m int, out []int32) bool { return false }
