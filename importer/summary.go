package importer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Summary is what `rramc inspect` shows about a model.
type Summary struct {
	Path            string           `json:"path,omitempty"`
	IRVersion       int64            `json:"ir_version"`
	Opset           int64            `json:"opset"`
	Opsets          map[string]int64 `json:"opsets"` // every imported domain ("" = default)
	ProducerName    string           `json:"producer_name"`
	ProducerVersion string           `json:"producer_version"`
	Inputs          []ValueSummary   `json:"inputs"`
	Outputs         []ValueSummary   `json:"outputs"`
	Nodes           int              `json:"nodes"`
	Ops             []OpCount        `json:"ops"` // histogram, most frequent first
	Layers          []LayerSummary   `json:"layers"`
	// Params counts the elements of all floating-point initializers and
	// constant tensors; WeightBytes their size in the file's element types.
	Params      int64             `json:"params"`
	WeightBytes int64             `json:"weight_bytes"`
	Unsupported []UnsupportedNode `json:"unsupported"`
}

// ValueSummary is a graph input or output.
type ValueSummary struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape string `json:"shape"` // e.g. "[batch,1,28,28]"; "?" = unknown dim
}

// OpCount is one bar of the op histogram.
type OpCount struct {
	Op    string `json:"op"` // "domain:Op" outside the default domain
	Count int    `json:"count"`
}

// LayerSummary is one Conv, Gemm or MatMul node whose weight is a constant
// (an initializer, possibly reshaped or transposed by constant nodes).
type LayerSummary struct {
	Node        string `json:"node"`
	Op          string `json:"op"`
	Weight      string `json:"weight"` // initializer name
	WeightShape []int  `json:"weight_shape"`
	Bias        string `json:"bias,omitempty"`
	BiasShape   []int  `json:"bias_shape,omitempty"`
	Params      int64  `json:"params"` // weight + bias elements
}

// UnsupportedNode is a node the interpreter cannot run.
type UnsupportedNode struct {
	Node   string `json:"node"`
	Op     string `json:"op"`
	Domain string `json:"domain,omitempty"`
}

// Summarize describes m. supported decides which default-domain op types the
// interpreter runs (interp.Supported for rramc's own); nodes of other
// domains are always listed as unsupported.
func Summarize(m *Model, supported func(op string) bool) *Summary {
	s := &Summary{
		Path:            m.Path,
		IRVersion:       m.IRVersion,
		Opset:           m.Opset(),
		Opsets:          m.Opsets,
		ProducerName:    m.ProducerName,
		ProducerVersion: m.ProducerVersion,
	}
	g := m.Graph
	if g == nil {
		return s
	}
	for _, v := range g.Inputs {
		s.Inputs = append(s.Inputs, summarizeValue(v))
	}
	for _, v := range g.Outputs {
		s.Outputs = append(s.Outputs, summarizeValue(v))
	}
	s.Nodes = len(g.Nodes)
	s.Unsupported = []UnsupportedNode{} // JSON [] rather than null when all is supported

	count := map[string]int{}
	consts := map[string]*Tensor{}
	for name, t := range g.Initializers {
		consts[name] = t
		s.addWeights(t)
	}
	// producer of each value, to see through constant reshapes of weights.
	producer := map[string]*Node{}
	for _, n := range g.Nodes {
		op := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			op = n.Domain + ":" + op
			s.Unsupported = append(s.Unsupported, UnsupportedNode{n.Name, n.OpType, n.Domain})
		} else if !supported(n.OpType) {
			s.Unsupported = append(s.Unsupported, UnsupportedNode{Node: n.Name, Op: n.OpType})
		}
		count[op]++
		for _, o := range n.Outputs {
			producer[o] = n
		}
		if n.OpType == "Constant" {
			if a := n.Attrs["value"]; a != nil && a.T != nil {
				s.addWeights(a.T)
			}
		}
	}
	for op, c := range count {
		s.Ops = append(s.Ops, OpCount{op, c})
	}
	sort.Slice(s.Ops, func(i, j int) bool {
		if s.Ops[i].Count != s.Ops[j].Count {
			return s.Ops[i].Count > s.Ops[j].Count
		}
		return s.Ops[i].Op < s.Ops[j].Op
	})

	for _, n := range g.Nodes {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			continue
		}
		var wIdx []int
		biasIdx := -1
		switch n.OpType {
		case "Conv", "ConvTranspose", "Gemm":
			wIdx, biasIdx = []int{1}, 2
		case "MatMul":
			wIdx = []int{1, 0}
		default:
			continue
		}
		for _, i := range wIdx {
			if i >= len(n.Inputs) {
				continue
			}
			name, w := constSource(n.Inputs[i], consts, producer)
			if w == nil {
				continue
			}
			l := LayerSummary{Node: n.Name, Op: n.OpType, Weight: name, WeightShape: w.Shape, Params: int64(w.Len())}
			if biasIdx >= 0 && biasIdx < len(n.Inputs) {
				if bn, b := constSource(n.Inputs[biasIdx], consts, producer); b != nil {
					l.Bias, l.BiasShape = bn, b.Shape
					l.Params += int64(b.Len())
				}
			}
			s.Layers = append(s.Layers, l)
			break
		}
	}
	return s
}

