package interp

import (
	"slices"
	"sync"

	"github.com/rramc/rramc/importer"
)

// Activation fusion. A node whose output feeds only an activation (a Conv
// followed by Relu or a Clip with constant bounds, the pairs of nearly
// every CNN) runs as one step: the producer applies the activation to each
// block of its output as soon as the block is final, while it is still in
// cache, instead of a second pass over the whole tensor. The activation is
// the same slice function the unfused kernel runs (reluSlice, clampSlice)
// on the same values, so the bits are the same (TestFusedActivationBits).
//
// A gated activation, x·act(x) written as the activation then a Mul of the
// producer's output with the activation's (HardSwish as HardSigmoid and
// Mul in opset-13 exports, SiLU as Sigmoid and Mul), fuses the same way:
// the epilogue copies a block of the output into a small buffer, runs the
// activation's epilogue on it and multiplies in the Mul's operand order,
// the float32 operations of the separate nodes (TestFusedActivationBits).
//
// Run uses the fused steps. RunObserved and RunVisited run the graph node
// by node, unfused, because their observer sees every node's output,
// including the producer's before the activation.

// epilogue transforms final output values in place.
type epilogue func(v []float32)

// apply runs ep over v (nothing when ep is nil).
func (ep epilogue) apply(v []float32) {
	if ep != nil {
		ep(v)
	}
}

// applyRows runs ep over columns [c0,c1) of rows [r0,r1) of a row-major
// matrix with leading dimension ldc.
func (ep epilogue) applyRows(c []float32, ldc, r0, r1, c0, c1 int) {
	for r := r0; r < r1; r++ {
		ep(c[r*ldc+c0 : r*ldc+c1])
	}
}

// epiloguePanels is how many finished gemmNR-column panels of the GEMM's
// output gemmBlock hands to the epilogue at once: a few KB per row, still
// in cache, and few enough calls that the call costs little per value.
const epiloguePanels = 16

// registerEpilogue declares op an activation that a producer may fuse:
// bind returns its epilogue for node n, or nil when n cannot be fused
// (a bound known only at run time, say).
func registerEpilogue(op string, bind func(c *compileCtx, n *importer.Node) epilogue) {
	opTable[op].epilogue = bind
}

// registerGate declares op a gating product: a two-input op that, given a
// producer's output x and act(x) for an activation with an epilogue,
// computes their elementwise product: mul sets dst[i] = a[i]·b[i] for its
// inputs a, b in order.
func registerGate(op string, mul func(dst, a, b []float32)) {
	opTable[op].gate = mul
}

// gateBuffers holds the gate epilogue's buffers of activation values (a
// buffer passed to a function value escapes, so it cannot live on the
// stack).
var gateBuffers = sync.Pool{New: func() any { return new([256]float32) }}

// gateEpilogue is x ← mul(x, act(x)) (xFirst) or mul(act(x), x), through
// a buffer of act's values.
func gateEpilogue(act epilogue, mul func(dst, a, b []float32), xFirst bool) epilogue {
	return func(v []float32) {
		buf := gateBuffers.Get().(*[256]float32)
		defer gateBuffers.Put(buf)
		for len(v) > 0 {
			n := min(len(v), len(buf))
			g, x := buf[:n], v[:n]
			copy(g, x)
			act(g)
			if xFirst {
				mul(x, x, g)
			} else {
				mul(x, g, x)
			}
			v = v[n:]
		}
	}
}

// gatePattern reports whether the two readers r of slot s are an
// activation with an epilogue and a gating product of s and that
// activation's output, which nothing else reads; it returns their
// epilogue and the product's step (-1 otherwise).
func gatePattern(cc *compileCtx, steps []step, s int, r []int, readers [][]int, keep []bool) (epilogue, int) {
	if len(r) != 2 || r[0] == r[1] {
		return nil, -1
	}
	act, mul := steps[r[0]], steps[r[1]]
	aspec, mspec := opTable[act.node.OpType], opTable[mul.node.OpType]
	if aspec.epilogue == nil || mspec.gate == nil || len(act.in) != 1 || act.in[0] != s || len(act.out) != 1 || len(mul.in) != 2 || len(mul.out) != 1 {
		return nil, -1
	}
	h := act.out[0]
	if h < 0 || keep[h] || len(readers[h]) != 1 || readers[h][0] != r[1] {
		return nil, -1
	}
	var xFirst bool
	switch {
	case mul.in[0] == s && mul.in[1] == h:
		xFirst = true
	case mul.in[0] == h && mul.in[1] == s:
	default:
		return nil, -1
	}
	ep := aspec.epilogue(cc, act.node)
	if ep == nil {
		return nil, -1
	}
	return gateEpilogue(ep, mspec.gate, xFirst), r[1]
}

