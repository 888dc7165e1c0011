package quant

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rramc/rramc/importer"
)

// chunkSamples is how many samples one task of the batch-parallel run
// covers. Samples are independent, so the split never changes a result.
const chunkSamples = 32

// Run quantizes the float input batch x (first dimension = batch) with the
// calibrated input scale, runs the integer program and returns the
// dequantized output (code·scale, float32), with the graph's trailing
// Softmax/LogSoftmax applied if it had one. mm computes every linear layer's
// product; nil means the exact golden GEMM (GoldenMatMul). A network with
// several inputs runs through RunInputs.
//
// With mm nil the batch is split over the Config.Workers goroutines
// (GOMAXPROCS when 0); with a caller's mm, calls are serial (one goroutine)
// so that mm need not be safe for concurrent use — use RunWorkers to
// parallelize a concurrency-safe mm. Results never depend on the worker
// count or the batch size.
func (n *Network) Run(x *importer.Tensor, mm MatMulFunc) (*importer.Tensor, error) {
	w := 1
	if mm == nil {
		w = n.Config.Workers
	}
	return n.RunWorkers(x, mm, w)
}

// RunWorkers is Run with an explicit number of goroutines (0 = GOMAXPROCS);
// mm must be safe for concurrent use when workers != 1.
func (n *Network) RunWorkers(x *importer.Tensor, mm MatMulFunc, workers int) (*importer.Tensor, error) {
	return n.RunInputs([]*importer.Tensor{x}, mm, workers)
}

