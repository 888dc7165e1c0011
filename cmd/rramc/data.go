package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, dataset.ErrInvalidData)
}

// dataFlags are the flags every command that reads data shares.
type dataFlags struct {
	data   inputFiles
	labels string
	limit  int
	// first is the first input used (eval and sim --shard set it).
	first  int
	shard  imageShard
	mean   string
	std    string
	resize int
	batch  int
	// consts are the inputs frozen to constants (--const).
	consts constInputs
}

func (d *dataFlags) register(fs *pflag.FlagSet) {
	d.data = inputFiles{vals: []string{"mnist"}}
	fs.Var(&d.data, "data", `"mnist" (embedded 10k MNIST test set), a .npy file [N, ...], an IDX image file, a CIFAR-10/100 .bin file, or a folder of class folders holding PNG/JPEG images; a model with several inputs takes --data NAME=FILE once per input (NAME its input name)`)
	fs.StringVar(&d.labels, "labels", "", "labels file: .npy (integer class per input) for .npy data, IDX for IDX images; not needed by quantize and map; with several inputs, the labels of the samples (given with the first input's data)")
	fs.IntVar(&d.limit, "limit", 0, "use only the first N inputs (0 = all)")
	fs.StringVar(&d.mean, "mean", "", "8-bit image preprocessing x = (pixel/255 - mean)/std: one value or one per channel, comma-separated (default 0.1307 for mnist, 0 otherwise)")
	fs.StringVar(&d.std, "std", "", "see --mean (default 0.3081 for mnist, 1 otherwise)")
	fs.IntVar(&d.resize, "resize", 0, "image folders: shorter side before the center crop to the model's input size (0 = crop/0.875, e.g. 256 for 224)")
	fs.IntVar(&d.batch, "batch", 64, "inputs per batch")
	d.consts.register(fs)
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

// spec resolves the flags to the specification of the one --data (the
// sweep, whose data is one image set).
func (d *dataFlags) spec() (dataset.Spec, error) {
	if len(d.data.vals) != 1 {
		return dataset.Spec{}, usagef("--data given %d times: this command takes one data set", len(d.data.vals))
	}
	return d.specFor(d.data.vals[0], d.labels)
}

// specFor is the data specification of one file with the flags'
// preprocessing.
func (d *dataFlags) specFor(data, labels string) (dataset.Spec, error) {
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
	return dataset.Spec{Data: data, Labels: labels, Norm: dataset.Normalize{Mean: mean, Std: std}, Resize: d.resize}, nil
}

// specs resolves the flags to one data specification per model input
// (ins, in graph order). The --labels file goes with the first input's
// data: the labels are the samples', whichever input they are read with.
func (d *dataFlags) specs(ins []importer.ValueInfo) ([]dataset.Spec, error) {
	files, err := d.data.bind("data", ins)
	if err != nil {
		return nil, err
	}
	specs := make([]dataset.Spec, len(files))
	for i, f := range files {
		labels := ""
		if i == 0 {
			labels = d.labels
		}
		if specs[i], err = d.specFor(f, labels); err != nil {
			return nil, err
		}
	}
	return specs, nil
}

// openSpecs opens one source per spec as the data of the inputs ins.
func openSpecs(specs []dataset.Spec, ins []importer.ValueInfo) (hwsim.Feed, error) {
	feed := hwsim.Feed{Inputs: ins}
	for _, spec := range specs {
		src, err := dataset.Open(spec)
		if err != nil {
			return hwsim.Feed{}, err
		}
		feed.Sources = append(feed.Sources, src)
	}
	return feed, nil
}

// openLabelled opens the data of the inputs ins (the evaluation set) and
// requires labels (accuracy needs them).
func (d *dataFlags) openLabelled(ins []importer.ValueInfo) (hwsim.Feed, error) {
	specs, err := d.specs(ins)
	if err != nil {
		return hwsim.Feed{}, err
	}
	feed, err := openSpecs(specs, ins)
	if err != nil {
		return hwsim.Feed{}, err
	}
	if feed.Labels() == nil {
		return hwsim.Feed{}, usagef("--data %s needs --labels FILE: it holds no labels to measure accuracy against", specs[0].Data)
	}
	return feed, nil
}

// calibration opens the calibration data of the inputs ins: the embedded
// MNIST training subset for --data mnist, the data itself otherwise (its
// first --calib samples).
func (d *dataFlags) calibration(ins []importer.ValueInfo, evalData *hwsim.Feed) ([]dataset.Source, error) {
	specs, err := d.specs(ins)
	if err != nil {
		return nil, err
	}
	same := true
	for i := range specs {
		same = same && specs[i].Calibration().Data == specs[i].Data
		specs[i] = specs[i].Calibration()
	}
	if evalData != nil && same {
		// The calibration data is the evaluation data, already in memory
		// (a shard narrows the images run, not the source).
		return evalData.Sources, nil
	}
	feed, err := openSpecs(specs, ins)
	return feed.Sources, err
}

// inputFiles is a flag naming the data of a model's inputs: one value
// (the data of a model with one input), or NAME=FILE once per input. A
// plain value is the file of a one-input model even if it holds "=" (a
// path may), unless what precedes it is the input's name.
type inputFiles struct {
	vals []string
	set  bool // given on the command line (the first value replaces the default)
}

func (f *inputFiles) String() string { return strings.Join(f.vals, " ") }
func (f *inputFiles) Type() string   { return "string" }

func (f *inputFiles) Set(v string) error {
	if !f.set {
		f.vals, f.set = nil, true
	}
	f.vals = append(f.vals, v)
	return nil
}

// bind returns the file of every input of ins, in order. Errors name the
// flag, the input and the file: an input without data, a NAME that is no
// input, an input given twice.
func (f *inputFiles) bind(flag string, ins []importer.ValueInfo) ([]string, error) {
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = in.Name
	}
	return bindNamed(flag, "input", f.vals, names, true)
}

