package dataset

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"

	"github.com/rramc/rramc/importer"
)

// Set is a labelled set of single-channel 8-bit images, such as MNIST.
// Pixels holds N images of Rows×Cols bytes each, row-major, image after
// image; Labels holds one class index per image.
type Set struct {
	Name   string
	N      int
	Rows   int
	Cols   int
	Pixels []uint8
	Labels []uint8
}

// NewSet pairs an image IDX file (3-D: N×Rows×Cols) with a label IDX file
// (1-D: N) and checks that they agree.
func NewSet(name string, images, labels *IDX) (*Set, error) {
	if len(images.Dims) != 3 {
		return nil, invalidf("%s: image file has %d dimensions %v (want 3: N×rows×cols)", name, len(images.Dims), images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, invalidf("%s: label file has %d dimensions %v (want 1)", name, len(labels.Dims), labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, invalidf("%s: %d images but %d labels", name, images.Dims[0], labels.Dims[0])
	}
	if images.Dims[1] == 0 || images.Dims[2] == 0 {
		return nil, invalidf("%s: empty images %dx%d", name, images.Dims[1], images.Dims[2])
	}
	return &Set{
		Name:   name,
		N:      images.Dims[0],
		Rows:   images.Dims[1],
		Cols:   images.Dims[2],
		Pixels: images.Data,
		Labels: labels.Data,
	}, nil
}

// LoadIDXSet reads a set from an image and a label IDX file (plain or
// gzipped), for users who bring their own MNIST-format data.
func LoadIDXSet(imagesPath, labelsPath string) (*Set, error) {
	im, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	lb, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	return NewSet(imagesPath, im, lb)
}

func decodeEmbedded(name, images, labels string) (*Set, error) {
	im, err := ReadIDX(bytes.NewReader(embeddedFile(images)))
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", images, err)
	}
	lb, err := ReadIDX(bytes.NewReader(embeddedFile(labels)))
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", labels, err)
	}
	return NewSet(name, im, lb)
}

var (
	testOnce  = sync.OnceValues(func() (*Set, error) { return decodeEmbedded("mnist-test", testImagesFile, testLabelsFile) })
	calibOnce = sync.OnceValues(func() (*Set, error) { return decodeEmbedded("mnist-calib", calibImagesFile, calibLabelsFile) })
)

// MNISTTest returns the 10,000-image MNIST test set embedded in the binary.
// The gzip files are decoded once per process; each call returns its own
// copy, so callers may modify it.
func MNISTTest() (*Set, error) { return cloned(testOnce()) }

// MNISTCalib returns the calibration subset embedded in the binary: the
// first CalibImages images of the MNIST training set with their labels
// (disjoint from the test set, so calibrating on it does not leak test data
// into quantization).
func MNISTCalib() (*Set, error) { return cloned(calibOnce()) }

func cloned(s *Set, err error) (*Set, error) {
	if err != nil {
		return nil, err
	}
	c := *s
	c.Pixels = append([]uint8(nil), s.Pixels...)
	c.Labels = append([]uint8(nil), s.Labels...)
	return &c, nil
}

// Subset returns images [start, start+n) as a new Set sharing s's memory.
func (s *Set) Subset(start, n int) (*Set, error) {
	if err := s.checkRange(start, n); err != nil {
		return nil, err
	}
	sz := s.Rows * s.Cols
	c := *s
	c.N = n
	c.Pixels = s.Pixels[start*sz : (start+n)*sz : (start+n)*sz]
	c.Labels = s.Labels[start : start+n : start+n]
	return &c, nil
}

func (s *Set) checkRange(start, n int) error {
	// A Set built by hand could disagree with itself; catch that here so
	// slicing below can never panic.
	// Divisions instead of N*Rows*Cols so no product can overflow.
	if s.N < 0 || s.Rows <= 0 || s.Cols <= 0 || len(s.Labels) != s.N ||
		len(s.Pixels)%s.Rows != 0 || len(s.Pixels)/s.Rows%s.Cols != 0 || len(s.Pixels)/s.Rows/s.Cols != s.N {
		return invalidf("%s: inconsistent set: N=%d rows=%d cols=%d with %d pixel bytes and %d labels",
			s.Name, s.N, s.Rows, s.Cols, len(s.Pixels), len(s.Labels))
	}
	if start < 0 || n < 0 || start > s.N || n > s.N-start {
		return invalidf("%s: images [%d, %d+%d) out of range (set has %d)", s.Name, start, start, n, s.N)
	}
	return nil
}

// LabelInts returns labels [start, start+n) as ints.
func (s *Set) LabelInts(start, n int) ([]int, error) {
	if err := s.checkRange(start, n); err != nil {
		return nil, err
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(s.Labels[start+i])
	}
	return out, nil
}

