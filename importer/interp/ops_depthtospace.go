package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// DepthToSpace moves blocks of channels into space, [N, C, H, W] →
// [N, C/b², H·b, W·b], in DCR (default) or CRD order; SpaceToDepth is its
// inverse in DCR order.
func init() {
	register("DepthToSpace", 1, 1, compileDepthSpace, shapeDepthSpace)
	register("SpaceToDepth", 1, 1, compileDepthSpace, shapeDepthSpace)
}

type depthSpace struct {
	toSpace bool
	b       int
	crd     bool
}

func readDepthSpace(n *importer.Node) (depthSpace, error) {
	ds := depthSpace{toSpace: n.OpType == "DepthToSpace"}
	b, err := n.AttrInt("blocksize", 0)
	if err != nil {
		return ds, err
	}
	if b < 1 || b > 1<<12 {
		return ds, fmt.Errorf("blocksize %d out of range", b)
	}
	ds.b = int(b)
	mode, err := n.AttrString("mode", "DCR")
	if err != nil {
		return ds, err
	}
	switch {
	case mode == "CRD" && ds.toSpace:
		ds.crd = true
	case mode != "DCR":
		return ds, fmt.Errorf("mode %q not supported", mode)
	}
	return ds, nil
}

// outShape checks the input [N,C,H,W] and returns the output shape.
func (ds depthSpace) outShape(in []int) ([]int, error) {
	if len(in) != 4 {
		return nil, fmt.Errorf("input %v must be 4-D", in)
	}
	n, c, h, w, b := in[0], in[1], in[2], in[3], ds.b
	if ds.toSpace {
		if c%(b*b) != 0 {
			return nil, fmt.Errorf("%d channels not divisible by blocksize² %d", c, b*b)
		}
		return []int{n, c / (b * b), h * b, w * b}, nil
	}
	if h%b != 0 || w%b != 0 {
		return nil, fmt.Errorf("spatial size %dx%d not divisible by blocksize %d", h, w, b)
	}
	return []int{n, c * b * b, h / b, w / b}, nil
}

func compileDepthSpace(c *compileCtx, n *importer.Node) (kernel, error) {
	ds, err := readDepthSpace(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		shape, err := ds.outShape(x.Shape)
		if err != nil {
			return nil, err
		}
		b := ds.b
		C, H, W := x.Shape[1], x.Shape[2], x.Shape[3]
		src := make([]int, 0, x.Len())
		forEachIndex(shape, func(idx []int) {
			nn, c, y, z := idx[0], idx[1], idx[2], idx[3]
			var ic, iy, iz int
			if ds.toSpace {
				oc := shape[1]
				by, bz := y%b, z%b
				iy, iz = y/b, z/b
				if ds.crd {
					ic = c*b*b + by*b + bz
				} else {
					ic = (by*b+bz)*oc + c
				}
			} else {
				// output channel c = (by·b + bz)·C + ic (DCR)
				blk := c / C
				ic = c % C
				iy, iz = y*b+blk/b, z*b+blk%b
			}
			src = append(src, ((nn*C+ic)*H+iy)*W+iz)
		})
		return one(gatherTensor(x, shape, src, 0)), nil
	}, nil
}

// shapeDepthSpace is the shape rule of DepthToSpace and SpaceToDepth.
func shapeDepthSpace(sc *shapeCtx) ([]*ValueShape, error) {
	x := sc.in(0)
	ds, err := readDepthSpace(sc.n)
	if err != nil {
		return nil, err
	}
	in, ok := intsOf(x.Dims)
	if !x.Known || !ok {
		return []*ValueShape{{DType: x.DType}}, nil
	}
	shape, err := ds.outShape(in)
	if err != nil {
		return nil, err
	}
	return []*ValueShape{{DType: x.DType, Dims: dimsOf(shape), Known: true}}, nil
}
