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
//
// With 2-bit cells the logical columns are the N·D digit columns (sreDigits)
// and a row is zero in a group when all its digits there are level 0.
type sre struct{ about }

func init() {
	register(sre{about{name: "sre", baseline: true, order: 30,
		summary: "SRE row compression: per OU column group, rows zero in all its columns are removed over the whole K"}})
}

func (sre) MapGroup(in *GroupInput) (*GroupMap, error) {
	if in.Geo.CellBits != 1 {
		return sreDigits(in), nil
	}
	dig := in.digits()
	geo := in.Geo
	h, w := geo.OURows, geo.OUCols
	ncol := in.N * in.Bits
	ngrp := (ncol + w - 1) / w
	// rows[c] lists, in increasing order, the rows that are nonzero in group c
	rows := make([][]int32, ngrp)
	if ngrp*in.K <= 1<<26 {
		// one backing array, K rows per group at most: no regrowth
		flat := make([]int32, ngrp*in.K)
		for c := range rows {
			rows[c] = flat[c*in.K : c*in.K : (c+1)*in.K]
		}
	}
	seen := make([]int32, ngrp) // last row + 1 that marked the group
	mask := uint32(1)<<in.Bits - 1
	// first and last column group touched by each output's B columns
	gfirst, glast := make([]int32, in.N), make([]int32, in.N)
	for n := range gfirst {
		gfirst[n], glast[n] = int32(n*in.Bits/w), int32((n*in.Bits+in.Bits-1)/w)
	}
	for k := 0; k < in.K; k++ {
		row := in.W[k*in.N : (k+1)*in.N]
		for n, v := range row {
			u := uint32(v) & mask
			if u == 0 {
				continue
			}
			c := gfirst[n]
			if c != glast[n] { // the output straddles two or more groups
				for u != 0 {
					i := bits.TrailingZeros32(u)
					u &= u - 1
					c := int32((n*in.Bits + i) / w)
					if seen[c] != int32(k+1) {
						seen[c] = int32(k + 1)
						rows[c] = append(rows[c], int32(k))
					}
				}
				continue
			}
			if seen[c] != int32(k+1) {
				seen[c] = int32(k + 1)
				rows[c] = append(rows[c], int32(k))
			}
		}
	}
	b := sreBuilder(geo, rows, ncol)
	spt, opt := int32(geo.stripsPerTile()), int32(geo.ousPerTile())
	for c := 0; c < ngrp; c++ {
		c0, c1 := c*w, min(c*w+w, ncol)
		for j, lo := int32(0), 0; lo < len(rows[c]); j, lo = j+1, lo+h {
			rs := rows[c][lo:min(lo+h, len(rows[c]))]
			rowStart := int32(len(b.g.RowIdx))
			b.g.RowIdx = append(b.g.RowIdx, rs...)
			colStart := b.ncols()
			// the OU's columns, built row by row: cell (j, lc) is bit i of
			// W[rs[j]][n] for lc = n·B+i
			base := len(b.g.ColBits)
			b.g.ColBits = append(b.g.ColBits, make([]uint64, (c1-c0)*b.words)...)
			cols := b.g.ColBits[base:]
			n0, i0 := c0/in.Bits, c0%in.Bits
			for jj, r := range rs {
				row := in.W[int(r)*in.N : int(r+1)*in.N]
				word, bit := jj/64, uint64(1)<<(jj%64)
				n, i := n0, i0
				v := uint32(row[n]) >> i
				for x := word; x < len(cols); x += b.words {
					if v&1 != 0 {
						cols[x] |= bit
					}
					if i++; i == in.Bits {
						n, i = n+1, 0
						if n < in.N {
							v = uint32(row[n])
						}
					} else {
						v >>= 1
					}
				}
			}
			for lc := c0; lc < c1; lc++ {
				b.g.Owners = append(b.g.Owners, ownerOf(lc, dig))
				b.g.OwnerStart = append(b.g.OwnerStart, int32(len(b.g.Owners)))
			}
			b.addOU(OU{RowStart: rowStart, RowCount: int32(len(rs)), ColStart: colStart, ColCount: int32(c1 - c0), SumCol: -1},
				j/spt, int32(c)/opt)
		}
	}
	return b.finish(), nil
}

// Index: the input index, ceil(log2 K) bits per wordline entry of every OU,
// read by every activation of the OU; the columns are in dense position.
func (sre) Index(g *GroupMap, d Dims) Index {
	return perOUIndex(g, d, 0, 0, func(ou OU, _ int64) IndexReads {
		return IndexReads{Inputs: int64(ou.RowCount)}
	})
}

// sreDigits is sre over the N·D digit columns of 2-bit cells (any cell
// width): the same column groups, row removal and packing, with cell levels
// stored as bit planes.
func sreDigits(in *GroupInput) *GroupMap {
	geo := in.Geo
	h, w := geo.OURows, geo.OUCols
	dig := in.digits()
	nd := len(dig)
	ncol := in.N * nd
	ngrp := (ncol + w - 1) / w
	rows := make([][]int32, ngrp)
	seen := make([]int32, ngrp) // last row + 1 that marked the group
	for k := 0; k < in.K; k++ {
		for n, v := range in.W[k*in.N : (k+1)*in.N] {
			if v == 0 {
				continue
			}
			for j, d := range dig {
				if d.level(v) == 0 {
					continue
				}
				if c := (n*nd + j) / w; seen[c] != int32(k+1) {
					seen[c] = int32(k + 1)
					rows[c] = append(rows[c], int32(k))
				}
			}
		}
	}
	b := sreBuilder(geo, rows, ncol)
	spt, opt := int32(geo.stripsPerTile()), int32(geo.ousPerTile())
	rw := geo.rowWords()
	pat := make([]uint64, b.words)
	for c := 0; c < ngrp; c++ {
		c0, c1 := c*w, min(c*w+w, ncol)
		for j, lo := int32(0), 0; lo < len(rows[c]); j, lo = j+1, lo+h {
			rs := rows[c][lo:min(lo+h, len(rows[c]))]
			rowStart := int32(len(b.g.RowIdx))
			b.g.RowIdx = append(b.g.RowIdx, rs...)
			colStart := b.ncols()
			for lc := c0; lc < c1; lc++ {
				n, d := lc/nd, dig[lc%nd]
				clear(pat)
				for jj, r := range rs {
					l := d.level(in.W[int(r)*in.N+n])
					for p := 0; l != 0; p, l = p+1, l>>1 {
						if l&1 != 0 {
							pat[p*rw+jj/64] |= 1 << (jj % 64)
						}
					}
				}
				b.addColumn1(pat, ownerOf(lc, dig))
			}
			b.addOU(OU{RowStart: rowStart, RowCount: int32(len(rs)), ColStart: colStart, ColCount: int32(c1 - c0), SumCol: -1},
				j/spt, int32(c)/opt)
		}
	}
	return b.finish()
}

// sreBuilder returns a builder sized exactly for the OUs of rows (the kept
// rows of each column group of w of the ncol columns): every OU of group c
// has up to h of its rows and the group's width in columns.
func sreBuilder(geo Geometry, rows [][]int32, ncol int) *builder {
	h, w := geo.OURows, geo.OUCols
	var nou, ncols, nrows int
	for c, r := range rows {
		k := (len(r) + h - 1) / h
		nou += k
		ncols += k * (min(c*w+w, ncol) - c*w)
		nrows += len(r)
	}
	b := newBuilder(geo, ncols, nrows)
	b.g.OUs = make([]OU, 0, nou)
	b.rt, b.ct = make([]int32, 0, nou), make([]int32, 0, nou)
	return b
}
