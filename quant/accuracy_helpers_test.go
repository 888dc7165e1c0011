package quant

// Top-1 helpers of the package's accuracy tests (models_test.go) and of the
// accuracy table (TestSweepTable). They take whole in-memory batches; rramc's
// evaluation over data sets is hwsim's evaluation layer (hwsim.Run), which
// quant cannot import.

import (
	"fmt"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// evalBatch is the number of samples per float evaluation run.
const evalBatch = 500

// Top1 runs the integer network on x (first dimension = samples) and
// returns the top-1 accuracy against labels and the predicted classes. The
// class is the argmax over the output's last axis (first maximum wins).
func (n *Network) Top1(x *importer.Tensor, labels []int, mm MatMulFunc) (float64, []int, error) {
	out, err := n.Run(x, mm)
	if err != nil {
		return 0, nil, err
	}
	return top1(out, labels)
}

func top1(out *importer.Tensor, labels []int) (float64, []int, error) {
	if len(out.Shape) == 0 || out.Shape[0] != len(labels) || len(labels) == 0 {
		return 0, nil, fmt.Errorf("quant: %d outputs for %d labels", firstDim(out), len(labels))
	}
	pred, err := importer.ArgMaxRows(out)
	if err != nil {
		return 0, nil, fmt.Errorf("quant: %w", err)
	}
	correct := 0
	for i := range labels {
		if pred[i] == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(labels)), pred, nil
}

func firstDim(t *importer.Tensor) int {
	if t == nil || len(t.Shape) == 0 {
		return 0
	}
	return t.Shape[0]
}

// FloatTop1 evaluates a float graph (the importer's interpreter) on x in
// batches and returns top-1 and predictions.
func FloatTop1(g *importer.Graph, x *importer.Tensor, labels []int) (float64, []int, error) {
	prog, err := interp.NewProgram(g)
	if err != nil {
		return 0, nil, err
	}
	if len(g.Inputs) != 1 || len(g.Outputs) == 0 {
		return 0, nil, fmt.Errorf("quant: float evaluation needs one input and an output")
	}
	nIn := firstDim(x)
	if nIn != len(labels) || nIn == 0 {
		return 0, nil, fmt.Errorf("quant: %d samples for %d labels", nIn, len(labels))
	}
	per := len(x.Float) / nIn
	all := &importer.Tensor{DType: importer.Float}
	step := fixedBatch(g, evalBatch)
	for lo := 0; lo < nIn; lo += step {
		hi := min(lo+step, nIn)
		in := &importer.Tensor{DType: importer.Float, Shape: append([]int{hi - lo}, x.Shape[1:]...), Float: x.Float[lo*per : hi*per]}
		res, err := prog.Run(map[string]*importer.Tensor{g.Inputs[0].Name: in})
		if err != nil {
			return 0, nil, err
		}
		o := res[g.Outputs[0].Name]
		if o == nil || len(o.Shape) == 0 {
			return 0, nil, fmt.Errorf("quant: float run gave no output %q", g.Outputs[0].Name)
		}
		all.Float = append(all.Float, o.Float...)
		all.Shape = append([]int{hi}, o.Shape[1:]...)
	}
	return top1(all, labels)
}

// SweepRow is one (weight width, pruning ratio) point of Sweep.
type SweepRow struct {
	WBits int
	Prune float64
	// Top1 is the integer model's accuracy; FloatTop1 the float model's
	// after the same pruning (before quantization).
	Top1      float64
	FloatTop1 float64
	// Sparsity is the fraction of zero weight codes over all linear layers;
	// LayerSparsity per layer.
	Sparsity      float64
	LayerSparsity []float64
}

// Sweep measures top-1 of m quantized with every weight width in wbits and
// pruned with every ratio in prunes (the other settings from base) on test
// inputs x with labels. Pruning and calibration run once per ratio and are
// reused for every weight width (the activation ranges do not depend on the
// weight width). Rows come prune-major in the order given.
func Sweep(m *importer.Model, calib, x *importer.Tensor, labels []int, base Config, wbits []int, prunes []float64) ([]SweepRow, error) {
	var rows []SweepRow
	for _, pr := range prunes {
		cfg := base
		cfg.Prune = pr
		p, err := prepare(m, oneBatch(calib), cfg)
		if err != nil {
			return nil, err
		}
		ft, _, err := FloatTop1(p.g, x, labels)
		if err != nil {
			return nil, err
		}
		for _, wb := range wbits {
			c := p.cfg
			c.WBits = wb
			if err := c.Validate(); err != nil {
				return nil, err
			}
			net, err := p.build(c)
			if err != nil {
				return nil, err
			}
			acc, _, err := net.Top1(x, labels, nil)
			if err != nil {
				return nil, err
			}
			rows = append(rows, SweepRow{WBits: wb, Prune: pr, Top1: acc, FloatTop1: ft, Sparsity: net.TotalSparsity(), LayerSparsity: net.Sparsity()})
		}
	}
	return rows, nil
}
