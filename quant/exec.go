package quant

import (
	"fmt"
	"math"
	"runtime"
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
// product; nil means the exact golden GEMM (GoldenMatMul).
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
	codes, shape, err := n.RunCodes(x, mm, workers)
	if err != nil {
		return nil, err
	}
	s := n.Values[n.Output].Scale
	if n.OutputDType.IsInteger() {
		// Whole values (labels, counts): the dequantized codes rounded.
		out := &importer.Tensor{DType: n.OutputDType, Shape: shape, Int: make([]int64, len(codes))}
		for i, c := range codes {
			out.Int[i] = int64(math.Round(float64(c) * s))
		}
		return out, nil
	}
	out := &importer.Tensor{DType: importer.Float, Shape: shape, Float: make([]float32, len(codes))}
	for i, c := range codes {
		out.Float[i] = float32(float64(c) * s)
	}
	if n.Post != "" {
		if err := applyPost(out, n.Post, n.PostAxis); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunCodes runs the integer program and returns the integer codes of the
// output value (shape [batch, ...]) without dequantization: the bit-exact
// result simulators compare against.
func (n *Network) RunCodes(x *importer.Tensor, mm MatMulFunc, workers int) ([]int32, []int, error) {
	if err := n.check(); err != nil {
		return nil, nil, err
	}
	if x == nil || len(x.Shape) == 0 {
		return nil, nil, fmt.Errorf("quant: run: input must have a batch dimension")
	}
	in := &n.Values[n.Input]
	per := in.size()
	bs := x.Shape[0]
	if bs <= 0 || len(x.Float) != bs*per {
		return nil, nil, fmt.Errorf("quant: run: input %v (%d floats) does not hold a batch of %q %v", x.Shape, len(x.Float), n.InputName, in.Shape)
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
	outV := &n.Values[n.Output]
	outPer := outV.size()
	result := make([]int32, bs*outPer)
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
			for !failed.Load() {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				lo, hi := t*chunkSamples, min((t+1)*chunkSamples, bs)
				codes, err := n.runChunk(x.Float[lo*per:hi*per], hi-lo, mm, ws)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				copy(result[lo*outPer:hi*outPer], codes)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	shape := append([]int{bs}, outV.Shape...)
	return result, shape, nil
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

func grow(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// QuantizeInput converts float inputs to input codes: round(x/s) (ties to
// even) clamped to the input value's code range.
func (n *Network) QuantizeInput(x []float32, dst []int32) {
	in := &n.Values[n.Input]
	lo, hi := in.Range()
	inv := 1 / in.Scale
	for i, v := range x {
		dst[i] = clamp32(roundSat32(float64(v)*inv), lo, hi)
	}
}

func (n *Network) runChunk(x []float32, bs int, mm MatMulFunc, ws *workState) ([]int32, error) {
	vals := ws.vals
	ws.bufs[n.Input] = grow(ws.bufs[n.Input], len(x))
	vals[n.Input] = ws.bufs[n.Input]
	n.QuantizeInput(x, vals[n.Input])
	for i := range n.Ops {
		op := &n.Ops[i]
		if err := n.exec(op, ws, bs, mm); err != nil {
			return nil, fmt.Errorf("quant: %s %q: %w", op.Kind, op.Name, err)
		}
	}
	return vals[n.Output], nil
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
