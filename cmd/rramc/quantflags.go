package main

import (
	"github.com/rramc/rramc/quant"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, quant.ErrInvalidConfig, quant.ErrUnsupported)
}

// quantFlags are the quantization and pruning flags shared by eval,
// quantize, map, sim and sweep.
type quantFlags struct {
	cfg quant.Config
}

func (q *quantFlags) register(fs *pflag.FlagSet) {
	q.cfg = quant.DefaultConfig()
	c := &q.cfg
	fs.IntVar(&c.WBits, "wbits", c.WBits, "weight bits B (2..8), two's complement")
	fs.IntVar(&c.ABits, "abits", c.ABits, "activation bits A (2..8)")
	fs.BoolVar(&c.PerChannel, "per-channel", c.PerChannel, "one weight scale per output channel")
	fs.IntVar(&c.Calib, "calib", c.Calib, "calibration images (from the embedded MNIST training subset, or the first N of --data; all of them when fewer)")
	fs.StringVar(&c.CalibMethod, "calib-method", c.CalibMethod, "activation range: minmax | percentile")
	fs.Float64Var(&c.Percentile, "percentile", c.Percentile, "percentile for --calib-method percentile")
	fs.Float64Var(&c.Prune, "prune", c.Prune, "fraction of weights pruned by magnitude (0..0.99)")
	fs.StringVar(&c.PruneScope, "prune-scope", c.PruneScope, "global (one magnitude threshold over the network) | layer (each layer to the ratio)")
	fs.StringVar(&c.PruneStructure, "prune-structure", c.PruneStructure, "weight | channel (whole output channels)")
	fs.BoolVar(&c.PruneFirst, "prune-first", c.PruneFirst, "prune the first linear layer too")
	fs.BoolVar(&c.PruneLast, "prune-last", c.PruneLast, "prune the last linear layer too")
}
