package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rramc/rramc/importer"
)

func init() {
	register(&command{name: "eval", summary: "top-1 accuracy of a model on a dataset: float, int (golden) and simulated", run: runEval})
}

// floatEval runs the float32 interpreter over src and returns the top-1
// predictions.
func floatEval(ctx context.Context, e *env, prog *importer.Program, src *source, batch int) ([]int, error) {
	in := prog.Inputs()[0]
	out := prog.Graph().Outputs[0].Name
	preds := make([]int, 0, src.n)
	p := newProgress(e, "float32", src.n)
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
		res, err := prog.Run(map[string]*importer.Tensor{in.Name: x})
		if err != nil {
			return nil, err
		}
		pr, err := argmaxRows(res[out])
		if err != nil {
			return nil, err
		}
		preds = append(preds, pr...)
		p.update(start + n)
	}
	return preds, nil
}

func accuracy(preds, labels []int) float64 {
	if len(labels) == 0 {
		return 0
	}
	ok := 0
	for i, p := range preds {
		if p == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(labels))
}

// loadProgram loads, optimises and compiles a model with one input.
func loadProgram(path string) (*importer.Model, *importer.Program, error) {
	m, err := importer.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if err := importer.Optimize(m); err != nil {
		return nil, nil, err
	}
	prog, err := importer.NewModelProgram(m)
	if err != nil {
		return nil, nil, err
	}
	if len(prog.Inputs()) != 1 {
		return nil, nil, fmt.Errorf("%s: %w: model has %d inputs, eval needs exactly 1", path, importer.ErrInvalidModel, len(prog.Inputs()))
	}
	return m, prog, nil
}

type evalResult struct {
	Model         string  `json:"model"`
	Data          string  `json:"data"`
	Images        int     `json:"images"`
	Accuracy      float64 `json:"accuracy"`
	AccuracyFloat float64 `json:"accuracy_float"`
	Seconds       float64 `json:"seconds"`
}

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "eval", "[MODEL.onnx] (default: the bundled LeNet-5)")
	var df dataFlags
	df.register(fs)
	mode := fs.String("mode", "float", "float | int | sim | all")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("eval: want one MODEL argument, got %d", fs.NArg())
	}
	if *mode != "float" {
		return usagef("eval: --mode %q: want float", *mode)
	}
	path := fs.Arg(0)
	_, prog, err := loadProgram(path)
	if err != nil {
		return err
	}
	src, err := df.open(prog.Inputs()[0])
	if err != nil {
		return err
	}
	t0 := time.Now()
	preds, err := floatEval(ctx, e, prog, src, df.batch)
	if err != nil {
		return err
	}
	r := evalResult{Model: path, Data: src.name, Images: src.n, Accuracy: accuracy(preds, src.labels), Seconds: time.Since(t0).Seconds()}
	r.AccuracyFloat = r.Accuracy
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "%s on %s (%d images)\nfloat32 top-1  %.2f %%  (%.2f s)\n", path, src.name, src.n, 100*r.Accuracy, r.Seconds)
	return nil
}
