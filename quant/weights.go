package quant

import "github.com/rramc/rramc/importer"

// WeightZeros counts the zero values and all values of the constant float
// weights of m's linear layers (Conv, Gemm, MatMul with a constant second
// operand): the weights quantization prunes and the mapper lays onto
// crossbars. It is how a model pruned and fine-tuned elsewhere reports its
// sparsity before any rramc pruning.
func WeightZeros(m *importer.Model) (zeros, total int) {
	g := m.Graph
	for _, n := range g.Nodes {
		if !isLinearOp(n.OpType) || len(n.Inputs) < 2 {
			continue
		}
		w := g.Initializers[n.Inputs[1]]
		if w == nil || !w.DType.IsFloat() {
			continue
		}
		total += len(w.Float)
		for _, v := range w.Float {
			if v == 0 {
				zeros++
			}
		}
	}
	return zeros, total
}
