package main

import (
	"context"
	"fmt"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
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
	fs.IntVar(&c.Calib, "calib", c.Calib, "calibration images (from the embedded MNIST training subset, or the first N of --data)")
	fs.StringVar(&c.CalibMethod, "calib-method", c.CalibMethod, "activation range: minmax | percentile")
	fs.Float64Var(&c.Percentile, "percentile", c.Percentile, "percentile for --calib-method percentile")
	fs.Float64Var(&c.Prune, "prune", c.Prune, "fraction of weights pruned by magnitude (0..0.99)")
	fs.StringVar(&c.PruneScope, "prune-scope", c.PruneScope, "global (one magnitude threshold over the network) | layer (each layer to the ratio)")
	fs.StringVar(&c.PruneStructure, "prune-structure", c.PruneStructure, "weight | channel (whole output channels)")
	fs.BoolVar(&c.PruneFirst, "prune-first", c.PruneFirst, "prune the first linear layer too")
	fs.BoolVar(&c.PruneLast, "prune-last", c.PruneLast, "prune the last linear layer too")
}

// calibBatch returns the calibration inputs: the embedded MNIST training
// subset for --data mnist, the first inputs of the user's data otherwise.
func calibBatch(df *dataFlags, src *source, in importer.ValueInfo, n int) (*importer.Tensor, error) {
	if df.data == "mnist" {
		set, err := dataset.MNISTCalib()
		if err != nil {
			return nil, err
		}
		if n > set.N {
			return nil, usagef("--calib %d: the embedded calibration set has %d images", n, set.N)
		}
		return set.BatchFor(in, 0, max(n, 1), df.mean, df.std)
	}
	if n > src.n {
		return nil, usagef("--calib %d: --data has only %d inputs", n, src.n)
	}
	return src.batch(0, max(n, 1))
}

// quantize builds the integer network of m: a pre-quantized (QDQ) model keeps
// its own scales, any other model is calibrated.
func (q *quantFlags) quantize(m *importer.Model, df *dataFlags, src *source, in importer.ValueInfo) (*quant.Network, error) {
	if err := q.cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	calib, err := calibBatch(df, src, in, q.cfg.Calib)
	if err != nil {
		return nil, err
	}
	if quant.IsQDQ(m) {
		return quant.QuantizeQDQ(m, calib, q.cfg)
	}
	return quant.Quantize(m, calib, q.cfg)
}

// intEval runs the integer network (mm nil: the golden model) over src.
func intEval(ctx context.Context, e *env, label string, net *quant.Network, mm quant.MatMulFunc, src *source, batch int) ([]int, error) {
	preds := make([]int, 0, src.n)
	p := newProgress(e, label, src.n)
	defer p.done()
	for start := 0; start < src.n; start += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(batch, src.n-start)
		x, err := src.batch(start, n)
		if err != nil {
			return nil, err
		}
		y, err := net.Run(x, mm)
		if err != nil {
			return nil, fmt.Errorf("%s inference: %w", label, err)
		}
		pr, err := importer.ArgMaxRows(y)
		if err != nil {
			return nil, err
		}
		preds = append(preds, pr...)
		p.update(start + n)
	}
	return preds, nil
}
