package mapper

import (
	"fmt"
	"slices"
	"strings"
)

// Scheme is one way of laying a bit-sliced weight matrix onto crossbars.
// Each scheme lives in its own file and carries everything other packages
// need to know about it (its name and description, whether it takes a
// max-share limit, whether it is a baseline, its options, its index-table
// model), so adding one is a new file that registers it in init: no list
// or switch over scheme names exists outside that file.
type Scheme interface {
	// Name is the name used on the command line and in mapping files.
	Name() string
	// Summary is a one-line description for help texts and reports.
	Summary() string
	// Baseline reports whether the scheme is one of the baselines the
	// column-similarity methods are compared against.
	Baseline() bool
	// UsesMaxShare reports whether the result depends on
	// Options.MaxShare (the colsim family); other schemes are run with 0.
	UsesMaxShare() bool
	// Canonical validates the options the scheme reads and returns them as
	// the mapping records them: fields the scheme ignores zeroed (MaxShare
	// when !UsesMaxShare, Window unless the scheme has one), defaults
	// filled in.
	Canonical(o Options) (Options, error)
	// MapGroup lays out one K×N group (in.W, row-major, in.Bits-bit two's
	// complement, already range-checked) onto in.Geo (in.CellBits is
	// in.Geo.CellBits), with in.Opts canonical.
	MapGroup(in *GroupInput) (*GroupMap, error)
	// Index is the index-table model of g (a layout this scheme produced):
	// what the periphery stores beyond the cells and what each OU
	// activation reads (doc.go, "Index tables").
	Index(g *GroupMap, d Dims) Index

	// rank orders listings (Schemes): baselines from the weakest, then the
	// methods in the order they were added.
	rank() int
}

// Index is the index-table model of one mapped group. Owner entries tell
// the periphery where a converted column goes (output, shift, flags);
// input entries which input drives a wordline.
type Index struct {
	// OwnerBits is the size of one owner entry, InputBits of one input
	// entry (ceil(log2 K)).
	OwnerBits, InputBits int64
	// PermEntries is the number of input entries of a whole-group input
	// permutation, read once per input vector (0 = none).
	PermEntries int64
	// StorageBits is the index storage of the group (Stats.IndexBits).
	StorageBits int64

	g     *GroupMap
	reads func(ou OU, owners int64) IndexReads
}

// Reads is what one activation of OU i (GroupMap.OUs[i]) reads.
func (x *Index) Reads(i int) IndexReads {
	ou := x.g.OUs[i]
	return x.reads(ou, ouOwners(x.g, ou))
}

// IndexReads are the index entries one OU activation reads.
type IndexReads struct {
	Owners, Inputs int64
}

// Bits is the size in bits of the entries r under the model x.
func (x *Index) Bits(r IndexReads) int64 { return r.Owners*x.OwnerBits + r.Inputs*x.InputBits }

// perOUIndex builds the model in which each OU's entries are stored once
// (StorageBits = Σ over OUs of their entries + the permutation): reads
// gives an OU's entries from the OU and its owner count.
func perOUIndex(g *GroupMap, d Dims, ownerBits, permEntries int64, reads func(ou OU, owners int64) IndexReads) Index {
	x := Index{OwnerBits: ownerBits, InputBits: bitsFor(d.K), PermEntries: permEntries, g: g, reads: reads}
	for _, ou := range g.OUs {
		x.StorageBits += x.Bits(reads(ou, ouOwners(g, ou)))
	}
	x.StorageBits += permEntries * x.InputBits
	return x
}

// ouOwners is the number of owner entries of the OU's columns.
func ouOwners(g *GroupMap, ou OU) int64 {
	return int64(g.OwnerStart[ou.ColStart+ou.ColCount] - g.OwnerStart[ou.ColStart])
}

// ownerEntryBits is the size of an owner entry naming an output and a digit
// (bit) position, plus flags one-bit flags.
func ownerEntryBits(d Dims, flags int64) int64 {
	return bitsFor(d.N) + bitsFor(d.digits()) + flags
}

