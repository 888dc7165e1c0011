package dataset

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// cifarDir holds the first 846 CIFAR-10 test images in the official binary
// format and as .npy (shared test data outside the repository).
const cifarDir = "../../../shared/data"

func cifarInput(layout string) importer.ValueInfo {
	if layout == "NHWC" {
		return importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 32}, {Value: 32}, {Value: 3}}}
	}
	return importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Value: 32}, {Value: 32}}}
}

// TestCIFARBinaryAgreesWithNPY reads the same 846 CIFAR-10 images from the
// official binary format and from an independently written uint8 .npy
// [846,3,32,32] with int64 labels: labels and every normalized value must be
// equal, and the first ten labels are the published ones.
func TestCIFARBinaryAgreesWithNPY(t *testing.T) {
	bin := filepath.Join(cifarDir, "cifar10_test_first846.bin")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("shared CIFAR-10 data absent")
	}
	norm := Normalize{Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.2023, 0.1994, 0.2010}}
	a, err := Open(Spec{Data: bin, Norm: norm})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(Spec{Data: filepath.Join(cifarDir, "cifar10_test_first846_images_u8.npy"),
		Labels: filepath.Join(cifarDir, "cifar10_test_first846_labels.npy"), Norm: norm})
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 846 || b.Len() != 846 {
		t.Fatalf("lengths %d, %d; want 846", a.Len(), b.Len())
	}
	if !slices.Equal(a.Labels(), b.Labels()) {
		t.Fatal("labels differ between the .bin and the .npy")
	}
	if got := a.Labels()[:10]; !slices.Equal(got, []int{3, 8, 8, 0, 6, 6, 1, 6, 3, 1}) {
		t.Fatalf("first labels %v", got)
	}
	for _, layout := range []string{"NCHW", "NHWC"} {
		in := cifarInput(layout)
		xa, err := a.Batch(in, 100, 300)
		if err != nil {
			t.Fatal(err)
		}
		xb, err := b.Batch(in, 100, 300)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(xa.Shape, xb.Shape) || !slices.Equal(xa.Float, xb.Float) {
			t.Fatalf("%s: batches differ", layout)
		}
	}
	// Per-channel normalization, checked on one pixel: image 0, green
	// channel, row 5, col 7, in NCHW and in NHWC.
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	p := raw[1+1024+5*32+7]
	want := (float32(p)/255 - 0.4822) / 0.1994
	nchw, _ := a.Batch(cifarInput("NCHW"), 0, 1)
	nhwc, _ := a.Batch(cifarInput("NHWC"), 0, 1)
	if nchw.Float[1024+5*32+7] != want || nhwc.Float[(5*32+7)*3+1] != want {
		t.Fatalf("pixel: NCHW %v NHWC %v, want %v", nchw.Float[1024+5*32+7], nhwc.Float[(5*32+7)*3+1], want)
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func tmpNPY(t *testing.T, name string, x *importer.Tensor) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := WriteNPY(p, x); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenRefuses: each malformed input is refused with ErrInvalidData (or
// a path error) and a message naming the file and what is wrong.
func TestOpenRefuses(t *testing.T) {
	nan := float32(0)
	nan = nan / nan
	x := &importer.Tensor{DType: importer.Float, Shape: []int{2, 3}, Float: []float32{0, 1, 2, 3, nan, 5}}
	nanFile := tmpNPY(t, "nan.npy", x)
	labels := tmpNPY(t, "l.npy", &importer.Tensor{DType: importer.Int64, Shape: []int{3}, Int: []int64{0, 1, 2}})
	cifarBad := make([]byte, 2*(1+cifarPixels))
	cifarBad[1+cifarPixels] = 10 // second record: label 10
	cifar100 := make([]byte, 3*(2+cifarPixels))
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"nan", Spec{Data: nanFile}, "element [1 1] (flat index 4) is NaN"},
		{"labels count", Spec{Data: tmpNPY(t, "ok.npy", &importer.Tensor{DType: importer.Float, Shape: []int{2, 3}, Float: make([]float32, 6)}), Labels: labels}, "has 3 labels"},
		{"mean on floats", Spec{Data: tmpNPY(t, "f.npy", &importer.Tensor{DType: importer.Float, Shape: []int{1, 1}, Float: []float32{1}}), Norm: Normalize{Mean: []float32{0.5}}}, "8-bit images only"},
		{"directory labels", Spec{Data: tmpNPY(t, "g.npy", &importer.Tensor{DType: importer.Float, Shape: []int{1, 1}, Float: []float32{1}}), Labels: t.TempDir()}, "is a directory"},
		{"cifar label", Spec{Data: writeFile(t, "c.bin", cifarBad)}, "record 1 has label 10"},
		{"cifar labels file", Spec{Data: writeFile(t, "d.bin", cifarBad), Labels: labels}, "carries its own labels"},
		{"unknown", Spec{Data: writeFile(t, "x.txt", []byte("hello"))}, "unknown data format"},
		{"mnist labels", Spec{Data: "mnist", Labels: labels}, "carry their own labels"},
		{"missing", Spec{Data: filepath.Join(t.TempDir(), "nope.npy")}, "no such file"},
		{"cifar100 prefix", Spec{Data: "cifar10:" + writeFile(t, "e.bin", cifar100)}, "not a whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// CIFAR-100 is detected by its record size; the fine label is the class.
	cifar100[2+cifarPixels] = 3
	cifar100[2+cifarPixels+1] = 42
	src, err := Open(Spec{Data: writeFile(t, "f.bin", cifar100)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(src.Labels(), []int{0, 42, 0}) {
		t.Fatalf("CIFAR-100 labels %v", src.Labels())
	}
}

// TestNormalizeChannels: one value applies to every channel, a list must
// have one value per channel.
func TestNormalizeChannels(t *testing.T) {
	m, s, err := Normalize{Mean: []float32{0.5}, Std: []float32{0.25}}.forChannels(3)
	if err != nil || !slices.Equal(m, []float32{0.5, 0.5, 0.5}) || !slices.Equal(s, []float32{0.25, 0.25, 0.25}) {
		t.Fatalf("%v %v %v", m, s, err)
	}
	if _, _, err := (Normalize{Mean: []float32{0.1, 0.2}, Std: []float32{1}}).forChannels(3); err == nil || !strings.Contains(err.Error(), "mean has 2 values") {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := (Normalize{Mean: []float32{0}, Std: []float32{0}}).forChannels(1); err == nil {
		t.Fatal("std 0 accepted")
	}
}

// TestNPYSourceReadsBatches: a float .npy source reads its samples from the
// file a batch at a time; every batch equals the same samples of the whole
// array decoded at once (float32 and float64), and a NaN past the first
// megabyte (a later chunk of the open-time check) is found with its index.
func TestNPYSourceReadsBatches(t *testing.T) {
	const n, per = 3000, 105 // 1.26 MB of float32: two chunks of the check
	shape := []int{n, 3, 5, 7}
	for _, dt := range []importer.DataType{importer.Float, importer.Double} {
		x := &importer.Tensor{DType: dt, Shape: shape, Float: make([]float32, n*per)}
		for i := range x.Float {
			x.Float[i] = float32(i%977)/97 - 5
		}
		path := tmpNPY(t, dt.String()+".npy", x)
		whole, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		src, err := Open(Spec{Data: path})
		if err != nil {
			t.Fatal(err)
		}
		if src.Len() != n {
			t.Fatalf("%v: %d samples, want %d", dt, src.Len(), n)
		}
		in := importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 3}, {Value: 5}, {Value: 7}}}
		for _, r := range [][2]int{{0, 1}, {0, 64}, {1000, 777}, {2999, 1}, {0, n}} {
			b, err := src.Batch(in, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			if b.DType != importer.Float || !slices.Equal(b.Shape, []int{r[1], 3, 5, 7}) {
				t.Fatalf("%v batch %v: %v %v", dt, r, b.DType, b.Shape)
			}
			if !slices.Equal(b.Float, whole.Float[r[0]*per:(r[0]+r[1])*per]) {
				t.Fatalf("%v batch %v differs from the decoded array", dt, r)
			}
		}
		if _, err := src.Batch(in, 2999, 2); err == nil {
			t.Fatalf("%v: batch past the end accepted", dt)
		}
	}
	x := &importer.Tensor{DType: importer.Float, Shape: shape, Float: make([]float32, n*per)}
	x.Float[2900*per+8] = float32(math.Inf(-1))
	_, err := Open(Spec{Data: tmpNPY(t, "inf.npy", x)})
	if want := "element [2900 0 1 1] (flat index 304508) is -Inf"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}
