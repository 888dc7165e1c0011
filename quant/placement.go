package quant

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/passes"
)

// Placement answers, before any data is seen, where each node of a model
// runs on the accelerator. It is not a second table of ops: it runs the
// same preparation (QDQ import, passes.Optimize, the choice of crossbar
// layers) and the same builders Quantize runs, without calibration, and
// records what each node became. So an integer kind registered in a
// kind_*.go file shows up here with no edit anywhere else, and the answer
// agrees with Quantize's by construction (a test holds them together on
// every committed model).

// Where is where one node of a model runs.
type Where string

// The places a node can go.
const (
	// OnCrossbar: a linear layer with a constant weight, programmed into
	// RRAM crossbars (integer kind Linear).
	OnCrossbar Where = "crossbar"
	// OnDigital: an integer kind executed by the accelerator's digital units
	// (pooling, lookup-table activations, adders, data movement...).
	OnDigital Where = "digital"
	// OnHost: applied in float to the dequantized output (a final Softmax),
	// outside the accelerator.
	OnHost Where = "host"
	// Folded: nothing runs for it: a constant or shape computation folded at
	// load, a BatchNorm or bias folded into its layer's weights, an
	// activation fused into the output clamp of the op before it, or a QDQ
	// pair whose scales were read.
	Folded Where = "folded"
	// Unsupported: no integer kind takes the node; quantization stops here.
	Unsupported Where = "unsupported"
)

// NodePlacement is where one node of the model as written runs.
type NodePlacement struct {
	Node  string `json:"node"`
	Op    string `json:"op"`
	Where Where  `json:"where"`
	// Kinds are the integer op kinds the node became (crossbar: Linear;
	// digital: e.g. MaxPool, LUT).
	Kinds []string `json:"kinds,omitempty"`
	// Into names the node a folded node was fused into.
	Into string `json:"into,omitempty"`
	// Reason says how a node was folded or why it is unsupported.
	Reason string `json:"reason,omitempty"`
}

// Plan is the placement of every node of a model.
type Plan struct {
	// Nodes are index-aligned with the model's Graph.Nodes.
	Nodes            []NodePlacement `json:"nodes"`
	CrossbarLayers   int             `json:"crossbar_layers"`
	DigitalNodes     int             `json:"digital_nodes"`
	HostNodes        int             `json:"host_nodes"`
	FoldedNodes      int             `json:"folded_nodes"`
	UnsupportedNodes int             `json:"unsupported_nodes"`
}

// Runs reports whether every node has a place (Quantize succeeds).
func (p *Plan) Runs() bool { return p.UnsupportedNodes == 0 }

// Verdict is the one-line answer: "runs end to end: 21 crossbar layers, 34
// digital nodes" or "stops at quantization: 2 unsupported nodes
// (LayerNormalization ×2)".
func (p *Plan) Verdict() string {
	if p.Runs() {
		s := fmt.Sprintf("runs end to end: %s, %s", plural(p.CrossbarLayers, "crossbar layer"), plural(p.DigitalNodes, "digital node"))
		if p.HostNodes > 0 {
			s += fmt.Sprintf(", %s on the host", plural(p.HostNodes, "float op"))
		}
		return s
	}
	count := map[string]int{}
	var ops []string
	for _, n := range p.Nodes {
		if n.Where == Unsupported {
			if count[n.Op] == 0 {
				ops = append(ops, n.Op)
			}
			count[n.Op]++
		}
	}
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s ×%d", op, count[op])
	}
	return fmt.Sprintf("stops at quantization: %s (%s)", plural(p.UnsupportedNodes, "unsupported node"), strings.Join(parts, ", "))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Placement says where each node of m runs once quantized with the
// default configuration, without calibration data (the input shape comes
// from the model's declared input, batch dimension excluded). It returns an
// error when the model cannot be prepared at all (no input, an input
// without a fixed shape, a graph the passes refuse); a node that cannot be
// quantized is not an error but an Unsupported entry with its reason, and
// placement goes on past it. m is not modified.
func Placement(m *importer.Model) (*Plan, error) {
	var rewrite func(*importer.Model) (map[string]actSpec, map[string]weightSpec, error)
	if IsQDQ(m) {
		rewrite = rewriteQDQ
	}
	p, err := prepareWith(m, nil, DefaultConfig(), rewrite, true)
	if err != nil {
		return nil, err
	}
	b := p.newBuilder(p.cfg, true)
	if _, err := b.run(); err != nil {
		return nil, err
	}
	plan := &Plan{Nodes: make([]NodePlacement, len(p.written))}
	for i, w := range p.written {
		np := NodePlacement{Node: w.Name, Op: w.OpType}
		fate, handed := p.fates[w]
		switch {
		case !handed:
			np.Where, np.Reason = Folded, "quantization parameters, read by QDQ import"
		case fate.Removal != passes.Kept:
			np.Where, np.Reason = Folded, fate.Removal.String()
			if fate.Node != nil {
				np.Into = fate.Node.Name
			}
		default:
			b.outcomes[fate.Node].placeInto(&np)
		}
		switch np.Where {
		case OnCrossbar:
			plan.CrossbarLayers++
		case OnDigital:
			plan.DigitalNodes++
		case OnHost:
			plan.HostNodes++
		case Folded:
			plan.FoldedNodes++
		case Unsupported:
			plan.UnsupportedNodes++
		}
		plan.Nodes[i] = np
	}
	return plan, nil
}

