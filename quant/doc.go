// Package quant turns a float ONNX model into the exact integer network that
// an RRAM crossbar accelerator computes: it prunes, calibrates and quantizes
// the model, and runs the result as an integer-only golden model that the
// accelerator simulator (hwsim) must reproduce bit for bit.
//
// # Number format
//
// Every tensor is symmetric with zero point 0: a code q stands for q·s.
// Zero point 0 is what makes the crossbar compute exactly Σ x·w (padding and
// pruned weights are code 0, no cross terms).
//
//   - Weights are B-bit two's complement (B = Config.WBits, 2..8):
//     s_w = max|w| / (2^(B-1)-1), per tensor or per output channel
//     (Config.PerChannel), q_w = round(w/s_w) in [-(2^(B-1)-1), 2^(B-1)-1],
//     so |q_w·s_w - w| ≤ s_w/2.
//   - Activations are A-bit (A = Config.ABits, 2..8). A value that is
//     provably non-negative (output of Relu, of Clip with min ≥ 0, of
//     Sigmoid, of pooling/reshaping/Add/Concat of non-negative values) is
//     unsigned, codes [0, 2^A-1], s = r/(2^A-1); any other value is signed,
//     codes [-2^(A-1), 2^(A-1)-1], s = r/(2^(A-1)-1), each rounded to 14
//     significant bits (so that code·s and short sums of such values are
//     exact in float32: an exported QDQ model run in float then meets the
//     integer model's rounding ties exactly). The range r is the
//     largest magnitude seen on the calibration set (CalibMinMax) or the
//     Config.Percentile-th percentile of the magnitudes (CalibPercentile,
//     from a 4096-bin histogram whose range doubles as needed). The network
//     inputs are the values classified by data, not by proof: each input
//     (a model may have several: two towers, an image and a mask) is
//     unsigned when none of its own calibration samples is negative (raw
//     pixels), signed otherwise, with a scale of its own; inputs are
//     quantized as round(x/s) clamped to the code range.
//   - The residual stream is 16-bit (digitalBits): a value produced by an
//     Add (of two activations or of a constant, such as a position
//     embedding) or a Concat and read only by Adds and LayerNormalizations
//     never enters a crossbar, and the digital units read wider codes at
//     no cost in crossbar cycles. One A-bit scale for a whole tensor leaves
//     a row far below the rest (a transformer's class token, ~40x below the
//     patch rows in ViT-B/16) at a code or two, which the LayerNorm reading
//     it amplifies to full size; at 16 bits it keeps ~13 bits. Crossbar
//     inputs, lookup-table inputs and the network output stay A bits; a
//     pre-quantized (QDQ) model keeps its 8-bit values.
//   - Biases are int32 at the accumulator scale s_x·s_w[c]:
//     q_b = round(b / (s_x·s_w[c])).
//
// Rounding everywhere is to nearest, ties to even: the rule of ONNX
// QuantizeLinear, so that an exported QDQ model run in float rounds as the
// integer model does.
//
// # Requantization
//
// A real factor M > 0 is a Multiplier: M ≈ M0·2^-shift with M0 an int32 in
// [2^30, 2^31) (relative error < 2^-30). Applying it to an integer v computes
// the 64-bit product v·M0 and rounds it to nearest, ties to even, by the
// shift: round(v·M0 / 2^shift) — one rounding of the exact rational
// value (the tests compare with math/big), not gemmlowp's two-step
// SaturatingRoundingDoublingHighMul + RoundingDivideByPOT. Everything is
// integer arithmetic: results are identical across runs, batch sizes
// (samples never interact) and worker counts (each sample is computed by one
// goroutine in a fixed order).
//
// # The integer program (Network.Ops)
//
// Each op kind lives in one file, kind_*.go, which registers its golden-model
// execution, its check for Network files, its QDQ export and the ONNX op
// types that build it (kinds.go describes the seam); every pointwise
// activation the float interpreter defines (interp.PointwiseFunc) becomes a
// lookup table of that same function.
//
// Linear (Conv, Gemm, MatMul with a constant weight). The input codes are
// lowered to an M×K matrix X — for Conv one row per output pixel (im2col
// with K index = (c_in within group, kh, kw), padding code 0), for Gemm and
// MatMul the input rows — and the product acc = X·W_g (W_g the K×N int8
// weight matrix of group g) is computed by the MatMulFunc: the exact integer
// GEMM in the golden model, the simulated crossbars in hwsim. Then
//
//	y = clamp(round((acc + q_b[c]) · M_c), lo, hi),   M_c = s_x·s_w[c] / s_y.
//
// A 1-D Conv is rewritten into this 2-D Conv before calibration
// (lower.go) as one of height 1. A 3-D Conv becomes a 2-D Conv over its
// depth taps stacked as channels and its output depths stacked along the
// height (a Gather of the padded input, the same weights read as
// [M, C/g·k_d, k_h, k_w], and a Slice dropping the rows that straddle two
// depths).
//
// ConvTranspose (1-D, 2-D or 3-D, every attribute) is split into phases
// (kind_convtranspose.go): the outputs whose positions have one residue
// modulo the stride along every axis are a stride-1 Conv of the input
// itself with the kernel taps of that residue (flipped, dilation
// d/gcd(s, d)), each phase an OpLinear of its own, so the crossbars hold
// every weight once and read no inserted zeros. All phases share the
// layer's per-channel weight scales (of the whole kernel), bias,
// multipliers and fused activation: each output code is exactly
// clamp(round((Σ_taps x·w + q_b[c])·M_c)). Positions whose residue has no
// tap (kernel smaller than stride) hold the bias alone,
// clamp(round(q_b[c]·M_c)) (an OpConst), and one OpGather interleaves the
// phase outputs and those codes into the output.
//
// A following Relu or Clip (the layer output's only consumer) is fused: it
// sets [lo, hi] (Relu: [0, 2^A-1] and the output is unsigned; Clip: its
// bounds in codes). For MatMul a following Add of a constant vector is the
// bias. Gemm's alpha is folded into the weights before quantization and beta
// into the bias; transB selects the K×N orientation. MatMul → MaxPool → Relu
// is rewritten to MatMul → Relu → MaxPool (max commutes with Relu) so the
// Relu fuses.
//
// Add of two activations a (scale s_a) and b (s_b) to output scale s_y
// (TFLite's scheme): with t = 2·max(s_a, s_b),
//
//	a' = round(a·2^20 · s_a/t),  b' = round(b·2^20 · s_b/t),
//	y  = clamp(round((a' + b') · t/(2^20·s_y)), lo, hi)
//
// (each round a Multiplier application); a Relu after the Add fuses. The
// operands may broadcast (numpy rules over the per-sample axes). An Add
// with a 16-bit operand or output rescales each operand straight to the
// output scale with F = 12 fraction bits (fewer if |a'| would reach 2^30),
// a' = round(a·2^F·s_a/s_y), y = clamp(round((a' + b')·2^-F), lo, hi): the
// common scale 2·max(s_a, s_b) would drop the finer operand's resolution.
// Sub of two activations is the same with b's code negated (b' from −b).
//
// Mul of two activations a and b (numpy broadcasting over the per-sample
// axes: squeeze-and-excitation gates, SiLU x·σ(x), HardSwish written as
// x·HardSigmoid(x)): y = clamp(round(a·b · s_a·s_b/s_y), lo, hi), the exact
// 64-bit product of the codes rounded once by a Multiplier; a Relu after it
// fuses.
//
// MaxPool, GlobalMaxPool: max of codes, same scale (max commutes with a
// positive scale); padding never wins. AveragePool, GlobalAveragePool: same
// scale, y = round(Σ codes / count) as an exact integer division (count = the
// window's positions inside the image, or including the padding with
// count_include_pad); a global average whose calibrated range is at most
// half its input's gets a scale of its own, y = clamp(round(Σ codes ·
// s_x/(count·s_y))), so that it keeps its resolution. Relu/Clip standing alone: clamp of codes at the same
// scale (Relu of a signed value becomes an unsigned value). Flatten, Reshape,
// Squeeze, Unsqueeze, Identity, Dropout: codes unchanged (the batch
// dimension must stay first); Transpose permutes the per-sample axes.
//
// Slice, Split, Pad (constant, edge, reflect), Gather with constant
// indices, DepthToSpace, SpaceToDepth, Tile, Expand: copies of codes by a
// per-sample index map (same scale); padded positions get the code of the
// padding value, round(v/s) clamped to the code range (-inf: the lowest code).
// The map is read off the float interpreter's own kernel run on code
// positions, so the two cannot disagree. ReduceMean and ReduceMax over every
// axis after the channels are global average and max pooling.
//
// MaxPool and AveragePool over one or three spatial axes, and ReduceMax,
// ReduceMin, ReduceSum, ReduceMean over any other per-sample axes (kept or
// dropped; axes as attribute or constant input; noop_with_empty_axes):
// grouped reductions by a per-sample index map (kind_reduce.go), the window
// geometry being the float interpreter's (interp.NodeWindowND). Max and
// Min pick a code (same scale); Sum and Mean add the group's codes exactly
// and requantize once, y = round(S·M0/(d·2^Shift)) with d the group length
// for Mean, ties to even. A reduction over the batch axis is refused (every
// sample runs on its own). ReduceL1, ReduceSumSquare: the exact Σ|x| or Σx²
// requantized once; ReduceL2: the nearest integer to √(Σx²)·M, an exact
// integer root (kind_reducenorm.go). ReduceLogSum: a fixed-point log2 of
// the exact sum (20 fraction bits by repeated squaring); ReduceLogSumExp:
// the group's largest code plus the log of a sum of exp-table entries
// (kind_reducelog.go); both within one output code. ReduceProd: the exact
// 64-bit product requantized once, refused when n codes could need more
// than 62 bits (kind_reduceprod.go).
//
// Variadic Max, Min, Sum, Mean of activations (numpy broadcasting over
// operands of one rank; a constant operand as OpConst): each operand
// rescaled to the output scale with F fraction bits, a' = round(a·s_a·2^F/s_y),
// combined exactly (largest, smallest, sum) and rounded once,
// y = round(c·2^-F [/n]) (kind_variadic.go). One operand is a free alias.
//
// Resize, Upsample (nearest, linear, cubic; every coordinate mode): fixed
// point, same scale. Along each axis every output index has up to 4 taps
// (the float interpreter's own indices and weights, interp.ResizePlan) with
// weights W = round(w·2^12), adjusted to sum to exactly 2^12;
// y = clamp(round(Σ Π_d W_d · x / 2^(12·r))) over the product of the axes'
// taps, one rounding (ties to even). Arguments PyTorch computes from shapes
// (Shape → Slice → Concat → sizes) are folded from the static shapes, never
// quantized.
//
// Concat: output scale s_y = max_i s_i; each input is requantized by
// s_i/s_y (exactly unchanged when s_i = s_y). A 16-bit Concat (the start of
// a residual stream) has its own calibrated scale instead.
//
// BatchNormalization that passes.Optimize could not fold into a preceding
// linear layer: y = a_c·x + b_c with a_c = γ/√(σ²+ε), b_c = β - μ·a_c,
// computed as y = clamp(±round(x·|a_c|·s_x/s_y) + round(b_c/s_y)).
//
// Sigmoid, Tanh, LeakyRelu, Elu, Selu, HardSigmoid, HardSwish, Softplus: a
// table over every input code, T[q] = clamp(round(f(q·s_x)/s_y)) — exact
// integer lookup at run time.
//
// Transformer kinds. PyTorch's decomposed LayerNorm (ReduceMean, Sub, Pow,
// ReduceMean, Add ε, Sqrt, Div, Mul γ, Add β) and GELU (Div √2, Erf, Add 1,
// Mul x, Mul ½) chains are fused before calibration into
// LayerNormalization and Gelu (fuse.go); Gelu is then a lookup table.
// LayerNormalization over the last axis is fixed point: per row of D codes,
// V = D·Σx² − (Σx)² + round(ε·D²/s_x²), n_i = round((D·x_i − Σx)·2^16/√V)
// with an exact integer square root and a 128-bit quotient, and
// y_i = clamp(±round(n_i·|γ_i|/(s_y·2^16)) + round(β_i/s_y)).
// Softmax over the last axis inside the network: e_i = T[max − x_i] with
// T[k] = round(2^30·exp(−k·s_x)), y_i = clamp(round(⌊e_i·2^31/Σe⌋ ·
// 2^-31/s_y)). MatMul and Einsum ("...ij,...jd->...id", "...id,...jd->...ij")
// of two activations: exact int64 sums of code products, rounded once by
// s_a·s_b/s_y; neither operand is a constant, so they run on the digital
// units, not on crossbars. Mul, Div, Add and Sub of an activation and a
// constant (layer scale, 1/√d, position embedding, attention masks):
// y = clamp(±round(x·|a_j|·s_x/s_y) + round(b_j/s_y)) with the constant's
// parameters repeating along the value (an Affine). A constant concatenated
// beside activations (a class token) is quantized once at its own scale.
//
// Indices, comparisons and selection. ArgMax, ArgMin (first or last index
// on ties), Hardmax and TopK (sorted, the lower index first on ties) work
// on codes of one scale, so they are the float model's exactly on the
// same values. Equal, Less, Greater, LessOrEqual, GreaterOrEqual of two
// activations or of an activation and a constant decide the sign of the
// exact real difference: the other side is turned, when the program is
// built and with rational arithmetic, into a doubled threshold
// T = 2·floor(t) + (t not whole) in this side's codes (a table over the
// first operand's codes when the scales differ), and sign(t − q) =
// sign(T − 2q) for every whole q. The results are 0/1 codes at scale 1;
// Not, And, Or, Xor combine them (And, Or, Xor also with a bool constant
// from the model file, a fixed 0/1 mask broadcast once, when the program
// is built, to the output's per-sample shape); Where selects, per element, a code of X
// or Y requantized to its own output scale (a constant operand quantized
// once at that scale). Cast of an activation to an integer type is
// trunc(q·s) per code (exact rational arithmetic, a table), to bool q ≠ 0,
// to float32 or float64 the codes unchanged.
//
// LRN across channels: S = Σ q² over the window (exact), y = round(q·F(S)
// /2^f) with F a table over S (exact below 2^12, else its 12 leading bits
// and exponent), F = 2^f·(s_x/s_y)·(bias + α/size·s_x²·S)^(−β) at the
// middle of each bucket: within ½ + |y|·β·2^−12 codes of float64.
//
// MeanVarianceNormalization over per-sample axes, as LayerNormalization:
// per group of D codes V = D·Σx² − (Σx)², n_i = round((D·x_i − Σx)·2^16/
// (√V + ε·D/s_x)) with an exact integer square root, y = round(n_i·2^-16/
// s_y). Its default axes [0, 2, 3] include the batch: refused, since every
// sample runs on its own.
//
// Div, Pow, Mod (fmod) and PRelu of two activations
// (numpy broadcasting) are one two-dimensional table over the operands' codes,
// y = T[a − lo_a][b − lo_b] = clamp(round(f(a·s_a, b·s_b)/s_y)): exact by
// construction, bounded by operands of at most 8-bit codes (2^16 entries),
// wider codes refused. A constant array operand (a per-channel PRelu slope,
// an exponent per element) enters as codes indexing its distinct values,
// so its values are not quantized; a constant of one value makes a
// one-operand table (a power with a constant exponent, a constant divided
// by an activation). A divisor code 0 stands for a divisor within half a
// step of 0: Div saturates by the dividend's sign (0/0 gives 0), Mod gives
// 0 (a remainder is smaller than its divisor). Pow of a negative base code
// to a fractional exponent has no real value: refused.
//
// Graphs that move the batch axis (sequence-first attention, window
// partitions folding the batch into the window count, shape arithmetic on
// a symbolic batch) are quantized at batch 1: the inputs' batch dimension
// is fixed to 1 before optimization, every shape then folds, and each value
// is the whole batch-1 tensor (batchone.go); the integer program still runs
// any number of samples.
//
// A network has every graph input and every graph output of its model
// (Network.Inputs, Network.Outputs, in graph order); Run returns the first
// output, RunOutputs all of them. A Softmax/LogSoftmax producing a graph
// output (and read by no other node) is not part of the integer program:
// the run dequantizes the integer value under it (code·s) and applies it in
// float64 (it cannot change the top-1 class). Any other op is reported, all
// at once, with node names, in an error wrapping ErrUnsupported and
// importer.ErrInvalidModel.
//
// # Pruning
//
// Pruning edits the float weights (after BatchNorm folding, before
// calibration so the activation ranges see the pruned network). Magnitude
// pruning zeroes exactly round(ratio·count) weights with the smallest |w|
// per layer (ScopeLayer) or over all pruned layers together (ScopeGlobal);
// channel pruning (StructChannel) removes round(ratio·channels) whole output
// channels (weights and bias) with the smallest L2 or L1 norm (for global
// scope normalized per weight, RMS or mean |w|, so layers of different fan-in
// compare; each layer keeps at least one channel). Ties break by layer then
// index. The first and last linear layers are pruned only with
// Config.PruneFirst / PruneLast; DefaultConfig sets both, so the requested
// ratio is the network's sparsity (clear them to keep these small, sensitive
// layers dense). The default scope is global: one-shot magnitude pruning
// without retraining keeps LeNet-5 at 98.2 % top-1 at 70 % sparsity with a
// global threshold against 95.5 % with 70 % in every layer, and the small
// ResNet at 98.8 % against 29.9 % at 50 % (8-bit, 10k MNIST test images;
// RRAMC_SWEEP=1 go test -run SweepTable -v ./quant prints the table).
// Network.Layers reports per layer the pruned count and the zero codes
// (pruned weights plus those that round to 0).
//
// Each kind also states its digital work per image (Network.Work: multiplier
// applications, activations, pooling/reduction operations, additions), which
// the cost model charges to the accelerator's digital units.
//
// # Integer GEMM and running
//
// PackedWeights.Mul is exact int32 GEMM for codes up to 8 bits. On CPUs with
// AVX-512 VNNI it runs an assembly kernel (VPDPBUSD, 4×32 or, for N ≤ 16,
// 4×16 register tiles, 64-row × 1 KiB blocks): codes in [0, 255] go in as
// unsigned bytes, codes in [-128, 127] are offset by +128 and
// 128·Σ_k w[k][n] is subtracted afterwards — exact (int32 accumulators
// cannot overflow for K < 2^16). Elsewhere (or with RRAMC_NOVNNI=1) a
// portable Go kernel with 4×2 register tiles is used. Both are checked
// against a naive triple loop.
//
// Network.Run splits the batch into chunks of 32 samples over the workers
// (Config.Workers, default GOMAXPROCS) when it uses the golden GEMM; with a
// caller's MatMulFunc it runs on one goroutine (RunWorkers parallelizes a
// concurrency-safe one). With the golden GEMM a Conv is lowered straight to
// the kernel's bytes (same integers, no int32 M×K matrix); with a caller's
// MatMulFunc every product goes through it as the M×K int32 code matrix.
// RunCodes returns the integer output codes for bit-exact comparisons.
//
// # Pre-quantized models and export
//
// QuantizeQDQ imports a QDQ ONNX model (QuantizeLinear/DequantizeLinear
// pairs, as onnxruntime writes them): weight codes and scales are taken as
// they are (int8, zero point 0, per tensor or per output channel; anything
// else is an error naming the tensor), QuantizeLinear→DequantizeLinear pairs
// fix activation scales (nonzero activation zero points are converted to the
// symmetric scale covering the same range), other values are calibrated.
// QuantizeAny picks QuantizeQDQ or Quantize. WriteQDQ exports a Network as
// standard opset-13 QDQ ONNX (int8 weights, int32 biases, uint8/int8
// activations with zero point 0; bit widths kept in metadata rramc.wbits and
// rramc.abits); read back, it gives the identical integer network, and run
// in float it predicts as the integer model does (ties are met exactly, see
// the scale rounding above).
//
// # Accuracy tables
//
// The accuracy table (RRAMC_SWEEP=1 go test -run SweepTable -v ./quant)
// measures top-1 over weight widths × pruning ratios, pruning and
// calibrating once per ratio. Pruning is one-shot magnitude pruning without
// fine-tuning, so high ratios cost accuracy accordingly. Evaluation over
// data sets (float, golden, simulated) is hwsim's evaluation layer.
//
// # Encoding
//
// MarshalBinary/UnmarshalNetwork give a versioned binary encoding (magic
// "RRQN"), used inside mapping files so that a mapping can be simulated
// without the ONNX model.
package quant
