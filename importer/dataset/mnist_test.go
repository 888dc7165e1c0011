package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/rramc/rramc/importer"
)

// Expected values were computed once with Python/NumPy directly from the
// original GoMNIST gzip files (gzip.open + np.frombuffer), independently of
// this package's IDX reader.
var mnistTruth = []struct {
	name       string
	load       func() (*Set, error)
	n          int
	firstLbls  []uint8
	histogram  [10]int
	pixelSum   int64
	pixelsHash string // sha256 of all pixel bytes
	labelsHash string // sha256 of all label bytes
	imgSums    map[int]int64
}{
	{
		name: "test", load: MNISTTest, n: 10000,
		firstLbls:  []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5, 9, 7, 3, 4},
		histogram:  [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
		pixelSum:   264923200,
		pixelsHash: "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
		labelsHash: "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
		imgSums:    map[int]int64{0: 18454, 1: 28850, 2: 9871},
	},
	{
		name: "calib", load: MNISTCalib, n: CalibImages,
		firstLbls:  []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7, 2, 8, 6, 9},
		histogram:  [10]int{192, 227, 203, 196, 220, 184, 205, 229, 179, 213},
		pixelSum:   53448735,
		pixelsHash: "67bcd22a234c7a9f48453a6e673df99d582467ae9ea1d8b09b8d1b8fa57255da",
		labelsHash: "8720396f156c289c9824f662befa1b16aaa3974d2f85d51f4d1b1ed16aa8f596",
		imgSums:    map[int]int64{0: 27525, 1: 31095, 2047: 16131},
	},
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestMNISTEmbedded(t *testing.T) {
	for _, tc := range mnistTruth {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.load()
			if err != nil {
				t.Fatal(err)
			}
			if s.N != tc.n || s.Rows != 28 || s.Cols != 28 || len(s.Pixels) != tc.n*784 || len(s.Labels) != tc.n {
				t.Fatalf("got N=%d %dx%d, %d pixels %d labels", s.N, s.Rows, s.Cols, len(s.Pixels), len(s.Labels))
			}
			for i, l := range tc.firstLbls {
				if s.Labels[i] != l {
					t.Errorf("label %d = %d, want %d", i, s.Labels[i], l)
				}
			}
			var hist [10]int
			for _, l := range s.Labels {
				hist[l]++
			}
			if hist != tc.histogram {
				t.Errorf("label histogram %v, want %v", hist, tc.histogram)
			}
			var sum int64
			for _, p := range s.Pixels {
				sum += int64(p)
			}
			if sum != tc.pixelSum {
				t.Errorf("pixel sum %d, want %d", sum, tc.pixelSum)
			}
			for i, want := range tc.imgSums {
				var got int64
				for _, p := range s.Pixels[i*784 : (i+1)*784] {
					got += int64(p)
				}
				if got != want {
					t.Errorf("image %d pixel sum %d, want %d", i, got, want)
				}
			}
			if h := sha(s.Pixels); h != tc.pixelsHash {
				t.Errorf("pixels sha256 %s, want %s", h, tc.pixelsHash)
			}
			if h := sha(s.Labels); h != tc.labelsHash {
				t.Errorf("labels sha256 %s, want %s", h, tc.labelsHash)
			}
		})
	}
}

func TestMNISTFirstImageRow(t *testing.T) {
	s, err := MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	// Row 7 of test images 0..2, from NumPy.
	want := map[int][]uint8{
		0: {0, 0, 0, 0, 0, 0, 84, 185, 159, 151, 60, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		1: {0, 0, 0, 0, 0, 0, 0, 77, 251, 210, 25, 0, 0, 0, 122, 248, 253, 65, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		2: {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 45, 244, 150, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	for img, row := range want {
		got := s.Pixels[img*784+7*28 : img*784+8*28]
		for j := range row {
			if got[j] != row[j] {
				t.Fatalf("image %d row 7 = %v, want %v", img, got, row)
			}
		}
	}
}

func TestMNISTReturnsCopies(t *testing.T) {
	a, err := MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	a.Pixels[0], a.Labels[0] = 99, 99
	b, err := MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	if b.Pixels[0] != 0 || b.Labels[0] != 7 {
		t.Fatalf("modifying one returned set changed another: pixel %d label %d", b.Pixels[0], b.Labels[0])
	}
}

func TestBatch(t *testing.T) {
	s, err := MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	const mean, std = float32(0.1307), float32(0.3081)
	for _, tc := range []struct {
		layout Layout
		shape  []int
	}{
		{NCHW, []int{3, 1, 28, 28}},
		{NHWC, []int{3, 28, 28, 1}},
		{NHW, []int{3, 28, 28}},
		{Flat, []int{3, 784}},
	} {
		t.Run(tc.layout.String(), func(t *testing.T) {
			x, err := s.Batch(1, 3, tc.layout, mean, std)
			if err != nil {
				t.Fatal(err)
			}
			if x.DType != importer.Float || !equalInts(x.Shape, tc.shape) || len(x.Float) != 3*784 {
				t.Fatalf("dtype %d shape %v len %d, want float %v", x.DType, x.Shape, len(x.Float), tc.shape)
			}
			for i, v := range x.Float {
				p := s.Pixels[784+i]
				// Same float32 operation sequence written out per
				// element, without the lookup table.
				f := float32(p)
				f /= 255
				f -= mean
				f /= std
				if v != f {
					t.Fatalf("element %d (pixel %d) = %v, want %v", i, p, v, f)
				}
			}
		})
	}
	// Values recorded from NumPy: (np.float32(p)/255 - np.float32(0.1307))/np.float32(0.3081)
	x, err := s.Batch(0, 1, NCHW, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		idx  int
		want float32
	}{
		{0, -0.42421296}, {7*28 + 6, 0.64495873}, {7*28 + 7, 1.9305104},
	} {
		if x.Float[c.idx] != c.want {
			t.Errorf("x[%d] = %.8g, want %.8g", c.idx, x.Float[c.idx], c.want)
		}
	}
}

func TestBatchErrors(t *testing.T) {
	s, err := MNISTCalib()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		start, n  int
		layout    Layout
		mean, std float32
	}{
		{"negative start", -1, 2, NCHW, 0, 1},
		{"negative n", 0, -2, NCHW, 0, 1},
		{"past end", CalibImages - 1, 2, NCHW, 0, 1},
		{"start past end", CalibImages + 1, 0, NCHW, 0, 1},
		{"zero std", 0, 1, NCHW, 0, 0},
		{"bad layout", 0, 1, Layout(9), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Batch(tc.start, tc.n, tc.layout, tc.mean, tc.std)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("err = %v, want ErrInvalidData", err)
			}
		})
	}
	bad := &Set{Name: "bad", N: 2, Rows: 28, Cols: 28, Pixels: make([]uint8, 784), Labels: []uint8{1, 2}}
	if _, err := bad.Batch(0, 1, NCHW, 0, 1); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("inconsistent set: err = %v", err)
	}
	if x, err := s.Batch(CalibImages, 0, NCHW, 0, 1); err != nil || len(x.Float) != 0 {
		t.Fatalf("empty batch at end: %v", err)
	}
}

