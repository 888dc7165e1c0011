package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// ConvTranspose (any number of spatial axes): X [N, C, D...], W [C,
// M/group, k...], optional B [M]. Every input element scatters x·w into the
// output at o = i·stride - pad_begin + t·dilation. The output size per axis
// is stride·(in-1) + output_padding + (k-1)·dilation + 1 - pad_begin -
// pad_end, or output_shape when given (the pads are then derived from it,
// split as auto_pad says: SAME_UPPER puts the odd one at the end, otherwise
// at the beginning), or in·stride for SAME_UPPER/SAME_LOWER. Sums are
// accumulated in float64.
func init() {
	register("ConvTranspose", 2, 3, compileConvTranspose, shapeConvTranspose)
}

type convTAttrs struct {
	kernel, strides, dilations, pads, outPad, outShape []int
	autoPad                                            string
	group                                              int
}

func readConvTAttrs(n *importer.Node) (convTAttrs, error) {
	var a convTAttrs
	var err error
	for _, f := range []struct {
		name string
		dst  *[]int
	}{{"kernel_shape", &a.kernel}, {"strides", &a.strides}, {"dilations", &a.dilations}, {"pads", &a.pads},
		{"output_padding", &a.outPad}, {"output_shape", &a.outShape}} {
		if *f.dst, err = n.AttrSmallInts(f.name); err != nil {
			return a, err
		}
	}
	if a.autoPad, err = n.AttrString("auto_pad", "NOTSET"); err != nil {
		return a, err
	}
	switch a.autoPad {
	case "", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return a, fmt.Errorf("unknown auto_pad %q", a.autoPad)
	}
	g, err := n.AttrInt("group", 1)
	if err != nil {
		return a, err
	}
	if g < 1 || g > 1<<24 {
		return a, fmt.Errorf("group %d out of range", g)
	}
	a.group = int(g)
	return a, nil
}

// geometry resolves output size and begin pads for input spatial size in
// and kernel k.
func (a convTAttrs) geometry(in, k []int) (out, padB []int, err error) {
	sp := len(in)
	get := func(v []int, i, def int, name string) (int, error) {
		if v == nil {
			return def, nil
		}
		if len(v) != sp && !(name == "pads" && len(v) == 2*sp) {
			return 0, fmt.Errorf("%s %v does not have %d values", name, v, sp)
		}
		return v[i], nil
	}
	if a.kernel != nil && (len(a.kernel) != sp || !equalInts(a.kernel, k)) {
		return nil, nil, fmt.Errorf("kernel_shape %v differs from weight spatial shape %v", a.kernel, k)
	}
	if a.pads != nil && len(a.pads) != 2*sp {
		return nil, nil, fmt.Errorf("pads %v does not have %d values", a.pads, 2*sp)
	}
	out, padB = make([]int, sp), make([]int, sp)
	for i := 0; i < sp; i++ {
		s, err := get(a.strides, i, 1, "strides")
		if err != nil {
			return nil, nil, err
		}
		d, err := get(a.dilations, i, 1, "dilations")
		if err != nil {
			return nil, nil, err
		}
		op, err := get(a.outPad, i, 0, "output_padding")
		if err != nil {
			return nil, nil, err
		}
		if s <= 0 || d <= 0 || op < 0 || op >= max(s, d) {
			return nil, nil, fmt.Errorf("strides %v, dilations %v, output_padding %v out of range", a.strides, a.dilations, a.outPad)
		}
		ext := (k[i]-1)*d + 1
		full := s*(in[i]-1) + op + ext
		var total int
		switch {
		case a.outShape != nil:
			if len(a.outShape) != sp {
				return nil, nil, fmt.Errorf("output_shape %v does not have %d values", a.outShape, sp)
			}
			out[i] = a.outShape[i]
			total = full - out[i]
		case a.autoPad == "SAME_UPPER" || a.autoPad == "SAME_LOWER":
			out[i] = in[i] * s
			total = full - out[i]
		default:
			pb, pe := 0, 0
			if a.pads != nil && a.autoPad != "VALID" {
				pb, pe = a.pads[i], a.pads[sp+i]
			}
			if pb < 0 || pe < 0 {
				return nil, nil, fmt.Errorf("pads %v negative", a.pads)
			}
			padB[i] = pb
			out[i] = full - pb - pe
			if out[i] <= 0 {
				return nil, nil, fmt.Errorf("output size %d along axis %d", out[i], i)
			}
			continue
		}
		if out[i] <= 0 {
			return nil, nil, fmt.Errorf("output size %d along axis %d", out[i], i)
		}
		// Floor division, as the specification's Python: a negative total
		// (output_shape beyond the full size) pads the end, like
		// output_padding.
		half := total / 2
		if total < 0 && total%2 != 0 {
			half--
		}
		if a.autoPad == "SAME_UPPER" {
			padB[i] = half
		} else {
			padB[i] = total - half
		}
	}
	return out, padB, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func compileConvTranspose(c *compileCtx, n *importer.Node) (kernel, error) {
	at, err := readConvTAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x, w := ins[0], ins[1]
		var b *importer.Tensor
		if len(ins) > 2 {
			b = ins[2]
		}
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		if err := needFloat(w, "weight W"); err != nil {
			return nil, err
		}
		if len(x.Shape) < 3 || len(w.Shape) != len(x.Shape) {
			return nil, fmt.Errorf("input %v and weight %v must have the same rank ≥ 3", x.Shape, w.Shape)
		}
		N, C := x.Shape[0], x.Shape[1]
		G := at.group
		if C != w.Shape[0] || C%G != 0 {
			return nil, fmt.Errorf("input has %d channels, weight %v with group %d", C, w.Shape, G)
		}
		cg, mg := C/G, w.Shape[1]
		M := mg * G
		if b != nil {
			if err := needFloat(b, "bias B"); err != nil {
				return nil, err
			}
			if b.Len() != M {
				return nil, fmt.Errorf("bias %v, want [%d]", b.Shape, M)
			}
		}
		in, k := x.Shape[2:], w.Shape[2:]
		out, padB, err := at.geometry(in, k)
		if err != nil {
			return nil, err
		}
		dil := make([]int, len(in))
		str := make([]int, len(in))
		for i := range in {
			dil[i], str[i] = 1, 1
			if at.dilations != nil {
				dil[i] = at.dilations[i]
			}
			if at.strides != nil {
				str[i] = at.strides[i]
			}
		}
		outShape := append([]int{N, M}, out...)
		if _, err := importer.CheckNumElements(outShape); err != nil {
			return nil, err
		}
		inSize, outSize, kSize := importer.NumElements(in), importer.NumElements(out), importer.NumElements(k)
		// Output offset of every (input position, kernel tap), -1 when it
		// falls outside the output.
		target := make([]int, inSize*kSize)
		outSt := importer.Strides(out)
		ii := 0
		forEachIndex(in, func(ip []int) {
			kk := 0
			forEachIndex(k, func(kp []int) {
				o := 0
				for d := range ip {
					v := ip[d]*str[d] - padB[d] + kp[d]*dil[d]
					if v < 0 || v >= out[d] {
						o = -1
						break
					}
					o += v * outSt[d]
				}
				target[ii*kSize+kk] = o
				kk++
			})
			ii++
		})
		acc := make([]float64, M*outSize)
		res := ar.newFloat(outShape)
		for nn := 0; nn < N; nn++ {
			clear(acc)
			for g := 0; g < G; g++ {
				for ic := 0; ic < cg; ic++ {
					c := g*cg + ic
					xs := x.Float[(nn*C+c)*inSize : (nn*C+c+1)*inSize]
					for m := 0; m < mg; m++ {
						ws := w.Float[(c*mg+m)*kSize : (c*mg+m+1)*kSize]
						dst := acc[(g*mg+m)*outSize : (g*mg+m+1)*outSize]
						for p, xv := range xs {
							tg := target[p*kSize : (p+1)*kSize]
							for t, o := range tg {
								if o >= 0 {
									dst[o] += float64(xv) * float64(ws[t])
								}
							}
						}
					}
				}
			}
			for m := 0; m < M; m++ {
				bias := 0.0
				if b != nil {
					bias = float64(b.Float[m])
				}
				dst := res.Float[(nn*M+m)*outSize : (nn*M+m+1)*outSize]
				for i, v := range acc[m*outSize : (m+1)*outSize] {
					dst[i] = float32(v + bias)
				}
			}
		}
		return one(res), nil
	}, nil
}

