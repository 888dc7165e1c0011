package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rramc/rramc/importer"
)

// Source is a set of samples rramc feeds to a model, with their class
// labels when it has them. Every command and the sweep read data through
// it, so a new file format is one implementation plus one entry in formats.
type Source interface {
	// Name identifies the source in messages: a path, or "MNIST test set".
	Name() string
	// Len is the number of samples.
	Len() int
	// Labels returns the class of every sample, or nil when the source has
	// none (calibration needs no labels).
	Labels() []int
	// Fit checks, before anything runs, that the model input in takes the
	// samples; the error says why not.
	Fit(in importer.ValueInfo) error
	// Batch returns samples [start, start+n) as a float32 tensor shaped for
	// in (dimension 0 is n). For an input of an integer type (a model that
	// takes image bytes and normalizes them itself) the values are the
	// whole numbers to feed, 8-bit images unnormalized; Fit has checked that
	// the type holds them, and importer.WholeValues converts the batch.
	Batch(in importer.ValueInfo, start, n int) (*importer.Tensor, error)
}

// Spec says which data to open and how to preprocess it.
type Spec struct {
	// Data is "mnist" (the embedded test set), "mnist-calib" (the embedded
	// calibration subset), or a path: a .npy file, an IDX file, a CIFAR-10
	// or CIFAR-100 binary file, or a directory of class folders. A
	// "FORMAT:" prefix (npy:, idx:, cifar10:, cifar100:, folder:) names
	// the format instead of detecting it.
	Data string
	// Labels is the labels file for formats that keep them apart (.npy
	// labels for .npy data, an IDX label file for IDX images); empty for
	// unlabelled data.
	Labels string
	// Norm is the preprocessing of 8-bit images; the zero value is the
	// format's default (DefaultNorm).
	Norm Normalize
	// Resize is the shorter side an image-folder image is resized to before
	// the center crop to the model's input size; 0 = round(crop/0.875),
	// the usual ImageNet ratio (256 for 224, 342 for 299).
	Resize int
}

// Calibration is the spec of the calibration data for s: the embedded MNIST
// training subset for the MNIST test set (so quantization never sees test
// images), the data itself otherwise (its first samples).
func (s Spec) Calibration() Spec {
	if s.Data == "mnist" {
		s.Data = "mnist-calib"
	}
	return s
}

