package interp_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/onnxpb"
)

// The conformance harness runs the node test cases that ONNX itself ships
// (onnx/backend/test/data/node, packaged by Debian as libonnx-testdata) for
// every op type the float interpreter claims. They are independent truth:
// inputs and expected outputs were computed by ONNX's reference
// implementation, not by rramc.
//
// A case is run when every op of its graph is claimed (SupportedOps). It then
// ends in exactly one of:
//   - passed: every output has the expected type class, shape and values
//     within conformanceTol;
//   - refused: the model is rejected at load, compile or run time with an
//     error that wraps importer.ErrInvalidModel (an attribute, type or form
//     the interpreter does not implement, named in the message);
//   - failed: a wrong result, a panic, or an error that does not wrap
//     ErrInvalidModel (an internal failure). Any failure fails the test.
//
// Cases whose graph uses an unclaimed op are counted per missing op: that
// table is the to-do list of ops.

// conformanceTol is the tolerance on every float output element:
// |got − want| ≤ conformanceTol·max(1, |want|).
const conformanceTol = 1e-4

// nodeTestDirs are where Debian's libonnx-testdata puts the node cases;
// RRAMC_ONNX_NODE_TESTS overrides them.
var nodeTestDirs = []string{
	"/usr/share/libonnx-testdata/data/node",
	"/usr/lib/python3/dist-packages/onnx/backend/test/data/node",
	"/usr/include/onnx/backend/test/data/node",
}

func findNodeTestDir() string {
	if d := os.Getenv("RRAMC_ONNX_NODE_TESTS"); d != "" {
		return d
	}
	for _, d := range nodeTestDirs {
		if _, err := os.Stat(filepath.Join(d, "test_abs", "model.onnx")); err == nil {
			return d
		}
	}
	return ""
}

// The importer entry points the harness uses, in one place.
var (
	claimedOps   = interp.SupportedOps
	decodeModel  = onnx.Decode
	decodeTensor = onnx.DecodeTensorPB
	compileModel = func(m *importer.Model) (runner, error) { return interp.NewModelProgram(m) }
)

type runner interface {
	Run(map[string]*importer.Tensor) (map[string]*importer.Tensor, error)
}

type caseOutcome int

const (
	outcomePassed caseOutcome = iota
	outcomeRefused
	outcomeFailed
)

type opTally struct{ run, passed, refused, failed int }

func TestONNXNodeConformance(t *testing.T) {
	root := findNodeTestDir()
	if root == "" {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata; or set RRAMC_ONNX_NODE_TESTS)")
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	claimed := map[string]bool{}
	for _, op := range claimedOps() {
		claimed[op] = true
	}
	tally := map[string]*opTally{}
	missing := map[string]int{}       // unclaimed op -> cases it blocks
	refusals := map[string][]string{} // message (case path removed) -> cases
	var total, blocked int
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			continue // not a case directory
		}
		total++
		ops, err := graphOps(data)
		if err != nil {
			t.Errorf("%s: reading op types: %v", e.Name(), err)
			continue
		}
		var unclaimed []string
		for _, op := range ops {
			if !claimed[op] {
				unclaimed = append(unclaimed, op)
			}
		}
		if len(unclaimed) > 0 {
			blocked++
			for _, op := range unclaimed {
				missing[op]++
			}
			continue
		}
		key := caseKey(ops)
		tl := tally[key]
		if tl == nil {
			tl = &opTally{}
			tally[key] = tl
		}
		tl.run++
		outcome, msg := runNodeCase(dir, data)
		switch outcome {
		case outcomePassed:
			tl.passed++
		case outcomeRefused:
			tl.refused++
			key := strings.ReplaceAll(msg, dir, "<case>")
			refusals[key] = append(refusals[key], e.Name())
		case outcomeFailed:
			tl.failed++
			t.Errorf("%s: %s", e.Name(), msg)
		}
	}
	t.Logf("ONNX node conformance (%s): %d cases, %d blocked by unclaimed ops, tolerance %g", root, total, blocked, conformanceTol)
	t.Log(formatTally(tally, len(claimed)))
	t.Log(formatRefusals(refusals))
	t.Log(formatMissing(missing))
}

