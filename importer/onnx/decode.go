package onnx

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/rramc/rramc/importer"
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// Versions rramc reads. IR 3 introduced opset_import; IR 10 is what current
// exporters (PyTorch 2.9) write. Opsets 7-20 of the default domain cover
// every operator version the interpreter implements.
const (
	MinIRVersion = 3
	MaxIRVersion = 10
	MinOpset     = 7
	MaxOpset     = 20
)

// decoder carries per-model decoding state.
type decoder struct {
	file   string     // for error messages
	dir    string     // folder for external data, "" = none allowed
	budget int64      // elements that may still be decoded (MaxModelElements)
	extMu  sync.Mutex // guards root and ext: initializers decode concurrently
	root   *os.Root
	ext    map[string]*os.File
}

func decodeModel(data []byte, dir, file string) (m *importer.Model, err error) {
	if len(data) == 0 {
		return nil, invalidf(file, "", "file is empty")
	}
	mp, err := unmarshalModel(data, true)
	if err != nil {
		return nil, invalidErr(file, "", err, "not an ONNX protobuf file (truncated or corrupt)")
	}
	d := &decoder{file: file, dir: dir, budget: MaxModelElements}
	defer d.closeExternal()
	return d.model(mp)
}

// unmarshalModel decodes the ModelProto in data. With strip, initializer
// raw_data is not copied but aliases data (see stripRawData); the decoded
// message must then not outlive data, and convertTensor copies what it keeps.
func unmarshalModel(data []byte, strip bool) (*onnxpb.ModelProto, error) {
	// Fields newer than the bundled onnx.proto are dropped: rramc has no use
	// for them and keeping them would only cost memory.
	opts := proto.UnmarshalOptions{DiscardUnknown: true}
	if strip {
		if stripped, raws, ok := stripRawData(data); ok {
			var mp onnxpb.ModelProto
			if opts.Unmarshal(stripped, &mp) == nil && mp.Graph != nil && len(mp.Graph.Initializer) == len(raws) {
				for i, tp := range mp.Graph.Initializer {
					tp.RawData = raws[i]
				}
				return &mp, nil
			}
		}
	}
	var mp onnxpb.ModelProto
	if err := opts.Unmarshal(data, &mp); err != nil {
		return nil, err
	}
	return &mp, nil
}

