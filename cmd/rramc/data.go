package main

import (
	"fmt"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, dataset.ErrInvalidData)
}

// dataFlags are the flags every command that reads a labelled dataset shares.
type dataFlags struct {
	data   string
	labels string
	limit  int
	mean   float32
	std    float32
	batch  int
}

func (d *dataFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.data, "data", "mnist", `"mnist" (embedded 10k MNIST test set) or an inputs .npy file [N, ...]`)
	fs.StringVar(&d.labels, "labels", "", "labels .npy file (integer class per input) when --data is a .npy file")
	fs.IntVar(&d.limit, "limit", 0, "use only the first N inputs (0 = all)")
	fs.Float32Var(&d.mean, "mean", 0.1307, "MNIST preprocessing: x = (pixel/255 - mean)/std")
	fs.Float32Var(&d.std, "std", 0.3081, "MNIST preprocessing: x = (pixel/255 - mean)/std")
	fs.IntVar(&d.batch, "batch", 64, "inputs per batch")
}

// source is a labelled input set that yields model-shaped batches.
type source struct {
	name   string
	n      int
	labels []int
	batch  func(start, n int) (*importer.Tensor, error)
}

// open resolves the data flags for a model input.
func (d *dataFlags) open(in importer.ValueInfo) (*source, error) {
	if d.limit < 0 {
		return nil, usagef("--limit %d: must be >= 0", d.limit)
	}
	if d.batch < 1 || d.batch > 1<<16 {
		return nil, usagef("--batch %d: must be in 1..65536", d.batch)
	}
	var src *source
	if d.data == "mnist" {
		set, err := dataset.MNISTTest()
		if err != nil {
			return nil, err
		}
		if _, err := set.LayoutFor(in.Shape); err != nil {
			return nil, fmt.Errorf("model input %q does not take MNIST images: %w", in.Name, err)
		}
		labels, err := set.LabelInts(0, set.N)
		if err != nil {
			return nil, err
		}
		src = &source{name: "MNIST test set", n: set.N, labels: labels, batch: func(start, n int) (*importer.Tensor, error) {
			return set.BatchFor(in, start, n, d.mean, d.std)
		}}
	} else {
		if d.labels == "" {
			return nil, usagef("--data %s needs --labels FILE.npy", d.data)
		}
		x, err := dataset.ReadNPY(d.data)
		if err != nil {
			return nil, err
		}
		labels, err := dataset.ReadLabelsNPY(d.labels)
		if err != nil {
			return nil, err
		}
		if len(x.Shape) == 0 || x.Shape[0] != len(labels) {
			return nil, usagef("--data %s has shape %v but --labels %s has %d labels", d.data, x.Shape, d.labels, len(labels))
		}
		if !x.DType.IsFloat() {
			return nil, usagef("--data %s: element type must be floating point", d.data)
		}
		per := 1
		for _, v := range x.Shape[1:] {
			per *= v
		}
		src = &source{name: d.data, n: len(labels), labels: labels, batch: func(start, n int) (*importer.Tensor, error) {
			shape := append([]int{n}, x.Shape[1:]...)
			return &importer.Tensor{DType: importer.Float, Shape: shape, Float: x.Float[start*per : (start+n)*per]}, nil
		}}
	}
	// A model whose batch dimension is fixed (CNTK's [1,1,28,28]) takes
	// batches of exactly that size.
	if len(in.Shape) > 0 && in.Shape[0].Value > 0 {
		d.batch = int(in.Shape[0].Value)
	}
	if d.limit > 0 && d.limit < src.n {
		src.n = d.limit
		src.labels = src.labels[:d.limit]
	}
	return src, nil
}
