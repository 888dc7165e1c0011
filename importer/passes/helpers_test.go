package passes

import (
	"github.com/rramc/rramc/importer/internal/tensortest"
	"math/rand/v2"

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

// tensorsClose is tensortest.Close.
func tensorsClose(got, want *importer.Tensor, tol float64) error {
	return tensortest.Close(got, want, tol)
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