// about is the static description of a scheme; embedding it gives a scheme
// Name, Summary, Baseline, UsesMaxShare, rank and the default Canonical.
type about struct {
	name, summary string
	baseline      bool
	maxShare      bool
	order         int
}

func (a about) Name() string       { return a.name }
func (a about) Summary() string    { return a.summary }
func (a about) Baseline() bool     { return a.baseline }
func (a about) UsesMaxShare() bool { return a.maxShare }
func (a about) rank() int          { return a.order }

// Canonical zeroes MaxShare unless the scheme uses it, and Window (Map has
// rejected negative values).
func (a about) Canonical(o Options) (Options, error) {
	if !a.maxShare {
		o.MaxShare = 0
	}
	o.Window = 0
	return o, nil
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
	// Scheme is the name of a registered scheme (SchemeNames).
	Scheme string
	// MaxShare bounds the owners of one kept column in the schemes that
	// use it (Scheme.UsesMaxShare; 2 = the paper's pairs, 0 = unlimited);
	// Map stores 0 for the others.
	MaxShare int
	// Window is the number of candidate rows rowreorder scans per pick
	// (0 = DefaultWindow); Map stores 0 for the other schemes.
	Window int
	// Workers is the number of layer groups mapped at once (0 = GOMAXPROCS).
	Workers int
}

var schemes = map[string]Scheme{}

// register adds s to the schemes; a second scheme of the same name, an
// empty name or summary is a programming error.
func register(s Scheme) {
	if err := checkScheme(s, schemes); err != nil {
		panic(err)
	}
	schemes[s.Name()] = s
}

// checkScheme reports why s cannot join the registered schemes.
func checkScheme(s Scheme, registered map[string]Scheme) error {
	switch {
	case s == nil:
		return fmt.Errorf("mapper: register: nil scheme")
	case s.Name() == "" || strings.ContainsAny(s.Name(), " \t\n/,"):
		return fmt.Errorf("mapper: register: scheme name %q: must be non-empty, without spaces, '/' or ','", s.Name())
	case s.Summary() == "":
		return fmt.Errorf("mapper: register: scheme %q has no summary", s.Name())
	}
	if _, dup := registered[s.Name()]; dup {
		return fmt.Errorf("mapper: register: scheme %q registered twice", s.Name())
	}
	for _, o := range registered {
		if o.rank() == s.rank() {
			return fmt.Errorf("mapper: register: schemes %q and %q have the same rank %d", o.Name(), s.Name(), s.rank())
		}
	}
	return nil
}

// LookupScheme returns the scheme with the given name.
func LookupScheme(name string) (Scheme, error) {
	if s, ok := schemes[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("mapper: unknown scheme %q (known: %s)", name, strings.Join(SchemeNames(), ", "))
}

// Schemes lists the registered schemes: the baselines from the weakest
// (dense, zerocol, sre), then the methods in the order they were added.
// Sweeps, tables and help texts list schemes in this order.
func Schemes() []Scheme {
	out := make([]Scheme, 0, len(schemes))
	for _, s := range schemes {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Scheme) int { return a.rank() - b.rank() })
	return out
}

// SchemeNames lists the names of Schemes, in their order.
func SchemeNames() []string {
	var names []string
	for _, s := range Schemes() {
		names = append(names, s.Name())
	}
	return names
}

// Baselines lists the names of the baseline schemes, in Schemes order.
func Baselines() []string {
	var names []string
	for _, s := range Schemes() {
		if s.Baseline() {
			names = append(names, s.Name())
		}
	}
	return names
}

// IsBaseline reports whether name is a registered baseline scheme.
func IsBaseline(name string) bool {
	s, ok := schemes[name]
	return ok && s.Baseline()
}

// UsesMaxShare reports whether name is a registered scheme whose result
// depends on the max-share limit.
func UsesMaxShare(name string) bool {
	s, ok := schemes[name]
	return ok && s.UsesMaxShare()
}

// bitsFor is ceil(log2(n)): the bits of an index over n values (0 for n ≤ 1).
func bitsFor(n int) int64 {
	b := int64(0)
	for v := 1; v < n; v <<= 1 {
		b++
	}
	return b
}
