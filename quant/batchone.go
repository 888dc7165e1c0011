package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// Graphs that move the batch axis. The integer program runs samples
// independently: each value's Shape leaves out the batch axis, which the
// ONNX graph keeps first. A graph whose values do not all keep the input's
// batch axis first, and which cannot be built that way, is quantized at
// batch 1 instead (prepareAt). Transformers break that: ViT's attention puts the
// sequence first and the batch second, Swin's and MaxViT's window
// partitions fold the batch into the window count ([B·64, 49, C]), and
// their shape arithmetic (Shape → Gather → Div → Reshape) does not fold
// while the batch is symbolic. Such a graph is quantized at batch 1 (its
// input's batch dimension fixed to 1 before optimization, so every shape
// chain folds): a sample is then the whole batch-1 tensor, each value's
// Shape is its full ONNX shape (builder.lead = 0), and the integer program
// still runs any number of samples, one after the other. The network's
// inputs and outputs alone keep the form of every network's, the sample
// without the leading axis of 1 (aliases give the graph the full shape):
// whoever feeds the network, the QDQ export and a mapping file's inputs
// put the batch axis in front of them, so an export of a network
// quantized at batch 1 declares the model's own input and output shapes.
//
// The builders of ops defined on a batch-first layout (Conv, Gemm, pooling,
// BatchNorm: their kinds' geometry excludes the batch) keep their form:
// their inputs are given without the leading axis of size 1 and their
// outputs are taken back to the full shape by whoever reads them (an alias,
// no work). Builders of axis-agnostic or axis-explicit ops (reshapes,
// transposes, concatenation, elementwise ops, MatMul, LayerNorm, Softmax,
// index-map copies) read b.lead.

// movesBatch reports whether a value computed by a node of the optimized
// graph g lacks the graph input's batch dimension as its first axis (an
// unresolved shape chain, a batch folded into another axis, a batch moved
// to the second axis).
func movesBatch(g *importer.Graph) bool {
	if len(g.Inputs) == 0 || len(g.Inputs[0].Shape) == 0 {
		return false
	}
	batch := g.Inputs[0].Shape[0]
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			vi, ok := g.ValueInfo[o]
			if !ok || len(vi.Shape) == 0 {
				return true
			}
			d := vi.Shape[0]
			if batch.Param != "" && d.Param != batch.Param || batch.Param == "" && d.Value != batch.Value {
				return true
			}
		}
	}
	return false
}

// batchPinnable reports whether the batch dimension of every input of g
// can be fixed to 1 (it is symbolic or already 1).
func batchPinnable(g *importer.Graph) bool {
	if len(g.Inputs) == 0 {
		return false
	}
	for _, in := range g.Inputs {
		if len(in.Shape) == 0 {
			return false
		}
		d := in.Shape[0]
		if !(d.Param != "" || d.Value == 1 || interp.IsUnknownDim(d) || d.Value <= 0) {
			return false
		}
	}
	return true
}

// batchMoveWhy says why a node that moves the batch axis has no integer
// form in a graph quantized with the batch outside its values: every sample
// runs on its own, and the graph could not be quantized at batch 1 instead
// when an input's batch is fixed above 1 (then the batch is part of what
// the model computes, across samples).
func (b *builder) batchMoveWhy() string {
	why := "the integer model runs every sample on its own"
	for _, in := range b.g.Inputs {
		if len(in.Shape) > 0 && in.Shape[0].Value > 1 {
			return fmt.Sprintf("%s, and input %q's batch is fixed at %d (a graph that moves the batch axis is quantized at batch 1 only when every input's batch is 1 or symbolic)",
				why, in.Name, in.Shape[0].Value)
		}
	}
	return why
}

// runDry builds the program without calibration (as Placement does) and
// reports whether some node had no integer form.
func (b *builder) runDry() (failed bool) {
	if _, err := b.run(); err != nil {
		return true
	}
	return len(b.unsup) > 0
}

// batchFirstOps are the ops whose builders take values without the batch
// axis (the layout of the Network's geometry) in a graph quantized at batch
// 1; every other builder reads b.lead.
var batchFirstOps = map[string]bool{
	"Conv": true, "MaxPool": true, "AveragePool": true, "GlobalAveragePool": true,
	"GlobalMaxPool": true, "BatchNormalization": true, "ReduceMean": true, "ReduceMax": true,
	"ReduceMin": true, "ReduceSum": true, "ReduceProd": true, "ReduceL1": true, "ReduceL2": true,
	"ReduceSumSquare": true, "ReduceLogSum": true, "ReduceLogSumExp": true,
	"Resize": true, "Upsample": true, "ConvTranspose": true, "InstanceNormalization": true, "LRN": true,
}

// adaptInputs gives every integer input of n the form its builder takes
// (graphs quantized at batch 1 only; see the file comment). It returns a
// reason when an input cannot take it.
func (b *builder) adaptInputs(n *importer.Node) string {
	full := !batchFirstOps[n.OpType]
	for _, name := range n.Inputs {
		v, ok := b.vals[name]
		if !ok {
			continue
		}
		if !full && len(b.net.Values[v].Shape) == b.onnxRank(name) && (len(b.net.Values[v].Shape) == 0 || b.net.Values[v].Shape[0] != 1) {
			return fmt.Sprintf("input %q %v: its first axis is not a batch axis of 1, which %s needs", name, b.net.Values[v].Shape, n.OpType)
		}
		b.batchForm(n.Name, name, v, full)
	}
	return ""
}

// onnxRank is the rank the graph gives value name (-1 if unknown).
func (b *builder) onnxRank(name string) int {
	vi, ok := b.g.ValueInfo[name]
	if !ok || vi.Shape == nil {
		for _, in := range b.g.Inputs {
			if in.Name == name {
				return len(in.Shape)
			}
		}
		return -1
	}
	return len(vi.Shape)
}

// batchForm re-registers value v (named name) with its full ONNX shape
// (full) or without the leading axis of size 1, through a free alias that
// belongs to node node, and returns the value that now stands for name.
func (b *builder) batchForm(node, name string, v int, full bool) int {
	s := b.net.Values[v].Shape
	r := b.onnxRank(name)
	var shape []int
	switch {
	case full && r >= 0 && len(s) == r-1:
		shape = append([]int{1}, s...)
	case !full && r >= 0 && len(s) == r && len(s) > 0 && s[0] == 1:
		shape = s[1:]
	default:
		return v
	}
	a := b.aliasValue(name, v, shape)
	b.emit(Op{Kind: OpReshape, Name: node, In: []int{v}, Out: a})
	return a
}
