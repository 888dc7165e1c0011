package dataset

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestFolderMatchesTorchvision checks the image-folder source against
// torchvision 0.14 on PIL (testdata/folder/gen_reference.py): the sample
// order, the labels and every preprocessed value, for downscaling,
// upscaling, padding crops and non-square crops. PNG images must match
// exactly; JPEG images within the IDCT and color-conversion rounding of two
// different inverse DCTs (libjpeg's vs Go's image/jpeg).
func TestFolderMatchesTorchvision(t *testing.T) {
	dir := filepath.Join("testdata", "folder")
	norm := Normalize{Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	wantLabels, err := ReadLabelsNPY(filepath.Join(dir, "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "files.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		files = append(files, sc.Text())
	}
	f.Close()
	for _, tc := range []struct {
		name         string
		resize, h, w int
	}{
		{"down_r16_c14", 16, 14, 14},
		{"up_r48_c40x44", 48, 40, 44},
		{"pad_r10_c12", 10, 12, 12},
		{"odd_r21_c11x16", 21, 11, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(Spec{Data: filepath.Join(dir, "images"), Norm: norm, Resize: tc.resize})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(src.Labels(), wantLabels) {
				t.Fatalf("labels %v, torchvision %v", src.Labels(), wantLabels)
			}
			in := importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Value: int64(tc.h)}, {Value: int64(tc.w)}}}
			if err := src.Fit(in); err != nil {
				t.Fatal(err)
			}
			got, err := src.Batch(in, 0, src.Len())
			if err != nil {
				t.Fatal(err)
			}
			want, err := ReadNPY(filepath.Join(dir, tc.name+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape, want.Shape) {
				t.Fatalf("shape %v, torchvision %v", got.Shape, want.Shape)
			}
			per := len(want.Float) / want.Shape[0]
			for i, name := range files {
				g, w := got.Float[i*per:(i+1)*per], want.Float[i*per:(i+1)*per]
				// One 8-bit step after normalization is 1/255/std.
				step := 1 / 255.0 / 0.224
				tol, meanTol := 0.0, 0.0
				switch {
				case strings.HasSuffix(name, ".jpg"), strings.HasSuffix(name, ".jpeg"):
					// Chroma upsampling and color conversion are libjpeg's
					// (jpegcolor.go); only the inverse DCT differs (Go's vs
					// libjpeg's), by a unit or two on a few samples.
					tol, meanTol = 2.5*step, 0.1*step
				}
				maxd, sum := 0.0, 0.0
				for j := range g {
					d := math.Abs(float64(g[j]) - float64(w[j]))
					maxd = max(maxd, d)
					sum += d
				}
				if maxd > tol || sum/float64(len(g)) > meanTol {
					t.Errorf("%s: max |diff| %.3g (%.2f steps), mean %.3g; allowed %.3g, mean %.3g", name, maxd, maxd/step, sum/float64(len(g)), tol, meanTol)
				}
			}
		})
	}
}

// TestPILResizeCoefficients checks the resampling filter against values
// worked out by hand from PIL's definition: halving a width of 4, output 0
// is centred at 1.0 with a triangle of half-width 2 over pixel centres 0.5,
// 1.5, 2.5: weights 0.75, 0.75, 0.25, normalized to 3/7, 3/7, 1/7.
func TestPILResizeCoefficients(t *testing.T) {
	bounds, kk, ks := resampleCoeffs(4, 2)
	if ks != 5 || !slices.Equal(bounds, []int{0, 3, 1, 3}) {
		t.Fatalf("ksize %d bounds %v", ks, bounds)
	}
	one := float64(int32(1) << precisionBits)
	for i, w := range []float64{3.0 / 7, 3.0 / 7, 1.0 / 7} {
		if got := float64(kk[i]) / one; math.Abs(got-w) > 1e-6 {
			t.Errorf("tap %d: %g, want %g", i, got, w)
		}
	}
	// An identity-size resize is a copy.
	src := []uint8{1, 2, 3, 4, 5, 6}
	if got := resizePlane(src, 3, 2, 3, 2); !slices.Equal(got, src) {
		t.Errorf("same-size resize %v", got)
	}
}

// TestFolderRefusesUndecodable: a .bmp in a class folder is refused with its
// path, never skipped (torchvision would read it and the samples would
// differ).
func TestFolderRefusesUndecodable(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	os.WriteFile(filepath.Join(root, "a", "x.bmp"), []byte("BM"), 0o644)
	_, err := Open(Spec{Data: root})
	if err == nil || !strings.Contains(err.Error(), "x.bmp") {
		t.Fatalf("err = %v, want a refusal naming x.bmp", err)
	}
	if _, err := Open(Spec{Data: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no class") {
		t.Fatalf("empty folder: err = %v", err)
	}
}