// outcome is what the builder made of one node of the optimized graph.
type outcome struct {
	kinds []OpKind
	// why holds the reasons the node is unsupported (none: it is not).
	why []string
	// host: the node became the float post-op.
	host bool
	// into is the node whose build fused this one (its activation, its bias
	// Add): nothing runs for it on its own.
	into *importer.Node
	// folded says why a node that became no op needs none (shape
	// arithmetic).
	folded string
}

// aliasOnly: every op the node became shares its input's buffer (the
// kind's registration says so): no work is done for it.
func (o *outcome) aliasOnly() bool {
	for _, k := range o.kinds {
		if !kinds[k].alias {
			return false
		}
	}
	return true
}

func (o *outcome) placeInto(np *NodePlacement) {
	switch {
	case o == nil:
		np.Where, np.Reason = Folded, "no output anything reads"
	case len(o.why) > 0:
		np.Where, np.Reason = Unsupported, strings.Join(o.why, "; ")
	case o.into != nil:
		np.Where, np.Into, np.Reason = Folded, o.into.Name, "fused into its output stage"
	case o.host:
		np.Where, np.Reason = OnHost, "float "+np.Op+" of the dequantized output"
	case o.folded != "":
		np.Where, np.Reason = Folded, o.folded
	case slices.Contains(o.kinds, OpLinear):
		np.Where = OnCrossbar
	case len(o.kinds) > 0 && !o.aliasOnly():
		np.Where = OnDigital
	case len(o.kinds) > 0:
		np.Where, np.Reason = Folded, "layout only: its output shares its input's codes"
	default:
		np.Where, np.Reason = Folded, "no integer work (its output is its input's codes)"
	}
	for _, k := range o.kinds {
		if name := k.String(); !slices.Contains(np.Kinds, name) {
			np.Kinds = append(np.Kinds, name)
		}
	}
}

// place builds node n and records its outcome: the kinds of the ops it
// emitted, whether it became the float post-op, the nodes it fused, and
// why it is unsupported. A dry builder records a build error as a reason
// and goes on. An unsupported node's outputs get placeholder values, so
// that the nodes after it are judged on their own merits: Quantize's error
// and Placement list the nodes that need an integer kind, not every node
// downstream of one.
func (b *builder) place(n *importer.Node) error {
	o := &outcome{}
	b.outcomes[n] = o
	ops, posts, done := len(b.net.Ops), len(b.posts), len(b.done)
	b.cur = o
	err := b.node(n)
	b.cur = nil
	if err != nil {
		// Quantize stops at a build error unless an unsupported node came
		// first (then the error may be one it caused, and the list of
		// unsupported nodes is the answer).
		if !b.dry && len(b.unsup) == 0 {
			return err
		}
		o.why = append(o.why, err.Error())
		b.unsup = append(b.unsup, err.Error())
	}
	for _, op := range b.net.Ops[ops:] {
		o.kinds = append(o.kinds, op.Kind)
	}
	o.host = len(b.posts) != posts
	if len(b.done) > done {
		for d := range b.done {
			if b.outcomes[d] == nil {
				b.outcomes[d] = &outcome{into: n}
			}
		}
	}
	if len(o.why) > 0 {
		b.placeholder(n)
	}
	return nil
}

// placeholder gives each output of n that has no integer value one of the
// shape the passes inferred (batch dimension dropped), so that the build
// continues past n. A build that made one never returns its network.
func (b *builder) placeholder(n *importer.Node) {
	for _, out := range n.Outputs {
		if _, ok := b.vals[out]; ok || out == "" {
			continue
		}
		vi, ok := b.g.ValueInfo[out]
		if !ok || len(vi.Shape) == 0 {
			continue
		}
		shape := make([]int, 0, len(vi.Shape)-1)
		for _, d := range vi.Shape[1:] {
			if d.Value <= 0 {
				shape = nil
				break
			}
			shape = append(shape, int(d.Value))
		}
		if shape == nil && len(vi.Shape) > 1 {
			continue
		}
		b.newValue(out, shape, 1, true)
	}
}
