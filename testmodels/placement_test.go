package testmodels_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/quant"
)

// TestPlacementAgreesWithQuantize holds `rramc inspect`'s placement
// (quant.Placement, computed without data) against what Quantize builds
// with calibration data, node by node, on every committed model and, when
// RRAMC_TORCHVISION_DIR holds them, every torchvision export.
func TestPlacementAgreesWithQuantize(t *testing.T) {
	paths, err := filepath.Glob("*.onnx")
	for _, dir := range []string{"intio", "conv3d", "decoder", "multiin"} {
		more, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
		paths = append(paths, more...)
	}
	if err != nil || len(paths) == 0 {
		t.Fatalf("no committed models: %v", err)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			m, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkPlacement(t, m, randomInput(t, m, 4))
		})
	}
	t.Run("torchvision", func(t *testing.T) {
		if testing.Short() {
			t.Skip("full-size networks; not with -short")
		}
		for _, tm := range loadTorchvisionIndex(t) {
			if !slices.Contains(tm.opsets, pipelineOpset) {
				continue
			}
			t.Run(tm.name, func(t *testing.T) {
				if tm.loadErr != nil {
					t.Fatal(tm.loadErr)
				}
				m, err := onnx.Load(tm.path(pipelineOpset))
				if err != nil {
					t.Fatal(err)
				}
				checkPlacement(t, m, []*importer.Tensor{calibBatch(tm.input, 1)})
			})
		}
	})
}

// randomInput is n samples in [0, 1) of each of m's declared input shapes
// (batch dimension n); whole numbers 0..255 for an integer input (image
// bytes).
func randomInput(t *testing.T, m *importer.Model, n int) []*importer.Tensor {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var xs []*importer.Tensor
	for _, in := range m.Graph.Inputs {
		shape := []int{n}
		for _, d := range in.Shape[1:] {
			if d.Value <= 0 {
				t.Fatalf("input %q has no fixed shape %s", in.Name, importer.FormatDims(in.Shape))
			}
			shape = append(shape, int(d.Value))
		}
		x := importer.NewFloat(shape, nil)
		for i := range x.Float {
			x.Float[i] = r.Float32()
			if in.DType.IsInteger() {
				x.Float[i] = float32(r.IntN(256))
			}
		}
		xs = append(xs, x)
	}
	return xs
}

// nodeNamed finds `node "NAME" (OP)` in quant's error messages.
var nodeNamed = regexp.MustCompile(`node "([^"]*)" \(([^)]*)\)`)

// checkPlacement quantizes m on calib and compares the result with
// quant.Placement(m): the verdict, and node by node the integer ops each
// node became (crossbar layers by name, digital ops by name and kind, the
// float post-op), or, when Quantize fails, the nodes its error names.
func checkPlacement(t *testing.T, m *importer.Model, calib []*importer.Tensor) {
	t.Helper()
	if u := importer.Summarize(m, interp.Supported).Unsupported; len(u) > 0 {
		t.Skipf("stops at import: the float interpreter cannot run %d nodes (first %q, %s)", len(u), u[0].Node, u[0].Op)
	}
	plan, perr := quant.Placement(m)
	cfg := quant.DefaultConfig()
	cfg.Calib = calib[0].Shape[0]
	net, qerr := quant.QuantizeInputs(m, calib, cfg)
	if perr != nil {
		if qerr == nil {
			t.Fatalf("Placement refuses the model (%v) but Quantize builds it", perr)
		}
		t.Logf("both refuse the model: placement %v; quantize %v", perr, qerr)
		return
	}
	t.Logf("verdict: %s", plan.Verdict())
	byName := map[string]quant.NodePlacement{}
	dup := map[string]bool{}
	for _, n := range plan.Nodes {
		if _, seen := byName[n.Node]; seen || n.Node == "" {
			dup[n.Node] = true
		}
		byName[n.Node] = n
	}
	if qerr != nil {
		if plan.Runs() {
			t.Fatalf("placement says %q but Quantize fails: %v", plan.Verdict(), qerr)
		}
		if !errors.Is(qerr, quant.ErrUnsupported) && !errors.Is(qerr, importer.ErrInvalidModel) {
			t.Fatalf("Quantize fails for another reason than the model: %v", qerr)
		}
		// Quantize names exactly the nodes placement calls unsupported
		// (a build error it stops at is one of them).
		named := map[string]bool{}
		for _, sub := range nodeNamed.FindAllStringSubmatch(qerr.Error(), -1) {
			named[sub[1]] = true
			if p, ok := byName[sub[1]]; ok && !dup[sub[1]] && p.Where != quant.Unsupported {
				t.Errorf("Quantize refuses node %q (%s) which placement puts on %s", sub[1], sub[2], p.Where)
			}
		}
		if len(named) == 0 {
			t.Errorf("Quantize's error names no node: %v", qerr)
		}
		if t.Failed() {
			t.Logf("Quantize: %.3000v", qerr)
		}
		if errors.Is(qerr, quant.ErrUnsupported) {
			for _, p := range plan.Nodes {
				if p.Where == quant.Unsupported && !dup[p.Node] && !named[p.Node] {
					t.Errorf("placement calls node %q (%s) unsupported (%s); Quantize does not name it", p.Node, p.Op, p.Reason)
				}
			}
		}
		return
	}
	if !plan.Runs() {
		t.Fatalf("placement says %q but Quantize builds the network", plan.Verdict())
	}
	// A node's crossbar layers (one, or one per phase of a ConvTranspose)
	// are the OpLinear ops named after it.
	onCrossbar := map[string]bool{}
	for _, op := range net.Ops {
		if op.Kind == quant.OpLinear {
			onCrossbar[op.Name] = true
		}
	}
	if len(onCrossbar) != plan.CrossbarLayers {
		t.Errorf("%d nodes built crossbar layers, placement counts %d", len(onCrossbar), plan.CrossbarLayers)
	}
	for name := range onCrossbar {
		if p, ok := byName[name]; ok && !dup[name] && p.Where != quant.OnCrossbar {
			t.Errorf("crossbar layer %q is placed on %s", name, p.Where)
		}
	}
	// Every op's kind is among the kinds placement gives its node, and
	// every kind placement gives a node has an op of that name.
	built := map[string][]string{}
	for _, op := range net.Ops {
		built[op.Name] = append(built[op.Name], op.Kind.String())
	}
	for name, got := range built {
		p, ok := byName[name]
		if !ok || dup[name] {
			continue
		}
		for _, k := range got {
			if !slices.Contains(p.Kinds, k) {
				t.Errorf("node %q (%s) became a %s op; placement says %s %v", name, p.Op, k, p.Where, p.Kinds)
			}
		}
	}
	for _, p := range plan.Nodes {
		if dup[p.Node] {
			continue
		}
		for _, k := range p.Kinds {
			if !slices.Contains(built[p.Node], k) {
				t.Errorf("placement gives node %q (%s) kind %s; Quantize built %v", p.Node, p.Op, k, built[p.Node])
			}
		}
		post := slices.ContainsFunc(net.Outputs, func(o quant.Output) bool { return o.Post != "" && o.Post == p.Op })
		if (p.Where == quant.OnHost) != post {
			t.Errorf("node %q (%s) placed on %s; the network's outputs %+v", p.Node, p.Op, p.Where, net.Outputs)
		}
	}
	if t.Failed() {
		t.Logf("Quantize: %.2000v", qerr)
		for _, p := range plan.Nodes {
			t.Log(fmt.Sprintf("%s %s %s %v %s %s", p.Node, p.Op, p.Where, p.Kinds, p.Into, p.Reason))
		}
	}
}
