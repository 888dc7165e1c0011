package quant

import "github.com/rramc/rramc/importer"

// Network is a quantized network: its crossbar-mappable layers and the
// integer program around them. It is self-contained (no reference to the
// ONNX model it came from): MarshalBinary/UnmarshalNetwork carry it inside
// mapping files.
type Network struct {
	// Linears are the crossbar-mappable layers in program order.
	Linears []*Linear
	// Values are the integer tensors of the program. The Inputs' values hold
	// the quantized network inputs; Ops write the others.
	Values []Value
	// Ops is the integer program in execution order.
	Ops []Op
	// Inputs are the network inputs in the model's graph-input order (one
	// for most models; two towers or an image and a mask take several).
	Inputs []Input
	// Outputs are the network outputs in the model's graph-output order;
	// Run returns the first (the one scored), RunOutputs all of them.
	Outputs []Output
	// Config is the configuration the network was built with (zero for an
	// imported pre-quantized network apart from the bit widths).
	Config Config
	// Layers holds per-linear-layer statistics, Layers[i] for Linears[i].
	Layers []LayerStats
}

// Output is one network output: a value the run dequantizes.
type Output struct {
	// Value is the value index of the output's codes; Name the ONNX output
	// it stands for.
	Value int
	Name  string
	// DType is the element type of the model's output (Undefined: float);
	// an integer output (ArgMax labels) is returned as a tensor of that
	// type.
	DType importer.DataType
	// Post is a float op applied to the dequantized output ("" = none,
	// "Softmax" or "LogSoftmax" over PostAxis): the graph's trailing
	// softmax, which does not change the top-1 class and is kept out of the
	// integer domain.
	Post     string
	PostAxis int
}

// Input is one network input: the value its quantized codes go to, with
// its own calibrated scale and signedness.
type Input struct {
	// Value is the value index of the input's codes; Name its ONNX name.
	Value int
	Name  string
	// DType is the element type of the model's input (Undefined: float). An
	// integer input (image bytes the graph normalizes) is fed its whole
	// values.
	DType importer.DataType
}

// InputIndex returns the position of the input named name in n.Inputs
// (-1 when there is none).
func (n *Network) InputIndex(name string) int {
	for i, in := range n.Inputs {
		if in.Name == name {
			return i
		}
	}
	return -1
}

// isInput reports whether value v is a network input.
func (n *Network) isInput(v int) bool {
	for _, in := range n.Inputs {
		if in.Value == v {
			return true
		}
	}
	return false
}

// Value is one integer tensor of the program: codes q with real value q·Scale
// (zero point 0). Shape excludes the batch dimension.
type Value struct {
	Name   string
	Shape  []int
	Scale  float64
	Signed bool
	Bits   int
}

// Range returns the code range of the value: [-2^(b-1), 2^(b-1)-1] when
// signed, [0, 2^b-1] otherwise.
func (v *Value) Range() (lo, hi int32) {
	return codeRange(v.Bits, v.Signed)
}

// digitalBits is the code width of values that only the digital units
// read (see residualBits); every other value is activation_bits wide.
const digitalBits = 16

func codeRange(bits int, signed bool) (lo, hi int32) {
	if signed {
		return -(1 << (bits - 1)), 1<<(bits-1) - 1
	}
	return 0, 1<<bits - 1
}

// size returns the number of elements per sample.
// sameEncoding reports whether w's codes mean what v's do: the same scale,
// width and signedness (what an op that only moves codes must keep).
func (v *Value) sameEncoding(w *Value) bool {
	return v.Scale == w.Scale && v.Bits == w.Bits && v.Signed == w.Signed
}

func (v *Value) size() int {
	n := 1
	for _, d := range v.Shape {
		n *= d
	}
	return n
}

// OpKind is the kind of an integer op.
type OpKind uint8