func TestSubsetAndLabels(t *testing.T) {
	s, err := MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subset(2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if sub.N != 3 || sub.Labels[0] != 1 || sub.Pixels[7*28+15] != 45 {
		t.Fatalf("subset: N=%d label %d pixel %d", sub.N, sub.Labels[0], sub.Pixels[7*28+15])
	}
	l, err := s.LabelInts(0, 4)
	if err != nil || !equalInts(l, []int{7, 2, 1, 0}) {
		t.Fatalf("LabelInts = %v, %v", l, err)
	}
	if _, err := s.Subset(9999, 2); err == nil {
		t.Fatal("Subset past end: no error")
	}
}

func d(v int64) importer.Dim { return importer.Dim{Value: v} }

var batchDim = importer.Dim{Param: "batch"}

func TestLayoutFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape []importer.Dim
		want  Layout
		ok    bool
	}{
		{"nchw", []importer.Dim{batchDim, d(1), d(28), d(28)}, NCHW, true},
		{"nchw fixed batch", []importer.Dim{d(1), d(1), d(28), d(28)}, NCHW, true},
		{"nchw symbolic hw", []importer.Dim{batchDim, d(1), {Param: "h"}, {}}, NCHW, true},
		{"nhwc", []importer.Dim{batchDim, d(28), d(28), d(1)}, NHWC, true},
		{"nhwc unknown batch", []importer.Dim{{}, d(28), d(28), d(1)}, NHWC, true},
		{"nhw", []importer.Dim{batchDim, d(28), d(28)}, NHW, true},
		{"flat", []importer.Dim{batchDim, d(784)}, Flat, true},
		{"flat symbolic", []importer.Dim{batchDim, {Param: "f"}}, Flat, true},
		{"three channels", []importer.Dim{batchDim, d(3), d(28), d(28)}, 0, false},
		{"wrong size", []importer.Dim{batchDim, d(1), d(32), d(32)}, 0, false},
		{"flat wrong", []importer.Dim{batchDim, d(785)}, 0, false},
		{"ambiguous channel", []importer.Dim{batchDim, {}, {}, {}}, 0, false},
		{"rank 1", []importer.Dim{batchDim}, 0, false},
		{"rank 5", []importer.Dim{batchDim, d(1), d(1), d(28), d(28)}, 0, false},
		{"unknown rank", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LayoutFor(tc.shape, 28, 28)
			if tc.ok && (err != nil || got != tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidData) {
				t.Fatalf("got %v, %v; want ErrInvalidData", got, err)
			}
		})
	}
}

func TestBatchFor(t *testing.T) {
	s, err := MNISTCalib()
	if err != nil {
		t.Fatal(err)
	}
	in := importer.ValueInfo{Name: "input", DType: importer.Float, Shape: []importer.Dim{batchDim, d(28), d(28), d(1)}}
	x, err := s.BatchFor(in, 0, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(x.Shape, []int{2, 28, 28, 1}) || x.Float[7*28+6] != float32(s.Pixels[7*28+6])/255 {
		t.Fatalf("shape %v", x.Shape)
	}
	in.Shape = []importer.Dim{batchDim, d(3), d(224), d(224)}
	if _, err := s.BatchFor(in, 0, 2, 0, 1); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("err = %v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func BenchmarkMNISTTestDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeEmbedded("t", testImagesFile, testLabelsFile); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatch10k(b *testing.B) {
	s, err := MNISTTest()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Batch(0, s.N, NCHW, 0.1307, 0.3081); err != nil {
			b.Fatal(err)
		}
	}
}
