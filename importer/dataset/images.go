package dataset

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// imageSource is a source of 8-bit images of C channels: MNIST and IDX
// sets, CIFAR files, uint8 .npy arrays and image folders. Its batches are
// the normalized pixels in the layout the model input declares.
type imageSource struct {
	name   string
	n      int
	labels []int
	norm   Normalize
	// c, h, w are the image size; h and w are 0 for an image folder, whose
	// images are resized and cropped to the model's input size.
	c, h, w int
	// pixels returns images [start, start+n) as n×c×h×w bytes, each image
	// channel-major (CHW), for images of h×w.
	pixels func(start, n, h, w int) ([]uint8, error)
}

func (s *imageSource) Name() string  { return s.name }
func (s *imageSource) Len() int      { return s.n }
func (s *imageSource) Labels() []int { return s.labels }

// shape resolves the layout and image size for a model input.
func (s *imageSource) shape(in importer.ValueInfo) (Layout, int, int, error) {
	h, w := s.h, s.w
	if h == 0 { // resizable: take the model's input size
		var ok bool
		if h, w, ok = fixedImageSize(in.Shape, s.c); !ok {
			return 0, 0, 0, fmt.Errorf("model input %q: %w", in.Name,
				invalidf("%s: shape %s must fix the height and width (and %d channels, NCHW or NHWC) to resize and crop images to", s.name, fmtDims(in.Shape), s.c))
		}
	}
	l, err := ImageLayout(in.Shape, s.c, h, w)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("model input %q does not take %s: %w", in.Name, s.name, err)
	}
	return l, h, w, nil
}

// Fit implements Source.
func (s *imageSource) Fit(in importer.ValueInfo) error {
	if _, _, _, err := s.shape(in); err != nil {
		return err
	}
	if in.DType.IsInteger() || in.DType == importer.Bool {
		if lo, hi := in.DType.IntRange(); lo > 0 || hi < 255 {
			return fmt.Errorf("model input %q: %w", in.Name, invalidf("it is %v, which cannot hold the 8-bit values 0..255 of %s", in.DType, s.name))
		}
		return nil
	}
	_, _, err := s.norm.forChannels(s.c)
	return err
}

// Batch implements Source.
func (s *imageSource) Batch(in importer.ValueInfo, start, n int) (*importer.Tensor, error) {
	if start < 0 || n < 0 || start > s.n || n > s.n-start {
		return nil, invalidf("%s: samples [%d, %d+%d) out of range (it has %d)", s.name, start, start, n, s.n)
	}
	l, h, w, err := s.shape(in)
	if err != nil {
		return nil, err
	}
	// A model whose input is an integer type takes the bytes themselves
	// (its graph normalizes them): pixel p is fed as p.
	raw := in.DType.IsInteger()
	var mean, std []float32
	if !raw {
		if mean, std, err = s.norm.forChannels(s.c); err != nil {
			return nil, err
		}
	}
	px, err := s.pixels(start, n, h, w)
	if err != nil {
		return nil, err
	}
	if len(px) != n*s.c*h*w {
		return nil, fmt.Errorf("%s: %d pixel bytes for %d images of %d×%d×%d", s.name, len(px), n, s.c, h, w)
	}
	shape, err := l.ShapeC(n, s.c, h, w)
	if err != nil {
		return nil, err
	}
	return &importer.Tensor{DType: importer.Float, Shape: shape, Float: normalize(px, s.c, h*w, l == NHWC, mean, std, raw)}, nil
}

// normalize maps CHW images to floats with a per-channel table (only 256
// inputs exist per channel), writing HWC order when hwc is set; raw keeps
// the byte values (mean and std unused).
func normalize(px []uint8, c, hw int, hwc bool, mean, std []float32, raw bool) []float32 {
	lut := make([][256]float32, c)
	for ch := range c {
		for p := range 256 {
			if raw {
				lut[ch][p] = float32(p)
			} else {
				lut[ch][p] = (float32(p)/255 - mean[ch]) / std[ch]
			}
		}
	}
	out := make([]float32, len(px))
	per := c * hw
	parallelChunks(len(px)/max(per, 1), func(lo, hi int) {
		for img := lo; img < hi; img++ {
			src, dst := px[img*per:(img+1)*per], out[img*per:(img+1)*per]
			for ch := range c {
				t := &lut[ch]
				plane := src[ch*hw : (ch+1)*hw]
				if hwc {
					for i, p := range plane {
						dst[i*c+ch] = t[p]
					}
				} else {
					for i, p := range plane {
						dst[ch*hw+i] = t[p]
					}
				}
			}
		}
	})
	return out
}

