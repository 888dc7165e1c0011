package dataset

import (
	"bytes"
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
)

// npyFormat: an array [N, ...] in a .npy file, labels in a second .npy
// file. Floating-point arrays are fed as they are (already preprocessed);
// uint8 arrays [N,C,H,W] or [N,H,W] are 8-bit images, normalized; other
// bool and integer arrays are fed as their whole values.
var npyFormat = format{
	name:   "npy",
	detect: func(path string, head []byte, isDir bool) bool { return bytes.HasPrefix(head, []byte(npyMagic)) },
	open:   openNPY,
}

func openNPY(path string, spec Spec) (Source, error) {
	file, err := openNPYFile(path)
	if err != nil {
		return nil, err
	}
	shape, typ := file.shape, file.typ
	if len(shape) < 1 || shape[0] < 1 {
		return nil, invalidf("%s: shape %v: want [N, ...] with N >= 1 samples", path, shape)
	}
	var labels []int
	if spec.Labels != "" {
		if labels, err = ReadLabelsNPY(spec.Labels); err != nil {
			return nil, err
		}
		if len(labels) != shape[0] {
			return nil, invalidf("%s has %d samples (shape %v) but %s has %d labels", path, shape[0], shape, spec.Labels, len(labels))
		}
	}
	switch {
	case typ.dtype.IsFloat():
		if len(spec.Norm.Mean) > 0 || len(spec.Norm.Std) > 0 {
			return nil, invalidf("%s holds %v values, fed to the model as they are: mean and std apply to 8-bit images only", path, typ.dtype)
		}
		s := &tensorSource{name: path, file: file, labels: labels}
		if err := s.scan(func(base int, v []float32) error { return checkFiniteAt(path, shape, base, v) }); err != nil {
			return nil, err
		}
		return s, nil
	case typ.dtype == importer.Uint8 && (len(shape) == 3 || len(shape) == 4):
		// 8-bit images are read as the file's bytes, a batch at a time.
		c, h, w := 1, shape[1], shape[len(shape)-1]
		if len(shape) == 4 {
			c, h = shape[1], shape[2]
		}
		sz := c * h * w
		return &imageSource{name: path, n: shape[0], labels: labels, norm: spec.Norm.orDefault(DefaultNorm), c: c, h: h, w: w,
			pixels: func(start, n, _, _ int) ([]uint8, error) { return file.read(start*sz, n*sz) }}, nil
	case typ.dtype.IsWhole():
		// bool or integer values (a mask, indices) are fed as they are:
		// an input of a whole-number type takes them as its values
		if len(spec.Norm.Mean) > 0 || len(spec.Norm.Std) > 0 {
			return nil, invalidf("%s holds %v values, fed to the model as they are: mean and std apply to 8-bit images only", path, typ.dtype)
		}
		return &tensorSource{name: path, file: file, labels: labels}, nil
	}
	return nil, invalidf("%s: %v array of shape %v: want floating point [N, ...] (preprocessed), bool or integer values [N, ...], or uint8 images [N,C,H,W] or [N,H,W]", path, typ.dtype, shape)
}

// tensorSource feeds a preprocessed float array [N, ...] as it is, read
// from its file a batch at a time.
type tensorSource struct {
	name   string
	file   *npyPayloadFile
	labels []int
}

func (s *tensorSource) Name() string  { return s.name }
func (s *tensorSource) Len() int      { return s.file.shape[0] }
func (s *tensorSource) Labels() []int { return s.labels }

// sampleLen is the number of values in one sample.
func (s *tensorSource) sampleLen() int { return importer.NumElements(s.file.shape[1:]) }

// samples decodes samples [start, start+n) as float32 values.
func (s *tensorSource) samples(start, n int) (*importer.Tensor, error) {
	per := s.sampleLen()
	b, err := s.file.read(start*per, n*per)
	if err != nil {
		return nil, err
	}
	t, err := decodeNPYPayload(append([]int{n}, s.file.shape[1:]...), s.file.typ, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if !t.IsFloat() {
		// bool or integer values, as floats holding whole numbers
		// (dataset.Source); an input of their type gets them back whole
		return importer.NewFloat(t.Shape, t.Floats()), nil
	}
	t.DType = importer.Float
	return t, nil
}

// scan calls fn on every value of the array, in chunks of whole samples
// of about a megabyte (base: the flat index of v[0]).
func (s *tensorSource) scan(fn func(base int, v []float32) error) error {
	per := s.sampleLen()
	if per == 0 {
		return nil
	}
	chunk := max(1, (1<<20)/(per*s.file.typ.size))
	for start := 0; start < s.Len(); start += chunk {
		n := min(chunk, s.Len()-start)
		t, err := s.samples(start, n)
		if err != nil {
			return err
		}
		if err := fn(start*per, t.Float); err != nil {
			return err
		}
	}
	return nil
}

// Fit implements Source: the model input must have the array's rank and
// agree with every fixed dimension after the batch.
func (s *tensorSource) Fit(in importer.ValueInfo) error {
	sh := s.file.shape
	ok := len(in.Shape) == len(sh)
	for i := 1; ok && i < len(sh); i++ {
		ok = dimIs(in.Shape[i], sh[i])
	}
	if !ok {
		return fmt.Errorf("model input %q: %w", in.Name, invalidf("%s has samples of shape %v, the input takes %s", s.name, sh[1:], fmtDims(in.Shape)))
	}
	if in.DType.IsWhole() {
		// The values are fed as they are, converted to the input's type:
		// each must be a whole number that type holds.
		lo, hi := in.DType.IntRange()
		return s.scan(func(base int, vals []float32) error {
			for i, v := range vals {
				if f := float64(v); f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
					return fmt.Errorf("model input %q: %w", in.Name, invalidf("it is %v; %s holds %v at index %d, not a whole number in %d..%d (give the %v values themselves, e.g. image bytes before normalization)",
						in.DType, s.name, v, base+i, lo, hi, in.DType))
				}
			}
			return nil
		})
	}
	return nil
}

