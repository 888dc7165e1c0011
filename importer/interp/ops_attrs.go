package interp

import "github.com/rramc/rramc/importer"
import "fmt"

// one returns a kernel result with a single output.
func one(t *importer.Tensor) []*importer.Tensor { return []*importer.Tensor{t} }

// needFloat checks that input i is a float tensor.
func needFloat(t *importer.Tensor, what string) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	if !t.IsFloat() {
		return fmt.Errorf("%s must be a float tensor, have %s", what, t)
	}
	return nil
}

// intList reads a 1-D (or scalar) integer tensor used as shape, axes, pads...
func intList(t *importer.Tensor, what string) ([]int64, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("%s must be 1-D, have shape %v", what, t.Shape)
	}
	if t.IsFloat() {
		return nil, fmt.Errorf("%s must be an integer tensor, have %s", what, t)
	}
	return t.Int, nil
}
