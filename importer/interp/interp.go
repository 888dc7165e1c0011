package interp

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rramc/rramc/importer"
)

// kernel runs one compiled node: it gets the node's input tensors (nil for an
// omitted optional input) and returns one tensor per node output.
type kernel func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error)

// opSpec describes one supported operator: how many inputs it takes, how
// to compile a node into a kernel, and its shape rule. Compiling parses and
// checks attributes once, so that a bad attribute is reported before
// anything runs and the kernel does no map lookups per call. The shape rule
// gives the output types and shapes (symbolic batch kept) for InferShapes.
type opSpec struct {
	minIn, maxIn int // accepted input counts (maxIn -1 = unbounded)
	compile      func(c *compileCtx, n *importer.Node) (kernel, error)
	shape        shapeRule
	// epilogue and fused, when set, let a producer apply this activation to
	// its output (fuse.go): epilogue binds an activation node, fused
	// compiles a producer node with an epilogue.
	epilogue func(c *compileCtx, n *importer.Node) epilogue
	fused    func(c *compileCtx, n *importer.Node, ep epilogue) (kernel, error)
	// residualFused compiles a producer node with a residual Add (and an
	// activation after it) fused in; residualAdd marks the Add it fuses.
	residualFused func(c *compileCtx, n *importer.Node, rs residualSpec) (kernel, error)
	residualAdd   bool
	// gate computes the product of a gated activation x·act(x) (fuse.go).
	gate func(dst, a, b []float32)
}

// shapeRule infers the output shapes of one node from what is known about
// its inputs (nil entries: unknown).
type shapeRule func(s *shapeCtx) ([]*ValueShape, error)

var opTable = map[string]*opSpec{}

// register adds an operator, its kernel compiler and its shape rule to the
// table; called from init in the op's file (ops_*.go). This table is the
// single list of supported ops (SupportedOps).
func register(name string, minIn, maxIn int, compile func(c *compileCtx, n *importer.Node) (kernel, error), shape shapeRule) {
	if _, dup := opTable[name]; dup {
		panic("interp: operator registered twice: " + name)
	}
	if compile == nil || shape == nil {
		panic("interp: operator " + name + " registered without a kernel or a shape rule")
	}
	opTable[name] = &opSpec{minIn: minIn, maxIn: maxIn, compile: compile, shape: shape}
}

// Supported reports whether the interpreter runs opType of the default ONNX
// domain.
func Supported(opType string) bool {
	_, ok := opTable[opType]
	return ok
}

