package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/rramc/rramc/importer/atomicfile"
	"github.com/spf13/pflag"
)

// newFlags returns a flag set that reports errors instead of exiting, so
// that every usage mistake ends with exit code 2 through exitCode.
func newFlags(e *env, name, argsUsage string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: rramc %s %s\n\nFlags:\n", name, argsUsage)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
	}
	return fs
}

// parseFlags parses args and turns pflag's errors into usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return errHelp
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it into place, so a failure never leaves a half-written output.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write(path, write)
}