// graphOps lists the distinct op types of a model's main graph, read with
// the raw protobuf bindings so that a case the importer refuses is still
// attributed to its ops.
func graphOps(data []byte) ([]string, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	var ops []string
	for _, n := range m.GetGraph().GetNode() {
		op := n.GetOpType()
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			op = d + "." + op
		}
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	return ops, nil
}

// caseKey attributes a case to its op: the single op of the graph (Constant
// nodes that only feed it aside), or "(multi-op graph)" for the *_expanded
// cases, which run an op's function body made of other ops.
func caseKey(ops []string) string {
	var main []string
	for _, op := range ops {
		if op != "Constant" {
			main = append(main, op)
		}
	}
	switch len(main) {
	case 0:
		return "Constant"
	case 1:
		return main[0]
	}
	return "(multi-op graph)"
}

// runNodeCase runs every test_data_set_* of one case; a panic anywhere is
// a failure of that case, not of the harness.
func runNodeCase(dir string, data []byte) (outcome caseOutcome, msg string) {
	defer func() {
		if r := recover(); r != nil {
			outcome, msg = outcomeFailed, fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	refuse := func(stage string, err error) (caseOutcome, string) {
		if errors.Is(err, importer.ErrInvalidModel) {
			return outcomeRefused, fmt.Sprintf("%s: %v", stage, err)
		}
		return outcomeFailed, fmt.Sprintf("%s: error not wrapping ErrInvalidModel: %v", stage, err)
	}
	m, err := decodeModel(data, dir)
	if err != nil {
		return refuse("decode", err)
	}
	p, err := compileModel(m)
	if err != nil {
		return refuse("compile", err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return outcomeFailed, "no test_data_set_* directory"
	}
	sort.Strings(sets)
	for _, set := range sets {
		inputs, err := readCaseInputs(set, m.Graph.Inputs)
		if err != nil {
			return refuse("inputs of "+filepath.Base(set), err)
		}
		got, err := p.Run(inputs)
		if err != nil {
			return refuse("run "+filepath.Base(set), err)
		}
		for i, out := range m.Graph.Outputs {
			wantPath := filepath.Join(set, fmt.Sprintf("output_%d.pb", i))
			raw, err := os.ReadFile(wantPath)
			if err != nil {
				return outcomeFailed, fmt.Sprintf("%s: %v", filepath.Base(set), err)
			}
			_, want, err := decodeTensor(raw)
			if err != nil {
				return refuse("expected "+filepath.Base(set)+"/"+filepath.Base(wantPath), err)
			}
			want = bfloat16FromBits(want, out.DType)
			if fix, ok := dataErrata[filepath.Base(dir)]; ok {
				if want, err = fix.expect(inputs, want); err != nil {
					return outcomeFailed, fmt.Sprintf("%s: erratum (%s): %v", filepath.Base(set), fix.why, err)
				}
			}
			if err := compareTensors(got[out.Name], want); err != nil {
				return outcomeFailed, fmt.Sprintf("%s output %q: %v", filepath.Base(set), out.Name, err)
			}
		}
	}
	return outcomePassed, ""
}

// readCaseInputs reads input_<i>.pb for the i-th graph input.
func readCaseInputs(set string, inputs []importer.ValueInfo) (map[string]*importer.Tensor, error) {
	feed := map[string]*importer.Tensor{}
	for i, in := range inputs {
		raw, err := os.ReadFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return nil, fmt.Errorf("%w: input %q: %v", importer.ErrInvalidModel, in.Name, err)
		}
		_, tensor, err := decodeTensor(raw)
		if err != nil {
			return nil, err
		}
		feed[in.Name] = bfloat16FromBits(tensor, in.DType)
	}
	return feed, nil
}

// A dataErratum replaces the expected output of a case whose data, as
// shipped in ONNX 1.12, disagrees with the ONNX specification as corrected
// later. expect computes the correct output independently from the inputs
// and checks that it differs from the shipped one only in the way the
// erratum describes, so an unrelated change of the data is still caught.
type dataErratum struct {
	why    string
	expect func(inputs map[string]*importer.Tensor, shipped *importer.Tensor) (*importer.Tensor, error)
}

var dataErrata = map[string]dataErratum{
	"test_cast_FLOAT_to_BFLOAT16": {
		why: "ONNX 1.12 made the expected bfloat16 values by truncating float32; " +
			"ONNX 1.14 fixed them to round to nearest even, as onnxruntime and rramc do",
		expect: func(inputs map[string]*importer.Tensor, shipped *importer.Tensor) (*importer.Tensor, error) {
			in := inputs["input"]
			if in == nil || in.Len() != shipped.Len() {
				return nil, errors.New("input does not match the output")
			}
			out := &importer.Tensor{DType: importer.BFloat16, Shape: shipped.Shape, Float: make([]float32, in.Len())}
			for i, v := range in.Floats() {
				out.Float[i] = bfloat16RoundNearestEven(v)
				truncated := math.Float32frombits(math.Float32bits(v) &^ 0xFFFF)
				if s := shipped.Float[i]; s != truncated && !(math.IsNaN(float64(s)) && math.IsNaN(float64(v))) {
					return nil, fmt.Errorf("element %d: shipped %v is not the truncation %v of %v", i, s, truncated, v)
				}
			}
			return out, nil
		},
	},
}

// bfloat16RoundNearestEven rounds a float32 to the nearest bfloat16, ties to
// even; NaN stays NaN.
func bfloat16RoundNearestEven(v float32) float32 {
	if math.IsNaN(float64(v)) {
		return v
	}
	bits := math.Float32bits(v)
	bits += 0x7FFF + (bits>>16)&1
	return math.Float32frombits(bits &^ 0xFFFF)
}

// bfloat16FromBits undoes a quirk of the test data: ONNX 1.12 stores a
// bfloat16 tensor as uint16 holding its bit patterns. When the model declares
// bfloat16 and the file holds uint16, the bits are widened to float32 (a
// bfloat16 is the top half of a float32).
func bfloat16FromBits(t *importer.Tensor, declared importer.DataType) *importer.Tensor {
	if declared != importer.BFloat16 || t.DType != importer.Uint16 {
		return t
	}
	out := &importer.Tensor{DType: importer.BFloat16, Shape: t.Shape, Float: make([]float32, len(t.Int))}
	for i, bits := range t.Int {
		out.Float[i] = math.Float32frombits(uint32(bits) << 16)
	}
	return out
}

// compareTensors checks type class, shape and values: integers and bools
// exactly, floats within conformanceTol (NaN matches only NaN, infinities
// only the same infinity).
func compareTensors(got, want *importer.Tensor) error {
	if got == nil {
		return errors.New("output missing")
	}
	if got.IsFloat() != want.IsFloat() {
		return fmt.Errorf("type %v, want %v", got.DType, want.DType)
	}
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if !want.IsFloat() {
		g, w := got.Ints(), want.Ints()
		for i := range w {
			if g[i] != w[i] {
				return fmt.Errorf("element %d = %d, want %d", i, g[i], w[i])
			}
		}
		return nil
	}
	g, w := got.Floats(), want.Floats()
	for i := range w {
		a, b := float64(g[i]), float64(w[i])
		switch {
		case math.IsNaN(b):
			if !math.IsNaN(a) {
				return fmt.Errorf("element %d = %v, want NaN", i, a)
			}
		case math.IsInf(b, 0):
			if a != b {
				return fmt.Errorf("element %d = %v, want %v", i, a, b)
			}
		case !(math.Abs(a-b) <= conformanceTol*math.Max(1, math.Abs(b))):
			return fmt.Errorf("element %d = %v, want %v", i, a, b)
		}
	}
	return nil
}

func formatTally(tally map[string]*opTally, claimed int) string {
	keys := make([]string, 0, len(tally))
	var sum opTally
	for k, v := range tally {
		keys = append(keys, k)
		sum.run += v.run
		sum.passed += v.passed
		sum.refused += v.refused
		sum.failed += v.failed
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d op types claimed, %d with cases\n", claimed, len(keys))
	fmt.Fprintf(&b, "%-24s %5s %6s %7s %6s\n", "op", "run", "passed", "refused", "failed")
	for _, k := range keys {
		v := tally[k]
		fmt.Fprintf(&b, "%-24s %5d %6d %7d %6d\n", k, v.run, v.passed, v.refused, v.failed)
	}
	fmt.Fprintf(&b, "%-24s %5d %6d %7d %6d", "total", sum.run, sum.passed, sum.refused, sum.failed)
	return b.String()
}

func formatMissing(missing map[string]int) string {
	ops := make([]string, 0, len(missing))
	for op := range missing {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		if missing[ops[i]] != missing[ops[j]] {
			return missing[ops[i]] > missing[ops[j]]
		}
		return ops[i] < ops[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d unclaimed op types block cases (op: cases):", len(ops))
	for i, op := range ops {
		if i%8 == 0 {
			b.WriteString("\n ")
		}
		fmt.Fprintf(&b, " %s: %d", op, missing[op])
	}
	return b.String()
}

// formatRefusals groups the refused cases by message, most frequent first.
func formatRefusals(refusals map[string][]string) string {
	msgs := make([]string, 0, len(refusals))
	n := 0
	for m, cases := range refusals {
		msgs = append(msgs, m)
		n += len(cases)
	}
	sort.Slice(msgs, func(i, j int) bool {
		if a, b := len(refusals[msgs[i]]), len(refusals[msgs[j]]); a != b {
			return a > b
		}
		return msgs[i] < msgs[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d cases refused with a message, %d distinct messages:", n, len(msgs))
	for _, m := range msgs {
		fmt.Fprintf(&b, "\n  %d× %s\n      cases: %s", len(refusals[m]), m, strings.Join(refusals[m], ", "))
	}
	return b.String()
}

// TestPyTorchConvertedWindows runs libonnx-testdata's pytorch-converted
// cases of 1-D and 3-D Conv, AveragePool and MaxPool (PyTorch's own outputs
// as the reference). They are written at opset 6, which rramc does not read;
// the definitions of these three ops for the attributes the cases use are the
// same at opset 7 (opset 7 adds count_include_pad, default 0; opset 8 adds
// MaxPool's storage_order and Indices, default off), so each such model is
// read with its opset relabelled 7 (one case is written at opset 12).
func TestPyTorchConvertedWindows(t *testing.T) {
	root := findNodeTestDir()
	if root == "" {
		t.Skip("ONNX node test data not installed (Debian: apt-get install libonnx-testdata; or set RRAMC_ONNX_NODE_TESTS)")
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "..", "pytorch-converted", "test_*"))
	ran := 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		if !pytorchWindowCase.MatchString(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			var m onnxpb.ModelProto
			if err := proto.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			for _, op := range m.OpsetImport {
				if op.GetDomain() == "" && op.GetVersion() < 7 {
					if op.GetVersion() != 6 {
						t.Fatalf("opset %d, the test expects 6 or a readable one", op.GetVersion())
					}
					op.Version = proto.Int64(7)
				}
			}
			data, err := proto.Marshal(&m)
			if err != nil {
				t.Fatal(err)
			}
			if outcome, msg := runNodeCase(dir, data); outcome != outcomePassed {
				t.Errorf("%s", msg)
			}
		})
		ran++
	}
	if ran == 0 {
		t.Skip("no pytorch-converted window cases next to the node cases")
	}
	t.Logf("%d pytorch-converted 1-D/3-D window cases", ran)
}

var pytorchWindowCase = regexp.MustCompile(`^test_(Conv|AvgPool|MaxPool)(1d|3d)`)
