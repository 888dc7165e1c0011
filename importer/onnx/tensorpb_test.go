package onnx

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
)

// TestReadTensorPBOnnx reads files written by ONNX's numpy_helper
// (testdata/tensorpb/gen.py) and checks them against the generating formulas.
func TestReadTensorPBOnnx(t *testing.T) {
	const n = 24
	floats := make([]float32, n)
	ints := make([]int64, n)
	bools := make([]int64, n)
	for i := range n {
		floats[i] = float32(i-3) * 0.75
		ints[i] = int64(i*37%251 - 125)
		bools[i] = int64(i % 2)
	}
	add := func(v []int64, k int64) []int64 {
		out := slices.Clone(v)
		for i := range out {
			out[i] += k
		}
		return out
	}
	tests := []struct {
		file   string
		name   string
		dt     importer.DataType
		shape  []int
		floats []float32
		ints   []int64
	}{
		{"float32.pb", "t_float32", importer.Float, []int{2, 3, 4}, floats, nil},
		{"float32_typed.pb", "t_typed", importer.Float, []int{2, 3, 4}, floats, nil},
		{"float64.pb", "t_float64", importer.Double, []int{2, 3, 4}, floats, nil},
		{"float16.pb", "t_float16", importer.Float16, []int{2, 3, 4}, floats, nil}, // multiples of 0.75 up to 15 are exact in fp16
		{"int8.pb", "t_int8", importer.Int8, []int{2, 3, 4}, nil, ints},
		{"int16.pb", "t_int16", importer.Int16, []int{2, 3, 4}, nil, ints},
		{"int32.pb", "t_int32", importer.Int32, []int{2, 3, 4}, nil, ints},
		{"int64.pb", "t_int64", importer.Int64, []int{2, 3, 4}, nil, ints},
		{"uint8.pb", "t_uint8", importer.Uint8, []int{2, 3, 4}, nil, add(ints, 125)},
		{"bool.pb", "t_bool", importer.Bool, []int{2, 3, 4}, nil, bools},
		{"scalar.pb", "t_scalar", importer.Float, []int{}, []float32{2.5}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "tensorpb", tc.file)
			x, err := ReadTensorPB(path)
			if err != nil {
				t.Fatal(err)
			}
			if x.DType != tc.dt || !slices.Equal(x.Shape, tc.shape) || !slices.Equal(x.Float, tc.floats) || !slices.Equal(x.Int, tc.ints) {
				t.Fatalf("got %v %v %v %v", x.DType, x.Shape, x.Float, x.Int)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			name, _, err := DecodeTensorPB(data)
			if err != nil || name != tc.name {
				t.Errorf("name %q, err %v", name, err)
			}
			// Writing it back and reading again gives the same tensor.
			out := filepath.Join(t.TempDir(), "x.pb")
			if err := WriteTensorPB(out, x); err != nil {
				t.Fatal(err)
			}
			y, err := ReadTensorPB(out)
			if err != nil {
				t.Fatal(err)
			}
			if y.DType != x.DType || !slices.Equal(y.Shape, x.Shape) || !slices.Equal(y.Float, x.Float) || !slices.Equal(y.Int, x.Int) {
				t.Errorf("round trip: %v %v %v %v", y.DType, y.Shape, y.Float, y.Int)
			}
		})
	}
}

// TestTensorPBRoundTrip writes every element type and reads it back; for
// fp16/bf16 the values chosen are exactly representable.
func TestTensorPBRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tests := []*importer.Tensor{
		{DType: importer.Float, Shape: []int{2, 2}, Float: []float32{1, -2.5, float32(math.Inf(1)), 1e-30}},
		{DType: importer.Double, Shape: []int{3}, Float: []float32{1.1, -2, 0}},
		{DType: importer.Float16, Shape: []int{3}, Float: []float32{0.5, -65504, float32(math.Ldexp(1, -24))}},
		{DType: importer.BFloat16, Shape: []int{2}, Float: []float32{-3, 1 << 20}},
		{DType: importer.Int8, Shape: []int{2}, Int: []int64{-128, 127}},
		{DType: importer.Uint8, Shape: []int{2}, Int: []int64{0, 255}},
		{DType: importer.Int16, Shape: []int{1}, Int: []int64{-32768}},
		{DType: importer.Uint16, Shape: []int{1}, Int: []int64{65535}},
		{DType: importer.Int32, Shape: []int{2}, Int: []int64{math.MinInt32, math.MaxInt32}},
		{DType: importer.Uint32, Shape: []int{1}, Int: []int64{math.MaxUint32}},
		{DType: importer.Int64, Shape: []int{2, 1}, Int: []int64{math.MinInt64, math.MaxInt64}},
		{DType: importer.Uint64, Shape: []int{1}, Int: []int64{math.MaxInt64}},
		{DType: importer.Bool, Shape: []int{3}, Int: []int64{1, 0, 1}},
		{DType: importer.Float, Shape: []int{0, 3}, Float: []float32{}},
	}
	for _, x := range tests {
		t.Run(x.DType.String(), func(t *testing.T) {
			path := filepath.Join(dir, "t.pb")
			if err := WriteTensorPB(path, x); err != nil {
				t.Fatal(err)
			}
			y, err := ReadTensorPB(path)
			if err != nil {
				t.Fatal(err)
			}
			if y.DType != x.DType || !slices.Equal(y.Shape, x.Shape) || len(y.Float) != len(x.Float) || !slices.Equal(y.Int, x.Int) {
				t.Fatalf("got %+v, want %+v", y, x)
			}
			for i := range x.Float {
				if x.DType == importer.Double && float32(float64(x.Float[i])) != y.Float[i] || x.DType != importer.Double && x.Float[i] != y.Float[i] {
					t.Fatalf("got %v, want %v", y.Float, x.Float)
				}
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestTensorPBErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		x    *importer.Tensor
		want string
	}{
		{"int8_overflow", &importer.Tensor{DType: importer.Int8, Shape: []int{1}, Int: []int64{200}}, "does not fit INT8"},
		{"length", &importer.Tensor{DType: importer.Float, Shape: []int{2, 2}, Float: []float32{1}}, "needs 4 values"},
		{"string", &importer.Tensor{DType: importer.String, Shape: []int{1}}, "STRING cannot be written"},
		{"negative", &importer.Tensor{DType: importer.Float, Shape: []int{-1}}, "bad shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteTensorPB(filepath.Join(dir, tc.name+".pb"), tc.x)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Bad files.
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "data_type is missing"},
		{"garbage", []byte{0xff, 0xff, 0xff}, "truncated or corrupt"},
		{"short_raw", []byte{0x08, 0x04, 0x10, 0x01, 0x4a, 0x04, 0, 0, 0, 0}, "raw_data has 4 bytes, dims [4] of FLOAT need 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".pb")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadTensorPB(path)
			if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want ErrInvalidModel with %q and the path", err, tc.want)
			}
		})
	}
}
