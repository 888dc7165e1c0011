package hwsim

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
	"github.com/rramc/rramc/quant"
)

// Model is a float model ready for evaluation: loaded, optimized and
// compiled, with the form quantization starts from.
type Model struct {
	Path string
	// Graph is what quantization starts from: the optimized model, or for a
	// pre-quantized (QDQ) model the model as written, whose weight
	// DequantizeLinear nodes carry the file's scales (optimization would
	// fold them away).
	Graph *importer.Model
	// Program runs the optimized model in float32.
	Program *interp.Program
	// Inputs are the model's inputs and Outputs the names of its outputs,
	// in graph order.
	Inputs  []importer.ValueInfo
	Outputs []string
}

// ReadTensorFile reads a tensor from an ONNX TensorProto (.pb) or NumPy
// (.npy) file, by extension: the constants of --const and the inputs of
// run.
func ReadTensorFile(path string) (*importer.Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pb":
		return onnx.ReadTensorPB(path)
	case ".npy":
		return dataset.ReadNPY(path)
	}
	return nil, fmt.Errorf("%w: %s: unknown tensor file type (want .pb or .npy)", dataset.ErrInvalidData, path)
}

// LoadModelFiles is LoadModelFrozen with each constant read from a tensor
// file (ReadTensorFile), by input name. An error about a constant names
// its input and file.
func LoadModelFiles(path string, constFiles map[string]string) (*Model, error) {
	consts := make(map[string]*importer.Tensor, len(constFiles))
	for name, file := range constFiles {
		t, err := ReadTensorFile(file)
		if err != nil {
			return nil, fmt.Errorf("constant for input %q: %w", name, err)
		}
		consts[name] = t
	}
	m, err := LoadModelFrozen(path, consts)
	if ce := (*importer.ConstantError)(nil); errors.As(err, &ce) {
		return nil, fmt.Errorf("constant %s=%s: %w", ce.Input, constFiles[ce.Input], err)
	}
	return m, err
}

// LoadModel loads, optimizes and compiles a model.
func LoadModel(path string) (*Model, error) {
	return LoadModelFrozen(path, nil)
}

