package quant

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpTranspose: permutations of the per-sample axes.

func init() {
	registerKind(OpTranspose, kindSpec{keepsEncoding: true, exec: execTranspose, check: checkTranspose, export: exportTranspose})
	registerBuilder("Transpose", (*builder).transpose)
}

func execTranspose(x *execCtx) error {
	n := x.n
	op := x.op
	vals := x.vals
	out := x.out
	bs := x.bs
	transpose(vals[op.In[0]], n.Values[op.In[0]].Shape, op.Perm, out, bs)
	return nil
}

func checkTranspose(x *checkCtx) error {
	op := x.op
	in := x.in
	out := x.out
	if !in.sameEncoding(out) {
		return fmt.Errorf("transpose changes the encoding")
	}
	if len(op.Perm) != len(in.Shape) || len(out.Shape) != len(in.Shape) {
		return fmt.Errorf("perm %v for shape %v", op.Perm, in.Shape)
	}
	seen := make([]bool, len(op.Perm))
	for i, p := range op.Perm {
		if p < 0 || p >= len(seen) || seen[p] || out.Shape[i] != in.Shape[p] {
			return fmt.Errorf("perm %v for shape %v -> %v", op.Perm, in.Shape, out.Shape)
		}
		seen[p] = true
	}
	return nil
}

func exportTranspose(x *exportCtx) error {
	w := x.w
	op := x.op
	in := x.in
	tmp := x.tmp
	perm := []int64{0}
	for _, p := range op.Perm {
		perm = append(perm, int64(p+1))
	}
	w.node("Transpose", []string{in}, tmp, attrIs("perm", perm...))
	w.fname[op.Out] = tmp
	return nil
}

func (b *builder) transpose(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	vx := b.net.Values[x]
	perm := attrInts(n, "perm")
	if b.lead == 0 {
		// quantized at batch 1: perm permutes the value's own axes
		if perm == nil {
			for i := len(vx.Shape) - 1; i >= 0; i-- {
				perm = append(perm, i)
			}
		}
		if len(perm) != len(vx.Shape) {
			return fmt.Errorf("quant: %w: %s: perm %v for rank %d", importer.ErrInvalidModel, nodeWhere(n), perm, len(vx.Shape))
		}
		perm = append([]int{0}, perm...)
		for i := range perm[1:] {
			perm[i+1]++
		}
	}
	r := len(vx.Shape) + 1
	if perm == nil {
		b.unsupported(n, "the default perm reverses the axes and moves the batch axis: "+b.batchMoveWhy())
		return nil
	}
	if len(perm) != r || perm[0] != 0 {
		b.unsupported(n, fmt.Sprintf("perm %v moves the batch axis: %s", perm, b.batchMoveWhy()))
		return nil
	}
	pp := make([]int, r-1)
	shape := make([]int, r-1)
	for i, p := range perm[1:] {
		if p < 1 || p >= r {
			return fmt.Errorf("quant: %w: %s: perm %v", importer.ErrInvalidModel, nodeWhere(n), perm)
		}
		pp[i] = p - 1
		shape[i] = vx.Shape[p-1]
	}
	v := b.aliasValue(n.Outputs[0], x, shape)
	b.emit(Op{Kind: OpTranspose, Name: n.Name, In: []int{x}, Out: v, Perm: pp})
	return nil
}

// transpose permutes the per-sample axes of src (shape per sample) by perm.
func transpose(src []int32, shape, perm []int, dst []int32, bs int) {
	r := len(shape)
	per := 1
	for _, d := range shape {
		per *= d
	}
	stride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		stride[i] = s
		s *= shape[i]
	}
	outShape := make([]int, r)
	outStride := make([]int, r) // input stride of each output axis
	for i, p := range perm {
		outShape[i] = shape[p]
		outStride[i] = stride[p]
	}
	idx := make([]int, r)
	for b := 0; b < bs; b++ {
		sb := src[b*per : (b+1)*per]
		db := dst[b*per : (b+1)*per]
		for i := range idx {
			idx[i] = 0
		}
		off := 0
		for o := range db {
			db[o] = sb[off]
			for a := r - 1; a >= 0; a-- {
				idx[a]++
				off += outStride[a]
				if idx[a] < outShape[a] {
					break
				}
				off -= outStride[a] * outShape[a]
				idx[a] = 0
			}
		}
	}
}
