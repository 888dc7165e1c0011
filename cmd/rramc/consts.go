package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, importer.ErrBadConstant)
}

// constInputs is the --const flag: graph inputs frozen to the tensors of
// files (NAME=FILE, once per input), so that a parameter a model takes as
// an input (a Resize's scales, a Reshape's shape) is a constant to shape
// folding and quantization (importer.FreezeInputs).
type constInputs struct {
	vals []string
}

func (c *constInputs) String() string { return strings.Join(c.vals, " ") }
func (c *constInputs) Type() string   { return "NAME=FILE" }
func (c *constInputs) Set(v string) error {
	c.vals = append(c.vals, v)
	return nil
}

func (c *constInputs) register(fs *pflag.FlagSet) {
	fs.Var(c, "const", "freeze the model input NAME to the tensor in FILE (.npy or .pb, the input's type and shape), once per input: a parameter passed as an input (Resize scales, Reshape shape, Slice starts) becomes a constant")
}

// files parses the flag: the file of each input, by name.
func (c *constInputs) files() (map[string]string, error) {
	files := map[string]string{}
	for _, v := range c.vals {
		name, file, ok := strings.Cut(v, "=")
		switch {
		case !ok || name == "" || file == "":
			return nil, usagef("--const %s: want NAME=FILE (NAME a model input, FILE a .npy or .pb tensor)", v)
		case files[name] != "":
			return nil, usagef("--const %s: input %q already has --const %s=%s", v, name, name, files[name])
		}
		files[name] = file
	}
	return files, nil
}

// tensors reads the files of the flag: the constant of each input by
// name, and the file each came from.
func (c *constInputs) tensors() (consts map[string]*importer.Tensor, files map[string]string, err error) {
	if files, err = c.files(); err != nil {
		return nil, nil, err
	}
	consts = map[string]*importer.Tensor{}
	for name, file := range files {
		t, err := readTensor(file)
		if err != nil {
			return nil, nil, fmt.Errorf("--const %s=%s: %w", name, file, err)
		}
		consts[name] = t
	}
	return consts, files, nil
}

// openModel loads a model for the evaluation layer, with the inputs of
// consts (nil: none) frozen. Errors about a constant name its flag value:
// the input and the file.
func openModel(path string, c *constInputs) (*hwsim.Model, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, usagef("%s is a directory, not a model file", path)
	}
	if c == nil || len(c.vals) == 0 {
		return hwsim.LoadModel(path)
	}
	consts, files, err := c.tensors()
	if err != nil {
		return nil, err
	}
	m, err := hwsim.LoadModelFrozen(path, consts)
	return m, c.named(err, files)
}

// freeze is m with the inputs of the flag frozen (inspect, which reads the
// model as written).
func (c *constInputs) freeze(m *importer.Model) (*importer.Model, error) {
	if len(c.vals) == 0 {
		return m, nil
	}
	consts, files, err := c.tensors()
	if err != nil {
		return nil, err
	}
	f, err := importer.FreezeInputs(m, consts)
	if err != nil {
		return nil, c.named(err, files)
	}
	return f, nil
}

// named prefixes an error about one constant with its flag value: the
// input and its file.
func (c *constInputs) named(err error, files map[string]string) error {
	if ce := (*importer.ConstantError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("--const %s=%s: %w", ce.Input, files[ce.Input], err)
	}
	return err
}
