package quant

import (
	"fmt"
	"sync"
)

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
	// WScale are the weight scales (real weight = code·scale): one per
	// output channel, Groups·N values indexed g·N+n, or a single value for
	// per-tensor quantization.
	WScale []float64

	// cache holds the packed weights of the golden GEMM (built on first use,
	// before any goroutine runs the layer). Weights must not change after a
	// Network has run.
	cache *packCache
}

// MatMulFunc computes out = x·W for group g of layer l, where x is an M×K
// row-major matrix of input codes (zero point 0; padding is code 0) and out is
// M×N int32, bias not included. The golden model uses an exact integer GEMM;
// the accelerator simulator substitutes the crossbars. Implementations must
// not keep x or out after returning.
type MatMulFunc func(l *Linear, group int, x []int32, m int, out []int32) error

// packCache is the lazily packed form of a Linear's weights.
type packCache struct {
	once   sync.Once
	groups []*PackedWeights
	err    error
}

// packed returns the packed weights of group g.
func (l *Linear) packed(g int) (*PackedWeights, error) {
	c := l.cache
	c.once.Do(func() {
		c.groups = make([]*PackedWeights, len(l.Weights))
		for i, w := range l.Weights {
			c.groups[i], c.err = PackWeights(w, l.K, l.N)
			if c.err != nil {
				c.err = fmt.Errorf("layer %q group %d: %w", l.Name, i, c.err)
				return
			}
		}
	})
	if c.err != nil {
		return nil, c.err
	}
	if g < 0 || g >= len(c.groups) {
		return nil, fmt.Errorf("layer %q: group %d of %d", l.Name, g, len(c.groups))
	}
	return c.groups[g], nil
}

// GoldenMatMul is the exact integer GEMM the golden model uses: out = x·W_g.
// It is a MatMulFunc; simulators can call it to compare. x must hold l's
// input codes (ABits wide, signed as l.InputSigned says), as the golden model
// guarantees; other values may give wrong products.
func GoldenMatMul(l *Linear, g int, x []int32, m int, out []int32) error {
	if g < 0 || g >= len(l.Weights) {
		return fmt.Errorf("layer %q: group %d of %d", l.Name, g, len(l.Weights))
	}
	if l.cache == nil {
		return GEMM(x, m, l.K, l.Weights[g], l.N, out)
	}
	p, err := l.packed(g)
	if err != nil {
		return err
	}
	return p.mulCodes(x, m, out, l.ABits, l.InputSigned)
}
