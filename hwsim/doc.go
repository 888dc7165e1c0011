// Package hwsim executes a mapped quantized network the way an RRAM
// compute-in-memory accelerator would, checks it against the integer golden
// model, and counts what it costs: cycles, latency, energy and area per layer
// and in total, for every mapping scheme.
//
// # Hardware
//
// HW is the hardware description (JSON, every field with its unit; see
// HARDWARE.md for each field and the source of its default). Defaults()
// gives 128×128 crossbars of 1-bit cells, 9×8 OUs, 1-bit DACs, 8-bit
// saturating ADCs and ISAAC/PUMA energies and areas. cell_bits = 2 selects
// 2-bit cells (levels 0..3); the mapping must then be made for 2-bit cells
// (mapper digit columns: a B-bit weight in ceil((B−1)/2)+1 columns). LoadHW reads a file over
// the defaults with strict decoding (unknown fields, trailing data, negative
// or absurd values are errors naming the field, wrapping ErrInvalidHW).
//
// # Simulation
//
// A Simulator (Simulate/New) compiles a mapper.Mapping for a HW and provides
// MatMul, a quant.MatMulFunc: quant.Network.Run calls it in place of the
// exact integer GEMM for every linear layer, and everything around the
// linear layers (bias, requantization, pooling, ReLU, Add, Concat...) stays
// the golden model's integer code, i.e. the accelerator's digital units.
//
// For one input vector x (a row of the im2col matrix, A-bit codes) and one
// OU with wordlines j → input rows RowIdx[j]:
//
//   - Inputs are fed in steps. With 1-bit DACs (the default) step b drives
//     bit b of every input; unsigned codes have steps b = 0..A-1, signed codes
//     are two's complement and the step of the sign bit A-1 is subtracted.
//     With d-bit DACs unsigned codes are fed in d-bit digits; signed codes
//     feed their A-1 magnitude bits in d-bit digits and the sign bit alone.
//   - Each step activates the OU once. The analog sum of physical column c
//     is s = Σ_j in_j·L_cj, in_j the DAC level of wordline j and L_cj the
//     level of the cell (its bit with 1-bit cells; lo + 2·hi with 2-bit
//     cells), an integer in [0, h·(2^t-1)·(2^c-1)] for a step of t bits and
//     c = cell_bits. It is computed with popcounts of input plane AND cell
//     plane, per 64-row word: popcount(x & lo) + 2·popcount(x & hi) for
//     2-bit cells.
//   - The ADC converts s at r = adc_bits. When h·(2^t-1)·(2^c-1) ≤ 2^r-1
//     every conversion is exact (9-row OUs: 4 bits for 1-bit cells, 5 bits
//     for 2-bit cells). Otherwise "saturate" gives min(s, 2^r-1) (counted
//     as clipped) and "truncate" keeps the top r bits of the full-scale range:
//     with D = max(0, bitlen(OURows·(2^dac_bits-1)·(2^cell_bits-1)) - r) the
//     code is floor(s/2^D)·2^D (counted as truncated when that differs from
//     s).
//   - Converted values are shifted by the step's first bit and added (or
//     subtracted, sign step) into a per-column value v_c. Each owner entry
//     (Out, Bit, Negate, Complement) of column c then adds ±v_c·2^Bit into
//     output Out (minus when Negate, the weight's sign bit). A Complement
//     owner adds ±(v_s - v_c)·2^Bit, where s is the OU's sum column (an
//     all-ones column on the same wordlines, converted like any column).
//
// Outputs accumulate in int64 and are saturated to int32.
//
// Fast path: when every conversion of a layer group is exact (all OUs
// lossless, no conductance variation, no ADC noise) the bit-serial result is
// a linear function of x: out = x·W_eff, where W_eff[k][n] sums ±2^Bit·L
// (or ±2^Bit·(L_sum - L) for complement owners), L the cell level, over the
// owners of output n and the wordlines fed by input k, with the cells after
// stuck-at faults. The simulator then folds the mapping into W_eff once and runs the
// integer GEMM. The fold reads only the mapping, never the layer's weights,
// so a wrong mapping still gives wrong results; tests check the fast path
// bit-identical to the bit-serial path (Options.Mode = ModeBitSerial) and
// both to a brute-force GEMM. Costs are counted identically on both paths.
//
// The bit-serial path has two routes with identical results and counts.
// The table route (table.go) serves 1-bit DACs, ideal cells (stuck-at
// faults included) and strips of at most 12 wordlines: since each
// conversion is a function of the column sum alone, and the sum a function
// of the step's h-bit input pattern, it tabulates per strip, for all 2^h
// patterns, the strip's shift-and-added contribution to every output and
// the number of conversions that clip or truncate, once per strip (kept
// between calls while the tables fit 64 MB, else rebuilt per call in
// blocks); every vector then costs one table row per strip and non-zero
// input plane, added 16 outputs per AVX-512 instruction when the CPU has it.
// A call takes it when building the tables costs less than the per-column
// work it saves. Everything else (multi-bit DACs, variation, ADC noise,
// taller OUs, small calls) takes the generic route (kernel.go):
// the OUs of one strip (same wordlines,
// consecutive columns) are processed together. For each input plane the
// simulator checks whether a conversion can lose information (the OU is
// lossless, or the plane drives at most 2^r-1 rows so no column sum can
// exceed the top code); such planes are converted exactly with popcounts,
// 8 columns per instruction with AVX-512 VPOPCNTQ when the CPU has it
// (RRAMC_NOAVX512=1 disables it). Planes that can clip or truncate are
// converted one column at a time with the ADC model and counted. In
// ModeAuto without AVX-512, a column whose planes all convert exactly is
// summed as Σ over its '1' cells of the input codes, equal by linearity.
// 2-bit cells take the same route with their own kernel (ouSimple2): a
// plane is safe when it drives at most (2^r-1)/3 rows, and the linear sum
// is Σ over cells of level·input code.
// With 1-bit DACs, ideal cells, one-word columns whose cells lie within 16
// wordlines (OUs of at most 16 rows) and inputs of at most 8 bits, the
// generic route takes the strip kernel instead (vector16, strip16Cols,
// AVX-512BW and BITALG): each column's cells are a 16-bit word, and per
// input step 32 columns at a time are popcounted (VPOPCNTW), converted
// (min(s >> D << D, top): the same ADC function), their lost conversions
// counted by a masked compare, and shifted and added over the steps in 16
// bits; the column values then go to 32-bit accumulators shared by the OUs
// whose columns feed the same owners (a crossbar's columns on its strips),
// and the owners' shift-and-add runs once per shared accumulator, not once
// per OU column. The input planes are built 8 wordlines at a time by a
// byte transpose. Its results and counts are those of ouSimple/ouSimple2
// (tests compare them on random groups).
// All-zero input planes are skipped (their sums are 0) unless ADC noise is
// simulated; the hardware still fires the OU, and the counts say so.
//
// # Non-idealities
//
// All randomness is counter-based: each draw is a SplitMix64 hash of
// (seed, phenomenon, layer, group, column, wordline[, vector, step]), so
// results do not depend on the number of goroutines.
//   - Stuck-at faults: cell (column c, wordline j) is stuck at 0 with
//     probability stuck_at0_rate and at 1 with stuck_at1_rate, fixed per cell
//     (applied to the stored bits, including sum columns). A 2-bit cell stuck
//     at 0 reads level 0, stuck at 1 the top level 3 (both bits set).
//   - Conductance variation: every cell has a factor exp(σ·z), z ~ N(0,1)
//     fixed per cell; a cell of level L conducts L·G_1·exp(σ·z) (G_1 = G_on
//     for 1-bit cells, the level-1 step for 2-bit cells: equally spaced
//     levels with one relative spread per cell, a simplification); level 0
//     conducts nothing. The column sum becomes Σ_j in_j·L_j·G_j/G_1, a real
//     number.
//   - ADC noise: a N(0, σ_lsb²) offset per conversion, indexed by the
//     vector's position in the layer group since the last Reset (so runs that
//     feed the same images in the same order reproduce; quant.Network.Run
//     calls a MatMulFunc serially).
//
// With any analog effect the ADC rounds the real sum to the nearest level,
// clamps at 0, then saturates or truncates as above.
//
// # Cost model
//
// Notation per layer group: S input steps (A for 1-bit DACs), V input
// vectors (im2col rows; V = H_out·W_out per image for a Conv), for each OU o
// its rows h_o, columns w_o and owner entries e_o.
//
//	OU activations   = V · S · #OUs
//	ADC conversions  = V · S · Σ_o w_o
//	cell reads       = V · S · Σ_o h_o·w_o
//	DAC drives       = V · S · Σ_o h_o
//	shift-and-adds   = V · S · Σ_o e_o
//	index bits read  = V · S · Σ_o idx_o + V · perm
//	buffer accesses  = ceil(V·K·A / access_bits) + ceil(V·N·A / access_bits)
//
// idx_o is the index-table bits one activation of OU o reads (see index.go:
// dense none, zerocol a column index per column, sre an input index per
// wordline, colsim an owner entry per owner), perm the bits of a whole-layer
// input permutation (rowreorder) read once per vector. Output codes are
// assumed A bits wide for the buffer traffic.
//
// A chip that charges the periphery by read rounds (chip.dac_demux D and
// chip.adc_mux M, HARDWARE.md) also counts, with rr_o = ceil(R_o /
// dacs_per_xbar) the row rounds of the R_o rows OU o's crossbar uses and
// cr_o = ceil(w_o / adcs_per_xbar) its conversion rounds,
//
//	DAC round drives       = V · S · Σ_o ceil(h_o/D)·rr_o·cr_o
//	ADC round conversions  = V · S · Σ_o ceil(w_o/M)·cr_o
//	cell round reads       = V · S · Σ_o h_o·w_o·rr_o·cr_o
//
// and prices these instead of the three above (cell round reads at
// cell_read_energy_pj/(D·M)); an activation then takes cr_o cycles. With
// chip.merge_pj, merges = V · Σ over crossbars of their columns over the
// digit columns of one output; with chip.pooling_round_pj, pooling rounds
// = output positions × ceil(channels / pooling units) per image.
//
// Timing: the OUs of one crossbar fire one after another; all crossbars of
// a layer (of every group) work in parallel; one activation takes one cycle
// of cycle_ns = max(1000/clock_mhz, xbar_read_latency_ns, adc_latency_ns)
// (DAC drive, read, conversion and shift-and-add are pipelined). How many
// OUs one crossbar fires in turn, P_g for group g, is set by the hardware's
// cycle_model:
//
//	iso-crossbar (default): P_g = ceil(#OUs_g / max(X_dense_g, X_g))
//	packed:                 P_g = max over crossbars of g of #OUs on it
//	pipelined:              P_g as iso-crossbar
//
//	cycles_layer   = max over groups (V · S · P_g)
//	cycles_network = Σ over layers cycles_layer   (no inter-layer pipelining)
//	latency_ns     = cycles · cycle_ns
//
// Under pipelined the layers form ISAAC's and PUMA's inter-layer pipeline,
// each on crossbars of its own, a layer starting on an image when the one
// before has finished it: one image leaves per slowest layer and one
// image's latency is the sum of the layers':
//
//	cycles_network = max over layers cycles_layer   (cycles per image out)
//	period_ns      = max over layers latency_layer, throughput_ips = 1e9 / period_ns
//	latency_ns     = Σ over layers latency_layer
//
// X_g is the number of crossbars the scheme's layout of group g occupies and
// X_dense_g = ceil(ceil(K/h) / floor(R/h)) · ceil(ceil(N·B/w) / floor(C/w))
// the number the dense layout occupies. Iso-crossbar compares schemes on the
// same hardware: the crossbars a layer gets are fixed by its dense size (the
// accelerator is provisioned for the network), and a compressed layout's
// OUs are spread evenly over them, since weights are programmed offline and
// any OU can sit on any crossbar. A scheme's speed-up is then its cut in OU
// activations, which is how SRE and the method of mapper/METHOD.md measure
// performance. Packed instead runs each scheme on only the crossbars its own
// layout fills: compression then buys area, and time only where it empties
// the busiest crossbar, which row tiling rarely allows.
//
// A 2-bit cell is priced like a 1-bit cell (cell_read_energy_pj per cell
// read, xbar_area_um2 per crossbar): an assumption; PUMA's crossbar read
// constant behind the default is for 2-bit cells anyway. The saving of 2-bit
// cells in the cost model is then fewer columns, conversions and OUs, and
// its price a wider ADC for the same OU height.
//
// Energy (pJ) by component: crossbar = cell reads · cell_read_energy_pj;
// dac = DAC drives · dac_energy_pj; adc = conversions · adc_energy_pj[r];
// shift_add = shift-and-adds · shift_add_energy_pj; index = index bits read ·
// index_read_energy_pj_per_bit; buffer = buffer accesses ·
// buffer_access_energy_pj, the accesses of every bit through the tile
// buffer: the crossbars' input and output codes and the codes the digital
// units read and write, each at its value's width (a 16-bit code of the
// residual stream costs twice the buffer bits of an 8-bit one). Without a
// chip hierarchy the digital units' arithmetic (requantization, pooling,
// activations) is not charged.
//
// Area (µm²) for X crossbars used: crossbar = X · xbar_area_um2; adc = X ·
// ou_cols · adc_area_um2[r] (one ADC per OU column, shared by the crossbar's
// column groups, since one OU fires at a time); dac = X · xbar_rows ·
// dac_area_um2; shift_add = X · ou_cols · shift_add_area_um2 (one per ADC);
// index = index storage bits · index_area_um2_per_bit (storage from the
// mapper's scheme definition); buffer = ceil(X / xbars_per_tile) ·
// buffer_area_um2, a network-level item.
//
// With a chip hierarchy (HW.Chip, chip.go; presets in presets/) the layers
// are placed on tiles of their own, every provisioned part is charged its
// area and static power, the digital work of the golden program (per
// image: requantizations, activations, pooling, residual additions, the
// bits sent to the next layer's tile) is charged per action, and the
// layers form a pipeline; HARDWARE.md gives the formulas. The counters and
// components are tables (components.go): a new cost component is one
// counter, one hardware field and one row.
//
// Simulator.Counted returns the counts the simulation gathered (per OU
// traversal); AnalyticCounts computes them from the mapping alone for given
// vector counts; tests check that both agree. Simulator.Cost prices counts.
//
// # Evaluation
//
// evaluate.go and model.go are rramc's one evaluation layer, used by the
// CLI's eval and sim, the sweep and the Go example. LoadModel builds the
// float model (Model.Stage runs it) and Model.Quantize the integer network,
// calibrated on a dataset.Source per model input. A Feed binds one
// dataset.Source (MNIST, .npy, IDX, CIFAR, image folders) to each model
// input (OneInput for the usual one); Run feeds it batch by batch, every
// input's part of a sample together, to one or more Stages (float,
// GoldenStage, Simulator.Stage), each batch built once, refuses labels
// outside the model's classes, and returns per stage the Outputs a
// comparison needs: the top-1 class (of the first output) and a hash of
// the exact rows of every output per sample. Outputs.Accuracy is top-1 accuracy against labels; BitExact the
// fraction of samples whose outputs are bit-identical to a reference (the
// golden model); Top1Agreement the fraction with the same top-1 class.
//
// Evaluate runs the simulator and the golden model (and the float model when
// given) over a source and returns a Report: accuracy_float, accuracy_int,
// accuracy_sim, bit_exact, top1_agreement, ADC clipping counts, and the
// per-inference cost per layer and in total, as JSON with the canonical
// snake_case keys.
package hwsim
