package interp

import (
	"fmt"
	"strings"

	"github.com/rramc/rramc/importer"
)

// Einsum over float inputs with an equation of letters, e.g. the attention
// patterns "bhid,bhjd->bhij" and "bhij,bhjd->bhid", "ij,jk->ik" or "ii->i"
// (a letter repeated within one input takes the diagonal). Without "->" the
// output holds the letters that occur once, in alphabetical order. Letters
// absent from the output are summed over (in float64). Ellipsis ("...") is
// refused.
func init() {
	register("Einsum", 1, -1, compileEinsum, shapeEinsum)
}

type einsumEq struct {
	ins []string
	out string
}

func parseEinsum(n *importer.Node) (einsumEq, error) {
	eq, err := n.AttrString("equation", "")
	if err != nil {
		return einsumEq{}, err
	}
	eq = strings.ReplaceAll(eq, " ", "")
	if strings.Contains(eq, ".") {
		return einsumEq{}, fmt.Errorf("equation %q: ellipsis is not supported", eq)
	}
	lhs, rhs, explicit := strings.Cut(eq, "->")
	e := einsumEq{ins: strings.Split(lhs, ",")}
	if len(e.ins) != len(n.Inputs) {
		return e, fmt.Errorf("equation %q has %d operands for %d inputs", eq, len(e.ins), len(n.Inputs))
	}
	count := map[rune]int{}
	for _, t := range e.ins {
		for _, r := range t {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return e, fmt.Errorf("equation %q: %q is not a letter", eq, r)
			}
			count[r]++
		}
	}
	if explicit {
		e.out = rhs
		for _, r := range rhs {
			if count[r] == 0 {
				return e, fmt.Errorf("equation %q: output letter %q is in no input", eq, r)
			}
		}
	} else {
		for r := 'A'; r <= 'z'; r++ {
			if count[r] == 1 {
				e.out += string(r)
			}
		}
	}
	return e, nil
}

func compileEinsum(c *compileCtx, n *importer.Node) (kernel, error) {
	eq, err := parseEinsum(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		size := map[rune]int{}
		for i, t := range ins {
			if err := needFloat(t, "input"); err != nil {
				return nil, err
			}
			if len(t.Shape) != len(eq.ins[i]) {
				return nil, fmt.Errorf("input %d has shape %v, the equation gives it %d axes", i, t.Shape, len(eq.ins[i]))
			}
			for j, r := range eq.ins[i] {
				if s, ok := size[r]; ok && s != t.Shape[j] {
					return nil, fmt.Errorf("letter %q is %d and %d", r, s, t.Shape[j])
				}
				size[r] = t.Shape[j]
			}
		}
		// All letters: output ones first, then the summed ones.
		letters := []rune(eq.out)
		for _, t := range eq.ins {
			for _, r := range t {
				if !strings.ContainsRune(string(letters), r) {
					letters = append(letters, r)
				}
			}
		}
		pos := map[rune]int{}
		dims := make([]int, len(letters))
		for i, r := range letters {
			pos[r], dims[i] = i, size[r]
		}
		outShape := dims[:len(eq.out)]
		nOut, err := importer.CheckNumElements(outShape)
		if err != nil {
			return nil, err
		}
		if _, err := importer.CheckNumElements(dims); err != nil {
			return nil, err
		}
		// Stride of every letter in every input.
		st := make([][]int, len(ins))
		for i, t := range ins {
			st[i] = make([]int, len(letters))
			ts := importer.Strides(t.Shape)
			for j, r := range eq.ins[i] {
				st[i][pos[r]] += ts[j]
			}
		}
		acc := make([]float64, nOut)
		inner := importer.NumElements(dims[len(eq.out):])
		o := 0
		forEachIndex(dims, func(idx []int) {
			p := 1.0
			for i, t := range ins {
				off := 0
				for j, v := range idx {
					off += v * st[i][j]
				}
				p *= float64(t.Float[off])
			}
			acc[o/inner] += p
			o++
		})
		out := ar.newFloat(append([]int(nil), outShape...))
		for i, v := range acc {
			out.Float[i] = float32(v)
		}
		return one(out), nil
	}, nil
}

// shapeEinsum is the shape rule of Einsum.
func shapeEinsum(sc *shapeCtx) ([]*ValueShape, error) {
	eq, err := parseEinsum(sc.n)
	if err != nil {
		return nil, err
	}
	size := map[rune]importer.Dim{}
	for i, t := range eq.ins {
		s := sc.in(i)
		if !s.Known || len(s.Dims) != len(t) {
			return []*ValueShape{{DType: importer.Float}}, nil
		}
		for j, r := range t {
			if d, ok := size[r]; !ok || d == fixed(1) {
				size[r] = s.Dims[j]
			}
		}
	}
	dims := []importer.Dim{}
	for _, r := range eq.out {
		dims = append(dims, size[r])
	}
	return []*ValueShape{{DType: importer.Float, Dims: dims, Known: true}}, nil
}