// Integer ops. Their exact arithmetic is documented in doc.go.
const (
	OpLinear          OpKind = iota + 1 // Conv/Gemm/MatMul through MatMulFunc, + bias, requant, clamp
	OpAdd                               // elementwise sum of two values rescaled to a common scale
	OpMaxPool                           // 2-D max pooling (same scale)
	OpAvgPool                           // 2-D average pooling (same scale, rounded division)
	OpGlobalAvg                         // global average pooling (same scale)
	OpGlobalMax                         // global max pooling (same scale)
	OpClamp                             // Relu / Clip: clamp codes to [Lo, Hi] (same scale)
	OpReshape                           // Flatten/Reshape/Squeeze/Unsqueeze/Identity/Dropout: codes unchanged
	OpTranspose                         // permutation of the per-sample axes
	OpConcat                            // concatenation with every input rescaled to the output scale
	OpAffine                            // per-channel y = ±M_c·x + Offset_c (BatchNorm that could not be folded)
	OpLUT                               // elementwise function of one code by table lookup
	OpMul                               // elementwise product of two values (broadcast), rescaled
	OpGather                            // copies of input codes by an index map (Slice, Pad, Split, ...), fill code for padding
	OpLayerNorm                         // LayerNormalization over the last axis in fixed point
	OpSoftmax                           // Softmax over the last axis: exp table + integer normalization
	OpMatMul                            // product of two activations on the digital units (attention)
	OpResize                            // Resize/Upsample: fixed-point separable interpolation (same scale)
	OpArgMax                            // index of the largest code along an axis (a class label)
	OpConst                             // codes of a constant tensor (ViT's class token), the same for every sample
	OpReduceMax                         // largest code of each group of an index map (pooling of any rank, ReduceMax on any axes)
	OpReduceMin                         // smallest code of each group of an index map
	OpReduceSum                         // sum of each group of an index map, requantized
	OpReduceMean                        // average of each group of an index map, requantized
	OpHardmax                           // 1 at the first largest code along an axis, 0 elsewhere
	OpCompare                           // Equal/Less/Greater/...: 0/1 from exact comparisons of two values' real values
	OpLogic                             // Not/And/Or/Xor of 0/1 values (broadcast)
	OpWhere                             // per element, the code of one of two values (requantized to the output scale) by a 0/1 condition
	OpTopK                              // the k largest or smallest codes along an axis, or their indices
	OpEltMax                            // variadic Max of activations rescaled to the output scale (broadcast)
	OpEltMin                            // variadic Min of activations rescaled to the output scale
	OpEltSum                            // variadic Sum of activations rescaled to the output scale
	OpEltMean                           // variadic Mean: the Sum divided by the operand count in its final rounding
	OpReduceL1                          // Σ|x| of each group of an index map, requantized
	OpReduceSumSquare                   // Σx² of each group of an index map, requantized
	OpReduceL2                          // √(Σx²) of each group of an index map, exact integer root, requantized
	OpReduceLogSum                      // log(Σx) of each group: fixed-point log2 of the integer sum
	OpReduceLogSumExp                   // log(Σexp(x)) of each group: max + log of a sum of exp-table entries
	OpReduceProd                        // Πx of each group, exact in 64 bits, requantized
	OpLRN                               // local response normalization across channels in fixed point
	OpMVN                               // MeanVarianceNormalization over per-sample axes in fixed point
	OpPairLUT                           // elementwise function of two codes (broadcast) by a two-dimensional table
	opKindEnd
)

var opKindNames = [...]string{OpLinear: "Linear", OpAdd: "Add", OpMaxPool: "MaxPool", OpAvgPool: "AvgPool",
	OpGlobalAvg: "GlobalAvgPool", OpGlobalMax: "GlobalMaxPool", OpClamp: "Clamp", OpReshape: "Reshape",
	OpTranspose: "Transpose", OpConcat: "Concat", OpAffine: "Affine", OpLUT: "LUT", OpMul: "Mul", OpGather: "Gather",
	OpLayerNorm: "LayerNorm", OpSoftmax: "Softmax", OpMatMul: "MatMul", OpResize: "Resize", OpArgMax: "ArgMax",
	OpConst: "Const", OpReduceMax: "ReduceMax", OpReduceMin: "ReduceMin", OpReduceSum: "ReduceSum", OpReduceMean: "ReduceMean",
	OpHardmax: "Hardmax", OpCompare: "Compare", OpLogic: "Logic", OpWhere: "Where", OpTopK: "TopK",
	OpEltMax: "ElementwiseMax", OpEltMin: "ElementwiseMin", OpEltSum: "ElementwiseSum", OpEltMean: "ElementwiseMean",
	OpReduceL1: "ReduceL1", OpReduceSumSquare: "ReduceSumSquare", OpReduceL2: "ReduceL2", OpReduceLogSum: "ReduceLogSum",
	OpReduceLogSumExp: "ReduceLogSumExp", OpReduceProd: "ReduceProd",
	OpLRN: "LRN", OpMVN: "MVN", OpPairLUT: "PairLUT"}

