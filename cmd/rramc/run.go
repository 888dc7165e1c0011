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
	fs := newFlags(e, "run", "MODEL.onnx --input FILE [--output FILE | --output NAME=FILE ...] [--batch N]")
	var input, output inputFiles
	fs.Var(&input, "input", "input tensor, .pb (ONNX TensorProto) or .npy; a model with several inputs takes --input NAME=FILE once per input (NAME its input name)")
	fs.Var(&output, "output", "write the output here (.pb or .npy); a model with several outputs takes --output NAME=FILE once per output wanted (NAME its output name); default: print every output")
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
	for _, v := range output.vals {
		// Checked before the model is read (a NAME=FILE value's file is
		// what follows the "="; a plain path holding "=" is checked whole
		// here and again once bound).
		if err := checkRunOutput(v); err != nil {
			if _, file, ok := strings.Cut(v, "="); !ok || (file != "" && checkRunOutput(file) != nil) {
				return err
			}
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
	outNames := make([]string, len(prog.Graph().Outputs))
	for i, o := range prog.Graph().Outputs {
		outNames[i] = o.Name
	}
	r := &batchRunner{prog: prog, xs: xs, batch: *batch}
	if len(output.vals) == 0 {
		return printOutputs(ctx, e.stdout, r, outNames)
	}
	outFiles, err := bindNamed("output", "output", output.vals, outNames, false)
	if err != nil {
		return err
	}
	for i, file := range outFiles {
		if file == "" {
			continue
		}
		if err := checkRunOutput(file); err != nil {
			return err
		}
		for j := range i {
			if filepath.Clean(outFiles[j]) == filepath.Clean(file) {
				return usagef("--output %s: outputs %q and %q would both be written to it", file, outNames[j], outNames[i])
			}
		}
	}
	return writeOutputs(ctx, r, outNames, outFiles)
}

// checkRunOutput checks an output file of run: a .pb or .npy path that is
// not a directory.
func checkRunOutput(file string) error {
	if ext := strings.ToLower(filepath.Ext(file)); ext != ".pb" && ext != ".npy" {
		return usagef("--output %s: want a .pb or .npy file", file)
	}
	return checkOutputPath("--output", file)
}

// printOutputs prints every output, in the graph's order, each as
// "NAME [shape]", its values, then an empty line. The first streams out
// batch by batch; the others, which follow it, are gathered meanwhile.
func printOutputs(ctx context.Context, w io.Writer, r *batchRunner, names []string) error {
	later := make([]*importer.Tensor, len(names))
	err := r.stream(ctx, func(k int, shape []int, dt importer.DataType) (func(*importer.Tensor) error, error) {
		if k > 0 {
			return gatherInto(&later[k], shape, dt), nil
		}
		fmt.Fprintf(w, "%s %v\n", names[0], shape)
		first := true
		return func(y *importer.Tensor) error {
			if y == nil {
				fmt.Fprintln(w)
				return nil
			}
			printValues(w, y, first)
			first = false
			return nil
		}, nil
	})
	if err != nil {
		return err
	}
	for k, y := range later[1:] {
		fmt.Fprintf(w, "%s %v\n", names[k+1], y.Shape)
		printValues(w, y, true)
		fmt.Fprintln(w)
	}
	return nil
}

// gatherInto returns a sink that collects an output of the given shape
// into *dst.
func gatherInto(dst **importer.Tensor, shape []int, dt importer.DataType) func(*importer.Tensor) error {
	all := &importer.Tensor{DType: dt, Shape: shape}
	*dst = all
	return func(y *importer.Tensor) error {
		if y != nil {
			all.Float = append(all.Float, y.Float...)
			all.Int = append(all.Int, y.Int...)
		}
		return nil
	}
}

// writeOutputs runs the model and writes output k to files[k] (none where
// it is ""). A .npy output goes straight into its file batch after batch;
// a TensorProto declares its length before its data, so a .pb output is
// gathered (small next to the activations batching saves) and written
// once the run is done. Every file is written atomically: a failure of
// the model or of any .npy file leaves every .npy file as it was, and no
// file is ever half written. A failure of the model is reported as
// itself, not as a failure to write.
func writeOutputs(ctx context.Context, r *batchRunner, names, files []string) error {
	var npys []int
	for k, f := range files {
		if strings.EqualFold(filepath.Ext(f), ".npy") {
			npys = append(npys, k)
		}
	}
	writers := make([]io.Writer, len(files))
	gathered := make([]*importer.Tensor, len(files))
	var pbErr error // a .pb file's failure, reported as itself (not inside a .npy file's)
	run := func() error {
		err := r.stream(ctx, func(k int, shape []int, dt importer.DataType) (func(*importer.Tensor) error, error) {
			switch {
			case files[k] == "":
				return func(*importer.Tensor) error { return nil }, nil
			case writers[k] == nil:
				return gatherInto(&gathered[k], shape, dt), nil
			}
			s, err := dataset.NewNPYStream(writers[k], dt, shape)
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
		if err != nil {
			return err
		}
		for k, y := range gathered {
			if y != nil {
				if pbErr = writeTensor(files[k], names[k], y); pbErr != nil {
					return pbErr
				}
			}
		}
		return nil
	}
	// One temporary file per .npy output, opened around the run, each
	// renamed into place once the run and the files inside it succeeded.
	var nest func(i int) error
	nest = func(i int) error {
		if i == len(npys) {
			return run()
		}
		return atomicfile.Write(files[npys[i]], func(w io.Writer) error {
			writers[npys[i]] = w
			return nest(i + 1)
		})
	}
	err := nest(0)
	switch {
	case r.modelErr != nil:
		return r.modelErr
	case pbErr != nil:
		return pbErr
	}
	return err
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

// stream runs the model and hands every output to a sink: open is called
// once per output k (the graph's output order) with the whole output's
// shape and element type and returns put, which receives the output slice
// by slice and finally nil.
func (r *batchRunner) stream(ctx context.Context, open func(k int, shape []int, dt importer.DataType) (func(*importer.Tensor) error, error)) error {
	ins := r.prog.Inputs()
	outs := r.prog.Graph().Outputs
	run := func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		feeds := make(map[string]*importer.Tensor, len(xs))
		for i, x := range xs {
			feeds[ins[i].Name] = x
		}
		res, err := r.prog.Run(feeds)
		if err != nil {
			r.modelErr = err
			return nil, err
		}
		ys := make([]*importer.Tensor, len(outs))
		for k, o := range outs {
			if ys[k] = res[o.Name]; ys[k] == nil {
				r.modelErr = fmt.Errorf("output %q was not computed", o.Name)
				return nil, r.modelErr
			}
		}
		return ys, nil
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
		ys, err := run(r.xs)
		if err != nil {
			return err
		}
		return sinkAll(open, ys)
	}
	puts := make([]func(*importer.Tensor) error, len(outs))
	for start := 0; start < n; start += r.batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := min(r.batch, n-start)
		ys, err := run(slice(start, m))
		if err != nil {
			r.modelErr = fmt.Errorf("inputs %d..%d: %w", start, start+m-1, err)
			return r.modelErr
		}
		for k, y := range ys {
			if len(y.Shape) > 0 && y.Shape[0] == m {
				continue
			}
			if start > 0 {
				r.modelErr = fmt.Errorf("output %q has shape %v for a batch of %d inputs: its leading axis is not the batch axis", outs[k].Name, y.Shape, m)
				return r.modelErr
			}
			// An output does not follow the batch axis (a model that
			// mixes samples): run the whole tensor at once.
			if ys, err = run(r.xs); err != nil {
				return err
			}
			return sinkAll(open, ys)
		}
		for k, y := range ys {
			if puts[k] == nil {
				shape := append([]int{n}, y.Shape[1:]...)
				if puts[k], err = open(k, shape, y.DType); err != nil {
					return err
				}
			}
			if err := puts[k](y); err != nil {
				return err
			}
		}
	}
	for _, put := range puts {
		if err := put(nil); err != nil {
			return err
		}
	}
	return nil
}

// sinkAll hands whole outputs ys to their sinks.
func sinkAll(open func(k int, shape []int, dt importer.DataType) (func(*importer.Tensor) error, error), ys []*importer.Tensor) error {
	for k, y := range ys {
		put, err := open(k, y.Shape, y.DType)
		if err != nil {
			return err
		}
		if err := put(y); err != nil {
			return err
		}
		if err := put(nil); err != nil {
			return err
		}
	}
	return nil
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
