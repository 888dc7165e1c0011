package mapper

import (
	"math/rand/v2"
	"testing"
)

// TestBitIO writes random fields of random widths and checks the stream bit
// by bit against a naive writer, then reads them back.
func TestBitIO(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 200; trial++ {
		var w bitWriter
		var naive []byte
		pos := 0
		type field struct {
			v uint64
			n uint
		}
		var fields []field
		for i := 0; i < r.IntN(50); i++ {
			n := uint(1 + r.IntN(64))
			v := r.Uint64() & (1<<n - 1)
			if n == 64 {
				v = r.Uint64()
			}
			fields = append(fields, field{v, n})
			w.put(v, n)
			for j := uint(0); j < n; j++ {
				if pos%8 == 0 {
					naive = append(naive, 0)
				}
				naive[pos/8] |= byte(v>>j&1) << (pos % 8)
				pos++
			}
		}
		got := w.flush()
		if string(got) != string(naive) {
			t.Fatalf("trial %d: stream %x, want %x", trial, got, naive)
		}
		br := bitReader{b: got}
		for _, f := range fields {
			var v uint64
			for j := uint(0); j < f.n; j += 32 {
				k := min(f.n-j, 32)
				v |= br.get(k) << j
			}
			if v != f.v {
				t.Fatalf("trial %d: read %x, want %x (%d bits)", trial, v, f.v, f.n)
			}
		}
	}
}
