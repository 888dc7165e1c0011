package sweep_test

import (
	"context"
	"fmt"
	"github.com/rramc/rramc/importer/atomicfile"
	"log"
	"os"

	"github.com/rramc/rramc/hwsim/sweep"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// ExampleRun sweeps one network over two pruning ratios and the paper's
// schemes, then prints the headline comparison against SRE. Points are
// stored under the output directory: running it again recomputes nothing.
func ExampleRun() {
	cfg := sweep.Config{
		Models:   []string{"testmodels/lenet5.onnx"},
		Prune:    []float64{0, 0.5},
		Schemes:  []string{"dense", "zerocol", "sre", "colsim"},
		MaxShare: []int{2, 0},
		Quant:    quant.DefaultConfig(),
		Limit:    1000, // first 1000 MNIST test images
		Dir:      "sweep-out",
		Report:   sweep.DefaultReportOptions(),
		Progress: func(p sweep.Progress) { fmt.Fprintf(os.Stderr, "\r%d/%d points", p.Done, p.Total) },
	}
	res, err := sweep.Run(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sweep.Summaries(res.Gains()) {
		if s.Baseline == "sre" && !mapper.IsBaseline(s.Scheme) {
			fmt.Printf("%s: %+.1f %% cycles, %.2fx-%.2fx energy\n", s.Label(), 100*s.MeanPerf, s.EnergyRangeLo, s.EnergyRangeHi)
		}
	}
	md, err := sweep.WriteResultsMarkdown(res)
	if err != nil {
		log.Fatal(err)
	}
	if err := atomicfile.WriteFile("RESULTS.md", md); err != nil {
		log.Fatal(err)
	}
}
