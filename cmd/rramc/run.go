package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/atomicfile"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
)

func init() {
	register(&command{name: "run", summary: "run a model in float32 on an input tensor (.pb or .npy; one per model input)", run: runRun})
}

// readTensor reads an ONNX TensorProto (.pb) or NumPy (.npy) file, by extension.
func readTensor(path string) (*importer.Tensor, error) { return hwsim.ReadTensorFile(path) }

// writeTensor writes t as .pb or .npy, by extension (atomically: both writers
// go through a temporary file).
func writeTensor(path, name string, t *importer.Tensor) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pb":
		return onnx.WriteTensorPBNamed(path, name, t)
	case ".npy":
		return dataset.WriteNPY(path, t)
	}
	return usagef("%s: unknown tensor file type (want .pb or .npy)", path)
}

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", "MODEL.onnx --input FILE [--output FILE] [--batch N]")
	var input inputFiles
	fs.Var(&input, "input", "input tensor, .pb (ONNX TensorProto) or .npy; a model with several inputs takes --input NAME=FILE once per input (NAME its input name)")
	output := fs.String("output", "", "write the first output here (.pb or .npy); default: print it")
	var consts constInputs
	consts.register(fs)
	batch := fs.Int("batch", 64, "inputs per forward pass when the model's leading input axis is a batch axis (bounds memory on large inputs)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || len(input.vals) == 0 {
		return usagef("run: want MODEL and --input FILE")
	}
	if *batch < 1 || *batch > 1<<16 {
		return usagef("--batch %d: must be in 1..65536", *batch)
	}
	if *output != "" {
		if ext := strings.ToLower(filepath.Ext(*output)); ext != ".pb" && ext != ".npy" {
			return usagef("--output %s: want a .pb or .npy file", *output)
		}
		if err := checkOutputPath("--output", *output); err != nil {
			return err
		}
	}
	m, err := openModel(fs.Arg(0), &consts)
	if err != nil {
		return err
	}
	prog := m.Program
	files, err := input.bind("input", prog.Inputs())
	if err != nil {
		return err
	}
	xs := make([]*importer.Tensor, len(files))
	for i, file := range files {
		if xs[i], err = readInputFile(file, prog.Inputs()[i]); err != nil {
			return err
		}
		if i > 0 && len(xs[i].Shape) > 0 && len(xs[0].Shape) > 0 && xs[i].Shape[0] != xs[0].Shape[0] {
			return usagef("--input %s holds %d samples (input %q), --input %s %d (input %q): every input needs one per sample",
				file, xs[i].Shape[0], prog.Inputs()[i].Name, files[0], xs[0].Shape[0], prog.Inputs()[0].Name)
		}
	}
	r := &batchRunner{prog: prog, xs: xs, batch: *batch}
	outName := prog.Graph().Outputs[0].Name
	switch {
	case *output == "":
		return r.stream(ctx, func(shape []int, dt importer.DataType) (func(*importer.Tensor) error, error) {
			fmt.Fprintf(e.stdout, "%s %v\n", outName, shape)
			first := true
			return func(y *importer.Tensor) error {
				if y == nil {
					fmt.Fprintln(e.stdout)
					return nil
				}
				printValues(e.stdout, y, first)
				first = false
				return nil
			}, nil
		})
	case strings.EqualFold(filepath.Ext(*output), ".npy"):
		// The output goes straight into the file batch after batch; the
		// temporary file is dropped if any batch fails. A failure of the
		// model is reported as itself, not as a failure to write.
		err := atomicfile.Write(*output, func(w io.Writer) error {
			return r.stream(ctx, func(shape []int, dt importer.DataType) (func(*importer.Tensor) error, error) {
				s, err := dataset.NewNPYStream(w, dt, shape)
				if err != nil {
					return nil, err
				}
				return func(y *importer.Tensor) error {
					if y == nil {
						return s.Close()
					}
					return s.Write(y)
				}, nil
			})
		})
		if r.modelErr != nil {
			return r.modelErr
		}
		return err
	default:
		// A TensorProto declares its length before its data: gather the
		// output (small next to the activations batching saves), then write.
		var all *importer.Tensor
		err := r.stream(ctx, func(shape []int, dt importer.DataType) (func(*importer.Tensor) error, error) {
			all = &importer.Tensor{DType: dt, Shape: shape}
			return func(y *importer.Tensor) error {
				if y != nil {
					all.Float = append(all.Float, y.Float...)
					all.Int = append(all.Int, y.Int...)
				}
				return nil
			}, nil
		})
		if err != nil {
			return err
		}
		return writeTensor(*output, outName, all)
	}
}

