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
// # Digit columns (2-bit cells)
//
// With Geometry.CellBits = 2 a cell holds a level l in 0..3 and a column's
// ADC result is Σ_rows x·l. A weight is cut into D = ceil((B−1)/2) + 1
// digit columns (Digits): the B−1 magnitude bits are paired from bit 0,
// digit j holding bits (2j, 2j+1) as level b_{2j} + 2·b_{2j+1} with shift
// 2j; when B−1 is odd the last magnitude bit b_{B−2} is a digit of its own
// (level 0..1, shift B−2); the sign bit b_{B−1} is always a digit of its own
// (level 0..1, shift B−1, subtracted), because a cell level cannot carry a
// negative weight next to a positive one. So
//
//	w = Σ_{j<D−1} level_j·2^{shift_j} − b_{B−1}·2^{B−1}
//
// For B = 8: digits b0b1, b2b3, b4b5 (levels 0..3, shifts 0, 2, 4), b6
// (shift 6) and the sign b7: 5 columns per output instead of 8. B = 7: b0b1,
// b2b3, b4b5, sign b6: 4 instead of 7. B = 2: b0, sign b1: 2 (no saving).
// Logical column (n, j), index n·D+j, holds digit j of output n; an owner
// entry is (n, shift_j, sign) with Owner.Bit = shift_j, so the periphery is
// unchanged: shift the ADC result by Owner.Bit, add or subtract. Everything
// below that speaks of the N·B bit columns means the N·D digit columns with
// 2-bit cells; 1-bit cells are the case D = B, digit i = bit i.
//
// Storage: a physical column is two bit planes, GroupMap.Words =
// 2·ceil(h/64): the low bits of its levels first, then the high bits.
// Similarity is judged on digit columns: two digit columns merge only when
// their h levels are equal (4^h patterns instead of 2^h, so fewer coincide
// than with bit columns, while each column stores two bits).
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
// A Scheme maps one group. Each lives in one file that registers it in init
// with everything other packages read from it: name, one-line summary,
// whether it is a baseline (Baselines), whether it takes the max-share
// limit (UsesMaxShare), its own options (Canonical: rowreorder's window),
// its rank in listings (Schemes: the sweep's default order) and its index
// model (Index). hwsim, the sweep and the CLI take every list and formula
// from there; there is no list of scheme names anywhere else, so a new
// scheme is one new file. Every scheme supports 2-bit cells (on digit
// columns):
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
//     logical columns. With 2-bit cells NOT is taken on both bits of every
//     cell, level 3 − l; the sum column stores level 3 on every wordline
//     and gives 3·Σx, so a complement owner contributes 3·Σx − x·c =
//     x·(3 − c) (the canonical form of a pattern has row 0's high bit
//     clear).
//   - rowreorder: colsim after a permutation of the K rows that puts rows
//     with similar bit patterns into the same strip (greedy clustering,
//     rowreorder.go). RowIdx absorbs the permutation. The permuted layout is
//     kept only when it needs fewer OU activations than the identity order,
//     so it never does worse than colsim.
//   - sre-colsim: SRE's row compression and colsim's merging combined per
//     column band (srecolsim.go). Bands are aligned runs of 2^L OU column
//     groups (the nodes of a binary tree over sre's groups); a band is
//     mapped plain (colsim's strips of consecutive rows, over the band's
//     columns) or compressed (the rows zero in all the band's columns
//     removed over the whole K, the rest, ascending or ordered by their
//     nonzero-column mask over the band, cut into strips, colsim merging
//     inside each); a bottom-up pass keeps per node the cheapest of plain,
//     compressed and its two halves. One group compressed is sre, the whole
//     width plain is colsim, so it never needs more OU activations than
//     either (same MaxShare).
//
// # Index tables (Scheme.Index, Stats.IndexBits)
//
// What the periphery must store beyond the cells, with lg(x) = ceil(log2 x)
// (with 2-bit cells B reads D: lg(N·D), lg(D) for the digit position). Each
// OU activation reads the entries of its OU (Index.Reads: the owner entries
// of its columns, the input entries of its wordlines), a whole-group input
// permutation is read once per input vector, and the storage holds every
// entry once. A test checks every registered scheme's model against what
// its layouts need, counted from the GroupMap alone.
//
//   - dense: 0 (a column's position is its (n, i)).
//   - zerocol: lg(N·B) bits per physical column (which (n, i) it is).
//   - sre: lg(K) bits per wordline entry of every OU (the input index).
//   - colsim: lg(N) + lg(B) + 1 sign + 1 "last owner of this column" bit per
//     owner entry (the last bit delimits consecutive columns' entries).
//   - colsim-comp: colsim's entry + 1 complement bit.
//   - rowreorder: colsim's entries + K·lg(K) bits for the input permutation
//     when the kept layout is permuted.
//   - sre-colsim: colsim's entries, plus lg(K) bits per wordline entry of
//     every OU whose rows are not an ascending run (compressed bands), as
//     in sre.
//
// # Statistics
//
// Stats are per layer and total: crossbars; physical columns; cells used
// (Σ over physical columns of their OU's wordlines; a 2-bit cell counts
// once); OU activations per
// input bit of one input vector (the number of OUs: every OU fires once per
// input bit); owner entries and merged entries (owners beyond the first of
// a column) with MergedShare = merged/owners; bit sparsity (zero bits of the
// K×N·B bit matrix, whatever the cells); index bits; and the dense figures
// of the same layer and geometry (K·N·D cells with 2-bit cells), and a
// lower bound on the OU activations of any layout (bound.go: the packing
// problem every scheme solves, its row and column relaxations, exact for
// tiny groups), giving
// CompressionRatio = dense cells / cells and ActivationRatio = dense OU
// activations / OU activations.
//
// Reconstruct rebuilds every weight matrix from the layout alone (each cell
// of level l adds ±l·2^Bit to W[RowIdx[row]][Out], a Complement owner
// ±(2^CellBits−1−l)·2^Bit; with 1-bit cells: each set cell, or clear cell
// for a Complement owner, adds ±2^Bit); the tests require it to be exact
// for every scheme and both cell widths.
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
//	        stored, it is Bit == B−1; with 2-bit cells Bit is a digit shift)
//	      cell bytes uvarint = ceil(cells·cell bits/8); then the cells: for
//	        every OU in order, every column of it, every bit plane (low
//	        first; one plane for 1-bit cells), its first RowCount bits as a
//	        bit stream (bit 0 of byte 0 first)
//	checksum  uint32 CRC-32C (Castagnoli) of every preceding byte
//
// 2-bit cells did not change the version: the layout is a function of the
// geometry's cell bits field, which version 2 always carried, so 1-bit
// files are byte for byte what they were, and a build without 2-bit cells
// refuses a 2-bit file with a clear error ("2 bits per cell: only 1-bit
// cells are implemented", wrapping ErrCorruptFile) instead of misreading
// it.
//
// Decode checks magic, version, length and checksum first, then every count
// against the bytes left before allocating, then the whole layout against
// the decoded network (Mapping.check), so a truncated, corrupted or foreign
// file gives an error wrapping ErrCorruptFile, never a panic. WriteFile
// writes a temporary file in the target directory and renames it.
package mapper
