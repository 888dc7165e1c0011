package mapper

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Scheme is one way of laying a bit-sliced weight matrix onto crossbars. Each
// scheme lives in its own file; adding one is a new type registered in
// init.
type Scheme interface {
	// Name is the name used on the command line and in mapping files.
	Name() string
	// MapGroup lays out one K×N group (in.W, row-major, in.Bits-bit two's
	// complement, already range-checked) onto in.Geo (in.CellBits is
	// in.Geo.CellBits).
	MapGroup(in *GroupInput) (*GroupMap, error)
	// IndexBits is the index-table storage in bits the periphery needs to
	// use g (doc.go lists what each scheme counts).
	IndexBits(g *GroupMap, d Dims) int64
}

// Dims are the sizes of one layer group: K rows, N outputs, B weight bits,
// and the bits per cell of the geometry (0 counts as 1), which set the
// number of digit columns per output (DigitCount).
type Dims struct{ K, N, Bits, CellBits int }

// GroupInput is what a scheme maps: one group's weights with its sizes,
// the geometry and the options.
type GroupInput struct {
	Dims
	W    []int32
	Geo  Geometry
	Opts Options
}

// digits is the digit table of the group's weights on its cells.
func (in *GroupInput) digits() []Digit { return Digits(in.Bits, in.Geo.CellBits) }

// Options select and tune a scheme.
type Options struct {
	// Scheme is the scheme name ("dense", "zerocol", "sre", "colsim",
	// "colsim-comp", "rowreorder").
	Scheme string
	// MaxShare bounds the owners of one kept column in the colsim family
	// (2 = the paper's pairs, 0 = unlimited); other schemes ignore it (Map
	// stores 0 for them).
	MaxShare int
	// Window is the number of candidate rows rowreorder scans per pick
	// (0 = DefaultWindow).
	Window int
	// Workers is the number of layer groups mapped at once (0 = GOMAXPROCS).
	Workers int
}

// DefaultWindow is rowreorder's default candidate window.
const DefaultWindow = 64

var schemes = map[string]Scheme{}

func register(s Scheme) { schemes[s.Name()] = s }

// LookupScheme returns the scheme with the given name.
func LookupScheme(name string) (Scheme, error) {
	if s, ok := schemes[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("mapper: unknown scheme %q (known: %s)", name, strings.Join(SchemeNames(), ", "))
}

// SchemeNames lists the registered schemes in sorted order.
func SchemeNames() []string {
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// usesMaxShare reports whether the scheme honours Options.MaxShare.
func usesMaxShare(name string) bool {
	return slices.Contains([]string{"colsim", "colsim-comp", "rowreorder"}, name)
}

// bitsFor is ceil(log2(n)): the bits of an index over n values (0 for n ≤ 1).
func bitsFor(n int) int64 {
	b := int64(0)
	for v := 1; v < n; v <<= 1 {
		b++
	}
	return b
}