// bindNamed assigns the values of a NAME=FILE flag to the model's inputs
// or outputs (noun), by name: the file of each, in the order of names, ""
// for one without a file when every one is not required. A model with
// one of them also takes a plain FILE. Errors name the flag, the value
// and the model's names: a plain FILE when there are several, a NAME that
// is none of them, one given twice, one without a file, and (requireAll)
// one left without a file.
func bindNamed(flag, noun string, vals, names []string, requireAll bool) ([]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	list := strings.Join(quoted, ", ")
	if len(names) == 1 && len(vals) == 1 {
		v := vals[0]
		if name, file, ok := strings.Cut(v, "="); ok && name == names[0] {
			v = file
		}
		if v == "" {
			return nil, usagef("--%s %s: no file for %s %q", flag, vals[0], noun, names[0])
		}
		return []string{v}, nil
	}
	each := "once for each"
	if !requireAll {
		each = "once for each you want"
	}
	files := make([]string, len(names))
	for _, v := range vals {
		name, file, ok := strings.Cut(v, "=")
		if !ok {
			return nil, usagef("--%s %s: the model has %d %ss (%s): give --%s NAME=FILE %s", flag, v, len(names), noun, list, flag, each)
		}
		i := slices.Index(names, name)
		switch {
		case i < 0:
			return nil, usagef("--%s %s: the model has no %s %q (its %ss: %s)", flag, v, noun, name, noun, list)
		case files[i] != "":
			return nil, usagef("--%s %s: %s %q already has --%s %s=%s", flag, v, noun, name, flag, name, files[i])
		case file == "":
			return nil, usagef("--%s %s: no file for %s %q", flag, v, noun, name)
		}
		files[i] = file
	}
	if requireAll {
		for i, file := range files {
			if file == "" {
				return nil, usagef("the model's %s %s has no --%s: give --%s %s=FILE for each of its %ss (%s)", noun, quoted[i], flag, flag, names[i], noun, list)
			}
		}
	}
	return files, nil
}

// runOptions are the evaluation-layer options of the flags.
func (d *dataFlags) runOptions(batch int, p *progress) hwsim.RunOptions {
	o := hwsim.RunOptions{First: d.first, Limit: d.limit, BatchSize: batch}
	if p != nil {
		o.Progress = func(done, total int) { p.total = total; p.update(done) }
	}
	return o
}