// Fingerprint is a SHA-256 of the contents spec.Data and spec.Labels name:
// of the file, or of every file under a folder with its path; "" for the
// embedded MNIST sets (versioned with the binary). It lets results keyed by
// a data path notice that the data changed.
func Fingerprint(spec Spec) (string, error) {
	if spec.Data == "mnist" || spec.Data == "mnist-calib" {
		return "", nil
	}
	data := spec.Data
	if name, path, ok := strings.Cut(data, ":"); ok && slices.ContainsFunc(formats, func(f format) bool { return f.name == name }) {
		data = path
	}
	h := sha256.New()
	for _, root := range []string{data, spec.Labels} {
		if root == "" {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			fmt.Fprintf(h, "%s\x00", rel)
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(h, f)
			return err
		})
		if err != nil {
			return "", err
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// format is one data file format: how to recognise it and how to open it.
type format struct {
	name string
	// detect reports whether path (its first bytes in head; isDir for a
	// directory) is in this format.
	detect func(path string, head []byte, isDir bool) bool
	open   func(path string, spec Spec) (Source, error)
	// ownLabels is true for formats that store the labels with the samples
	// (a --labels file would be ambiguous).
	ownLabels bool
}

// formats lists the file formats in detection order (first match wins).
var formats = []format{npyFormat, idxFormat, cifar10Format, cifar100Format, folderFormat}

// Open resolves spec to a source. Errors wrap ErrInvalidData (or an
// *os.PathError for a missing file) and name the path.
func Open(spec Spec) (Source, error) {
	switch spec.Data {
	case "mnist", "mnist-calib":
		if spec.Labels != "" {
			return nil, invalidf("--labels %s: the embedded MNIST sets carry their own labels", spec.Labels)
		}
		set, err := MNISTTest()
		name := "MNIST test set"
		if spec.Data == "mnist-calib" {
			set, err = MNISTCalib()
			name = "MNIST calibration set"
		}
		if err != nil {
			return nil, err
		}
		return NewSetSource(set, name, spec.Norm.orDefault(MNISTNorm))
	}
	path, f, err := detect(spec.Data)
	if err != nil {
		return nil, err
	}
	if f.ownLabels && spec.Labels != "" {
		return nil, invalidf("--labels %s: %s (%s format) carries its own labels", spec.Labels, path, f.name)
	}
	return f.open(path, spec)
}

// detect picks the format of data: from its "FORMAT:" prefix, else from the
// file's first bytes, its extension or its being a directory.
func detect(data string) (string, format, error) {
	if name, path, ok := strings.Cut(data, ":"); ok {
		for _, f := range formats {
			if f.name == name {
				return path, f, nil
			}
		}
	}
	fi, err := os.Stat(data)
	if err != nil {
		return "", format{}, err
	}
	var head []byte
	if !fi.IsDir() {
		fh, err := os.Open(data)
		if err != nil {
			return "", format{}, err
		}
		head = make([]byte, 16)
		n, _ := fh.Read(head)
		head = head[:n]
		fh.Close()
	}
	for _, f := range formats {
		if f.detect(data, head, fi.IsDir()) {
			return data, f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return "", format{}, invalidf("%s: unknown data format (want mnist, a .npy file, an IDX file, a CIFAR .bin file or a folder of class folders; or prefix the path with one of %s and a colon)",
		data, strings.Join(names, ", "))
}

func hasExt(path string, exts ...string) bool {
	return slices.Contains(exts, strings.ToLower(filepath.Ext(path)))
}

// Normalize is the preprocessing of 8-bit pixels p:
//
//	x = (p/255 - Mean[c]) / Std[c]
//
// in float32, the operations and order of torchvision's ToTensor followed
// by Normalize, so batches equal PyTorch's bit for bit. Mean and Std hold
// one value (every channel) or one per channel.
type Normalize struct {
	Mean, Std []float32
}

// MNISTNorm is the preprocessing of the MNIST models rramc ships.
var MNISTNorm = Normalize{Mean: []float32{0.1307}, Std: []float32{0.3081}}

// DefaultNorm is the preprocessing of other 8-bit images when none is
// given: plain p/255 (torchvision's ToTensor alone).
var DefaultNorm = Normalize{Mean: []float32{0}, Std: []float32{1}}

func (nz Normalize) orDefault(d Normalize) Normalize {
	if len(nz.Mean) == 0 && len(nz.Std) == 0 {
		return d
	}
	if len(nz.Mean) == 0 {
		nz.Mean = d.Mean
	}
	if len(nz.Std) == 0 {
		nz.Std = d.Std
	}
	return nz
}

// forChannels returns per-channel mean and std for c channels.
func (nz Normalize) forChannels(c int) (mean, std []float32, err error) {
	expand := func(v []float32, what string) ([]float32, error) {
		switch len(v) {
		case 1:
			return slices.Repeat(v, c), nil
		case c:
			return v, nil
		}
		return nil, invalidf("%s has %d values; the images have %d channel(s) (give one value or one per channel)", what, len(v), c)
	}
	if mean, err = expand(nz.Mean, "mean"); err != nil {
		return nil, nil, err
	}
	if std, err = expand(nz.Std, "std"); err != nil {
		return nil, nil, err
	}
	for i := range c {
		if !(std[i] != 0) || math.IsNaN(float64(std[i])) || math.IsInf(float64(std[i]), 0) ||
			math.IsNaN(float64(mean[i])) || math.IsInf(float64(mean[i]), 0) {
			return nil, nil, invalidf("normalization mean %v std %v: channel %d needs a finite mean and a finite non-zero std", mean[i], std[i], i)
		}
	}
	return mean, std, nil
}

// String formats the values as the --mean/--std flags take them.
func (nz Normalize) String() string {
	f := func(v []float32) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprintf("mean %s, std %s", f(nz.Mean), f(nz.Std))
}

// CheckFinite returns an error naming the first NaN or ±Inf of t, with its
// index in every dimension; what names the tensor (a file).
func CheckFinite(what string, t *importer.Tensor) error {
	return checkFiniteAt(what, t.Shape, 0, t.Float)
}

// checkFiniteAt is CheckFinite for the values v of an array of the given
// shape that start at flat index base.
func checkFiniteAt(what string, shape []int, base int, v []float32) error {
	for i, x := range v {
		// NaN and ±Inf are the values whose exponent bits are all ones.
		if math.Float32bits(x)&0x7f800000 == 0x7f800000 {
			idx := make([]int, len(shape))
			r := base + i
			for d := len(shape) - 1; d >= 0; d-- {
				if shape[d] > 0 {
					idx[d] = r % shape[d]
					r /= shape[d]
				}
			}
			return invalidf("%s: element %v (flat index %d) is %v: data must be finite", what, idx, base+i, x)
		}
	}
	return nil
}
