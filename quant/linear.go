package quant

// Linear is one crossbar-mappable layer of a quantized network: a Conv, Gemm
// or MatMul whose weight is a constant. It is the contract between quant (which
// fills it), mapper (which lays its weights onto crossbars) and hwsim (which
// computes its products on the simulated crossbars).
type Linear struct {
	// Index is the position of this layer in Network.Linears.
	Index int
	// Name is the ONNX node name (made unique when the file left it empty).
	Name string
	// Op is the ONNX op type: "Conv", "Gemm" or "MatMul".
	Op string
	// K and N are the rows (inputs) and columns (outputs) of one group's
	// weight matrix: K = C_in/groups·k_h·k_w and N = C_out/groups for Conv.
	K, N int
	// Groups is the Conv group count (1 for Gemm and MatMul).
	Groups int
	// WBits is the weight width B: weights are B-bit two's complement.
	WBits int
	// ABits is the input width A of this layer's input codes.
	ABits int
	// InputSigned is true when input codes are A-bit two's complement, false
	// when they are unsigned A-bit (after a ReLU-like op).
	InputSigned bool
	// Weights[g] is group g's K×N weight matrix, row-major (element k*N+n),
	// every value in [-2^(WBits-1), 2^(WBits-1)-1].
	Weights [][]int32
}

// MatMulFunc computes out = x·W for group g of layer l, where x is an M×K
// row-major matrix of input codes (zero point 0; padding is code 0) and out is
// M×N int32, bias not included. The golden model uses an exact integer GEMM;
// the accelerator simulator substitutes the crossbars. Implementations must
// not keep x or out after returning.
type MatMulFunc func(l *Linear, group int, x []int32, m int, out []int32) error
