package main

import (
	"strconv"
	"strings"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, dataset.ErrInvalidData)
}

// dataFlags are the flags every command that reads data shares.
type dataFlags struct {
	data   string
	labels string
	limit  int
	// first is the first input used (eval and sim --shard set it).
	first  int
	shard  imageShard
	mean   string
	std    string
	resize int
	batch  int
}

func (d *dataFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.data, "data", "mnist", `"mnist" (embedded 10k MNIST test set), a .npy file [N, ...], an IDX image file, a CIFAR-10/100 .bin file, or a folder of class folders holding PNG/JPEG images`)
	fs.StringVar(&d.labels, "labels", "", "labels file: .npy (integer class per input) for .npy data, IDX for IDX images; not needed by quantize and map")
	fs.IntVar(&d.limit, "limit", 0, "use only the first N inputs (0 = all)")
	fs.StringVar(&d.mean, "mean", "", "8-bit image preprocessing x = (pixel/255 - mean)/std: one value or one per channel, comma-separated (default 0.1307 for mnist, 0 otherwise)")
	fs.StringVar(&d.std, "std", "", "see --mean (default 0.3081 for mnist, 1 otherwise)")
	fs.IntVar(&d.resize, "resize", 0, "image folders: shorter side before the center crop to the model's input size (0 = crop/0.875, e.g. 256 for 224)")
	fs.IntVar(&d.batch, "batch", 64, "inputs per batch")
}

// parseFloats reads one value or a comma-separated list.
func parseFloats(flag, s string) ([]float32, error) {
	if s == "" {
		return nil, nil
	}
	var out []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, usagef("--%s %q: want one number or a comma-separated list, one per channel", flag, s)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

// spec resolves the flags to a data specification.
func (d *dataFlags) spec() (dataset.Spec, error) {
	if d.limit < 0 {
		return dataset.Spec{}, usagef("--limit %d: must be >= 0", d.limit)
	}
	if d.batch < 1 || d.batch > 1<<16 {
		return dataset.Spec{}, usagef("--batch %d: must be in 1..65536", d.batch)
	}
	if d.resize < 0 || d.resize > 1<<15 {
		return dataset.Spec{}, usagef("--resize %d: must be in 0..32768", d.resize)
	}
	mean, err := parseFloats("mean", d.mean)
	if err != nil {
		return dataset.Spec{}, err
	}
	std, err := parseFloats("std", d.std)
	if err != nil {
		return dataset.Spec{}, err
	}
	return dataset.Spec{Data: d.data, Labels: d.labels, Norm: dataset.Normalize{Mean: mean, Std: std}, Resize: d.resize}, nil
}

// open opens the data (the evaluation set).
func (d *dataFlags) open() (dataset.Source, error) {
	spec, err := d.spec()
	if err != nil {
		return nil, err
	}
	return dataset.Open(spec)
}

// openLabelled opens the data and requires labels (accuracy needs them).
func (d *dataFlags) openLabelled() (dataset.Source, error) {
	src, err := d.open()
	if err != nil {
		return nil, err
	}
	if src.Labels() == nil {
		return nil, usagef("--data %s needs --labels FILE: it holds no labels to measure accuracy against", d.data)
	}
	return src, nil
}

// calibration opens the calibration data: the embedded MNIST training
// subset for --data mnist, the data itself otherwise (its first --calib
// samples).
func (d *dataFlags) calibration(evalData dataset.Source) (dataset.Source, error) {
	spec, err := d.spec()
	if err != nil {
		return nil, err
	}
	if evalData != nil && spec.Calibration().Data == spec.Data {
		// The calibration data is the evaluation data, already in memory
		// (a shard narrows the images run, not the source).
		return evalData, nil
	}
	return dataset.Open(spec.Calibration())
}

// runOptions are the evaluation-layer options of the flags.
func (d *dataFlags) runOptions(batch int, p *progress) hwsim.RunOptions {
	o := hwsim.RunOptions{First: d.first, Limit: d.limit, BatchSize: batch}
	if p != nil {
		o.Progress = func(done, total int) { p.total = total; p.update(done) }
	}
	return o
}