// RunInputs is RunWorkers for every network input: xs[i] is the batch of
// Inputs[i], all with the same batch size. It returns the first output.
func (n *Network) RunInputs(xs []*importer.Tensor, mm MatMulFunc, workers int) (*importer.Tensor, error) {
	outs, err := n.RunOutputs(xs, mm, workers)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// RunOutputs is RunInputs returning every output, in Outputs order.
func (n *Network) RunOutputs(xs []*importer.Tensor, mm MatMulFunc, workers int) ([]*importer.Tensor, error) {
	codes, shapes, err := n.RunCodesOutputs(xs, mm, workers)
	if err != nil {
		return nil, err
	}
	outs := make([]*importer.Tensor, len(codes))
	for i, o := range n.Outputs {
		if outs[i], err = n.dequantize(o, codes[i], shapes[i]); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// dequantize turns the codes of output o into its values: code·scale, in
// float32 with its post-op applied, or rounded to whole values for an
// integer output (labels, counts).
func (n *Network) dequantize(o Output, codes []int32, shape []int) (*importer.Tensor, error) {
	s := n.Values[o.Value].Scale
	if o.DType.IsWhole() {
		out := &importer.Tensor{DType: o.DType, Shape: shape, Int: make([]int64, len(codes))}
		for i, c := range codes {
			out.Int[i] = int64(math.Round(float64(c) * s))
		}
		return out, nil
	}
	out := &importer.Tensor{DType: importer.Float, Shape: shape, Float: make([]float32, len(codes))}
	for i, c := range codes {
		out.Float[i] = float32(float64(c) * s)
	}
	if o.Post != "" {
		if err := applyPost(out, o.Post, o.PostAxis); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunCodes runs the integer program and returns the integer codes of the
// first output value (shape [batch, ...]) without dequantization: the
// bit-exact result simulators compare against.
func (n *Network) RunCodes(x *importer.Tensor, mm MatMulFunc, workers int) ([]int32, []int, error) {
	return n.RunCodesInputs([]*importer.Tensor{x}, mm, workers)
}

// batchOf checks that xs holds one float batch per network input, all of
// the same size, and returns that size.
func (n *Network) batchOf(xs []*importer.Tensor) (int, error) {
	if len(xs) != len(n.Inputs) {
		return 0, fmt.Errorf("quant: run: %d input batches for the network's %d inputs (%s)", len(xs), len(n.Inputs), n.inputNames())
	}
	bs := -1
	for i, x := range xs {
		in := n.Inputs[i]
		if x == nil || len(x.Shape) == 0 {
			return 0, fmt.Errorf("quant: run: input %q must have a batch dimension", in.Name)
		}
		v := &n.Values[in.Value]
		if x.Shape[0] <= 0 || len(x.Float) != x.Shape[0]*v.size() {
			return 0, fmt.Errorf("quant: run: input %v (%d floats) does not hold a batch of %q %v", x.Shape, len(x.Float), in.Name, v.Shape)
		}
		if bs >= 0 && x.Shape[0] != bs {
			return 0, fmt.Errorf("quant: run: input %q has a batch of %d, input %q of %d", in.Name, x.Shape[0], n.Inputs[0].Name, bs)
		}
		bs = x.Shape[0]
	}
	return bs, nil
}

// inputNames lists the input names for messages.
func (n *Network) inputNames() string {
	names := make([]string, len(n.Inputs))
	for i, in := range n.Inputs {
		names[i] = strconv.Quote(in.Name)
	}
	return strings.Join(names, ", ")
}

// RunCodesInputs is RunCodes for every network input (see RunInputs).
func (n *Network) RunCodesInputs(xs []*importer.Tensor, mm MatMulFunc, workers int) ([]int32, []int, error) {
	codes, shapes, err := n.RunCodesOutputs(xs, mm, workers)
	if err != nil {
		return nil, nil, err
	}
	return codes[0], shapes[0], nil
}

// RunCodesOutputs is RunCodesInputs returning the codes of every output,
// in Outputs order.
func (n *Network) RunCodesOutputs(xs []*importer.Tensor, mm MatMulFunc, workers int) ([][]int32, [][]int, error) {
	if err := n.check(); err != nil {
		return nil, nil, err
	}
	xs = floatBatches(xs)
	bs, err := n.batchOf(xs)
	if err != nil {
		return nil, nil, err
	}
	golden := mm == nil
	if golden {
		mm = GoldenMatMul
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for _, l := range n.Linears {
		if l.cache == nil {
			l.cache = &packCache{}
		}
	}
	results := make([][]int32, len(n.Outputs))
	for i, o := range n.Outputs {
		results[i] = make([]int32, bs*n.Values[o.Value].size())
	}
	tasks := (bs + chunkSamples - 1) / chunkSamples
	workers = min(workers, tasks)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := getWorkState(n, golden)
			defer workStates.Put(ws)
			chunk := make([][]float32, len(xs))
			for !failed.Load() {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				lo, hi := t*chunkSamples, min((t+1)*chunkSamples, bs)
				for i, x := range xs {
					per := len(x.Float) / bs
					chunk[i] = x.Float[lo*per : hi*per]
				}
				if err := n.runChunk(chunk, hi-lo, mm, ws); err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				for i, o := range n.Outputs {
					per := n.Values[o.Value].size()
					copy(results[i][lo*per:hi*per], ws.vals[o.Value])
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	shapes := make([][]int, len(n.Outputs))
	for i, o := range n.Outputs {
		shapes[i] = append([]int{bs}, n.Values[o.Value].Shape...)
	}
	return results, shapes, nil
}

// workState is one worker's reusable memory: a buffer per value (the shapes
// repeat from chunk to chunk) and the lowering scratch, so that a run
// allocates per worker, not per chunk; workStates keeps them between runs
// (an evaluation calls RunCodes once per batch of a few dozen samples).
type workState struct {
	net    *Network  // the network whose values bufs holds
	golden bool      // mm is the golden GEMM: Conv may take the fused byte path
	bufs   [][]int32 // owned buffers by value index
	vals   [][]int32 // current contents (aliases for reshapes)
	cols   []int32
	acc    []int32
	abuf   []byte
	pimg   []byte
	pimg32 []int32 // im2col's zero-padded image
	mults  []Multiplier
	biases []int64
	offs   []int
}

var workStates sync.Pool

// getWorkState returns a workState for a run of n, reusing a pooled one
// (its value buffers only when it last ran n).
func getWorkState(n *Network, golden bool) *workState {
	ws, _ := workStates.Get().(*workState)
	if ws == nil {
		ws = &workState{}
	}
	if ws.net != n || len(ws.bufs) != len(n.Values) {
		ws.net = n
		ws.bufs = make([][]int32, len(n.Values))
		ws.vals = make([][]int32, len(n.Values))
	}
	ws.golden = golden
	return ws
}

// requantRows returns the workspace's per-column multipliers and biases for
// n output columns, reallocated only when n outgrows them (the contents are
// the caller's to fill).
func (ws *workState) requantRows(n int) ([]Multiplier, []int64) {
	if cap(ws.mults) < n {
		ws.mults = make([]Multiplier, n)
		ws.biases = make([]int64, n)
	}
	return ws.mults[:n], ws.biases[:n]
}

func grow(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// QuantizeInput converts float values of input i to its codes: round(x/s)
// (ties to even) clamped to the input value's code range.
func (n *Network) QuantizeInput(i int, x []float32, dst []int32) {
	in := &n.Values[n.Inputs[i].Value]
	lo, hi := in.Range()
	inv := 1 / in.Scale
	for i, v := range x {
		dst[i] = clamp32(roundSat32(float64(v)*inv), lo, hi)
	}
}

// runChunk runs bs samples, xs[i] holding those of input i; the outputs'
// codes are left in ws.vals.
func (n *Network) runChunk(xs [][]float32, bs int, mm MatMulFunc, ws *workState) error {
	vals := ws.vals
	for i, in := range n.Inputs {
		ws.bufs[in.Value] = grow(ws.bufs[in.Value], len(xs[i]))
		vals[in.Value] = ws.bufs[in.Value]
		n.QuantizeInput(i, xs[i], vals[in.Value])
	}
	for i := range n.Ops {
		op := &n.Ops[i]
		if err := n.exec(op, ws, bs, mm); err != nil {
			return fmt.Errorf("quant: %s %q: %w", op.Kind, op.Name, err)
		}
	}
	return nil
}

func (n *Network) exec(op *Op, ws *workState, bs int, mm MatMulFunc) error {
	vals := ws.vals
	outV := &n.Values[op.Out]
	if spec := kinds[op.Kind]; spec != nil && spec.alias {
		vals[op.Out] = vals[op.In[0]]
		return nil
	}
	ws.bufs[op.Out] = grow(ws.bufs[op.Out], bs*outV.size())
	out := ws.bufs[op.Out]
	vals[op.Out] = out
	spec := kinds[op.Kind]
	if spec == nil || spec.exec == nil {
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	return spec.exec(&execCtx{n: n, op: op, ws: ws, vals: vals, out: out, outV: outV, bs: bs, mm: mm})
}

// addShift is the left shift applied to both Add operands before they are
// rescaled to the common scale (TFLite's left_shift = 20): A-bit codes
// shifted by 20 stay below 2^28.
const addShift = 20

// applyPost applies a trailing Softmax/LogSoftmax in float64 over axis
// (of the full shape, batch included).
func applyPost(t *importer.Tensor, op string, axis int) error {
	r := len(t.Shape)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return fmt.Errorf("quant: %s axis %d out of range for rank %d", op, axis, r)
	}
	inner := 1
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	d := t.Shape[axis]
	outer := len(t.Float) / (d * inner)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*d*inner + in
			mx := math.Inf(-1)
			for i := 0; i < d; i++ {
				mx = math.Max(mx, float64(t.Float[base+i*inner]))
			}
			var s float64
			for i := 0; i < d; i++ {
				s += math.Exp(float64(t.Float[base+i*inner]) - mx)
			}
			for i := 0; i < d; i++ {
				v := float64(t.Float[base+i*inner]) - mx
				if op == "LogSoftmax" {
					t.Float[base+i*inner] = float32(v - math.Log(s))
				} else {
					t.Float[base+i*inner] = float32(math.Exp(v) / s)
				}
			}
		}
	}
	return nil
}
