package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

func init() {
	register("Softmax", 1, 1, compileSoftmax, shapeSame)
	register("LogSoftmax", 1, 1, compileSoftmax, shapeSame)
	register("BatchNormalization", 5, 5, compileBatchNorm, shapeSame)
}

// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D
// [prod(shape[:axis]), prod(shape[axis:])] (default axis 1) and normalised
// over the second dim; from 13 normalisation is along the one axis (default
// -1). Sums are in float64 after subtracting the maximum.
func compileSoftmax(c *compileCtx, n *importer.Node) (kernel, error) {
	legacy := c.opset < 13
	def := int64(-1)
	if legacy {
		def = 1
	}
	axis, err := n.AttrInt("axis", def)
	if err != nil {
		return nil, err
	}
	logOut := n.OpType == "LogSoftmax"
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input"); err != nil {
			return nil, err
		}
		r := len(x.Shape)
		if r == 0 {
			return nil, fmt.Errorf("input must have rank >= 1")
		}
		a, err := normAxis(axis, r)
		if err != nil {
			return nil, err
		}
		var outer, dim, inner int
		if legacy {
			outer, dim, inner = importer.NumElements(x.Shape[:a]), importer.NumElements(x.Shape[a:]), 1
		} else {
			outer, dim, inner = importer.NumElements(x.Shape[:a]), x.Shape[a], importer.NumElements(x.Shape[a+1:])
		}
		out := ar.newFloat(x.Shape)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				m := float32(math.Inf(-1))
				for d := 0; d < dim; d++ {
					if v := x.Float[base+d*inner]; v > m {
						m = v
					}
				}
				var s float64
				for d := 0; d < dim; d++ {
					s += math.Exp(float64(x.Float[base+d*inner] - m))
				}
				ls := math.Log(s)
				for d := 0; d < dim; d++ {
					z := float64(x.Float[base+d*inner] - m)
					if logOut {
						out.Float[base+d*inner] = float32(z - ls)
					} else {
						out.Float[base+d*inner] = float32(math.Exp(z) / s)
					}
				}
			}
		}
		return one(out), nil
	}, nil
}

// BatchNormCoefficients folds inference BatchNormalization into y = a·x + b per
// channel: a = scale/sqrt(var+eps), b = bias - mean·a (float64, rounded once).
func BatchNormCoefficients(scale, bias, mean, variance *importer.Tensor, eps float32) (a, b []float32, err error) {
	for i, t := range []*importer.Tensor{scale, bias, mean, variance} {
		if err := needFloat(t, fmt.Sprintf("input %d", i+1)); err != nil {
			return nil, nil, err
		}
		if len(t.Shape) != 1 || t.Shape[0] != scale.Len() {
			return nil, nil, fmt.Errorf("input %d has shape %v, want [%d]", i+1, t.Shape, scale.Len())
		}
	}
	c := scale.Len()
	a, b = make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		inv := 1 / math.Sqrt(float64(variance.Float[i])+float64(eps))
		av := float64(scale.Float[i]) * inv
		a[i] = float32(av)
		b[i] = float32(float64(bias.Float[i]) - float64(mean.Float[i])*av)
	}
	return a, b, nil
}

func compileBatchNorm(c *compileCtx, n *importer.Node) (kernel, error) {
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	if tm, err := n.AttrInt("training_mode", 0); err != nil {
		return nil, err
	} else if tm != 0 {
		return nil, fmt.Errorf("training_mode=1 is not supported (inference only)")
	}
	if sp, err := n.AttrInt("spatial", 1); err != nil {
		return nil, err
	} else if sp != 1 {
		return nil, fmt.Errorf("spatial=0 is not supported")
	}
	for i, o := range n.Outputs {
		if i > 0 && o != "" {
			return nil, fmt.Errorf("training outputs (output %d %q) are not supported", i, o)
		}
	}
	var preA, preB []float32
	if s, bb, m, v := c.constInput(n, 1), c.constInput(n, 2), c.constInput(n, 3), c.constInput(n, 4); s != nil && bb != nil && m != nil && v != nil {
		if preA, preB, err = BatchNormCoefficients(s, bb, m, v, eps); err != nil {
			return nil, err
		}
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input X"); err != nil {
			return nil, err
		}
		a, b := preA, preB
		if a == nil {
			var err error
			if a, b, err = BatchNormCoefficients(ins[1], ins[2], ins[3], ins[4], eps); err != nil {
				return nil, err
			}
		}
		if len(x.Shape) < 2 || x.Shape[1] != len(a) {
			return nil, fmt.Errorf("input %v does not have %d channels in dim 1", x.Shape, len(a))
		}
		out := ar.newFloat(x.Shape)
		N, C := x.Shape[0], x.Shape[1]
		sp := importer.NumElements(x.Shape[2:])
		for i := 0; i < N; i++ {
			for ch := 0; ch < C; ch++ {
				off := (i*C + ch) * sp
				src, dst := x.Float[off:off+sp], out.Float[off:off+sp]
				av, bv := a[ch], b[ch]
				for j, v := range src {
					dst[j] = v*av + bv
				}
			}
		}
		return one(out), nil
	}, nil
}
