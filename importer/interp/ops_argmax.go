package interp

import (
	"math"

	"github.com/rramc/rramc/importer"
)

// ArgMax and ArgMin: the int64 index of the largest (smallest) value along
// axis (default 0), the first one on ties or the last with
// select_last_index; NaN counts as the extreme value, as numpy's argmax
// does. keepdims (default 1) keeps the axis as size 1.
func init() {
	register("ArgMax", 1, 1, compileArg, shapeArg)
	register("ArgMin", 1, 1, compileArg, shapeArg)
}

type argAttrs struct {
	axis       int64
	keep, last bool
}

func readArgAttrs(n *importer.Node) (argAttrs, error) {
	var a argAttrs
	var err error
	if a.axis, err = n.AttrInt("axis", 0); err != nil {
		return a, err
	}
	k, err := n.AttrInt("keepdims", 1)
	if err != nil {
		return a, err
	}
	l, err := n.AttrInt("select_last_index", 0)
	if err != nil {
		return a, err
	}
	a.keep, a.last = k != 0, l != 0
	return a, nil
}

func compileArg(c *compileCtx, n *importer.Node) (kernel, error) {
	at, err := readArgAttrs(n)
	if err != nil {
		return nil, err
	}
	isMax := n.OpType == "ArgMax"
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input data"); err != nil {
			return nil, err
		}
		ax, err := normAxis(at.axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		outer := importer.NumElements(x.Shape[:ax])
		d := x.Shape[ax]
		inner := importer.NumElements(x.Shape[ax+1:])
		var shape []int
		shape = append(shape, x.Shape[:ax]...)
		if at.keep {
			shape = append(shape, 1)
		}
		shape = append(shape, x.Shape[ax+1:]...)
		out := &importer.Tensor{DType: importer.Int64, Shape: shape, Int: make([]int64, outer*inner)}
		if d == 0 {
			return nil, importer.NodeErrorf(n, "axis %d of %v is empty", ax, x.Shape)
		}
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				best := 0
				bv := float64(x.Float[o*d*inner+i])
				for j := 1; j < d; j++ {
					v := float64(x.Float[(o*d+j)*inner+i])
					better := false
					switch {
					case math.IsNaN(bv):
						better = at.last && math.IsNaN(v)
					case math.IsNaN(v):
						better = true
					case isMax:
						better = v > bv || at.last && v == bv
					default:
						better = v < bv || at.last && v == bv
					}
					if better {
						best, bv = j, v
					}
				}
				out.Int[o*inner+i] = int64(best)
			}
		}
		return one(out), nil
	}, nil
}

// shapeArg is the shape rule of ArgMax and ArgMin.
func shapeArg(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	at, err := readArgAttrs(sc.n)
	if err != nil {
		return nil, err
	}
	if !x.Known {
		return []*ValueShape{{DType: importer.Int64}}, nil
	}
	ax, err := normAxis(at.axis, len(x.Dims))
	if err != nil {
		return nil, err
	}
	dims := append([]importer.Dim{}, x.Dims[:ax]...)
	if at.keep {
		dims = append(dims, fixed(1))
	}
	dims = append(dims, x.Dims[ax+1:]...)
	return []*ValueShape{{DType: importer.Int64, Dims: dims, Known: true}}, nil
}