// SupportedOps lists the default-domain operators the interpreter runs, sorted.
func SupportedOps() []string {
	out := make([]string, 0, len(opTable))
	for k := range opTable {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// compileCtx is what an op's compile function may consult.
type compileCtx struct {
	opset  int64
	consts map[string]*importer.Tensor // initializers (constant inputs)
	// prepared holds per-node state computed from constants (packed
	// weights) by nodePrepared, so that the fused and the unfused plan
	// (fuse.go), which compile the same node twice, hold one copy.
	prepared map[preparedKey]any
}

// preparedKey names one kind of prepared state of one node: kind is a nil
// pointer to the state's type, distinct per type.
type preparedKey struct {
	n    *importer.Node
	kind any
}

// nodePrepared returns the state of type T that build computes for n,
// building it on the first call for n and returning that same value on
// every later one (build is not called again). A build error is returned
// and not remembered.
func nodePrepared[T any](c *compileCtx, n *importer.Node, build func() (T, error)) (T, error) {
	key := preparedKey{n: n, kind: (*T)(nil)}
	if v, ok := c.prepared[key]; ok {
		return v.(T), nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	if c.prepared == nil {
		c.prepared = map[preparedKey]any{}
	}
	c.prepared[key] = v
	return v, nil
}

// constInput returns the constant tensor feeding input i of n, or nil when
// that input is omitted or computed at run time.
func (c *compileCtx) constInput(n *importer.Node, i int) *importer.Tensor {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil
	}
	return c.consts[n.Inputs[i]]
}

// ProgramOption configures NewProgram.
type ProgramOption func(*programConfig)

type programConfig struct {
	opset int64
}

// WithOpset tells NewProgram the default-domain opset the graph was written
// for. A few operators changed meaning between opsets with the same inputs
// (Softmax and LogSoftmax before 13 flatten to 2-D around the axis, and their
// default axis differs); without this option the newest semantics apply.
// NewModelProgram passes the model's opset.
func WithOpset(v int64) ProgramOption { return func(c *programConfig) { c.opset = v } }

// LatestOpset is the opset assumed when none is given.
const LatestOpset = 20

// step is one compiled node with its value slots resolved.
type step struct {
	node *importer.Node
	run  kernel
	in   []int // slot per input, -1 for an omitted optional input
	out  []int // slot per output, -1 for an omitted optional output
	free []int // slots whose last reader is this step (released after it runs)
	// chain: the step already computes a fused chain (fuse.go) and takes
	// no further epilogue.
	chain bool
}

// Program is a compiled graph ready to run in float32. It is safe for
// concurrent use by several goroutines.
type Program struct {
	g       *importer.Graph
	opset   int64
	steps   []step
	fused   []step // steps with activations fused (fuse.go), nil if none
	nslots  int
	slotOf  map[string]int
	consts  []constSlot
	inputs  []importer.ValueInfo
	inSlot  []int
	outputs []string
	outSlot []int
	unread  []bool // slots written but never read nor output
}

type constSlot struct {
	slot int
	t    *importer.Tensor
}

// UnsupportedError lists every node the interpreter cannot run. It wraps
// ErrInvalidModel.
type UnsupportedError struct {
	Nodes []*importer.Node
}

func (e *UnsupportedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d unsupported node(s):", importer.ErrInvalidModel.Error(), len(e.Nodes))
	for _, n := range e.Nodes {
		if n.InDefaultDomain() {
			fmt.Fprintf(&b, " %q (%s);", n.Name, n.OpType)
		} else {
			fmt.Fprintf(&b, " %q (%s, domain %q);", n.Name, n.OpType, n.Domain)
		}
	}
	s := b.String()
	return s[:len(s)-1]
}

// Unwrap makes errors.Is(err, ErrInvalidModel) hold.
func (e *UnsupportedError) Unwrap() error { return importer.ErrInvalidModel }

// NewModelProgram compiles m's graph with m's opset.
func NewModelProgram(m *importer.Model) (*Program, error) {
	if m == nil || m.Graph == nil {
		return nil, &importer.ModelError{Msg: "model has no graph"}
	}
	return NewProgram(m.Graph, WithOpset(m.Opset()))
}

// NewProgram checks and compiles g. Every node is checked before anything
// runs: when some nodes use operators the interpreter lacks (or a domain
// other than the default one) the single returned *UnsupportedError lists all
// of them with names and op types. Attribute errors and dangling inputs are
// reported per node, all of them joined. Nodes must be in topological order
// (Load and Optimize keep them so).
func NewProgram(g *importer.Graph, opts ...ProgramOption) (*Program, error) {
	cfg := programConfig{opset: LatestOpset}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.opset <= 0 {
		cfg.opset = LatestOpset
	}
	if g == nil {
		return nil, &importer.ModelError{Msg: "nil graph"}
	}
	var unsup []*importer.Node
	for _, n := range g.Nodes {
		if !n.InDefaultDomain() || !Supported(n.OpType) {
			unsup = append(unsup, n)
		}
	}
	if len(unsup) > 0 {
		return nil, &UnsupportedError{Nodes: unsup}
	}

	p := &Program{g: g, opset: cfg.opset, slotOf: map[string]int{}}
	slot := func(name string) int {
		if s, ok := p.slotOf[name]; ok {
			return s
		}
		s := p.nslots
		p.nslots++
		p.slotOf[name] = s
		return s
	}
	defined := map[string]bool{}
	for name, t := range g.Initializers {
		if t == nil {
			return nil, &importer.ModelError{Where: fmt.Sprintf("initializer %q", name), Msg: "nil tensor"}
		}
		p.consts = append(p.consts, constSlot{slot(name), t})
		defined[name] = true
	}
	sort.Slice(p.consts, func(i, j int) bool { return p.consts[i].slot < p.consts[j].slot })
	for _, in := range g.Inputs {
		if _, isConst := g.Initializers[in.Name]; isConst {
			continue // IR 3 weight listed as an input: the initializer is its value
		}
		p.inputs = append(p.inputs, in)
		p.inSlot = append(p.inSlot, slot(in.Name))
		defined[in.Name] = true
	}

	cc := &compileCtx{opset: cfg.opset, consts: g.Initializers}
	var errs []error
	for _, n := range g.Nodes {
		spec := opTable[n.OpType]
		st := step{node: n}
		if len(n.Inputs) < spec.minIn || (spec.maxIn >= 0 && len(n.Inputs) > spec.maxIn) {
			if spec.maxIn == spec.minIn {
				errs = append(errs, importer.NodeErrorf(n, "has %d inputs, want %d", len(n.Inputs), spec.minIn))
			} else if spec.maxIn < 0 {
				errs = append(errs, importer.NodeErrorf(n, "has %d inputs, want at least %d", len(n.Inputs), spec.minIn))
			} else {
				errs = append(errs, importer.NodeErrorf(n, "has %d inputs, want %d to %d", len(n.Inputs), spec.minIn, spec.maxIn))
			}
			continue
		}
		ok := true
		for i, in := range n.Inputs {
			if in == "" {
				if i < spec.minIn {
					errs = append(errs, importer.NodeErrorf(n, "required input %d is empty", i))
					ok = false
				}
				st.in = append(st.in, -1)
				continue
			}
			if !defined[in] {
				errs = append(errs, importer.NodeErrorf(n, "input %q is not a graph input, initializer or output of an earlier node", in))
				ok = false
				continue
			}
			st.in = append(st.in, slot(in))
		}
		if len(n.Outputs) == 0 {
			errs = append(errs, importer.NodeErrorf(n, "has no outputs"))
			ok = false
		}
		for _, out := range n.Outputs {
			if out == "" {
				st.out = append(st.out, -1)
				continue
			}
			if defined[out] {
				errs = append(errs, importer.NodeErrorf(n, "output %q is already defined", out))
				ok = false
			}
			defined[out] = true
			st.out = append(st.out, slot(out))
		}
		run, err := spec.compile(cc, n)
		if err != nil {
			errs = append(errs, importer.NodeError(n, err))
			ok = false
		}
		if ok {
			st.run = run
			p.steps = append(p.steps, st)
		}
	}
	for _, o := range g.Outputs {
		if !defined[o.Name] {
			errs = append(errs, &importer.ModelError{Where: fmt.Sprintf("graph output %q", o.Name), Msg: "is not produced by any node, input or initializer"})
			continue
		}
		p.outputs = append(p.outputs, o.Name)
		p.outSlot = append(p.outSlot, slot(o.Name))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Release intermediate values after their last reader so that a deep
	// network does not keep every activation alive until the end.
	keep := make([]bool, p.nslots)
	for _, c := range p.consts {
		keep[c.slot] = true
	}
	for _, s := range p.outSlot {
		keep[s] = true
	}
	last := lastReaders(p.steps, p.nslots)
	assignFrees(p.steps, last, keep)
	fused, err := p.fuseSteps(cc, keep)
	if err != nil {
		return nil, err
	}
	if fused != nil {
		assignFrees(fused, lastReaders(fused, p.nslots), keep)
		p.fused = fused
	}
	p.unread = make([]bool, p.nslots)
	for _, st := range p.steps {
		for _, s := range st.out {
			if s >= 0 && last[s] < 0 && !keep[s] {
				p.unread[s] = true
			}
		}
	}
	return p, nil
}

// lastReaders returns, per slot, the index of the last step reading it
// (-1: none).
func lastReaders(steps []step, nslots int) []int {
	last := make([]int, nslots)
	for i := range last {
		last[i] = -1
	}
	for i, st := range steps {
		for _, s := range st.in {
			if s >= 0 {
				last[s] = i
			}
		}
	}
	return last
}

// assignFrees sets each step's free list: the slots (not kept) whose last
// reader it is.
func assignFrees(steps []step, last []int, keep []bool) {
	for i := range steps {
		steps[i].free = nil
	}
	for s, i := range last {
		if i >= 0 && !keep[s] {
			steps[i].free = append(steps[i].free, s)
		}
	}
}

// Graph returns the graph the program was compiled from.
func (p *Program) Graph() *importer.Graph { return p.g }

// Inputs returns the values Run must be fed.
func (p *Program) Inputs() []importer.ValueInfo { return p.inputs }

// Run executes the graph on inputs (by graph input name) and returns every
// graph output by name. Inputs are checked against their declared element
// type and shape (symbolic dims must agree between inputs that share a
// name); a mismatch gives an error wrapping ErrInvalidModel that names the
// input.
func (p *Program) Run(inputs map[string]*importer.Tensor) (map[string]*importer.Tensor, error) {
	return p.run(inputs, nil, true)
}

// RunObserved is Run that calls observe after each node with the node and its
// outputs (nil for an omitted optional output). observe must not modify the
// tensors; it may keep them.
func (p *Program) RunObserved(inputs map[string]*importer.Tensor, observe func(n *importer.Node, outs []*importer.Tensor)) (map[string]*importer.Tensor, error) {
	return p.run(inputs, observe, false)
}

// RunVisited is RunObserved for an observer that does not keep the tensors
// past its call (a statistic over them, say): their buffers are recycled as
// in Run, so the run's memory is Run's, not every activation of the graph.
func (p *Program) RunVisited(inputs map[string]*importer.Tensor, visit func(n *importer.Node, outs []*importer.Tensor)) (map[string]*importer.Tensor, error) {
	return p.run(inputs, visit, true)
}

// run executes the graph, recycling activation buffers when recycle is set
// (the observer, if any, must then not keep the tensors it sees).
func (p *Program) run(inputs map[string]*importer.Tensor, observe func(n *importer.Node, outs []*importer.Tensor), recycle bool) (map[string]*importer.Tensor, error) {
	if err := p.checkInputs(inputs); err != nil {
		return nil, err
	}
	slots := make([]*importer.Tensor, p.nslots)
	for _, c := range p.consts {
		slots[c.slot] = c.t
	}
	for i, in := range p.inputs {
		slots[p.inSlot[i]] = inputs[in.Name]
	}
	var ar *arena
	if recycle {
		ar = &arena{}
	}
	steps := p.steps
	if observe == nil && p.fused != nil {
		steps = p.fused
	}
	var ins []*importer.Tensor
	for si := range steps {
		st := &steps[si]
		ins = ins[:0]
		for _, s := range st.in {
			if s < 0 {
				ins = append(ins, nil)
			} else {
				ins = append(ins, slots[s])
			}
		}
		outs, err := st.run(ar, ins)
		if err != nil {
			return nil, importer.NodeError(st.node, err)
		}
		if len(outs) < len(st.out) {
			// Optional outputs a kernel does not compute (e.g. BatchNorm
			// training statistics) are only legal when unused.
			for i := len(outs); i < len(st.out); i++ {
				if st.out[i] >= 0 {
					if p.used(steps, st.out[i], si) {
						return nil, importer.NodeErrorf(st.node, "output %d (%q) is not computed by this interpreter", i, st.node.Outputs[i])
					}
				}
			}
		}
		for i, s := range st.out {
			if s >= 0 && i < len(outs) {
				slots[s] = outs[i]
				ar.hold(outs[i])
			}
		}
		if observe != nil {
			obs := make([]*importer.Tensor, len(st.out))
			copy(obs, outs)
			observe(st.node, obs)
		}
		for _, s := range st.free {
			ar.release(slots[s])
			slots[s] = nil
		}
		// Outputs nobody reads (e.g. Dropout's mask) are dropped at once.
		for i, s := range st.out {
			if s >= 0 && i < len(outs) && p.unread[s] {
				ar.release(slots[s])
				slots[s] = nil
			}
		}
	}
	res := make(map[string]*importer.Tensor, len(p.outputs))
	for i, name := range p.outputs {
		res[name] = slots[p.outSlot[i]]
	}
	return res, nil
}

// used reports whether slot s is read by a step after steps[si] or is a
// graph output.
func (p *Program) used(steps []step, s, si int) bool {
	for _, o := range p.outSlot {
		if o == s {
			return true
		}
	}
	for _, st := range steps[si+1:] {
		for _, x := range st.in {
			if x == s {
				return true
			}
		}
	}
	return false
}

// checkInputs validates inputs against the declared graph inputs.
func (p *Program) checkInputs(inputs map[string]*importer.Tensor) error {
	sym := map[string]int{}
	for _, in := range p.inputs {
		t, ok := inputs[in.Name]
		where := fmt.Sprintf("input %q", in.Name)
		if !ok || t == nil {
			return &importer.ModelError{Where: where, Msg: "not provided"}
		}
		n, err := importer.CheckNumElements(t.Shape)
		if err != nil {
			return &importer.ModelError{Where: where, Msg: err.Error()}
		}
		if in.DType != importer.Undefined && in.DType.IsFloat() != t.IsFloat() {
			return &importer.ModelError{Where: where, Msg: fmt.Sprintf("got %s values, model declares %s", t.DType, in.DType)}
		}
		if t.IsFloat() && len(t.Float) != n || !t.IsFloat() && len(t.Int) != n {
			return &importer.ModelError{Where: where, Msg: fmt.Sprintf("tensor of shape %v holds %d values", t.Shape, max(len(t.Float), len(t.Int)))}
		}
		if in.Shape == nil {
			continue
		}
		if len(in.Shape) != len(t.Shape) {
			return &importer.ModelError{Where: where, Msg: fmt.Sprintf("got shape %v (rank %d), model declares %s (rank %d)", t.Shape, len(t.Shape), importer.FormatDims(in.Shape), len(in.Shape))}
		}
		for i, d := range in.Shape {
			switch {
			case d.Value > 0 && int64(t.Shape[i]) != d.Value:
				return &importer.ModelError{Where: where, Msg: fmt.Sprintf("got shape %v, model declares %s (dim %d must be %d)", t.Shape, importer.FormatDims(in.Shape), i, d.Value)}
			case d.Value <= 0 && d.Param != "":
				if v, seen := sym[d.Param]; seen && v != t.Shape[i] {
					return &importer.ModelError{Where: where, Msg: fmt.Sprintf("dim %d (%s) is %d but %s is %d in another input", i, d.Param, t.Shape[i], d.Param, v)}
				}
				sym[d.Param] = t.Shape[i]
			}
		}
	}
	for name := range inputs {
		if _, ok := p.slotOf[name]; !ok || !p.isInput(name) {
			return &importer.ModelError{Where: fmt.Sprintf("input %q", name), Msg: "is not an input of the graph"}
		}
	}
	return nil
}

func (p *Program) isInput(name string) bool {
	for _, in := range p.inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}