// Layout is the memory layout of an image batch tensor.
type Layout int

// Layouts a batch can be built in. All hold the same values in the same
// order (the images have one channel); only the shape differs.
const (
	NCHW Layout = iota // [n, 1, rows, cols] (PyTorch)
	NHWC               // [n, rows, cols, 1] (TensorFlow/Keras)
	NHW                // [n, rows, cols]
	Flat               // [n, rows*cols] (MLPs without a Flatten node)
)

func (l Layout) String() string {
	switch l {
	case NCHW:
		return "NCHW"
	case NHWC:
		return "NHWC"
	case NHW:
		return "NHW"
	case Flat:
		return "flat"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// Shape returns the tensor shape of a batch of n images in layout l.
func (l Layout) Shape(n, rows, cols int) ([]int, error) {
	switch l {
	case NCHW:
		return []int{n, 1, rows, cols}, nil
	case NHWC:
		return []int{n, rows, cols, 1}, nil
	case NHW:
		return []int{n, rows, cols}, nil
	case Flat:
		return []int{n, rows * cols}, nil
	}
	return nil, invalidf("unknown layout %d", int(l))
}

// dimIs reports whether declared dim d can hold size v: a fixed dim must
// equal it, a symbolic or unknown dim accepts any size.
func dimIs(d importer.Dim, v int) bool {
	return d.Value <= 0 || d.Value == int64(v)
}

func dimFixed(d importer.Dim, v int) bool { return d.Value == int64(v) }

// LayoutFor picks the layout that feeds rows×cols single-channel images to a
// model input of the given declared shape (dimension 0 is the batch and is
// not checked). Rank 4 with channel dim 1 in position 1 is NCHW, in position
// 3 is NHWC; rank 3 is NHW; rank 2 is Flat with rows*cols features. Symbolic
// or unknown dims match anything, but a rank-4 shape must pin the channel
// position with a fixed 1 so the choice is never a guess.
func LayoutFor(shape []importer.Dim, rows, cols int) (Layout, error) {
	return ImageLayout(shape, 1, rows, cols)
}

func fmtDims(shape []importer.Dim) string {
	b := []byte{'['}
	for i, d := range shape {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case d.Param != "":
			b = append(b, d.Param...)
		case d.Value > 0:
			b = fmt.Appendf(b, "%d", d.Value)
		default:
			b = append(b, '?')
		}
	}
	return string(append(b, ']'))
}

// LayoutFor is LayoutFor with the set's image size.
func (s *Set) LayoutFor(shape []importer.Dim) (Layout, error) {
	return LayoutFor(shape, s.Rows, s.Cols)
}

// Batch returns images [start, start+n) as a float32 tensor in the given
// layout, each pixel p mapped to
//
//	x = (p/255 - mean) / std
//
// in float32 arithmetic, the same operations in the same order as
// torchvision's ToTensor followed by Normalize, so the values are bitwise
// equal to what PyTorch feeds the model. (MNIST's usual mean and std are
// 0.1307 and 0.3081; mean 0, std 1 gives plain p/255.)
func (s *Set) Batch(start, n int, layout Layout, mean, std float32) (*importer.Tensor, error) {
	if err := s.checkRange(start, n); err != nil {
		return nil, err
	}
	if !(std != 0) || std != std || mean != mean {
		return nil, invalidf("normalization mean %v std %v: std must be a non-zero number", mean, std)
	}
	shape, err := layout.Shape(n, s.Rows, s.Cols)
	if err != nil {
		return nil, err
	}
	// Only 256 distinct inputs exist: a table computes each once and keeps
	// the per-pixel work to a load.
	var lut [256]float32
	for p := range lut {
		lut[p] = (float32(p)/255 - mean) / std
	}
	sz := s.Rows * s.Cols
	src := s.Pixels[start*sz : (start+n)*sz]
	out := make([]float32, len(src))
	parallelChunks(len(src), func(lo, hi int) {
		for i, p := range src[lo:hi] {
			out[lo+i] = lut[p]
		}
	})
	return &importer.Tensor{DType: importer.Float, Shape: shape, Float: out}, nil
}

// BatchFor builds a batch shaped for the model input in: the layout comes
// from its declared shape (see LayoutFor).
func (s *Set) BatchFor(in importer.ValueInfo, start, n int, mean, std float32) (*importer.Tensor, error) {
	l, err := s.LayoutFor(in.Shape)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", in.Name, err)
	}
	return s.Batch(start, n, l, mean, std)
}

// parallelChunks splits [0,n) over the available cores when the work is
// large enough to pay for the goroutines.
func parallelChunks(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || n < 1<<18 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
