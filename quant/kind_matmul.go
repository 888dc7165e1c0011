package quant

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rramc/rramc/importer"
)

// The integer op kind OpMatMul: the product of two activations, A [..., M, K]
// × B [..., K, N] with equal leading axes (attention's Q·K^T and weights·V).
// Neither operand is constant, so it cannot be programmed into a crossbar:
// it runs on the digital units (exact int64 sums of code products,
// requantized by M = s_a·s_b/s_y) and the cost model charges its M·N·K
// multiply-accumulates as digital work (products and additions).

func init() {
	registerKind(OpMatMul, kindSpec{inputs: 2, exec: execMatMul, check: checkMatMul, export: exportMatMul, work: workMatMul})
	registerBuilder("MatMul", (*builder).matMul)
	registerBuilder("Einsum", (*builder).einsum)
}

// matMulDims returns the batch count (product of the leading axes), M, K
// and N of a per-sample product a × b.
func matMulDims(a, b []int) (batch, m, k, n int) {
	ra, rb := len(a), len(b)
	batch = 1
	for _, d := range a[:ra-2] {
		batch *= d
	}
	return batch, a[ra-2], a[ra-1], b[rb-1]
}

func execMatMul(x *execCtx) error {
	op := x.op
	va, vb := &x.n.Values[op.In[0]], &x.n.Values[op.In[1]]
	batch, m, k, nn := matMulDims(va.Shape, vb.Shape)
	a, b := x.vals[op.In[0]], x.vals[op.In[1]]
	mu := op.Mult[0]
	acc := make([]int64, nn)
	for s := 0; s < x.bs*batch; s++ {
		as, bs, os := a[s*m*k:(s+1)*m*k], b[s*k*nn:(s+1)*k*nn], x.out[s*m*nn:(s+1)*m*nn]
		for i := 0; i < m; i++ {
			clear(acc)
			for kk, av := range as[i*k : (i+1)*k] {
				if av == 0 {
					continue
				}
				a64 := int64(av)
				for j, bv := range bs[kk*nn : (kk+1)*nn] {
					acc[j] += a64 * int64(bv)
				}
			}
			for j, v := range acc {
				os[i*nn+j] = clamp32(sat32(mu.apply64(max(min(v, 1<<31), -(1<<31)))), op.Lo, op.Hi)
			}
		}
	}
	return nil
}

func checkMatMul(x *checkCtx) error {
	va, vb, out := x.in, &x.n.Values[x.op.In[1]], x.out
	if len(va.Shape) < 2 || len(vb.Shape) != len(va.Shape) || !slices.Equal(va.Shape[:len(va.Shape)-2], vb.Shape[:len(vb.Shape)-2]) ||
		va.Shape[len(va.Shape)-1] != vb.Shape[len(vb.Shape)-2] {
		return fmt.Errorf("operands %v × %v", va.Shape, vb.Shape)
	}
	want := slices.Clone(va.Shape)
	want[len(want)-1] = vb.Shape[len(vb.Shape)-1]
	if !slices.Equal(out.Shape, want) || len(x.op.Mult) != 1 {
		return fmt.Errorf("output %v, want %v", out.Shape, want)
	}
	return nil
}

func exportMatMul(x *exportCtx) error {
	x.w.node("MatMul", []string{x.in, x.w.fname[x.op.In[1]]}, x.tmp)
	x.w.fname[x.op.Out] = x.w.qdq(x.op.Out, x.tmp, x.op.Lo, x.op.Hi)
	return nil
}

// workMatMul: M·N·K multiply-accumulates (a product of two codes and an
// addition each) and M·N requantizations per leading index.
func workMatMul(n *Network, op *Op) DigitalWork {
	batch, m, k, nn := matMulDims(n.Values[op.In[0]].Shape, n.Values[op.In[1]].Shape)
	macs := int64(batch) * int64(m) * int64(k) * int64(nn)
	return DigitalWork{Requant: macs + int64(batch)*int64(m)*int64(nn), Adds: macs}
}

