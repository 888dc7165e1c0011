// Package mapper lays the bit-sliced weights of a quantized network onto
// RRAM crossbars and Operation Units (OUs), with the bit-level
// column-similarity method of Yang et al. (arXiv 2511.14202) and the
// baselines it is judged against. The result, a Mapping, is the physical
// layout the simulator (hwsim) executes and the per-layer statistics the
// report compares; it round-trips through a versioned binary file.
//
// # Lowering and bit-slicing
//
// quant lowers every Conv/Gemm/MatMul to one K×N integer matrix per group
// (quant.Linear.Weights[g], row-major). A B-bit two's complement weight w has
// value −w_{B−1}·2^{B−1} + Σ_{i<B−1} w_i·2^i, so the group becomes a K × N·B
// bit matrix whose logical column (n, i), index n·B+i, holds bit i of output
// n, one bit per cell. The periphery adds the ADC result of a column,
// shifted left by i, into output n, and subtracts it for the sign bit
// i = B−1 (Owner.Negate).
//
// # Geometry, strips and crossbars
//
// A crossbar has R×C cells, an OU is the h×w block activated at once
// (Geometry; defaults 128×128 and 9×8). h ≤ R and w ≤ C are required; K and
// N need not be multiples of anything.
//
// Rows: the K rows are cut into strips of h consecutive rows (the last one
// may be shorter). A crossbar row tile holds floor(R/h) strips, i.e.
// floor(R/h)·h rows, so that no strip straddles two crossbars; the
// R mod h remaining wordlines of every crossbar stay unused (2 of 128 for
// h = 9). Strip s lies in row tile s / floor(R/h).
//
// Columns: each strip's physical columns (which ones depends on the scheme)
// are packed densely in order, w per OU: OU j of a strip holds columns
// j·w..j·w+w−1 and lies in column tile j / floor(C/w) (a column tile is
// floor(C/w)·w bitlines; the rest of a crossbar's bitlines stay unused when
// w does not divide C). Different strips of a row tile use the same bitlines
// on different wordlines, which is what an OU activation allows: only the
// strip's h wordlines are driven.
//
// Crossbar index: every OU has a (row tile, column tile) pair; the occupied
// pairs of a group, numbered in row-major order, are its crossbars
// (OU.Crossbar, GroupMap.Crossbars). OUs of different crossbars can fire in
// the same cycle; OUs of one crossbar fire one after the other. For dense
// mappings this is the usual ceil(K/(floor(R/h)·h)) × ceil(ceil(N·B/w)/
// floor(C/w)) grid. Compressed strips occupy fewer column tiles.
//
// # Schemes
//
// A Scheme maps one group; each lives in its own file:
//
//   - dense: every bit-column of every strip, zeros included.
//   - zerocol: bit-columns that are all zero within the strip are dropped.
//   - sre: SRE-style row compression (ISCA 2019). The N·B logical columns, in
//     order, form OU column groups of w; inside each group the rows that are
//     zero in all w columns are removed (over the whole K), and the rest are
//     packed h per OU. OU RowIdx is the input index. Columns are kept.
//   - colsim: the paper's method. Inside a strip, columns with the same h-bit
//     pattern form a group (open-addressing hash of the pattern); the
//     all-zero group is dropped; every other group keeps one physical column
//     per MaxShare owners (2 = the paper's pairs, 0 = unlimited), owners in
//     logical column order; each owner is an index entry (n, i, sign). Kept
//     columns are packed densely, w per OU, in order of first occurrence.
//     A strip costs ceil(kept/w) OU activations per input bit instead of
//     ceil(N·B/w).
//   - colsim-comp: colsim where a column equal to the bitwise NOT of a kept
//     column c (over the strip's rows) is served by c (Owner.Complement):
//     x·NOT(c) = Σx − x·c. Σx comes from one all-ones physical column per
//     strip (OU.SumCol), placed first in the strip, counted as a physical
//     column (cells, ADC conversions), and also owning the strip's all-ones
//     logical columns.
//   - rowreorder: colsim after a permutation of the K rows that puts rows
//     with similar bit patterns into the same strip (greedy clustering,
//     rowreorder.go). RowIdx absorbs the permutation. The permuted layout is
//     kept only when it needs fewer OU activations than the identity order,
//     so it never does worse than colsim.
//
// # Index tables (Stats.IndexBits)
//
// What the periphery must store beyond the cells, with lg(x) = ceil(log2 x):
//
//   - dense: 0 (a column's position is its (n, i)).
//   - zerocol: lg(N·B) bits per physical column (which (n, i) it is).
//   - sre: lg(K) bits per wordline entry of every OU (the input index).
//   - colsim: lg(N) + lg(B) + 1 sign + 1 "last owner of this column" bit per
//     owner entry (the last bit delimits consecutive columns' entries).
//   - colsim-comp: colsim's entry + 1 complement bit.
//   - rowreorder: colsim's entries + K·lg(K) bits for the input permutation
//     when the kept layout is permuted.
//
// # Statistics
//
// Stats are per layer and total: crossbars; physical columns; cells used
// (Σ over physical columns of their OU's wordlines); OU activations per
// input bit of one input vector (the number of OUs: every OU fires once per
// input bit); owner entries and merged entries (owners beyond the first of
// a column) with MergedShare = merged/owners; bit sparsity (zero bits of the
// K×N·B bit matrix); index bits; and the dense figures of the same layer and
// geometry, giving CompressionRatio = dense cells / cells and
// ActivationRatio = dense OU activations / OU activations.
//
// Reconstruct rebuilds every weight matrix from the layout alone (each set
// cell, or clear cell for a Complement owner, adds ±2^Bit to
// W[RowIdx[row]][Out]); the tests require it to be exact for every scheme.
//
// # Mapping file (version 2)
//
// Little-endian. "uvarint" is encoding/binary's unsigned LEB128 varint,
// "varint" its zigzag signed form, zigzag(v) = (v<<1) ^ (v>>63), "string"
// a uvarint length then bytes.
//
//	magic     8 bytes "RRAMCMAP"
//	version   uint32 (2; version 1, an earlier draft, is rejected)
//	bodylen   uint64: bytes between this field and the checksum
//	body:
//	  scheme string; max share uvarint; window uvarint
//	  geometry: xbar rows, xbar cols, OU rows, OU cols, cell bits (uvarints)
//	  network: uint64 length, then quant's (*Network).MarshalBinary blob
//	  layers uvarint (= len(Net.Linears)); per layer:
//	    name string; groups uvarint; per group:
//	      crossbars, words (uvarints)
//	      OUs uvarint; per OU, relative to the previous OU (p; zeros before
//	        the first), uvarints: zigzag(crossbar − p.crossbar),
//	        zigzag(row start − p.row start), row count,
//	        zigzag(col start − p.col start − p.col count), col count,
//	        sum column: 0 = none, else 1 + zigzag(sum column − col start)
//	      row index entries uvarint; each varint(r − previous r − 1)
//	        (previous starts at −1, so contiguous runs are zero bytes)
//	      columns uvarint; owner counts per column, run-length coded:
//	        runs uvarint, then per run (owner count, run length) uvarints
//	      owners: uvarint(zigzag(Out − previous Out)<<5 | Complement<<4 |
//	        Bit) each (previous Out starts at 0 per group; Negate is not
//	        stored, it is Bit == B−1)
//	      cell bytes uvarint = ceil(cells/8); then the cells: for every OU in
//	        order, every column of it, its first RowCount cells as a bit
//	        stream (bit 0 of byte 0 first)
//	checksum  uint32 CRC-32C (Castagnoli) of every preceding byte
//
// Decode checks magic, version, length and checksum first, then every count
// against the bytes left before allocating, then the whole layout against
// the decoded network (Mapping.check), so a truncated, corrupted or foreign
// file gives an error wrapping ErrCorruptFile, never a panic. WriteFile
// writes a temporary file in the target directory and renames it.
package mapper
