package quant

import (
	"fmt"
	"math/big"

	"github.com/rramc/rramc/importer"
)

// Cast of an integer value. It is no kind of its own: each form becomes
// the kind that does it exactly.
//
//   - Whole numbers or booleans to a float type, and a float value to a
//     float type at least as wide as float32: the real value of every code
//     is unchanged, so the codes are shared (OpReshape, no work).
//   - A float value to an integer type: ONNX truncates toward zero. The
//     code q stands for q·s exactly, so trunc(q·s) is computed once per
//     code with exact rational arithmetic into a table (OpLUT), which the
//     digital units read; the output is whole numbers at scale 1. Codes
//     whose result does not fit the output codes or the target type make
//     the node unsupported rather than saturate silently.
//   - A float or integer value to bool: q·s ≠ 0 exactly when q ≠ 0, a
//     table of 0/1.
//   - Whole numbers (an index, a cast's result: scale 1) or booleans to an
//     integer type that holds every code: the codes are shared.
//
// A float value cast to float16 or bfloat16 is refused: rounding to their
// short mantissa moves values off the code grid.

func init() {
	registerBuilder("Cast", (*builder).cast)
}

func (b *builder) cast(n *importer.Node) error {
	x, ok := b.integerInput(n)
	if !ok {
		return nil
	}
	to64, _ := n.AttrInt("to", 0)
	to, from := importer.DataType(to64), b.dtype(n.Inputs[0])
	vx := b.net.Values[x]
	switch {
	case to.IsFloat() && (from.IsInteger() || from == importer.Bool):
		return b.reshape(n)
	case to.IsFloat() && from.IsFloat() && (to == importer.Float || to == importer.Double):
		return b.reshape(n)
	case from.IsFloat() && (to.IsInteger() || to == importer.Bool), to == importer.Bool && from.IsInteger():
		return b.castToWhole(n, x, to)
	case (from.IsInteger() || from == importer.Bool) && to.IsInteger():
		lo, hi := vx.Range()
		tlo, thi := to.IntRange()
		if vx.Scale == 1 && int64(lo) >= tlo && int64(hi) <= thi {
			return b.reshape(n)
		}
		b.unsupported(n, fmt.Sprintf("Cast from %v to %v of codes [%d, %d] at scale %g (whole numbers are kept only at scale 1 within the target's range)", from, to, lo, hi, vx.Scale))
		return nil
	}
	b.unsupported(n, fmt.Sprintf("Cast from %v to %v (only whole numbers to a float type, a float type to float32, float64, an integer type or bool keep every code's value)", from, to))
	return nil
}

// castToWhole tabulates Cast of every input code to integer type (or bool)
// to.
func (b *builder) castToWhole(n *importer.Node, x int, to importer.DataType) error {
	vx := b.net.Values[x]
	lo, hi := vx.Range()
	tlo, thi := to.IntRange()
	table := make([]int32, hi-lo+1)
	signed := false
	s := new(big.Rat).SetFloat64(vx.Scale)
	for q := lo; q <= hi; q++ {
		var w int64
		if to == importer.Bool {
			if q != 0 {
				w = 1
			}
		} else {
			t := new(big.Rat).Mul(s, new(big.Rat).SetInt64(int64(q)))
			// Quo truncates toward zero, as ONNX's Cast does
			tr := new(big.Int).Quo(t.Num(), t.Denom())
			if !tr.IsInt64() || tr.Int64() < tlo || tr.Int64() > thi {
				b.unsupported(n, fmt.Sprintf("code %d (%g) is outside %v", q, float64(q)*vx.Scale, to))
				return nil
			}
			w = tr.Int64()
		}
		table[q-lo] = int32(w)
		signed = signed || w < 0
	}
	v := b.newValue(n.Outputs[0], vx.Shape, 1, signed)
	olo, ohi := b.net.Values[v].Range()
	for q, w := range table {
		if w < olo || w > ohi {
			b.unsupported(n, fmt.Sprintf("Cast of code %d gives %d, outside %d-bit codes", int32(q)+lo, w, b.net.Values[v].Bits))
			return nil
		}
	}
	b.emit(Op{Kind: OpLUT, Name: n.Name, In: []int{x}, Out: v, Lo: olo, Hi: ohi, Table: table})
	return nil
}
