//go:build !amd64

package quant

type vnniPacked struct{ colsum []int32 }

func packVNNI(w []int32, k, n int) *vnniPacked { return nil }

func (p *vnniPacked) mul(x []int32, m int, out []int32) bool { return false }

func (p *vnniPacked) mulOffset(x []int32, m int, out []int32, off int32) {}

func (p *vnniPacked) lda() int                              { return 0 }
func (p *vnniPacked) ldc() int                              { return 0 }
func (p *vnniPacked) gemmBytes(a []byte, mp int, c []int32) {}
