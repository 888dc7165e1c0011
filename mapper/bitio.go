package mapper

import "encoding/binary"

// bitWriter appends a little-endian bit stream (first bit = bit 0 of the
// first byte) to a byte slice.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint // bits pending in acc (< 64)
}

// put appends the low n bits of v (n ≤ 64; v must have no higher bits).
func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.n // bits beyond 64 are carried below
	if w.n+n < 64 {
		w.n += n
		return
	}
	w.out = binary.LittleEndian.AppendUint64(w.out, w.acc)
	w.acc = v >> (64 - w.n) // a shift by 64 gives 0 in Go
	w.n = w.n + n - 64
}

// flush writes the pending bits, padded with zeros to a whole byte.
func (w *bitWriter) flush() []byte {
	for i := uint(0); i < w.n; i += 8 {
		w.out = append(w.out, byte(w.acc>>i))
	}
	w.acc, w.n = 0, 0
	return w.out
}

// bitReader reads a stream written by bitWriter. The caller checks that
// enough bits remain.
type bitReader struct {
	b   []byte
	pos uint64
}

// get returns the next n ≤ 32 bits.
func (r *bitReader) get(n uint) uint64 {
	i := r.pos / 8
	var x uint64
	if i+8 <= uint64(len(r.b)) {
		x = binary.LittleEndian.Uint64(r.b[i:])
	} else {
		var tmp [8]byte
		copy(tmp[:], r.b[i:])
		x = binary.LittleEndian.Uint64(tmp[:])
	}
	v := x >> (r.pos % 8) & (1<<n - 1)
	r.pos += uint64(n)
	return v
}
