package interp

import "github.com/rramc/rramc/importer"

// Activation fusion. A node whose output feeds only an activation (a Conv
// followed by Relu or a Clip with constant bounds, the pairs of nearly
// every CNN) runs as one step: the producer applies the activation to each
// block of its output as soon as the block is final, while it is still in
// cache, instead of a second pass over the whole tensor. The activation is
// the same slice function the unfused kernel runs (reluSlice, clampSlice)
// on the same values, so the bits are the same (TestFusedActivationBits).
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

// registerFusedProducer declares that op can apply an epilogue to its
// output: compile builds its kernel with ep fused in.
func registerFusedProducer(op string, compile func(c *compileCtx, n *importer.Node, ep epilogue) (kernel, error)) {
	opTable[op].fused = compile
}

// fuseSteps returns p.steps with every producer whose single output is
// read only by a fusable activation replaced by one step computing both
// (the activation's step dropped), or nil when nothing fuses.
func (p *Program) fuseSteps(cc *compileCtx, keep []bool) ([]step, error) {
	readers := make([][]int, p.nslots) // steps reading each slot, once per input
	for i, st := range p.steps {
		for _, s := range st.in {
			if s >= 0 {
				readers[s] = append(readers[s], i)
			}
		}
	}
	var fused []step
	drop := make([]bool, len(p.steps))
	for i, st := range p.steps {
		if drop[i] {
			continue
		}
		spec := opTable[st.node.OpType]
		if spec.fused == nil || len(st.out) != 1 || st.out[0] < 0 {
			fused = append(fused, st)
			continue
		}
		s := st.out[0]
		r := readers[s]
		if keep[s] || len(r) != 1 {
			fused = append(fused, st)
			continue
		}
		act := p.steps[r[0]]
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