func (k OpKind) String() string {
	if k > 0 && k < opKindEnd {
		return opKindNames[k]
	}
	return "OpKind(?)"
}

// Window is 2-D convolution or pooling geometry over an NCHW value.
type Window struct {
	KH, KW                 int
	StrideH, StrideW       int
	PadT, PadL, PadB, PadR int
	DilH, DilW             int
	InC, InH, InW          int
	OutH, OutW             int
	CountIncludePad        bool // AvgPool: divide by the full window
}

// Op is one integer op. Which fields are used depends on Kind (doc.go).
type Op struct {
	Kind OpKind
	Name string // ONNX node name it came from
	In   []int  // value indices
	Out  int
	// Linear is the index into Network.Linears (OpLinear).
	Linear int
	// Win is the Conv or pooling geometry (OpLinear with Conv, pools).
	Win *Window
	// Bias is the int32 bias per output channel at scale s_x·s_w[c] (OpLinear),
	// or the additive code offset per channel (OpAffine), or the fill code
	// of padded positions (OpGather; none when nothing is padded).
	Bias []int32
	// Mult are the requantization multipliers: per output channel (or one)
	// for OpLinear and OpAffine; [M_a, M_b, M_out] for OpAdd; one per input
	// for OpConcat.
	Mult []Multiplier
	// Neg marks channels whose OpAffine factor is negative.
	Neg []bool
	// Lo and Hi clamp the output codes.
	Lo, Hi int32
	// Axis is the per-sample concatenation axis (OpConcat).
	Axis int
	// Perm is the per-sample axis permutation (OpTranspose).
	Perm []int
	// Mode is the variant of kinds that have several (OpArgMax: ArgMin,
	// select_last_index; OpCompare: the relation; OpLogic: the function;
	// OpTopK: smallest first, indices); 0 is the first variant.
	Mode int
	// Table maps code c to Table[c-Lo_in] (OpLUT; Lo_in is the input's lowest
	// code); for OpGather it is the per-sample index map: output code i is
	// input code Table[i], or the fill code where Table[i] = -1.
	Table []int32
}

// LayerStats reports one linear layer after pruning and quantization.
type LayerStats struct {
	Name string
	// Weights is the number of weights; Pruned how many pruning set to zero
	// (float, before quantization); Zeros how many integer codes are zero
	// (pruned ones plus those that round to 0).
	Weights, Pruned, Zeros int
	// PrunedChannels is the number of output channels removed by structured
	// pruning.
	PrunedChannels int
}

// Sparsity returns the fraction of zero weight codes per linear layer.
func (n *Network) Sparsity() []float64 {
	s := make([]float64, len(n.Linears))
	for i, l := range n.Linears {
		z, t := 0, 0
		for _, w := range l.Weights {
			for _, v := range w {
				if v == 0 {
					z++
				}
			}
			t += len(w)
		}
		if t > 0 {
			s[i] = float64(z) / float64(t)
		}
	}
	return s
}

// TotalSparsity is the fraction of zero codes over all linear weights.
func (n *Network) TotalSparsity() float64 {
	z, t := 0, 0
	for _, l := range n.Linears {
		for _, w := range l.Weights {
			for _, v := range w {
				if v == 0 {
					z++
				}
			}
			t += len(w)
		}
	}
	if t == 0 {
		return 0
	}
	return float64(z) / float64(t)
}
