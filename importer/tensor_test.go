package importer_test

import "github.com/rramc/rramc/importer"
import "testing"

func TestArgMaxRows(t *testing.T) {
	x := &importer.Tensor{DType: importer.Float, Shape: []int{3, 4}, Float: []float32{
		0, 2, 1, 2, // tie: the first maximum
		-3, -1, -2, -5,
		7, 0, 0, 0,
	}}
	got, err := importer.ArgMaxRows(x)
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 0 {
		t.Fatalf("ArgMaxRows = %v, %v; want [1 1 0]", got, err)
	}
	for _, bad := range []*importer.Tensor{nil, {DType: importer.Float}, {DType: importer.Int64, Shape: []int{2, 2}, Int: []int64{1, 2, 3, 4}},
		{DType: importer.Float, Shape: []int{2, 0}, Float: []float32{}}} {
		if _, err := importer.ArgMaxRows(bad); err == nil {
			t.Errorf("ArgMaxRows(%v): no error", bad)
		}
	}
}