func (s *Summary) addWeights(t *Tensor) {
	if !t.DType.IsFloat() {
		return // shapes and indices, not parameters
	}
	n := int64(len(t.Float))
	s.Params += n
	if b := t.DType.Size(); b > 0 {
		s.WeightBytes += n * int64(b)
	}
}

// constSource follows value v back through shape-only constant ops
// (Reshape, Transpose, Identity, ...) to an initializer or Constant tensor.
func constSource(v string, consts map[string]*Tensor, producer map[string]*Node) (string, *Tensor) {
	for depth := 0; depth < 16; depth++ {
		if t, ok := consts[v]; ok {
			return v, t
		}
		n := producer[v]
		if n == nil || len(n.Inputs) == 0 && n.OpType != "Constant" {
			return "", nil
		}
		switch n.OpType {
		case "Constant":
			if a := n.Attrs["value"]; a != nil && a.T != nil {
				return n.Name, a.T
			}
			return "", nil
		case "Reshape", "Transpose", "Identity", "Flatten", "Squeeze", "Unsqueeze", "Cast", "DequantizeLinear":
			v = n.Inputs[0]
		default:
			return "", nil
		}
	}
	return "", nil
}

func summarizeValue(v ValueInfo) ValueSummary {
	return ValueSummary{Name: v.Name, DType: v.DType.String(), Shape: FormatDims(v.Shape)}
}

// FormatDims writes a declared shape as "[batch,1,28,28]": symbolic dims by
// name, unknown dims as "?", unknown rank as "[?...]".
func FormatDims(dims []Dim) string {
	if dims == nil {
		return "[?...]"
	}
	parts := make([]string, len(dims))
	for i, d := range dims {
		switch {
		case d.Param != "":
			parts[i] = d.Param
		case d.Value > 0:
			parts[i] = strconv.FormatInt(d.Value, 10)
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func formatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// formatCount writes n with an SI suffix: 1234567 -> "1.23M".
func formatCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}

// formatBytes writes n with a binary unit: 1536 -> "1.5 KiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10) + " B"
}

// WriteText writes the summary for people to read.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	if s.Path != "" {
		p("model\t%s\n", s.Path)
	}
	prod := strings.TrimSpace(s.ProducerName + " " + s.ProducerVersion)
	if prod == "" {
		prod = "(not recorded)"
	}
	p("producer\t%s\n", prod)
	p("IR version\t%d\n", s.IRVersion)
	opset := fmt.Sprintf("%d", s.Opset)
	var others []string
	for d, v := range s.Opsets {
		if d != "" {
			others = append(others, fmt.Sprintf("%s %d", d, v))
		}
	}
	sort.Strings(others)
	if len(others) > 0 {
		opset += " (also " + strings.Join(others, ", ") + ")"
	}
	p("opset\t%s\n", opset)
	for i, v := range s.Inputs {
		label := ""
		if i == 0 {
			label = "inputs"
		}
		p("%s\t%s %s %s\n", label, v.Name, v.DType, v.Shape)
	}
	for i, v := range s.Outputs {
		label := ""
		if i == 0 {
			label = "outputs"
		}
		p("%s\t%s %s %s\n", label, v.Name, v.DType, v.Shape)
	}
	p("nodes\t%d\n", s.Nodes)
	p("parameters\t%s (%d), %s of weights\n", formatCount(s.Params), s.Params, formatBytes(s.WeightBytes))
	ops := make([]string, len(s.Ops))
	for i, o := range s.Ops {
		ops[i] = fmt.Sprintf("%s ×%d", o.Op, o.Count)
	}
	p("ops\t%s\n", strings.Join(ops, ", "))
	if len(s.Unsupported) == 0 {
		p("unsupported\tnone\n")
	} else {
		var u []string
		for _, n := range s.Unsupported {
			if n.Domain != "" {
				u = append(u, fmt.Sprintf("%q (%s, domain %s)", n.Node, n.Op, n.Domain))
			} else {
				u = append(u, fmt.Sprintf("%q (%s)", n.Node, n.Op))
			}
		}
		p("unsupported\t%d node(s): %s\n", len(s.Unsupported), strings.Join(u, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Layers) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "layers with constant weights:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  node\top\tweight\tshape\tbias\tparams\n")
	var total int64
	for _, l := range s.Layers {
		bias := "-"
		if l.Bias != "" {
			bias = formatShape(l.BiasShape)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", l.Node, l.Op, l.Weight, formatShape(l.WeightShape), bias, formatCount(l.Params))
		total += l.Params
	}
	fmt.Fprintf(tw, "  total\t\t\t\t\t%s\n", formatCount(total))
	return tw.Flush()
}
