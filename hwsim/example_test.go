package hwsim_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// Example runs the whole pipeline from Go: import the trained LeNet-5,
// quantize it to 8 bits with half of its weights pruned (calibrated on the
// embedded MNIST training subset), map it with column-similarity merging
// (pairs, as in the paper) onto 128×128 crossbars with 9×8 OUs, and
// simulate the first 200 MNIST test images on the accelerator. On ideal,
// lossless hardware the simulator must agree with the integer golden model
// on every image; a CI job can fail on anything else.
func Example() {
	m, err := hwsim.LoadModel("../testmodels/lenet5.onnx")
	if err != nil {
		log.Fatal(err)
	}
	// "mnist" is the embedded test set with the model's preprocessing
	// (0.1307, 0.3081); the same Spec takes a .npy, IDX, CIFAR or image
	// folder path.
	spec := dataset.Spec{Data: "mnist"}
	test, err := dataset.Open(spec)
	if err != nil {
		log.Fatal(err)
	}
	calib, err := dataset.Open(spec.Calibration())
	if err != nil {
		log.Fatal(err)
	}
	cfg := quant.DefaultConfig() // 8-bit weights and activations
	cfg.Calib, cfg.Prune = 256, 0.5
	// one calibration source per model input (lenet5 has one)
	net, _, err := m.Quantize([]dataset.Source{calib}, cfg)
	if err != nil {
		log.Fatal(err)
	}
	hw := hwsim.Defaults()
	mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: "colsim", MaxShare: 2})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := hwsim.Simulate(net, mp, hw, hwsim.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := hwsim.Evaluate(context.Background(), sim, hwsim.OneInput(test, m.Inputs[0]),
		hwsim.EvalOptions{RunOptions: hwsim.RunOptions{Limit: 200}, Float: m.Stage()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("images: %d\n", rep.Images)
	fmt.Printf("simulated outputs bit-identical to the golden model: %.0f %%\n", 100*rep.BitExact)
	fmt.Printf("top-1: float %.1f %%, golden %.1f %%, simulated %.1f %%\n", 100**rep.AccuracyFloat, 100*rep.AccuracyInt, 100*rep.AccuracySim)
	fmt.Printf("costs counted: %v\n", rep.Cycles > 0 && rep.EnergyPJ.Total > 0 && rep.IndexOverhead.Bits > 0)
	// Output:
	// images: 200
	// simulated outputs bit-identical to the golden model: 100 %
	// top-1: float 100.0 %, golden 100.0 %, simulated 100.0 %
	// costs counted: true
}

// ExampleSimulator_Cost runs three input vectors through one small layer on
// the simulated crossbars and prices what the simulation counted. The
// layer (10 inputs, 2 outputs, 4-bit weights and inputs) maps densely onto
// one crossbar as two OUs (9 rows and 1 row, 8 bit-columns each); every OU
// fires once per input bit: 3 vectors × 4 bits × 2 OUs = 24 activations.
func ExampleSimulator_Cost() {
	l := &quant.Linear{Name: "fc", Op: "Gemm", K: 10, N: 2, Groups: 1, WBits: 4, ABits: 4,
		Weights: [][]int32{{1, -2, 3, 4, -5, 6, 7, -8, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, 0, 5}}}
	net := &quant.Network{Linears: []*quant.Linear{l}}
	hw := hwsim.Defaults()
	mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: "dense"})
	if err != nil {
		log.Fatal(err)
	}
	sim, err := hwsim.Simulate(net, mp, hw, hwsim.Options{Mode: hwsim.ModeBitSerial})
	if err != nil {
		log.Fatal(err)
	}
	x := make([]int32, 3*l.K) // three vectors of 4-bit codes
	for i := range x {
		x[i] = int32(i % 16)
	}
	out := make([]int32, 3*l.N)
	if err := sim.MatMul(l, 0, x, 3, out); err != nil {
		log.Fatal(err)
	}
	cost, err := sim.Cost(sim.Counted())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("outputs:", out)
	c := cost.Counts
	fmt.Printf("OU activations %d, ADC conversions %d, cycles %d (%.0f ns)\n", c.OUActivations, c.ADCConversions, cost.Cycles, cost.LatencyNs)
	for i, name := range hwsim.ComponentNames() {
		e, a := cost.EnergyPJ.Parts()[i], cost.AreaUM2.Parts()[i]
		if e != 0 || a != 0 { // the default hardware has no chip-level digital units
			fmt.Printf("%-9s %9.4f pJ %9.2f µm²\n", name, e, a)
		}
	}
	fmt.Printf("%-9s %9.4f pJ %9.2f µm²\n", "total", cost.EnergyPJ.Total, cost.AreaUM2.Total)
	// Output:
	// outputs: [82 127 108 71 150 207]
	// OU activations 24, ADC conversions 192, cycles 24 (2400 ns)
	// crossbar     1.7578 pJ     25.00 µm²
	// dac         50.0400 pJ     21.25 µm²
	// adc        320.6400 pJ   9600.00 µm²
	// shift_add    4.0320 pJ    480.00 µm²
	// buffer      40.9000 pJ  83000.00 µm²
	// total      417.3698 pJ  93126.25 µm²
}