// LoadModelFrozen is LoadModel with the graph inputs named in consts frozen
// to those constants before optimization (importer.FreezeInputs), so shape
// folding and quantization see them as constants: a parameter passed as a
// graph input (a Resize's scales, a Reshape's shape). Errors name the model
// file and the input.
func LoadModelFrozen(path string, consts map[string]*importer.Tensor) (*Model, error) {
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	if m, err = importer.FreezeInputs(m, consts); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Optimize returns a new model: m stays as written (a QDQ file keeps the
	// weight DequantizeLinear nodes quantization reads the scales from).
	opt, err := passes.Optimize(m)
	if err != nil {
		return nil, err
	}
	prog, err := interp.NewModelProgram(opt)
	if err != nil {
		return nil, err
	}
	if len(prog.Inputs()) == 0 {
		return nil, fmt.Errorf("%s: %w: model has no input", path, importer.ErrInvalidModel)
	}
	if len(prog.Graph().Outputs) == 0 {
		return nil, fmt.Errorf("%s: %w: no output", path, importer.ErrInvalidModel)
	}
	graph := opt
	if quant.IsQDQ(m) {
		graph = m
	}
	outs := make([]string, len(prog.Graph().Outputs))
	for i, o := range prog.Graph().Outputs {
		outs[i] = o.Name
	}
	return &Model{Path: path, Graph: graph, Program: prog, Inputs: prog.Inputs(), Outputs: outs}, nil
}

// floatChunk is the number of samples the float stage runs at once: its
// activations, not the caller's batch, set the stage's memory (500
// samples of a small ResNet hold about 60 MB of activations, 64 about 8).
const floatChunk = 64

// Stage runs the float32 model. A batch larger than floatChunk runs in
// chunks (each sample's outputs do not depend on the others in its batch)
// unless the model declares a fixed batch size.
func (m *Model) Stage() Stage {
	run := func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		if len(xs) != len(m.Inputs) {
			return nil, fmt.Errorf("%s: %d input batches for the model's %d inputs", m.Path, len(xs), len(m.Inputs))
		}
		feeds := make(map[string]*importer.Tensor, len(xs))
		for i, x := range xs {
			in := m.Inputs[i]
			if in.DType.IsWhole() {
				// A source's batch for an integer input holds its whole
				// values as floats (dataset.Source).
				var err error
				if x, err = importer.WholeValues(x, in.DType); err != nil {
					return nil, fmt.Errorf("%s: input %q: %w", m.Path, in.Name, err)
				}
			}
			feeds[in.Name] = x
		}
		res, err := m.Program.Run(feeds)
		if err != nil {
			return nil, fmt.Errorf("%s: float model: %w", m.Path, err)
		}
		ys := make([]*importer.Tensor, len(m.Outputs))
		for i, name := range m.Outputs {
			ys[i] = res[name]
		}
		return ys, nil
	}
	fixed := len(m.Inputs[0].Shape) > 0 && m.Inputs[0].Shape[0].Value > 0
	return func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		n, chunkable := 0, !fixed
		for i, x := range xs {
			if i == 0 && len(x.Shape) > 0 {
				n = x.Shape[0]
			}
			if len(x.Shape) == 0 || x.Shape[0] != n || x.DType != importer.Float || n == 0 || len(x.Float)%n != 0 {
				chunkable = false
			}
		}
		if !chunkable || n <= floatChunk {
			return run(xs)
		}
		var outs []*importer.Tensor
		part := make([]*importer.Tensor, len(xs))
		for lo := 0; lo < n; lo += floatChunk {
			hi := min(lo+floatChunk, n)
			for i, x := range xs {
				per := len(x.Float) / n
				shape := append([]int{hi - lo}, x.Shape[1:]...)
				part[i] = &importer.Tensor{DType: importer.Float, Shape: shape, Float: x.Float[lo*per : hi*per]}
			}
			ys, err := run(part)
			if err != nil {
				return nil, err
			}
			if outs == nil {
				outs = make([]*importer.Tensor, len(ys))
			}
			for i, y := range ys {
				if y == nil || y.DType != importer.Float || len(y.Shape) == 0 || y.Shape[0] != hi-lo {
					return run(xs) // not one output row per sample: run the batch whole
				}
				if outs[i] == nil {
					outShape := append([]int{n}, y.Shape[1:]...)
					outs[i] = &importer.Tensor{DType: importer.Float, Shape: outShape, Float: make([]float32, 0, n*(len(y.Float)/(hi-lo)))}
				}
				outs[i].Float = append(outs[i].Float, y.Float...)
			}
		}
		for _, out := range outs {
			if len(out.Float) != importer.NumElements(out.Shape) {
				return run(xs)
			}
		}
		return outs, nil
	}
}

// Quantize builds the integer network of m, calibrated on the first
// cfg.Calib samples of calib, one source per model input (a pre-quantized
// QDQ model keeps its own scales). When calib has fewer samples, all of
// them are used and note says so.
func (m *Model) Quantize(calib []dataset.Source, cfg quant.Config) (net *quant.Network, note string, err error) {
	feed := Feed{Inputs: m.Inputs, Sources: calib}
	if err := feed.Fit(); err != nil {
		return nil, "", err
	}
	if n := feed.Len(); cfg.Calib > n {
		note = fmt.Sprintf("calib %d: %s has %d samples; calibrating on all of them", cfg.Calib, feed.Name(), n)
		cfg.Calib = n
	}
	xs, err := feed.Batch(0, max(cfg.Calib, 1))
	if err != nil {
		return nil, "", err
	}
	if err := feed.CheckFinite(xs); err != nil {
		return nil, "", err
	}
	if net, err = quant.QuantizeInputs(m.Graph, xs, cfg); err != nil {
		return nil, "", fmt.Errorf("%s: %w", m.Path, err)
	}
	return net, note, nil
}
