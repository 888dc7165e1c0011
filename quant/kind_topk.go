package quant

import (
	"fmt"
	"slices"
	"sort"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpTopK: the K largest (or smallest) codes along one
// per-sample axis, in order, or their indices (TopK; sorted, equal values
// keep the lower index first, as ONNX's reference orders them). Codes are
// the real values over one positive scale, so the order is the float
// model's exactly. TopK's two outputs are two ops over the same input:
// Mode bit topkIndices selects the indices (whole numbers, scale 1) instead
// of the values (the input's codes and encoding); bit topkSmallest orders
// from the smallest. K is the output's length along the axis.

const (
	topkSmallest = 1
	topkIndices  = 2
)

func init() {
	registerKind(OpTopK, kindSpec{modes: 4, exec: execTopK, check: checkTopK,
		export: func(*exportCtx) error { return fmt.Errorf("TopK has no QDQ form in this exporter") },
		work:   topkWork})
	registerBuilder("TopK", (*builder).topK)
}

// topkWork: a sorting network's comparisons, charged as n·log2(n)
// comparisons per line of n candidates (at least one per candidate).
func topkWork(n *Network, op *Op) DigitalWork {
	in := &n.Values[op.In[0]]
	if op.Axis < 0 || op.Axis >= len(in.Shape) || in.Shape[op.Axis] == 0 {
		return DigitalWork{}
	}
	d := int64(in.Shape[op.Axis])
	lines := n.elems(op.In[0]) / d
	log := int64(1)
	for 1<<log < d {
		log++
	}
	return DigitalWork{PoolOps: lines * d * log}
}

func execTopK(x *execCtx) error {
	op := x.op
	in := &x.n.Values[op.In[0]]
	outer, d, inner := argMaxSplit(in.Shape, op.Axis)
	k := x.outV.Shape[op.Axis]
	per, perOut := in.size(), x.outV.size()
	order := make([]int, d)
	for s := 0; s < x.bs; s++ {
		src := x.vals[op.In[0]][s*per : (s+1)*per]
		dst := x.out[s*perOut : (s+1)*perOut]
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				at := func(j int) int32 { return src[(o*d+j)*inner+i] }
				for j := range order {
					order[j] = j
				}
				sort.SliceStable(order, func(p, q int) bool {
					if op.Mode&topkSmallest != 0 {
						return at(order[p]) < at(order[q])
					}
					return at(order[p]) > at(order[q])
				})
				for j := 0; j < k; j++ {
					v := at(order[j])
					if op.Mode&topkIndices != 0 {
						v = int32(order[j])
					}
					dst[(o*k+j)*inner+i] = v
				}
			}
		}
	}
	return nil
}

func checkTopK(x *checkCtx) error {
	op, in, out := x.op, x.in, x.out
	if op.Axis < 0 || op.Axis >= len(in.Shape) || len(out.Shape) != len(in.Shape) {
		return fmt.Errorf("axis %d of shape %v, output %v", op.Axis, in.Shape, out.Shape)
	}
	for a := range in.Shape {
		if a != op.Axis && out.Shape[a] != in.Shape[a] || a == op.Axis && out.Shape[a] > in.Shape[a] {
			return fmt.Errorf("output %v for input %v along axis %d", out.Shape, in.Shape, op.Axis)
		}
	}
	if op.Mode&topkIndices != 0 {
		if out.Scale != 1 || out.Signed || int(x.ohi) < in.Shape[op.Axis]-1 {
			return fmt.Errorf("indices %v scale %g signed %v do not hold %d positions", out.Shape, out.Scale, out.Signed, in.Shape[op.Axis])
		}
		return nil
	}
	if !in.sameEncoding(out) {
		return fmt.Errorf("TopK values change the encoding")
	}
	return nil
}

// topK builds TopK with a constant K over a per-sample axis: one op for each
// output the graph uses.
func (b *builder) topK(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	k := int(attrInt(n, "k", -1))
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		ks, ok := constInts(b.g, n.Inputs[1])
		if !ok || len(ks) != 1 {
			b.unsupported(n, "K is not a constant")
			return nil
		}
		k = ks[0]
	}
	axis, ok := b.perSampleAxis(n, int(attrInt(n, "axis", -1)), len(vx.Shape))
	if !ok {
		return nil
	}
	if k < 0 || k > vx.Shape[axis] {
		return fmt.Errorf("quant: %w: %s: K %d for an axis of %d", importer.ErrInvalidModel, nodeWhere(n), k, vx.Shape[axis])
	}
	// sorted = 0 allows any order of the K; the sorted one is one of them.
	mode := 0
	if attrInt(n, "largest", 1) == 0 {
		mode |= topkSmallest
	}
	shape := slices.Clone(vx.Shape)
	shape[axis] = k
	for i, out := range n.Outputs[:min(2, len(n.Outputs))] {
		if out == "" || len(b.cons[out]) == 0 && !isGraphOutput(b.g, out) {
			continue // an output nothing reads
		}
		if i == 0 {
			v := b.aliasValue(out, x, shape)
			lo, hi := vx.Range()
			b.emit(Op{Kind: OpTopK, Name: n.Name, In: []int{x}, Out: v, Axis: axis, Lo: lo, Hi: hi, Mode: mode})
			continue
		}
		v := b.newValue(out, shape, 1, false)
		if _, hi := b.net.Values[v].Range(); int(hi) < vx.Shape[axis]-1 {
			b.unsupported(n, fmt.Sprintf("%d positions do not fit %d-bit codes", vx.Shape[axis], b.net.Values[v].Bits))
			return nil
		}
		b.emit(Op{Kind: OpTopK, Name: n.Name, In: []int{x}, Out: v, Axis: axis, Lo: 0, Hi: int32(vx.Shape[axis] - 1), Mode: mode | topkIndices})
	}
	return nil
}
