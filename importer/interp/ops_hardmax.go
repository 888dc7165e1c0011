package interp

import "github.com/rramc/rramc/importer"

// Hardmax sets the first largest value along axis (default -1; before
// opset 13 the input is flattened to 2-D around axis, default 1, as
// Softmax) to 1 and every other value to 0.
func init() {
	register("Hardmax", 1, 1, compileHardmax, shapeSame)
}

func compileHardmax(c *compileCtx, n *importer.Node) (kernel, error) {
	def := int64(-1)
	if c.opset < 13 {
		def = 1
	}
	axis, err := n.AttrInt("axis", def)
	if err != nil {
		return nil, err
	}
	old := c.opset < 13
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input"); err != nil {
			return nil, err
		}
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		outer := importer.NumElements(x.Shape[:ax])
		d := x.Shape[ax]
		inner := importer.NumElements(x.Shape[ax+1:])
		if old {
			d, inner = importer.NumElements(x.Shape[ax:]), 1
		}
		out := importer.NewFloat(x.Shape, nil)
		if d == 0 {
			return one(out), nil
		}
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				best := 0
				for j := 1; j < d; j++ {
					if x.Float[(o*d+j)*inner+i] > x.Float[(o*d+best)*inner+i] {
						best = j
					}
				}
				out.Float[(o*d+best)*inner+i] = 1
			}
		}
		return one(out), nil
	}, nil
}