// matMul builds OpMatMul for a MatMul whose operands are both activations
// (one with a constant operand is a crossbar layer, built by linear).
func (b *builder) matMul(n *importer.Node) error {
	x, ok1 := b.input(n, 0)
	y, ok2 := b.input(n, 1)
	if !ok1 || !ok2 {
		b.unsupported(n, "operands must be activations or a constant weight matrix")
		return nil
	}
	return b.matMulOf(n, x, y)
}

// matMulOf emits OpMatMul of values x and y for node n.
func (b *builder) matMulOf(n *importer.Node, x, y int) error {
	va, vb := b.net.Values[x], b.net.Values[y]
	if len(va.Shape) < 2 || len(vb.Shape) != len(va.Shape) || !slices.Equal(va.Shape[:len(va.Shape)-2], vb.Shape[:len(vb.Shape)-2]) ||
		va.Shape[len(va.Shape)-1] != vb.Shape[len(vb.Shape)-2] {
		b.unsupported(n, fmt.Sprintf("operands %v × %v per sample (equal leading axes needed)", va.Shape, vb.Shape))
		return nil
	}
	shape := slices.Clone(va.Shape)
	shape[len(shape)-1] = vb.Shape[len(vb.Shape)-1]
	sy, signed, lo, hi := b.encode(n.Outputs[0], va.Signed || vb.Signed, math.Inf(-1), math.Inf(1))
	v := b.newValue(n.Outputs[0], shape, sy, signed)
	b.emit(Op{Kind: OpMatMul, Name: n.Name, In: []int{x, y}, Out: v, Lo: lo, Hi: hi,
		Mult: []Multiplier{NewMultiplier(va.Scale * vb.Scale / sy)}})
	return nil
}

// einsum builds the two Einsum equations attention is written with
// (MaxViT): "...ij,...jd->...id" (a product) and "...id,...jd->...ij" (a
// product with the second operand's last two axes swapped, by OpTranspose),
// with the same letters for the leading axes of both operands and the
// output.
func (b *builder) einsum(n *importer.Node) error {
	eq, _ := n.AttrString("equation", "")
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, out, ok := strings.Cut(eq, "->")
	a, c, ok2 := strings.Cut(lhs, ",")
	if !ok || !ok2 || len(n.Inputs) != 2 || len(a) < 2 || len(a) != len(c) || len(out) != len(a) ||
		a[:len(a)-2] != c[:len(c)-2] || out[:len(out)-2] != a[:len(a)-2] {
		b.unsupported(n, fmt.Sprintf("equation %q (only batched products of two operands)", eq))
		return nil
	}
	i, k := a[len(a)-2], a[len(a)-1]
	r := len(a) - 2
	var transposeB bool
	switch {
	case c[r] == k && out[r] == i && out[r+1] == c[r+1] && c[r+1] != i && c[r+1] != k:
		// A[i,k]·B[k,d]
	case c[r+1] == k && out[r] == i && out[r+1] == c[r] && c[r] != i && c[r] != k:
		transposeB = true // A[i,k]·B[j,k]
	default:
		b.unsupported(n, fmt.Sprintf("equation %q (only batched products of two operands)", eq))
		return nil
	}
	x, ok1 := b.input(n, 0)
	y, ok3 := b.input(n, 1)
	if !ok1 || !ok3 {
		b.unsupported(n, "operands must be activations")
		return nil
	}
	if transposeB {
		vy := b.net.Values[y]
		rk := len(vy.Shape)
		if rk < 2 {
			b.unsupported(n, fmt.Sprintf("operand %v", vy.Shape))
			return nil
		}
		perm := make([]int, rk)
		for j := range perm {
			perm[j] = j
		}
		perm[rk-2], perm[rk-1] = rk-1, rk-2
		shape := slices.Clone(vy.Shape)
		shape[rk-2], shape[rk-1] = shape[rk-1], shape[rk-2]
		t := b.aliasValue(n.Inputs[1]+"__T", y, shape)
		b.emit(Op{Kind: OpTranspose, Name: n.Name, In: []int{y}, Out: t, Perm: perm})
		y = t
	}
	return b.matMulOf(n, x, y)
}
