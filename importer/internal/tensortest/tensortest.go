// Package tensortest compares tensors in the importer packages' tests: the
// one definition of "close enough" their float and integer checks share.
package tensortest

import (
	"fmt"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// Close reports how got differs from want: shape, element type, any integer
// element, or a float element off by more than tol relative to max(1, |want|)
// (NaN must meet NaN). nil when they agree.
func Close(got, want *importer.Tensor, tol float64) error {
	if got == nil {
		return fmt.Errorf("nil output")
	}
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.IsFloat() != want.IsFloat() {
		return fmt.Errorf("type %s, want %s", got, want)
	}
	if !want.IsFloat() {
		for i := range want.Int {
			if got.Int[i] != want.Int[i] {
				return fmt.Errorf("element %d = %d, want %d (got %v)", i, got.Int[i], want.Int[i], got.Int)
			}
		}
		return nil
	}
	for i := range want.Float {
		g, w := float64(got.Float[i]), float64(want.Float[i])
		if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Errorf("element %d = %v, want %v (got %v)", i, g, w, got.Float)
		}
	}
	return nil
}