// shapeConvTranspose is the shape rule of ConvTranspose.
func shapeConvTranspose(sc *shapeCtx) ([]*ValueShape, error) {
	x, w := sc.in(0), sc.in(1)
	unknown := []*ValueShape{{DType: importer.Float}}
	if !x.Known || !w.Known || len(x.Dims) < 3 || len(w.Dims) != len(x.Dims) {
		return unknown, nil
	}
	at, err := readConvTAttrs(sc.n)
	if err != nil {
		return nil, err
	}
	in, ok1 := intsOf(x.Dims[2:])
	k, ok2 := intsOf(w.Dims[2:])
	mg := w.Dims[1]
	if !ok1 || !ok2 || mg.Param != "" || IsUnknownDim(mg) {
		return unknown, nil
	}
	out, _, err := at.geometry(in, k)
	if err != nil {
		return nil, err
	}
	dims := append([]importer.Dim{x.Dims[0], fixed(int(mg.Value) * at.group)}, dimsOf(out)...)
	return []*ValueShape{{DType: importer.Float, Dims: dims, Known: true}}, nil
}

// ConvTransposeGeometry is what ConvTranspose node n does to spatial input
// size in with kernel k: the output size and begin padding per spatial
// axis, with the strides, dilations and group count. quant lowers the node
// to a Conv from it, so both paths share one reading of the attributes
// (output_shape, auto_pad, output_padding).
func ConvTransposeGeometry(n *importer.Node, in, k []int) (out, padBegin, strides, dilations []int, group int, err error) {
	a, err := readConvTAttrs(n)
	if err != nil {
		return nil, nil, nil, nil, 0, err
	}
	if out, padBegin, err = a.geometry(in, k); err != nil {
		return nil, nil, nil, nil, 0, err
	}
	strides, dilations = make([]int, len(in)), make([]int, len(in))
	for i := range in {
		strides[i], dilations[i] = 1, 1
		if a.strides != nil {
			strides[i] = a.strides[i]
		}
		if a.dilations != nil {
			dilations[i] = a.dilations[i]
		}
	}
	return out, padBegin, strides, dilations, a.group, nil
}