// registerFusedProducer declares that op can apply an epilogue to its
// output: compile builds its kernel with ep fused in.
func registerFusedProducer(op string, compile func(c *compileCtx, n *importer.Node, ep epilogue) (kernel, error)) {
	opTable[op].fused = compile
}

// fuseSteps returns p.steps with every producer whose single output is
// read only by a fusable activation replaced by one step computing both
// (the activation's step dropped), or nil when nothing fuses.
func (p *Program) fuseSteps(cc *compileCtx, keep []bool) ([]step, error) {
	steps, err := p.fuseResiduals(cc, keep)
	if err != nil {
		return nil, err
	}
	readers := slotReaders(steps, p.nslots)
	var fused []step
	drop := make([]bool, len(steps))
	for i, st := range steps {
		if drop[i] {
			continue
		}
		spec := opTable[st.node.OpType]
		if spec.fused == nil || st.chain || len(st.out) != 1 || st.out[0] < 0 {
			fused = append(fused, st)
			continue
		}
		s := st.out[0]
		r := readers[s]
		if keep[s] {
			fused = append(fused, st)
			continue
		}
		if ep, last := gatePattern(cc, steps, s, r, readers, keep); ep != nil {
			run, err := spec.fused(cc, st.node, ep)
			if err != nil {
				return nil, importer.NodeError(st.node, err)
			}
			fused = append(fused, step{node: st.node, run: run, in: st.in, out: steps[last].out})
			drop[r[0]], drop[last] = true, true
			continue
		}
		if len(r) != 1 {
			fused = append(fused, st)
			continue
		}
		act := steps[r[0]]
		aspec := opTable[act.node.OpType]
		if aspec.epilogue == nil || len(act.in) == 0 || act.in[0] != s || len(act.out) != 1 {
			fused = append(fused, st)
			continue
		}
		ep := aspec.epilogue(cc, act.node)
		if ep == nil {
			fused = append(fused, st)
			continue
		}
		run, err := spec.fused(cc, st.node, ep)
		if err != nil {
			return nil, importer.NodeError(st.node, err)
		}
		fused = append(fused, step{node: st.node, run: run, in: st.in, out: act.out})
		drop[r[0]] = true
	}
	if len(fused) == len(p.steps) {
		return nil, nil
	}
	return fused, nil
}

// slotReaders lists, per slot, the steps reading it (once per input).
func slotReaders(steps []step, nslots int) [][]int {
	readers := make([][]int, nslots)
	for i, st := range steps {
		for _, s := range st.in {
			if s >= 0 {
				readers[s] = append(readers[s], i)
			}
		}
	}
	return readers
}

// Residual fusion. In a residual block the last Conv's output is read only
// by an Add with the block's shortcut, whose sum is read only by an
// activation: Conv → Add → Relu, two more passes over the activations.
// Fused, the Conv adds the shortcut and applies the activation to each
// output row as it is final (residual.apply), in the same float32
// operations as the separate nodes: the one addition with the operands in
// the Add node's order, then the activation's epilogue function.

// residualSpec is what a producer compiled with a fused residual Add
// needs to know: on which side of the Add its output is, and the
// activation after the Add (nil: none). The residual tensor itself is the
// fused step's last input.
type residualSpec struct {
	first bool // the Add computes shortcut + output (else output + shortcut)
	act   epilogue
}

// residual is a residualSpec bound to the shortcut's values for one run.
type residual struct {
	residualSpec
	r     []float32 // the shortcut, indexed like the output (nil: none, act only)
	shape []int     // the shortcut's shape
}

