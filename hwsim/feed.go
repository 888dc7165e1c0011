package hwsim

import (
	"fmt"
	"strings"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
)

// Feed is the data of every input of a model: Sources[i] holds the samples
// of Inputs[i], in the model's graph-input order (one of each for most
// models; an image and a mask, or two towers, take two). Every source has
// the same number of samples, sample j of each belonging together; the
// labels are those of the first source.
type Feed struct {
	Inputs  []importer.ValueInfo
	Sources []dataset.Source
}

// OneInput is the feed of a model with one input.
func OneInput(src dataset.Source, in importer.ValueInfo) Feed {
	return Feed{Inputs: []importer.ValueInfo{in}, Sources: []dataset.Source{src}}
}

// Name identifies the data in messages: the source's name for one input,
// "input=source" for each input otherwise.
func (f Feed) Name() string {
	if len(f.Sources) == 1 {
		return f.Sources[0].Name()
	}
	parts := make([]string, len(f.Sources))
	for i, s := range f.Sources {
		name := "?"
		if i < len(f.Inputs) {
			name = f.Inputs[i].Name
		}
		parts[i] = name + "=" + s.Name()
	}
	return strings.Join(parts, ", ")
}

// Len is the number of samples (of each source; Fit checks they agree).
func (f Feed) Len() int {
	if len(f.Sources) == 0 {
		return 0
	}
	return f.Sources[0].Len()
}

// Labels are the first source's labels (nil when it has none).
func (f Feed) Labels() []int {
	if len(f.Sources) == 0 {
		return nil
	}
	return f.Sources[0].Labels()
}

// Fit checks, before anything runs, that there is one source per input,
// that each input takes its source's samples and that every source has as
// many samples as the first. Errors name the input and the source.
func (f Feed) Fit() error {
	if len(f.Sources) != len(f.Inputs) || len(f.Inputs) == 0 {
		return fmt.Errorf("%w: %d data sources for the model's %d inputs", dataset.ErrInvalidData, len(f.Sources), len(f.Inputs))
	}
	for i, src := range f.Sources {
		if err := src.Fit(f.Inputs[i]); err != nil {
			return err // it names the source and the input
		}
		if n, n0 := src.Len(), f.Sources[0].Len(); n != n0 {
			return fmt.Errorf("%w: the data of input %q (%s) has %d samples, the data of input %q (%s) %d: every input needs one per sample",
				dataset.ErrInvalidData, f.Inputs[i].Name, src.Name(), n, f.Inputs[0].Name, f.Sources[0].Name(), n0)
		}
	}
	return nil
}

// Batch returns samples [start, start+n) of every input, in input order
// (see dataset.Source.Batch).
func (f Feed) Batch(start, n int) ([]*importer.Tensor, error) {
	xs := make([]*importer.Tensor, len(f.Sources))
	for i, src := range f.Sources {
		x, err := src.Batch(f.Inputs[i], start, n)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return xs, nil
}

// CheckFinite refuses NaN or Inf in a batch of the feed (dataset.CheckFinite
// on each input's part, naming its source).
func (f Feed) CheckFinite(xs []*importer.Tensor) error {
	for i, x := range xs {
		if err := dataset.CheckFinite(f.Sources[i].Name(), x); err != nil {
			return err
		}
	}
	return nil
}
