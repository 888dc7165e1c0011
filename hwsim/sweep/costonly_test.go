package sweep

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/onnxpb"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
	"github.com/rramc/rramc/testmodels"
)

// onnxF32 is a float32 initializer (raw_data) with seeded N(0, scale²) values.
func onnxF32(r *rand.Rand, name string, scale float64, dims ...int64) *onnxpb.TensorProto {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	raw := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(r.NormFloat64()*scale)))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(importer.Float)), RawData: raw}
}

// onnxVI is a float tensor ValueInfo; dims are int (fixed) or string (symbolic).
func onnxVI(name string, dims ...any) *onnxpb.ValueInfoProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		}
		sh.Dim = append(sh.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(importer.Float)), Shape: sh}}}}
}

func onnxInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func onnxInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

// writeRGBNet writes a small random-weight CNN taking [N,3,8,8] colour
// images (not MNIST's 28×28×1): Conv 3→6 3×3 pad 1, Relu, Conv 6→8 3×3
// stride 2 pad 1, Relu, Flatten, Gemm 128→10. batch is the input's batch
// dimension ("N" or a fixed size).
func writeRGBNet(t testing.TB, dir string, batch any) string {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	node := func(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: in, Output: out, Attribute: attrs}
	}
	g := &onnxpb.GraphProto{
		Name: proto.String("rgbnet"),
		Node: []*onnxpb.NodeProto{
			node("Conv", "conv1", []string{"x", "w1", "b1"}, []string{"c1"}, onnxInts("kernel_shape", 3, 3), onnxInts("pads", 1, 1, 1, 1)),
			node("Relu", "relu1", []string{"c1"}, []string{"r1"}),
			node("Conv", "conv2", []string{"r1", "w2", "b2"}, []string{"c2"}, onnxInts("kernel_shape", 3, 3), onnxInts("pads", 1, 1, 1, 1),
				onnxInts("strides", 2, 2)),
			node("Relu", "relu2", []string{"c2"}, []string{"r2"}),
			node("Flatten", "flat", []string{"r2"}, []string{"f"}, onnxInt("axis", 1)),
			node("Gemm", "fc", []string{"f", "w3", "b3"}, []string{"y"}, onnxInt("transB", 1)),
		},
		Initializer: []*onnxpb.TensorProto{
			onnxF32(r, "w1", 0.4, 6, 3, 3, 3), onnxF32(r, "b1", 0.1, 6),
			onnxF32(r, "w2", 0.2, 8, 6, 3, 3), onnxF32(r, "b2", 0.1, 8),
			onnxF32(r, "w3", 0.1, 10, 128), onnxF32(r, "b3", 0.1, 10),
		},
		Input:  []*onnxpb.ValueInfoProto{onnxVI("x", batch, 3, 8, 8)},
		Output: []*onnxpb.ValueInfoProto{onnxVI("y", batch, 10)},
	}
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(8), ProducerName: proto.String("rramc-sweep-test"),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}, Graph: g}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "rgbnet.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// analyticCost prices one inference of model at prune/scheme from the
// mapping alone: hwsim.AnalyticCounts with the vectors of one image, then
// Simulator.Cost. The network is calibrated on seeded random inputs (signed,
// like the synthetic pattern), not on the sweep's pattern: the counts must
// not depend on the calibration data.
func analyticCost(t *testing.T, model string, prune float64, scheme string, maxShare int, vectors []int64) *hwsim.Cost {
	t.Helper()
	m, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 5))
	calib := &importer.Tensor{DType: importer.Float, Shape: []int{3, 3, 8, 8}, Float: make([]float32, 3*3*64)}
	for i := range calib.Float {
		calib.Float[i] = float32(r.NormFloat64())
	}
	qc := quant.DefaultConfig()
	qc.Prune, qc.Calib = prune, 3
	net, err := quant.Quantize(m, calib, qc)
	if err != nil {
		t.Fatal(err)
	}
	hw := hwsim.Defaults()
	geo := hw.Geometry
	mp, err := mapper.Map(net, geo, mapper.Options{Scheme: scheme, MaxShare: maxShare})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := hwsim.Simulate(net, mp, hw, hwsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := hwsim.AnalyticCounts(mp, hw, vectors)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := sim.Cost(counts)
	if err != nil {
		t.Fatal(err)
	}
	return cost
}

