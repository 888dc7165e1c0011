package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
)

func init() {
	register(&command{name: "run", summary: "run a model in float32 on one input tensor (.pb or .npy)", run: runRun})
}

// readTensor reads an ONNX TensorProto (.pb) or NumPy (.npy) file, by extension.
func readTensor(path string) (*importer.Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pb":
		return importer.ReadTensorPB(path)
	case ".npy":
		return dataset.ReadNPY(path)
	}
	return nil, usagef("%s: unknown tensor file type (want .pb or .npy)", path)
}

// writeTensor writes t as .pb or .npy, by extension (atomically: both writers
// go through a temporary file).
func writeTensor(path, name string, t *importer.Tensor) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pb":
		return importer.WriteTensorPBNamed(path, name, t)
	case ".npy":
		return dataset.WriteNPY(path, t)
	}
	return usagef("%s: unknown tensor file type (want .pb or .npy)", path)
}

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", "MODEL.onnx --input FILE [--output FILE]")
	input := fs.String("input", "", "input tensor, .pb (ONNX TensorProto) or .npy")
	output := fs.String("output", "", "write the first output here (.pb or .npy); default: print it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *input == "" {
		return usagef("run: want MODEL and --input FILE")
	}
	if *output != "" {
		if ext := strings.ToLower(filepath.Ext(*output)); ext != ".pb" && ext != ".npy" {
			return usagef("--output %s: want a .pb or .npy file", *output)
		}
	}
	_, prog, err := loadProgram(fs.Arg(0))
	if err != nil {
		return err
	}
	x, err := readTensor(*input)
	if err != nil {
		return err
	}
	in := prog.Inputs()[0]
	res, err := prog.Run(map[string]*importer.Tensor{in.Name: x})
	if err != nil {
		return err
	}
	outName := prog.Graph().Outputs[0].Name
	y := res[outName]
	if *output != "" {
		return writeTensor(*output, outName, y)
	}
	fmt.Fprintf(e.stdout, "%s %v\n", outName, y.Shape)
	if y.DType.IsFloat() {
		for i, v := range y.Float {
			if i > 0 {
				fmt.Fprint(e.stdout, " ")
			}
			fmt.Fprintf(e.stdout, "%g", v)
		}
	} else {
		for i, v := range y.Int {
			if i > 0 {
				fmt.Fprint(e.stdout, " ")
			}
			fmt.Fprintf(e.stdout, "%d", v)
		}
	}
	fmt.Fprintln(e.stdout)
	return nil
}
