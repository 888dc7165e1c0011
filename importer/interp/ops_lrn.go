package interp

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// LRN (local response normalization across channels) divides each value
// of [N, C, ...] by a power of the sum of squares over a window of size
// channels around its own:
//
//	Y[n,c,...] = X[n,c,...] / (bias + alpha/size · Σ_{i ∈ window(c)} X[n,i,...]²)^beta
//
// with the window of LRNWindow. Sums are accumulated in float64.
func init() {
	register("LRN", 1, 1, compileLRN, shapeSame)
}

// LRNParams are LRN's attributes.
type LRNParams struct {
	Alpha, Beta, Bias float64
	Size              int
}

// LRNAttrs reads LRN's attributes (size is required and positive).
func LRNAttrs(n *importer.Node) (LRNParams, error) {
	var p LRNParams
	for _, a := range []struct {
		name string
		def  float32
		dst  *float64
	}{{"alpha", 1e-4, &p.Alpha}, {"beta", 0.75, &p.Beta}, {"bias", 1, &p.Bias}} {
		v, err := n.AttrFloat(a.name, a.def)
		if err != nil {
			return p, err
		}
		*a.dst = float64(v)
	}
	size, err := n.AttrInt("size", 0)
	if err != nil {
		return p, err
	}
	if size < 1 || size > math.MaxInt32 {
		return p, fmt.Errorf("%w: node %q (LRN): size %d (must be a positive channel count)", importer.ErrInvalidModel, n.Name, size)
	}
	p.Size = int(size)
	return p, nil
}

// LRNWindow is the channels [lo, hi] whose squares LRN sums for channel c
// of C: from c - floor((size-1)/2) to c + ceil((size-1)/2), within range.
func LRNWindow(c, channels, size int) (lo, hi int) {
	return max(0, c-(size-1)/2), min(channels-1, c+size/2)
}

func compileLRN(c *compileCtx, n *importer.Node) (kernel, error) {
	p, err := LRNAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needFloat(x, "input"); err != nil {
			return nil, err
		}
		if len(x.Shape) < 2 {
			return nil, fmt.Errorf("input %v must be [N, C, ...]", x.Shape)
		}
		channels := x.Shape[1]
		plane := importer.NumElements(x.Shape[2:])
		y := ar.newFloat(x.Shape)
		for b := 0; b < x.Shape[0]; b++ {
			base := b * channels * plane
			for ch := 0; ch < channels; ch++ {
				lo, hi := LRNWindow(ch, channels, p.Size)
				for i := 0; i < plane; i++ {
					var sq float64
					for k := lo; k <= hi; k++ {
						v := float64(x.Float[base+k*plane+i])
						sq += v * v
					}
					o := base + ch*plane + i
					y.Float[o] = float32(float64(x.Float[o]) / math.Pow(p.Bias+p.Alpha/float64(p.Size)*sq, p.Beta))
				}
			}
		}
		return one(y), nil
	}, nil
}
