package quant

import (
	"errors"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// placementModel is a small graph with one node of every placement: a
// Constant and a Shape chain (folded), a Conv with a BatchNorm folded into
// it and a fused Relu, a BatchNorm that cannot be folded (digital Affine), a
// pointwise activation (digital LUT), a MatMul of two activations (digital,
// since neither operand can be programmed into a crossbar), a floating
// ScatterND (no integer kind) and a node after it, and a final Softmax (host).
func placementModel() *importer.Model {
	g := toyModel(1).Graph
	init := g.Initializers
	fl := func(name string, v ...float32) string {
		init[name] = &importer.Tensor{DType: importer.Float, Shape: []int{len(v)}, Float: v}
		return name
	}
	ints := func(name string, v ...int64) string {
		init[name] = &importer.Tensor{DType: importer.Int64, Shape: []int{len(v)}, Int: v}
		return name
	}
	init["w"] = &importer.Tensor{DType: importer.Float, Shape: []int{4, 1, 3, 3}, Float: make([]float32, 36)}
	for i := range init["w"].Float {
		init["w"].Float[i] = float32(i%7) - 3
	}
	node := func(name, op string, in []string, out ...string) *importer.Node {
		return &importer.Node{Name: name, OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*importer.Attr{}}
	}
	one4 := []float32{1, 1, 1, 1}
	zero4 := []float32{0, 0, 0, 0}
	g.Nodes = []*importer.Node{
		node("conv", "Conv", []string{"x", "w"}, "c"),
		node("bn_folded", "BatchNormalization", []string{"c", fl("s1", one4...), fl("b1", zero4...), fl("m1", zero4...), fl("v1", one4...)}, "cb"),
		node("relu", "Relu", []string{"cb"}, "r"),
		node("bn_kept", "BatchNormalization", []string{"r", fl("s2", 2, 1, 1, 1), fl("b2", zero4...), fl("m2", zero4...), fl("v2", one4...)}, "bn"),
		node("sig", "Sigmoid", []string{"bn"}, "sg"),
		node("shape", "Shape", []string{"sg"}, "sh"),
		node("c0", "Constant", nil, "zero"),
		node("gather", "Gather", []string{"sh", "zero"}, "batch"),
		node("unsq", "Unsqueeze", []string{"batch", ints("ax0", 0)}, "b1d"),
		node("cat", "Concat", []string{"b1d", ints("rest", 4, 36)}, "target"),
		node("reshape", "Reshape", []string{"sg", "target"}, "flat"),
		node("tr", "Transpose", []string{"flat"}, "flatT"),
		node("attn", "MatMul", []string{"flat", "flatT"}, "a"),
		node("scatter", "ScatterND", []string{"a", ints("where", 0, 0, 0), fl("update", 3)}, "h"),
		node("relu_after", "Relu", []string{"h"}, "hr"),
		node("sm", "Softmax", []string{"hr"}, "prob"),
	}
	g.Nodes[6].Attrs["value"] = &importer.Attr{Name: "value", Kind: importer.AttrTensor, T: &importer.Tensor{DType: importer.Int64, Shape: []int{}, Int: []int64{0}}}
	g.Nodes[11].Attrs["perm"] = &importer.Attr{Name: "perm", Kind: importer.AttrInts, Ints: []int64{0, 2, 1}}
	init["update"].Shape = []int{} // one element of the scores replaced
	g.Nodes[9].Attrs["axis"] = &importer.Attr{Name: "axis", Kind: importer.AttrInt, I: 0}
	g.Nodes[15].Attrs["axis"] = &importer.Attr{Name: "axis", Kind: importer.AttrInt, I: -1}
	g.Inputs[0].Shape[0] = importer.Dim{Value: 1}
	g.Outputs = []importer.ValueInfo{{Name: "prob", DType: importer.Float}}
	return &importer.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
}

func TestPlacement(t *testing.T) {
	tests := []struct {
		name    string
		model   *importer.Model
		want    map[string]Where
		kinds   map[string]string // node → kinds joined by +
		verdict string
	}{{
		name:  "toy CNN",
		model: toyModel(1),
		want: map[string]Where{"conv1": OnCrossbar, "relu1": Folded, "conv2": OnCrossbar, "add": OnDigital, "relu2": Folded,
			"pool": OnDigital, "conv3": OnCrossbar, "cat": OnDigital, "gap": OnDigital, "flat": Folded, "fc": OnCrossbar, "sm": OnHost},
		kinds:   map[string]string{"conv1": "Linear", "add": "Add", "pool": "MaxPool", "cat": "Concat", "gap": "GlobalAvgPool", "flat": "Reshape"},
		verdict: "runs end to end: 4 crossbar layers, 4 digital nodes, 1 float op on the host",
	}, {
		name:  "every placement",
		model: placementModel(),
		want: map[string]Where{"conv": OnCrossbar, "bn_folded": Folded, "relu": Folded, "bn_kept": OnDigital, "sig": OnDigital,
			"shape": Folded, "c0": Folded, "gather": Folded, "unsq": Folded, "cat": Folded, "reshape": Folded,
			"attn": OnDigital, "scatter": Unsupported, "relu_after": OnDigital, "sm": OnHost},
		kinds:   map[string]string{"conv": "Linear", "bn_kept": "Affine", "sig": "LUT", "relu_after": "Clamp", "attn": "MatMul"},
		verdict: "stops at quantization: 1 unsupported node (ScatterND ×1)",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.model.Graph.Nodes[0].Inputs[0]
			p, err := Placement(tc.model)
			if err != nil {
				t.Fatal(err)
			}
			if tc.model.Graph.Nodes[0].Inputs[0] != before {
				t.Error("Placement changed the model")
			}
			if len(p.Nodes) != len(tc.model.Graph.Nodes) {
				t.Fatalf("%d placements for %d nodes", len(p.Nodes), len(tc.model.Graph.Nodes))
			}
			for i, n := range p.Nodes {
				if n.Node != tc.model.Graph.Nodes[i].Name {
					t.Errorf("placement %d is node %q, want %q", i, n.Node, tc.model.Graph.Nodes[i].Name)
				}
				if w, ok := tc.want[n.Node]; ok && n.Where != w {
					t.Errorf("node %q (%s): %s (%s), want %s", n.Node, n.Op, n.Where, n.Reason, w)
				}
				if k, ok := tc.kinds[n.Node]; ok && strings.Join(n.Kinds, "+") != k {
					t.Errorf("node %q kinds %v, want %s", n.Node, n.Kinds, k)
				}
				if n.Where == Unsupported && n.Reason == "" {
					t.Errorf("node %q unsupported without a reason", n.Node)
				}
			}
			if got := p.Verdict(); got != tc.verdict {
				t.Errorf("verdict %q, want %q", got, tc.verdict)
			}
			// Quantize agrees: it fails exactly when placement says so, and
			// names the nodes placement calls unsupported.
			_, qerr := Quantize(tc.model, toyInputs(2, 3), Config{WBits: 8, ABits: 8, Calib: 2})
			if (qerr == nil) != p.Runs() {
				t.Fatalf("Quantize error %v, placement verdict %q", qerr, p.Verdict())
			}
			if qerr != nil {
				if !errors.Is(qerr, ErrUnsupported) {
					t.Errorf("Quantize error does not wrap ErrUnsupported: %v", qerr)
				}
				for _, n := range p.Nodes {
					if n.Where == Unsupported && !strings.Contains(qerr.Error(), nodeWhere(tc.model.Graph.Nodes[indexOf(p, n.Node)])) {
						t.Errorf("Quantize's error does not name %q: %v", n.Node, qerr)
					}
				}
			}
		})
	}
}

func indexOf(p *Plan, name string) int {
	for i, n := range p.Nodes {
		if n.Node == name {
			return i
		}
	}
	return -1
}

// TestPlacementRefusesUnpreparable: a model the quantizer cannot take at
// all is an error naming why, not a plan.
func TestPlacementRefusesUnpreparable(t *testing.T) {
	m := toyModel(1)
	m.Graph.Inputs = append(m.Graph.Inputs, importer.ValueInfo{Name: "y", DType: importer.Float, Shape: []importer.Dim{{Param: "N"}, {Param: "W"}}})
	if _, err := Placement(m); err == nil || !strings.Contains(err.Error(), `input "y" has no fixed shape`) {
		t.Errorf("second input of symbolic width: %v", err)
	}
	m = toyModel(1)
	m.Graph.Inputs[0].Shape[2] = importer.Dim{Param: "H"}
	if _, err := Placement(m); err == nil || !strings.Contains(err.Error(), "no fixed shape") {
		t.Errorf("symbolic height: %v", err)
	}
}