func (d *decoder) model(mp *onnxpb.ModelProto) (*importer.Model, error) {
	ir := mp.GetIrVersion()
	if ir < MinIRVersion || ir > MaxIRVersion {
		return nil, invalidf(d.file, "ir_version", "IR version %d is not supported (rramc reads IR %d to %d)", ir, MinIRVersion, MaxIRVersion)
	}
	m := &importer.Model{
		IRVersion:       ir,
		Opsets:          make(map[string]int64, len(mp.OpsetImport)),
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		DocString:       mp.GetDocString(),
	}
	for i, op := range mp.OpsetImport {
		dom := canonDomain(op.GetDomain())
		where := fmt.Sprintf("opset_import[%d]", i)
		if _, dup := m.Opsets[dom]; dup {
			return nil, invalidf(d.file, where, "domain %q imported twice", op.GetDomain())
		}
		if op.GetVersion() <= 0 {
			return nil, invalidf(d.file, where, "domain %q has version %d", op.GetDomain(), op.GetVersion())
		}
		m.Opsets[dom] = op.GetVersion()
	}
	v, ok := m.Opsets[""]
	if !ok {
		return nil, invalidf(d.file, "opset_import", "the model imports no opset of the default ONNX domain")
	}
	switch {
	case v < MinOpset:
		// Opsets 1-6 define several ops differently (BatchNormalization's
		// spatial and is_test, Dropout's is_test, consumed_inputs...);
		// rramc implements the definitions from opset 7 on only.
		return nil, invalidf(d.file, "opset_import", "default-domain opset %d is not supported: by design rramc reads opsets %d to %d, not the older definitions (upgrade the model with onnx.version_converter.convert_version)", v, MinOpset, MaxOpset)
	case v > MaxOpset:
		return nil, invalidf(d.file, "opset_import", "default-domain opset %d is not supported (rramc reads opsets %d to %d)", v, MinOpset, MaxOpset)
	}
	if len(mp.MetadataProps) > 0 {
		m.Metadata = make(map[string]string, len(mp.MetadataProps))
		for _, p := range mp.MetadataProps {
			m.Metadata[p.GetKey()] = p.GetValue()
		}
	}
	if mp.Graph == nil {
		return nil, invalidf(d.file, "graph", "the model has no graph")
	}
	g, err := d.graph(mp.Graph)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

// canonDomain maps the two spellings of the default domain to "".
func canonDomain(s string) string {
	if s == "ai.onnx" {
		return ""
	}
	return s
}

func (d *decoder) graph(gp *onnxpb.GraphProto) (*importer.Graph, error) {
	g := &importer.Graph{
		Name:         gp.GetName(),
		Initializers: make(map[string]*importer.Tensor, len(gp.Initializer)),
		ValueInfo:    make(map[string]importer.ValueInfo, len(gp.Input)+len(gp.Output)+len(gp.ValueInfo)),
	}
	if len(gp.SparseInitializer) > 0 {
		// A sparse tensor's dense size is not backed by data in the file, so
		// densifying it could allocate without bound; no exporter rramc
		// targets writes them.
		return nil, invalidf(d.file, "graph sparse_initializer", "sparse initializers are not supported (%d present)", len(gp.SparseInitializer))
	}
	for i, tp := range gp.Initializer {
		name := tp.GetName()
		if name == "" {
			return nil, invalidf(d.file, fmt.Sprintf("initializer[%d]", i), "initializer has no name")
		}
		if _, dup := g.Initializers[name]; dup {
			return nil, invalidf(d.file, "initializer "+strconv.Quote(name), "two initializers have this name")
		}
		if err := d.reserveTensor(tp, "initializer "+strconv.Quote(name)); err != nil {
			return nil, err
		}
		g.Initializers[name] = nil
	}
	ts, err := d.convertInitializers(gp.Initializer)
	if err != nil {
		return nil, err
	}
	for i, tp := range gp.Initializer {
		g.Initializers[tp.GetName()] = ts[i]
	}

	// Graph inputs. IR 3 exporters also list every weight as an input; those
	// have initializers and are constants, not something the caller feeds.
	inputNames := make(map[string]bool, len(gp.Input))
	for i, vp := range gp.Input {
		vi, err := d.valueInfo(vp, fmt.Sprintf("input[%d]", i), true)
		if err != nil {
			return nil, err
		}
		if inputNames[vi.Name] {
			return nil, invalidf(d.file, "input "+strconv.Quote(vi.Name), "two graph inputs have this name")
		}
		inputNames[vi.Name] = true
		g.ValueInfo[vi.Name] = vi
		if _, isInit := g.Initializers[vi.Name]; !isInit {
			g.Inputs = append(g.Inputs, vi)
		}
	}
	outputNames := make(map[string]bool, len(gp.Output))
	for i, vp := range gp.Output {
		vi, err := d.valueInfo(vp, fmt.Sprintf("output[%d]", i), true)
		if err != nil {
			return nil, err
		}
		if outputNames[vi.Name] {
			return nil, invalidf(d.file, "output "+strconv.Quote(vi.Name), "two graph outputs have this name")
		}
		outputNames[vi.Name] = true
		g.Outputs = append(g.Outputs, vi)
		if _, ok := g.ValueInfo[vi.Name]; !ok {
			g.ValueInfo[vi.Name] = vi
		}
	}
	for i, vp := range gp.ValueInfo {
		vi, err := d.valueInfo(vp, fmt.Sprintf("value_info[%d]", i), false)
		if err != nil {
			return nil, err
		}
		if vi.Name == "" {
			continue
		}
		if _, ok := g.ValueInfo[vi.Name]; !ok {
			g.ValueInfo[vi.Name] = vi
		}
	}

	nodes, err := d.nodes(gp.Node)
	if err != nil {
		return nil, err
	}
	g.Nodes = nodes
	if err := d.sortGraph(g, inputNames); err != nil {
		return nil, err
	}
	return g, nil
}

// parallelBytes is the initializer payload above which conversion is spread
// over all cores (below it, goroutines cost more than they save).
const parallelBytes = 1 << 20

// convertInitializers converts the (already reserved) initializers, on all
// cores when there is enough data. The error of the first failing tensor in
// file order is returned, so the message does not depend on scheduling.
func (d *decoder) convertInitializers(tps []*onnxpb.TensorProto) ([]*importer.Tensor, error) {
	out := make([]*importer.Tensor, len(tps))
	errs := make([]error, len(tps))
	conv := func(i int) {
		out[i], errs[i] = d.convertTensor(tps[i], "initializer "+strconv.Quote(tps[i].GetName()))
	}
	var total int64
	for _, tp := range tps {
		total += int64(len(tp.RawData)) + 4*int64(len(tp.FloatData)+len(tp.Int32Data)) + 8*int64(len(tp.Int64Data)+len(tp.DoubleData))
		if len(tp.ExternalData) > 0 {
			total += parallelBytes // size unknown until opened; assume large
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(tps))
	if total < parallelBytes || workers < 2 {
		for i := range tps {
			conv(i)
		}
	} else {
		// Largest first, so that one big tensor does not finish last alone.
		order := make([]int, len(tps))
		for i := range order {
			order[i] = i
		}
		size := func(tp *onnxpb.TensorProto) int64 { n, _ := dimsCount(tp.Dims); return n }
		slices.SortStableFunc(order, func(a, b int) int { return int(size(tps[b]) - size(tps[a])) })
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					k := int(next.Add(1)) - 1
					if k >= len(order) {
						return
					}
					conv(order[k])
				}
			})
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// valueInfo converts a ValueInfoProto. io marks graph inputs and outputs,
// which must be named tensors; value_info entries of other kinds (sequences,
// maps) carry nothing rramc uses and come back with DType Undefined.
func (d *decoder) valueInfo(vp *onnxpb.ValueInfoProto, where string, io bool) (importer.ValueInfo, error) {
	vi := importer.ValueInfo{Name: vp.GetName()}
	if vi.Name == "" {
		if io {
			return vi, invalidf(d.file, where, "has no name")
		}
		return vi, nil
	}
	where = fmt.Sprintf("%s %q", where, vi.Name)
	tp := vp.GetType()
	if tp == nil {
		return vi, nil // IR 3 allows untyped values; shape inference fills them in.
	}
	tt := tp.GetTensorType()
	if tt == nil {
		if io && tp.GetValue() != nil {
			return vi, invalidf(d.file, where, "only tensor-typed graph inputs and outputs are supported")
		}
		return vi, nil
	}
	vi.DType = importer.DataType(tt.GetElemType())
	if sh := tt.GetShape(); sh != nil {
		vi.Shape = make([]importer.Dim, len(sh.Dim))
		for j, dp := range sh.Dim {
			if dp.Value == nil {
				continue // unknown dimension
			}
			switch v := dp.Value.(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				if v.DimValue < 0 {
					return vi, invalidf(d.file, where, "shape dimension %d is negative (%d)", j, v.DimValue)
				}
				vi.Shape[j].Value = v.DimValue
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				vi.Shape[j].Param = v.DimParam
			}
		}
	}
	return vi, nil
}

// nodes converts the node list, giving every node a unique name: unnamed
// nodes become OpType_i (i = position in the file) and a repeated name gets
// a _k suffix, so passes and error messages can refer to nodes by name.
func (d *decoder) nodes(nps []*onnxpb.NodeProto) ([]*importer.Node, error) {
	nodes := make([]*importer.Node, len(nps))
	used := make(map[string]bool, len(nps))
	for _, np := range nps {
		if np.GetName() != "" {
			used[np.GetName()] = true
		}
	}
	taken := make(map[string]bool, len(nps))
	// pick returns base or base_k, whichever is free first. Explicit names
	// may take their own reserved name; generated ones avoid every explicit
	// name so that a later node named "Conv_3" keeps its name.
	pick := func(base string, explicit bool) string {
		name := base
		for k := 2; taken[name] || (used[name] && !(explicit && name == base)); k++ {
			name = base + "_" + strconv.Itoa(k)
		}
		taken[name] = true
		return name
	}
	for i, np := range nps {
		if np.GetOpType() == "" {
			return nil, invalidf(d.file, fmt.Sprintf("node[%d] %q", i, np.GetName()), "node has no op_type")
		}
		var name string
		if np.GetName() == "" {
			name = pick(np.GetOpType()+"_"+strconv.Itoa(i), false)
		} else {
			name = pick(np.GetName(), true)
		}
		n := &importer.Node{
			Name:    name,
			OpType:  np.GetOpType(),
			Domain:  canonDomain(np.GetDomain()),
			Inputs:  np.Input,
			Outputs: np.Output,
		}
		where := nodeLoc(n)
		if len(np.Attribute) > 0 {
			n.Attrs = make(map[string]*importer.Attr, len(np.Attribute))
			for j, ap := range np.Attribute {
				a, err := d.attr(ap, fmt.Sprintf("%s attribute[%d]", where, j))
				if err != nil {
					return nil, err
				}
				if _, dup := n.Attrs[a.Name]; dup {
					return nil, invalidf(d.file, where, "attribute %q appears twice", a.Name)
				}
				n.Attrs[a.Name] = a
			}
		}
		nodes[i] = n
	}
	return nodes, nil
}

func nodeLoc(n *importer.Node) string {
	return fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
}

// attr converts an attribute. Graph-valued attributes (If/Loop/Scan bodies)
// and the list-of-tensor/sparse/type kinds are kept with their kind only: no
// rramc operator reads them, and the interpreter reports their ops as
// unsupported.
func (d *decoder) attr(ap *onnxpb.AttributeProto, where string) (*importer.Attr, error) {
	a := &importer.Attr{Name: ap.GetName()}
	if a.Name == "" {
		return nil, invalidf(d.file, where, "attribute has no name")
	}
	where = fmt.Sprintf("%s %q", where, a.Name)
	kind := importer.AttrKind(ap.GetType())
	if kind <= importer.AttrUndefined || kind > importer.AttrKind(onnxpb.AttributeProto_TYPE_PROTOS) {
		// IR < 2 writers leave the type unset, and a newer kind this schema
		// does not know (Go protobuf keeps unknown enum values) cannot be
		// trusted: infer the kind from the field that is set.
		kind = importer.AttrUndefined
		switch {
		case ap.F != nil:
			kind = importer.AttrFloat
		case ap.I != nil:
			kind = importer.AttrInt
		case ap.S != nil:
			kind = importer.AttrString
		case ap.T != nil:
			kind = importer.AttrTensor
		case ap.G != nil:
			kind = importer.AttrGraph
		case len(ap.Floats) > 0:
			kind = importer.AttrFloats
		case len(ap.Ints) > 0:
			kind = importer.AttrInts
		case len(ap.Strings) > 0:
			kind = importer.AttrStrings
		}
	}
	a.Kind = kind
	switch kind {
	case importer.AttrFloat:
		a.F = ap.GetF()
	case importer.AttrInt:
		a.I = ap.GetI()
	case importer.AttrString:
		a.S = string(ap.S)
	case importer.AttrTensor:
		if ap.T == nil {
			return nil, invalidf(d.file, where, "tensor attribute holds no tensor")
		}
		t, err := d.decodeTensor(ap.T, where)
		if err != nil {
			return nil, err
		}
		a.T = t
	case importer.AttrFloats:
		a.Floats = ap.Floats
	case importer.AttrInts:
		a.Ints = ap.Ints
	case importer.AttrStrings:
		a.Strings = make([]string, len(ap.Strings))
		for i, s := range ap.Strings {
			a.Strings[i] = string(s)
		}
	}
	return a, nil
}

// invalidf builds a ModelError for file at where.
func invalidf(file, where, format string, args ...any) error {
	return &importer.ModelError{File: file, Where: where, Msg: fmt.Sprintf(format, args...)}
}

// invalidErr builds a ModelError wrapping cause.
func invalidErr(file, where string, cause error, format string, args ...any) error {
	return &importer.ModelError{File: file, Where: where, Msg: fmt.Sprintf(format, args...), Err: cause}
}
