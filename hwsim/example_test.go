package hwsim_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// Example runs the whole pipeline from Go: import the trained LeNet-5,
// quantize it to 8 bits with half of its weights pruned, map it with
// column-similarity merging (pairs, as in the paper) onto 128×128 crossbars
// with 9×8 OUs, and simulate the first 200 MNIST test images on the
// accelerator. On ideal, lossless hardware the simulator must agree with the
// integer golden model on every image; a CI job can fail on anything else.
func Example() {
	const mean, std = 0.1307, 0.3081 // the model's MNIST preprocessing
	m, err := importer.Load("../testmodels/lenet5.onnx")
	if err != nil {
		log.Fatal(err)
	}
	calibSet, err := dataset.MNISTCalib()
	if err != nil {
		log.Fatal(err)
	}
	calib, err := calibSet.BatchFor(m.Graph.Inputs[0], 0, 256, mean, std)
	if err != nil {
		log.Fatal(err)
	}
	cfg := quant.DefaultConfig() // 8-bit weights and activations
	cfg.Calib, cfg.Prune = 256, 0.5
	net, err := quant.Quantize(m, calib, cfg)
	if err != nil {
		log.Fatal(err)
	}
	hw := hwsim.Defaults()
	geo := mapper.Geometry{XbarRows: hw.XbarRows, XbarCols: hw.XbarCols, OURows: hw.OURows, OUCols: hw.OUCols, CellBits: hw.CellBits}
	mp, err := mapper.Map(net, geo, mapper.Options{Scheme: "colsim", MaxShare: 2})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := hwsim.Simulate(net, mp, hw, hwsim.Options{})
	if err != nil {
		log.Fatal(err)
	}
	test, err := dataset.MNISTTest()
	if err != nil {
		log.Fatal(err)
	}
	src, err := hwsim.NewSetSource(test, net, mean, std)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := hwsim.Evaluate(context.Background(), sim, src, hwsim.EvalOptions{Limit: 200})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("images: %d\n", rep.Images)
	fmt.Printf("simulator agrees with the golden model: %.0f %%\n", 100*rep.Agreement)
	fmt.Printf("top-1: golden %.1f %%, simulated %.1f %%\n", 100*rep.AccuracyInt, 100*rep.AccuracySim)
	fmt.Printf("costs counted: %v\n", rep.Cycles > 0 && rep.EnergyPJ.Total > 0 && rep.IndexOverhead.Bits > 0)
	// Output:
	// images: 200
	// simulator agrees with the golden model: 100 %
	// top-1: golden 100.0 %, simulated 100.0 %
	// costs counted: true
}
