package onnxgo

import (
	"errors"
	"strings"
	"testing"

	gonnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/testbackend"
	_ "github.com/owulveryck/onnx-go/backend/testbackend/onnx" // registers ONNX's node tests

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
)

// TestONNXNodeTests runs onnx-go's copy of the ONNX backend node tests for
// every operator rramc's interpreter supports, through onnx-go's own
// harness (gonnx.NewModel + UnmarshalBinary + SetInput + Run, outputs
// compared within 1e-6).
func TestONNXNodeTests(t *testing.T) {
	// Node tests of supported ops that use features the interpreter does
	// not implement; each must fail with a clear error, never a wrong result.
	unsupported := map[string]string{
		"TestAveragepool3dDefault":                  "3-D pooling",
		"TestMaxpool3dDefault":                      "3-D pooling",
		"TestMaxpoolWithArgmax2dPrecomputedPads":    "MaxPool Indices output",
		"TestMaxpoolWithArgmax2dPrecomputedStrides": "MaxPool Indices output",
	}
	var report []*testbackend.TestCase
	for _, op := range interp.SupportedOps() {
		for _, c := range testbackend.GetOpTypeTests(op) {
			tc := c()
			report = append(report, tc)
			b := New()
			if m, err := onnx.Decode(tc.ModelB, ""); err == nil {
				b.Opset = m.Opset()
			}
			if why, ok := unsupported[tc.GetInfo()]; ok {
				t.Run(tc.GetInfo(), func(t *testing.T) {
					m := gonnx.NewModel(b)
					if err := m.UnmarshalBinary(tc.ModelB); err != nil {
						t.Fatal(err)
					}
					for i, in := range tc.Input {
						if err := m.SetInput(i, in); err != nil {
							t.Fatal(err)
						}
					}
					err := b.Run()
					if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), "not supported") {
						t.Fatalf("%s: want a not-supported error, got %v", why, err)
					}
					t.Skipf("%s is not supported: %v", why, err)
				})
				continue
			}
			t.Run(tc.GetInfo(), tc.RunTest(b, false))
		}
	}
	if len(report) == 0 {
		t.Fatal("no node tests found for the supported ops")
	}
}