// readInputFile reads the tensor file for model input in and checks it
// against the input (checkInputFile, element type).
func readInputFile(path string, in importer.ValueInfo) (*importer.Tensor, error) {
	x, err := readTensor(path)
	if err != nil {
		return nil, err
	}
	if err := checkInputFile(path, in, x); err != nil {
		return nil, err
	}
	if in.DType.IsWhole() && x.IsFloat() {
		// Whole numbers saved as floats feed an integer input as they are
		// (the data commands do the same); anything else is refused here,
		// naming the file, not the model.
		whole, err := importer.WholeValues(x, in.DType)
		if err != nil {
			return nil, usagef("--input %s holds %v values; the model's input %q is %v: %v", path, x.DType, in.Name, in.DType, err)
		}
		x = whole
	}
	return x, nil
}

// printValues prints a tensor's values separated by spaces (a leading space
// unless first).
func printValues(w io.Writer, y *importer.Tensor, first bool) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	sep := func() {
		if !first {
			bw.WriteByte(' ')
		}
		first = false
	}
	if y.DType.IsFloat() {
		for _, v := range y.Float {
			sep()
			bw.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		return
	}
	for _, v := range y.Int {
		sep()
		bw.WriteString(strconv.FormatInt(v, 10))
	}
}

// batchRunner runs a program on its input tensors (xs[i] for input i), in
// slices of up to batch samples along the leading axis when the model
// declares that axis of every input as a batch (symbolic or unknown size),
// so the activations of only one slice are alive at a time.
type batchRunner struct {
	prog  *interp.Program
	xs    []*importer.Tensor
	batch int

	modelErr error // set when the model itself failed (not the output sink)
}

// stream runs the model and hands the first output to a sink: open is
// called once with the whole output's shape and element type and returns
// put, which receives the output slice by slice and finally nil.
func (r *batchRunner) stream(ctx context.Context, open func(shape []int, dt importer.DataType) (func(*importer.Tensor) error, error)) error {
	ins := r.prog.Inputs()
	outName := r.prog.Graph().Outputs[0].Name
	run := func(xs []*importer.Tensor) (*importer.Tensor, error) {
		feeds := make(map[string]*importer.Tensor, len(xs))
		for i, x := range xs {
			feeds[ins[i].Name] = x
		}
		res, err := r.prog.Run(feeds)
		if err != nil {
			r.modelErr = err
			return nil, err
		}
		return res[outName], nil
	}
	n := 0
	if len(r.xs[0].Shape) > 0 {
		n = r.xs[0].Shape[0]
	}
	batched := n > r.batch
	for i, in := range ins {
		x := r.xs[i]
		batched = batched && len(in.Shape) > 0 && in.Shape[0].Value <= 0 && len(x.Shape) == len(in.Shape) && x.Shape[0] == n
	}
	slice := func(start, m int) []*importer.Tensor {
		part := make([]*importer.Tensor, len(r.xs))
		for i, x := range r.xs {
			part[i] = sliceSamples(x, start, m)
		}
		return part
	}
	if !batched {
		y, err := run(r.xs)
		if err != nil {
			return err
		}
		return sinkAll(open, y)
	}
	var put func(*importer.Tensor) error
	for start := 0; start < n; start += r.batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := min(r.batch, n-start)
		y, err := run(slice(start, m))
		if err != nil {
			r.modelErr = fmt.Errorf("inputs %d..%d: %w", start, start+m-1, err)
			return r.modelErr
		}
		if len(y.Shape) == 0 || y.Shape[0] != m {
			if start > 0 {
				r.modelErr = fmt.Errorf("output %q has shape %v for a batch of %d inputs: its leading axis is not the batch axis", outName, y.Shape, m)
				return r.modelErr
			}
			// The output does not follow the batch axis (a model that
			// mixes samples): run the whole tensor at once.
			if y, err = run(r.xs); err != nil {
				return err
			}
			return sinkAll(open, y)
		}
		if put == nil {
			shape := append([]int{n}, y.Shape[1:]...)
			if put, err = open(shape, y.DType); err != nil {
				return err
			}
		}
		if err := put(y); err != nil {
			return err
		}
	}
	return put(nil)
}

func sinkAll(open func(shape []int, dt importer.DataType) (func(*importer.Tensor) error, error), y *importer.Tensor) error {
	put, err := open(y.Shape, y.DType)
	if err != nil {
		return err
	}
	if err := put(y); err != nil {
		return err
	}
	return put(nil)
}

// sliceSamples is samples [start, start+n) of x along its leading axis, a
// view sharing x's storage.
func sliceSamples(x *importer.Tensor, start, n int) *importer.Tensor {
	per := 1
	for _, d := range x.Shape[1:] {
		per *= d
	}
	s := &importer.Tensor{DType: x.DType, Shape: append([]int{n}, x.Shape[1:]...)}
	if x.DType.IsFloat() {
		s.Float = x.Float[start*per : (start+n)*per]
	} else {
		s.Int = x.Int[start*per : (start+n)*per]
	}
	return s
}