// fixedImageSize reads a fixed height and width from an NCHW or NHWC input
// shape with c channels.
func fixedImageSize(shape []importer.Dim, c int) (h, w int, ok bool) {
	if len(shape) != 4 {
		return 0, 0, false
	}
	switch {
	case dimFixed(shape[1], c) && shape[2].Value > 0 && shape[3].Value > 0:
		return int(shape[2].Value), int(shape[3].Value), true
	case dimFixed(shape[3], c) && shape[1].Value > 0 && shape[2].Value > 0:
		return int(shape[1].Value), int(shape[2].Value), true
	}
	return 0, 0, false
}

// ShapeC returns the tensor shape of a batch of n images of c channels in
// layout l (NHW and Flat only for one channel).
func (l Layout) ShapeC(n, c, rows, cols int) ([]int, error) {
	switch l {
	case NCHW:
		return []int{n, c, rows, cols}, nil
	case NHWC:
		return []int{n, rows, cols, c}, nil
	case NHW, Flat:
		if c == 1 {
			return l.Shape(n, rows, cols)
		}
	}
	return nil, invalidf("layout %s cannot hold %d-channel images", l, c)
}

// ImageLayout picks the layout that feeds h×w images of c channels to a
// model input of the given declared shape (dimension 0 is the batch and is
// not checked). Rank 4 with the channel count fixed in position 1 is NCHW,
// in position 3 NHWC; single-channel images also go to rank 3 (NHW) and
// rank 2 (Flat, h*w features). Symbolic or unknown dims match anything, but
// the channel position must be pinned by a fixed dimension so the choice is
// never a guess.
func ImageLayout(shape []importer.Dim, c, h, w int) (Layout, error) {
	switch len(shape) {
	case 4:
		nchw := dimFixed(shape[1], c) && dimIs(shape[2], h) && dimIs(shape[3], w)
		nhwc := dimIs(shape[1], h) && dimIs(shape[2], w) && dimFixed(shape[3], c)
		switch {
		case nchw && nhwc:
			return 0, invalidf("input shape %s is ambiguous between NCHW and NHWC for %d×%d images of %d channel(s)", fmtDims(shape), h, w, c)
		case nchw:
			return NCHW, nil
		case nhwc:
			return NHWC, nil
		}
	case 3:
		if c == 1 && dimIs(shape[1], h) && dimIs(shape[2], w) {
			return NHW, nil
		}
	case 2:
		if c == 1 && dimIs(shape[1], h*w) {
			return Flat, nil
		}
	}
	if c == 1 {
		return 0, invalidf("input shape %s does not take %dx%d single-channel images (want [N,1,%d,%d], [N,%d,%d,1], [N,%d,%d] or [N,%d])",
			fmtDims(shape), h, w, h, w, h, w, h, w, h*w)
	}
	return 0, invalidf("input shape %s does not take %dx%d images of %d channels (want [N,%d,%d,%d] or [N,%d,%d,%d])",
		fmtDims(shape), h, w, c, c, h, w, h, w, c)
}

// NewSetSource is a Source over a Set (MNIST or an IDX pair), normalized
// with norm.
func NewSetSource(set *Set, name string, norm Normalize) (Source, error) {
	if err := set.checkRange(0, set.N); err != nil {
		return nil, err
	}
	labels, err := set.LabelInts(0, set.N)
	if err != nil {
		return nil, err
	}
	if set.Labels == nil {
		labels = nil
	}
	sz := set.Rows * set.Cols
	return &imageSource{name: name, n: set.N, labels: labels, norm: norm, c: 1, h: set.Rows, w: set.Cols,
		pixels: func(start, n, _, _ int) ([]uint8, error) { return set.Pixels[start*sz : (start+n)*sz], nil }}, nil
}