// TestCostOnlyPoint sweeps a network whose input takes 3×8×8 images, not
// MNIST's: every point is cost-only, with the cost of one inference equal
// to the analytic count of the mapping, and no accuracy anywhere.
func TestCostOnlyPoint(t *testing.T) {
	dir := t.TempDir()
	model := writeRGBNet(t, dir, "N")
	cfg := Config{Models: []string{model}, Prune: []float64{0, 0.6}, Schemes: []string{"dense", "zerocol", "sre", "colsim"},
		MaxShare: []int{2, 0}, Limit: 20, Dir: filepath.Join(dir, "out"), Report: DefaultReportOptions(), Workers: 2}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Points) != 10 {
		t.Fatalf("%d points", len(r.Points))
	}
	// conv1: 8×8 outputs, conv2: 4×4 (stride 2), fc: 1 vector per image.
	vectors := []int64{64, 16, 1}
	for i := range r.Points {
		p := &r.Points[i]
		if !p.CostOnly || p.Images != 0 || p.AccFloat != 0 || p.AccInt != 0 || p.AccSim != 0 || p.Agreement != 0 {
			t.Errorf("%s prune %g: cost_only %v images %d accuracies %g/%g/%g/%g", p.Label(), p.Prune, p.CostOnly, p.Images,
				p.AccFloat, p.AccInt, p.AccSim, p.Agreement)
		}
		if !strings.Contains(p.CostOnlyReason, "[N,3,8,8]") || !strings.Contains(p.CostOnlyReason, "MNIST") {
			t.Errorf("reason %q", p.CostOnlyReason)
		}
		if p.Cycles <= 0 || p.EnergyPJ <= 0 || p.AreaUM2 <= 0 || len(p.Layers) != 3 || p.Crossbars <= 0 {
			t.Fatalf("%s: empty cost %+v", p.Label(), p)
		}
		want := analyticCost(t, model, p.Prune, p.Scheme, p.MaxShare, vectors)
		if p.Cycles != want.Cycles || p.OUActivations != want.Counts.OUActivations || p.IndexBits != want.IndexBits ||
			p.Crossbars != want.Crossbars || math.Abs(p.EnergyPJ-want.EnergyPJ.Total) > 1e-9*want.EnergyPJ.Total ||
			math.Abs(p.AreaUM2-want.AreaUM2.Total) > 1e-9*want.AreaUM2.Total {
			t.Errorf("%s prune %g: cycles %d energy %g area %g index %d, analytic %d %g %g %d", p.Label(), p.Prune,
				p.Cycles, p.EnergyPJ, p.AreaUM2, p.IndexBits, want.Cycles, want.EnergyPJ.Total, want.AreaUM2.Total, want.IndexBits)
		}
		for li, l := range p.Layers {
			if w := want.Layers[li]; l.Cycles != w.Cycles || l.OUActivations != w.Counts.OUActivations {
				t.Errorf("%s layer %s: cycles %d activations %d, analytic %d %d", p.Label(), l.Name, l.Cycles, l.OUActivations, w.Cycles, w.Counts.OUActivations)
			}
		}
		if p.Prune == 0.6 && p.Sparsity < 0.55 {
			t.Errorf("%s: sparsity %g at prune 0.6", p.Label(), p.Sparsity)
		}
	}
	// Gains are computed as for any network.
	if d, c := r.Find("rgbnet", 0.6, "dense", 0), r.Find("rgbnet", 0.6, "colsim", 0); d == nil || c == nil || c.Cycles >= d.Cycles {
		t.Errorf("colsim does not beat dense at prune 0.6")
	}
	if sums := Summaries(r.Gains()); len(sums) == 0 || sums[0].Points == 0 {
		t.Errorf("no summary over the cost-only network: %+v", sums)
	}

	md, err := WriteResultsMarkdown(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"Network `rgbnet` is cost only", "| 0.6 | 0.", " | n/a | n/a | n/a | n/a | n/a | n/a |",
		"accuracy n/a", "The means include the cost-only network `rgbnet`", "| cost-only network `rgbnet` |"} {
		if !strings.Contains(s, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	for _, bad := range []string{"0.00 |", "first 0 ", "0 (MNIST)", "none (MNIST)"} {
		if strings.Contains(s, bad) {
			t.Errorf("RESULTS.md holds %q", bad)
		}
	}
	if t.Failed() || os.Getenv("SWEEP_SHOW_MD") != "" {
		t.Log(s)
	}

	// results.csv: empty accuracy cells, cost_only true.
	data, err := os.ReadFile(filepath.Join(cfg.Dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, row := range recs[1:] {
		if row[col["cost_only"]] != "true" || row[col["images"]] != "0" {
			t.Errorf("csv row cost_only %q images %q", row[col["cost_only"]], row[col["images"]])
		}
		for _, h := range []string{"accuracy_float", "accuracy_int", "accuracy_sim", "top1_agreement", "bit_exact"} {
			if row[col[h]] != "" {
				t.Errorf("csv %s = %q for a cost-only point", h, row[col[h]])
			}
		}
	}
	html, err := os.ReadFile(filepath.Join(cfg.Dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if h := string(html); !strings.Contains(h, "n/a (cost only)") || strings.Contains(h, "rgbnet: accuracy vs pruning") {
		t.Errorf("report.html does not mark the cost-only network")
	}
	// The per-component breakdown: a stacked bar of energy per scheme, one
	// stack per component.
	h := string(html)
	end := strings.Index(h, "Energy of one inference by component")
	start := strings.LastIndex(h[:max(end, 0)], "<figure>")
	if end < 0 || start < 0 {
		t.Fatalf("report.html has no energy-by-component figure")
	}
	for _, comp := range []string{"energy by component", "adc", "crossbar", "dac", "buffer"} {
		if !strings.Contains(h[start:end], comp) {
			t.Errorf("energy-by-component figure lacks %q", comp)
		}
	}
	back, err := ReadResults(filepath.Join(cfg.Dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Points[0].CostOnly || back.Points[0].CostOnlyReason == "" {
		t.Errorf("cost_only lost in results.json")
	}
}

// TestCostOnlyFixedBatch: a fixed batch of 2 is simulated as one run of 2
// synthetic images and divided by 2; the cost equals the symbolic-batch one.
func TestCostOnlyFixedBatch(t *testing.T) {
	dir := t.TempDir()
	sym := writeRGBNet(t, filepath.Join(dir), "N")
	fixedDir := filepath.Join(dir, "fixed")
	if err := os.Mkdir(fixedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fixed := writeRGBNet(t, fixedDir, 2)
	ev, err := NewEvaluator(Config{Schemes: []string{"colsim"}})
	if err != nil {
		t.Fatal(err)
	}
	var cycles []int64
	for _, m := range []string{sym, fixed} {
		cfg := Config{Models: []string{m}, Prune: []float64{0.5}, Schemes: []string{"colsim"}, Dir: t.TempDir()}
		jobs, _, err := cfg.Jobs()
		if err != nil {
			t.Fatal(err)
		}
		p, err := ev.Evaluate(context.Background(), jobs[0])
		if err != nil {
			t.Fatal(err)
		}
		if !p.CostOnly {
			t.Fatalf("%s: not cost-only", m)
		}
		cycles = append(cycles, p.Cycles)
	}
	if cycles[0] != cycles[1] || cycles[0] <= 0 {
		t.Errorf("cycles %v: fixed batch differs from symbolic batch", cycles)
	}
}

// TestCostOnlyNeedsFixedShape: an input that neither takes MNIST images nor
// has fixed sample dimensions cannot be given a synthetic input.
func TestCostOnlyNeedsFixedShape(t *testing.T) {
	me := &modelEntry{in: importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Param: "H"}, {Param: "W"}}}}
	err := costOnlyModel(&PointConfig{Model: "m.onnx"}, me, "input does not take MNIST images")
	if err == nil || !strings.Contains(err.Error(), "dimension H is not fixed") {
		t.Fatalf("err %v", err)
	}
}

// TestSyntheticInputIsReference: sample 0 of the synthetic batch is the
// benchmark models' reference input.
func TestSyntheticInputIsReference(t *testing.T) {
	x := syntheticInput([]int{3, 224, 224}, 2)
	ref := testmodels.ReferenceInput(3 * 224 * 224)
	if !slices.Equal(x.Float[:len(ref)], ref) {
		t.Fatal("sample 0 differs from testmodels.ReferenceInput")
	}
	if slices.Equal(x.Float[len(ref):], ref) {
		t.Fatal("sample 1 equals sample 0")
	}
	if got := costOnlyCalibImages(512, 1); got != costOnlyCalib {
		t.Errorf("calib images %d", got)
	}
	if got := costOnlyCalibImages(512, 3); got != 3 {
		t.Errorf("calib images with batch 3: %d", got)
	}
	if got := costOnlyCalibImages(512, 64); got != 64 {
		t.Errorf("calib images with batch 64: %d", got)
	}
	if got := costOnlyCalibImages(1, 1); got != 1 {
		t.Errorf("calib images with calib 1: %d", got)
	}
}

// TestCostOnlyMixedResults: a measured and a cost-only network in one
// results set: validation, tables and gains handle both.
func TestCostOnlyMixedResults(t *testing.T) {
	r := handResults()
	r.Info.Models = append(r.Info.Models, ModelInfo{Name: "big", Path: "big.onnx"})
	for _, p := range []Point{pt("big", 0.5, "dense", 0, 9000, 5000), pt("big", 0.5, "sre", 0, 6000, 4000), pt("big", 0.5, "colsim", 2, 3000, 2000)} {
		p.Images, p.AccFloat, p.AccInt, p.AccSim, p.Agreement = 0, 0, 0, 0, 0
		p.CostOnly, p.CostOnlyReason = true, "input \"x\" of shape [N,3,224,224] does not take MNIST images"
		r.Points = append(r.Points, p)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	md, err := WriteResultsMarkdown(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	// colsim/2 vs sre: net 0.5 (0.5), net 0.9 (1.5), big 0.5 (1) -> mean 1.
	for _, want := range []string{"100 MNIST test images", "Network `big` is cost only",
		"| rramc | colsim/2 vs sre | 3 | 100.00 % |", "| 0.5 | 0.000 | 0.000 | n/a | n/a | n/a | – | n/a | n/a |",
		"| 0.5 | 0.000 | 0.000 | 99.00 | 98.00 |"} {
		if !strings.Contains(s, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
	// A network cannot be both.
	r.Points[len(r.Points)-1].CostOnly = false
	r.Points[len(r.Points)-1].CostOnlyReason = ""
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "cost-only and measured") {
		t.Errorf("mixed network accepted: %v", err)
	}
	// A cost-only point cannot carry accuracies.
	bad := pt("x", 0, "dense", 0, 1, 1)
	bad.CostOnly = true
	if err := bad.validate(); err == nil || !strings.Contains(err.Error(), "cost-only point with images") {
		t.Errorf("cost-only point with accuracy accepted: %v", err)
	}
}

// TestCostOnlyResNet18 runs the ResNet-18-size benchmark model (not
// committed: testmodels/resnet18.onnx, made by train.py --resnet18) for
// dense and colsim at one ratio.
func TestCostOnlyResNet18(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-18 point under -short")
	}
	model := filepath.Join("..", "..", "testmodels", "resnet18.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Skip("testmodels/resnet18.onnx absent (train.py --resnet18)")
	}
	t0 := time.Now()
	cfg := Config{Models: []string{model}, Prune: []float64{0.5}, Schemes: []string{"dense", "colsim"}, MaxShare: []int{0},
		Dir: t.TempDir(), Workers: 1, Report: DefaultReportOptions()}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sweep of %d points: %.1f s", len(r.Points), time.Since(t0).Seconds())
	for _, p := range r.Points {
		t.Logf("%s: %d layers, cycles %d, energy %.4g nJ, area %.4g mm², index %d bits, crossbars %d, sparsity %.3f, bit sparsity %.3f",
			p.Label(), len(p.Layers), p.Cycles, p.EnergyPJ/1e3, p.AreaUM2/1e6, p.IndexBits, p.Crossbars, p.Sparsity, p.BitSparsity)
		if !p.CostOnly || p.Images != 0 || p.Cycles <= 0 || len(p.Layers) != 21 {
			t.Errorf("%s: cost_only %v images %d cycles %d layers %d", p.Label(), p.CostOnly, p.Images, p.Cycles, len(p.Layers))
		}
	}
	d, c := r.Find("resnet18", 0.5, "dense", 0), r.Find("resnet18", 0.5, "colsim", 0)
	if d == nil || c == nil {
		t.Fatal("missing points")
	}
	if c.Cycles >= d.Cycles || d.IndexBits != 0 {
		t.Errorf("colsim %d cycles vs dense %d; dense index bits %d", c.Cycles, d.Cycles, d.IndexBits)
	}
}