// Batch implements Source.
func (s *tensorSource) Batch(in importer.ValueInfo, start, n int) (*importer.Tensor, error) {
	if start < 0 || n < 0 || start > s.Len() || n > s.Len()-start {
		return nil, invalidf("%s: samples [%d, %d+%d) out of range (it has %d)", s.name, start, start, n, s.Len())
	}
	return s.samples(start, n)
}

// idxFormat: an MNIST-format image file (N×rows×cols unsigned bytes, plain
// or gzipped) with an optional IDX label file.
var idxFormat = format{
	name: "idx",
	detect: func(path string, head []byte, isDir bool) bool {
		return len(head) >= 4 && (head[0] == 0x1f && head[1] == 0x8b || head[0] == 0 && head[1] == 0 && head[2] == idxUbyte)
	},
	open: func(path string, spec Spec) (Source, error) {
		im, err := ReadIDXFile(path)
		if err != nil {
			return nil, err
		}
		if spec.Labels != "" {
			lb, err := ReadIDXFile(spec.Labels)
			if err != nil {
				return nil, err
			}
			set, err := NewSet(path, im, lb)
			if err != nil {
				return nil, err
			}
			return NewSetSource(set, path, spec.Norm.orDefault(DefaultNorm))
		}
		if len(im.Dims) != 3 || im.Dims[0] < 1 || im.Dims[1] < 1 || im.Dims[2] < 1 {
			return nil, invalidf("%s: image file has dimensions %v (want 3: N×rows×cols)", path, im.Dims)
		}
		sz := im.Dims[1] * im.Dims[2]
		return &imageSource{name: path, n: im.Dims[0], norm: spec.Norm.orDefault(DefaultNorm), c: 1, h: im.Dims[1], w: im.Dims[2],
			pixels: func(start, n, _, _ int) ([]uint8, error) { return im.Data[start*sz : (start+n)*sz], nil }}, nil
	},
}

// The CIFAR binary format (Krizhevsky 2009): records of label byte(s)
// followed by 3072 pixel bytes, 1024 red, 1024 green, 1024 blue, each 32×32
// row-major. CIFAR-10 has one label byte (class 0..9); CIFAR-100 two,
// coarse (0..19) then fine (0..99): the fine label is the class.
const cifarPixels = 3 * 32 * 32

var (
	cifar10Format = format{
		name: "cifar10",
		detect: func(path string, head []byte, isDir bool) bool {
			return !isDir && hasExt(path, ".bin") && cifarRecords(path, 1)
		},
		open:      func(path string, spec Spec) (Source, error) { return openCIFAR(path, spec, 1, 10) },
		ownLabels: true,
	}
	cifar100Format = format{
		name: "cifar100",
		detect: func(path string, head []byte, isDir bool) bool {
			return !isDir && hasExt(path, ".bin") && cifarRecords(path, 2)
		},
		open:      func(path string, spec Spec) (Source, error) { return openCIFAR(path, spec, 2, 100) },
		ownLabels: true,
	}
)

// cifarRecords reports whether the file size is a whole number of records
// with labelBytes label bytes, and not also of the other CIFAR variant
// (then the format must be named with a prefix).
func cifarRecords(path string, labelBytes int) bool {
	size, err := fileSize(path)
	if err != nil || size == 0 {
		return false
	}
	other := 3 - labelBytes
	return size%int64(labelBytes+cifarPixels) == 0 && size%int64(other+cifarPixels) != 0
}

func openCIFAR(path string, spec Spec, labelBytes, classes int) (Source, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	rec := labelBytes + cifarPixels
	if len(data) == 0 || len(data)%rec != 0 {
		return nil, invalidf("%s: %d bytes is not a whole number of %d-byte CIFAR-%d records", path, len(data), rec, classes)
	}
	n := len(data) / rec
	labels := make([]int, n)
	px := make([]uint8, 0, n*cifarPixels)
	for i := range n {
		r := data[i*rec : (i+1)*rec]
		l := int(r[labelBytes-1])
		if l >= classes {
			return nil, invalidf("%s: record %d has label %d (CIFAR-%d classes are 0..%d)", path, i, l, classes, classes-1)
		}
		labels[i] = l
		px = append(px, r[labelBytes:]...)
	}
	return &imageSource{name: path, n: n, labels: labels, norm: spec.Norm.orDefault(DefaultNorm), c: 3, h: 32, w: 32,
		pixels: func(start, n, _, _ int) ([]uint8, error) { return px[start*cifarPixels : (start+n)*cifarPixels], nil }}, nil
}
