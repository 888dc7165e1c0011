package mapper

// Digit is one digit column of a B-bit two's complement weight stored on
// cells of CellBits bits: the Width bits of the weight starting at bit
// Shift, stored as one cell level in 0..2^Width−1, weighted by 2^Shift and
// subtracted when Neg (the sign bit). doc.go ("Digit columns") gives the
// split.
type Digit struct {
	Shift, Width uint8
	Neg          bool
}

// Digits returns the digit columns of a bits-bit weight on cellBits-bit
// cells (cellBits ≤ 0 counts as 1), least significant first: the bits−1
// magnitude bits cut into cellBits-bit digits from bit 0 (the last one
// narrower when cellBits does not divide bits−1), then the sign bit alone.
// With 1-bit cells digit i is bit i.
func Digits(bits, cellBits int) []Digit {
	cellBits = max(cellBits, 1)
	d := make([]Digit, 0, DigitCount(bits, cellBits))
	for s := 0; s < bits-1; s += cellBits {
		d = append(d, Digit{Shift: uint8(s), Width: uint8(min(cellBits, bits-1-s))})
	}
	return append(d, Digit{Shift: uint8(bits - 1), Width: 1, Neg: true})
}

// DigitCount is the number of digit columns per weight: ceil((bits−1) /
// cellBits) + 1 (bits with 1-bit cells).
func DigitCount(bits, cellBits int) int {
	cellBits = max(cellBits, 1)
	return (bits-1+cellBits-1)/cellBits + 1
}

// IsDigitShift reports whether shift is the Shift of one of the digits of a
// bits-bit weight on cellBits-bit cells (the valid Owner.Bit values).
func IsDigitShift(shift, bits, cellBits int) bool {
	cellBits = max(cellBits, 1)
	return shift == bits-1 || (shift >= 0 && shift < bits-1 && shift%cellBits == 0)
}

// DigitIndex is the position of the digit with the given shift in
// Digits(bits, cellBits), or −1 when shift is not a digit shift.
func DigitIndex(shift, bits, cellBits int) int {
	cellBits = max(cellBits, 1)
	switch {
	case !IsDigitShift(shift, bits, cellBits):
		return -1
	case shift == bits-1:
		return DigitCount(bits, cellBits) - 1
	}
	return shift / cellBits
}

// level is the cell level digit d of weight v stores.
func (d Digit) level(v int32) uint32 {
	return uint32(v) >> d.Shift & (1<<d.Width - 1)
}

// digits is the number of digit columns per output of the group.
func (d Dims) digits() int { return DigitCount(d.Bits, d.CellBits) }

// stripDigits is stripPatterns for 2-bit cells: pat holds, per logical
// digit column c = n·D+j (D = len(dig)), a low bit plane of rw words then a
// high bit plane of rw words; bit r of the planes is the level of digit j of
// weight W[rows[r]][n].
func stripDigits(w []int32, n int, dig []Digit, rows []int32, rw int, pat []uint64) {
	nd := len(dig)
	words := 2 * rw
	clear(pat[:n*nd*words])
	for j, r := range rows {
		row := w[int(r)*n : int(r)*n+n]
		word, bit := j/64, uint64(1)<<(j%64)
		for nn, v := range row {
			if v == 0 {
				continue
			}
			base := nn*nd*words + word
			for di, d := range dig {
				l := d.level(v)
				if l&1 != 0 {
					pat[base+di*words] |= bit
				}
				if l&2 != 0 {
					pat[base+di*words+rw] |= bit
				}
			}
		}
	}
}
