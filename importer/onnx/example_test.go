package onnx_test

import (
	"fmt"
	"log"
	"path/filepath"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
)

// ExampleLoad decodes an ONNX file, optimizes it and runs it in float32.
// The model computes y = Relu(x·W + b + k) with W = [[-5.5 -4.5 -3.5]
// [-2.5 -1.5 -0.5] [0.5 1.5 2.5] [3.5 4.5 5.5]], b = [0.5 -0.5 0.25] and a
// Constant k = [1 2 3], for a batch of rows x of 4 values.
func ExampleLoad() {
	m, err := onnx.Load(filepath.Join("testdata", "small.onnx"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("opset %d, %d nodes, input %s %s\n", m.Opset(), len(m.Graph.Nodes),
		m.Graph.Inputs[0].Name, importer.FormatDims(m.Graph.Inputs[0].Shape))
	// Optimize returns a new model: the Constant becomes an initializer, the
	// Identity is bypassed; m is left as it was.
	opt, err := passes.Optimize(m)
	if err != nil {
		log.Fatal(err)
	}
	prog, err := interp.NewModelProgram(opt)
	if err != nil {
		log.Fatal(err)
	}
	x := importer.NewFloat([]int{2, 4}, []float32{1, 2, 3, 4, 0, 0, 0, -1})
	out, err := prog.Run(map[string]*importer.Tensor{"x": x})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("optimized: %d nodes\n", len(opt.Graph.Nodes))
	fmt.Println("y =", out["y"].Float)
	// Output:
	// opset 13, 6 nodes, input x [N,4]
	// optimized: 4 nodes
	// y = [6.5 16.5 28.25 0 0 0]
}
