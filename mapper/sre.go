package mapper

import "math/bits"

// sre is SRE-style row compression (Yang et al., "Sparse ReRAM Engine",
// ISCA 2019): the N·B logical columns, in dense order, are cut into OU
// column groups of OUCols; inside each group the rows that are zero in all
// of the group's columns are removed over the whole K, and the remaining
// rows are packed OURows per OU. The OU's RowIdx entries are the input index
// that routes each kept row's input to its wordline. Columns are never
// dropped or merged.
//
// Placement: column group c lies in column tile c / ousPerTile; its j-th OU
// in row tile j / stripsPerTile.
type sre struct{}

func init() { register(sre{}) }

func (sre) Name() string { return "sre" }

func (sre) MapGroup(in *GroupInput) (*GroupMap, error) {
	geo := in.Geo
	h, w := geo.OURows, geo.OUCols
	ncol := in.N * in.Bits
	ngrp := (ncol + w - 1) / w
	// rows[c] lists, in increasing order, the rows that are nonzero in group c
	rows := make([][]int32, ngrp)
	seen := make([]int32, ngrp) // last row + 1 that marked the group
	mask := uint32(1)<<in.Bits - 1
	for k := 0; k < in.K; k++ {
		row := in.W[k*in.N : (k+1)*in.N]
		for n, v := range row {
			u := uint32(v) & mask
			for u != 0 {
				i := bits.TrailingZeros32(u)
				u &= u - 1
				c := (n*in.Bits + i) / w
				if seen[c] != int32(k+1) {
					seen[c] = int32(k + 1)
					rows[c] = append(rows[c], int32(k))
				}
			}
		}
	}
	est := 0
	for _, r := range rows {
		est += (len(r) + h - 1) / h * w
	}
	b := newBuilder(geo, est, est/w*h+1)
	spt, opt := int32(geo.stripsPerTile()), int32(geo.ousPerTile())
	pat := make([]uint64, b.words)
	for c := 0; c < ngrp; c++ {
		c0, c1 := c*w, min(c*w+w, ncol)
		for j, lo := int32(0), 0; lo < len(rows[c]); j, lo = j+1, lo+h {
			rs := rows[c][lo:min(lo+h, len(rows[c]))]
			rowStart := int32(len(b.g.RowIdx))
			b.g.RowIdx = append(b.g.RowIdx, rs...)
			colStart := b.ncols()
			for lc := c0; lc < c1; lc++ {
				n, i := lc/in.Bits, uint(lc%in.Bits)
				clear(pat)
				for jj, r := range rs {
					pat[jj/64] |= uint64(uint32(in.W[int(r)*in.N+n])>>i&1) << (jj % 64)
				}
				b.addColumn(pat, ownerOf(lc, in.Bits))
			}
			b.addOU(OU{RowStart: rowStart, RowCount: int32(len(rs)), ColStart: colStart, ColCount: int32(c1 - c0), SumCol: -1},
				j/spt, int32(c)/opt)
		}
	}
	return b.finish(), nil
}

// IndexBits: the input index, ceil(log2 K) bits per wordline entry of every
// OU.
func (sre) IndexBits(g *GroupMap, d Dims) int64 {
	var rows int64
	for _, ou := range g.OUs {
		rows += int64(ou.RowCount)
	}
	return rows * bitsFor(d.K)
}
