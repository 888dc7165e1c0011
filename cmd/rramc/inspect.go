package main

import (
	"context"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
)

func init() {
	badInputErrors = append(badInputErrors, importer.ErrInvalidModel)
	register(&command{name: "inspect", summary: "describe an ONNX model: inputs, opset, ops, layers, unsupported ops", run: runInspect})
}

func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inspect", "MODEL.onnx")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("inspect: want exactly one MODEL argument, got %d", fs.NArg())
	}
	m, err := onnx.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	s := importer.Summarize(m, interp.Supported)
	if *asJSON {
		return writeJSON(e.stdout, s)
	}
	return s.WriteText(e.stdout)
}