// fits reports whether rs can be applied to an output of the given shape:
// the shortcut must have exactly that shape.
func (rs *residual) fits(shape []int) bool {
	return rs == nil || rs.r == nil || slices.Equal(rs.shape, shape)
}

// apply finishes v, the output values [off, off+len(v)): the Add with
// the shortcut, then the activation.
func (rs *residual) apply(v []float32, off int) {
	if rs == nil {
		return
	}
	if rs.r != nil {
		r := rs.r[off : off+len(v)]
		if rs.first {
			for i := range v {
				v[i] = r[i] + v[i]
			}
		} else {
			for i := range v {
				v[i] += r[i]
			}
		}
	}
	rs.act.apply(v)
}

// applyParallel runs apply over all of out split over workers.
func (rs *residual) applyParallel(out []float32, workers int) {
	if rs == nil {
		return
	}
	parallelElementwise(len(out), workers, func(lo, hi int) { rs.apply(out[lo:hi], lo) })
}

// registerResidualProducer declares that op can fuse a residual Add (and
// the activation after it) into its output.
func registerResidualProducer(op string, compile func(c *compileCtx, n *importer.Node, rs residualSpec) (kernel, error)) {
	opTable[op].residualFused = compile
}

// registerResidualAdd declares op the elementwise float32 addition a
// residual producer fuses (Add).
func registerResidualAdd(op string) { opTable[op].residualAdd = true }

// fuseResiduals returns p.steps with every chain producer → Add [→
// activation] replaced by one step, where the producer's output is read
// only by the Add and the activation (if any) is the only reader of the
// Add's output. When both operands of the Add are such producers, the
// later one takes the Add. The fused step runs at the Add's position
// (every input is computed by then); it reads the producer's inputs and
// then the shortcut.
func (p *Program) fuseResiduals(cc *compileCtx, keep []bool) ([]step, error) {
	readers := slotReaders(p.steps, p.nslots)
	producedBy := make([]int, p.nslots)
	for i := range producedBy {
		producedBy[i] = -1
	}
	for i, st := range p.steps {
		for _, s := range st.out {
			if s >= 0 {
				producedBy[s] = i
			}
		}
	}
	sole := func(s int) int { // the one step reading slot s, or -1
		if s < 0 || keep[s] || len(readers[s]) != 1 {
			return -1
		}
		return readers[s][0]
	}
	drop := make([]bool, len(p.steps))
	at := map[int]step{}
	for j, add := range p.steps {
		if !opTable[add.node.OpType].residualAdd || len(add.in) != 2 || len(add.out) != 1 || add.in[0] == add.in[1] {
			continue
		}
		// The operand computed last by a residual producer read only here.
		side := -1
		for k, s := range add.in {
			if s < 0 || sole(s) != j {
				continue
			}
			i := producedBy[s]
			if i < 0 || drop[i] || opTable[p.steps[i].node.OpType].residualFused == nil || len(p.steps[i].out) != 1 {
				continue
			}
			if side < 0 || i > producedBy[add.in[side]] {
				side = k
			}
		}
		if side < 0 {
			continue
		}
		pi := producedBy[add.in[side]]
		prod := p.steps[pi]
		rs := residualSpec{first: side == 1}
		out := add.out
		act := -1
		if a := sole(add.out[0]); a >= 0 {
			as := p.steps[a]
			if spec := opTable[as.node.OpType]; spec.epilogue != nil && len(as.in) > 0 && as.in[0] == add.out[0] && len(as.out) == 1 {
				if rs.act = spec.epilogue(cc, as.node); rs.act != nil {
					act, out = a, as.out
				}
			}
		}
		run, err := opTable[prod.node.OpType].residualFused(cc, prod.node, rs)
		if err != nil {
			return nil, importer.NodeError(prod.node, err)
		}
		in := append(append([]int(nil), prod.in...), add.in[1-side])
		at[j] = step{node: prod.node, run: run, in: in, out: out, chain: true}
		drop[pi] = true
		if act >= 0 {
			drop[act] = true
		}
	}
	if len(at) == 0 {
		return p.steps, nil
	}
	var steps []step
	for i, st := range p.steps {
		if fs, ok := at[i]; ok {
			steps = append(steps, fs)
		} else if !drop[i] {
			steps = append(steps, st)
		}
	}
	return steps, nil
}
