package passes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/rramc/rramc/importer"
)

// Test helpers (the interpreter's tests have the same ones; test code
// cannot be shared across packages without exporting it).

func aInt(name string, v int64) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrInt, I: v}
}

func aInts(name string, v ...int64) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrInts, Ints: v}
}

func aFloat(name string, v float32) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrFloat, F: v}
}

func attrMap(as ...*importer.Attr) map[string]*importer.Attr {
	m := map[string]*importer.Attr{}
	for _, a := range as {
		m[a.Name] = a
	}
	return m
}

func tensorsClose(got, want *importer.Tensor, tol float64) error {
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

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func aTensor(name string, t *importer.Tensor) *importer.Attr {
	return &importer.Attr{Name: name, Kind: importer.AttrTensor, T: t}
}

func ft(shape []int, v ...float32) *importer.Tensor { return importer.NewFloat(shape, v) }
