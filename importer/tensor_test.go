package importer

import "testing"

func TestArgMaxRows(t *testing.T) {
	x := &Tensor{DType: Float, Shape: []int{3, 4}, Float: []float32{
		0, 2, 1, 2, // tie: the first maximum
		-3, -1, -2, -5,
		7, 0, 0, 0,
	}}
	got, err := ArgMaxRows(x)
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 0 {
		t.Fatalf("ArgMaxRows = %v, %v; want [1 1 0]", got, err)
	}
	for _, bad := range []*Tensor{nil, {DType: Float}, {DType: Int64, Shape: []int{2, 2}, Int: []int64{1, 2, 3, 4}},
		{DType: Float, Shape: []int{2, 0}, Float: []float32{}}} {
		if _, err := ArgMaxRows(bad); err == nil {
			t.Errorf("ArgMaxRows(%v): no error", bad)
		}
	}
}
