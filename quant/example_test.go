package quant_test

import (
	"fmt"
	"log"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
	"github.com/rramc/rramc/quant"
)

// ExampleQuantize turns the trained LeNet-5 into an 8-bit integer network,
// calibrated on 256 images of the embedded MNIST calibration subset, and
// runs the integer golden model and the float32 model on the first 100 MNIST
// test images.
func ExampleQuantize() {
	m, err := onnx.Load("../testmodels/lenet5.onnx")
	if err != nil {
		log.Fatal(err)
	}
	in := m.Graph.Inputs[0]
	calib, err := dataset.Open(dataset.Spec{Data: "mnist-calib"})
	if err != nil {
		log.Fatal(err)
	}
	cx, err := calib.Batch(in, 0, 256)
	if err != nil {
		log.Fatal(err)
	}
	cfg := quant.DefaultConfig() // 8-bit weights and activations
	cfg.Calib = cx.Shape[0]
	net, err := quant.Quantize(m, cx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	test, err := dataset.Open(dataset.Spec{Data: "mnist"})
	if err != nil {
		log.Fatal(err)
	}
	x, err := test.Batch(in, 0, 100)
	if err != nil {
		log.Fatal(err)
	}
	yInt, err := net.Run(x, nil) // nil: the exact integer GEMM
	if err != nil {
		log.Fatal(err)
	}
	opt, err := passes.Optimize(m)
	if err != nil {
		log.Fatal(err)
	}
	prog, err := interp.NewModelProgram(opt)
	if err != nil {
		log.Fatal(err)
	}
	res, err := prog.Run(map[string]*importer.Tensor{in.Name: x})
	if err != nil {
		log.Fatal(err)
	}
	pInt, err := importer.ArgMaxRows(yInt)
	if err != nil {
		log.Fatal(err)
	}
	pFloat, err := importer.ArgMaxRows(res[opt.Graph.Outputs[0].Name])
	if err != nil {
		log.Fatal(err)
	}
	labels := test.Labels()
	rightInt, rightFloat, same := 0, 0, 0
	for i := range pInt {
		if pInt[i] == labels[i] {
			rightInt++
		}
		if pFloat[i] == labels[i] {
			rightFloat++
		}
		if pInt[i] == pFloat[i] {
			same++
		}
	}
	fmt.Printf("%d linear layers quantized to %d-bit weights\n", len(net.Linears), net.Linears[0].WBits)
	fmt.Printf("top-1 on 100 images: float %d, integer %d; same class %d\n", rightFloat, rightInt, same)
	// Output:
	// 5 linear layers quantized to 8-bit weights
	// top-1 on 100 images: float 100, integer 100; same class 100
}
