package interp

import "fmt"

// broadcastStrides returns strides for reading a tensor of shape in as if it
// had shape out (which must be a broadcast of in): broadcast dims get 0.
func broadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	off := len(out) - len(in)
	acc := 1
	for i := len(in) - 1; i >= 0; i-- {
		if in[i] != 1 {
			st[off+i] = acc
		}
		acc *= in[i]
	}
	return st
}

// normAxis maps a possibly negative axis into [0, rank) or reports an error.
func normAxis(axis int64, rank int) (int, error) {
	a := axis
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(a), nil
}
