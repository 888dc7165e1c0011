package onnxgo

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
)

// modelFiles lists the committed test models and the third-party models.
func modelFiles(t *testing.T) []string {
	var files []string
	for _, pat := range []string{
		filepath.Join("..", "..", "testmodels", "*.onnx"),
		filepath.Join("..", "..", "..", "shared", "models", "third_party", "*.onnx"),
		filepath.Join("..", "..", "..", "shared", "models", "third_party", "*", "*.onnx"),
		filepath.Join("..", "testdata", "*.onnx"),
	} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no models found")
	}
	return files
}

// TestAgreesWithLoad: the onnx-go path and onnx.Load give the same
// nodes (op, inputs, outputs, attributes) and initializers on every model.
// Node names are not compared: onnx-go does not pass them to a backend.
func TestAgreesWithLoad(t *testing.T) {
	for _, path := range modelFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(data)
			if err != nil {
				if strings.Contains(err.Error(), "external data") {
					t.Skipf("external data: onnx-go cannot read it: %v", err)
				}
				t.Fatal(err)
			}
			if got.IRVersion != want.IRVersion || got.Opset() != want.Opset() {
				t.Errorf("header differs")
			}
			gn, wn := got.Graph.Nodes, want.Graph.Nodes
			if len(gn) != len(wn) {
				t.Fatalf("%d nodes, Load has %d", len(gn), len(wn))
			}
			for i := range wn {
				g, w := gn[i], wn[i]
				if g.OpType != w.OpType || !slices.Equal(g.Inputs, w.Inputs) || !slices.Equal(g.Outputs, w.Outputs) {
					t.Errorf("node %d: %s %v -> %v, Load: %s %v -> %v", i, g.OpType, g.Inputs, g.Outputs, w.OpType, w.Inputs, w.Outputs)
				}
				if len(g.Attrs) != len(w.Attrs) {
					t.Errorf("node %q: attrs %v, Load %v", w.Name, g.Attrs, w.Attrs)
				}
				for name, wa := range w.Attrs {
					ga := g.Attrs[name]
					if ga == nil || !attrEqual(ga, wa) {
						t.Errorf("node %q attribute %q: %+v, Load %+v", w.Name, name, ga, wa)
					}
				}
			}
			if len(got.Graph.Initializers) != len(want.Graph.Initializers) {
				t.Errorf("%d initializers, Load has %d", len(got.Graph.Initializers), len(want.Graph.Initializers))
			}
			for name, wt := range want.Graph.Initializers {
				if gt := got.Graph.Initializers[name]; gt == nil || !tensorEqual(gt, wt) {
					t.Errorf("initializer %q: %v, Load %v", name, gt, wt)
				}
			}
		})
	}
}

func attrEqual(a, b *importer.Attr) bool {
	if a.Kind != b.Kind || a.F != b.F || a.I != b.I || a.S != b.S ||
		!slices.Equal(a.Floats, b.Floats) || !slices.Equal(a.Ints, b.Ints) || !slices.Equal(a.Strings, b.Strings) {
		return false
	}
	if (a.T == nil) != (b.T == nil) {
		return false
	}
	return a.T == nil || tensorEqual(a.T, b.T)
}

func tensorEqual(a, b *importer.Tensor) bool {
	return a.DType == b.DType && slices.Equal(a.Shape, b.Shape) && slices.Equal(a.Float, b.Float) && slices.Equal(a.Int, b.Int)
}

// TestUnmarshalRejects: malformed files are stopped by importer's checks
// before onnx-go sees them.
func TestUnmarshalRejects(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "malformed", "*.onnx"))
	if len(files) == 0 {
		t.Skip("no fixtures")
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Unmarshal(data); !errors.Is(err, importer.ErrInvalidModel) {
			t.Errorf("%s: %v", filepath.Base(path), err)
		}
	}
}
