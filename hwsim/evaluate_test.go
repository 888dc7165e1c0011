package hwsim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
)

// countSource is a source of n one-value samples: sample i is the value i,
// its label labels[i].
type countSource struct {
	n      int
	labels []int
}

func (s *countSource) Name() string                    { return "count" }
func (s *countSource) Len() int                        { return s.n }
func (s *countSource) Labels() []int                   { return s.labels }
func (s *countSource) Fit(in importer.ValueInfo) error { return nil }
func (s *countSource) Batch(in importer.ValueInfo, start, n int) (*importer.Tensor, error) {
	x := &importer.Tensor{DType: importer.Float, Shape: []int{n, 1}}
	for i := range n {
		x.Float = append(x.Float, float32(start+i))
	}
	return x, nil
}

// oneHot is a 3-class stage whose top-1 is the sample value mod 3 (shifted
// by shift), so the expected outputs follow from the sample numbers alone.
func oneHot(shift int, batches *[][]float32) Stage {
	return func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
		x := xs[0]
		if batches != nil {
			*batches = append(*batches, slices.Clone(x.Float))
		}
		y := &importer.Tensor{DType: importer.Float, Shape: []int{len(x.Float), 3}, Float: make([]float32, 3*len(x.Float))}
		for i, v := range x.Float {
			y.Float[3*i+(int(v)+shift)%3] = 1
		}
		return []*importer.Tensor{y}, nil
	}
}

// TestRun checks the evaluation loop against outputs computed from the
// sample numbers: the samples [First, First+Limit) in batches of BatchSize,
// each batch built once for all stages, top-1 accuracy, bit-exactness and
// top-1 agreement between stages.
func TestRun(t *testing.T) {
	labels := make([]int, 20)
	for i := range labels {
		labels[i] = i % 3
	}
	src := &countSource{n: 20, labels: labels}
	in := importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 1}}}
	var seen [][]float32
	opts := RunOptions{First: 5, Limit: 12, BatchSize: 5}
	outs, err := Run(context.Background(), OneInput(src, in), opts, oneHot(0, &seen), oneHot(0, nil), oneHot(1, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}, {15, 16}}
	if len(seen) != len(want) {
		t.Fatalf("batches %v, want %v", seen, want)
	}
	for i := range want {
		if !slices.Equal(seen[i], want[i]) {
			t.Fatalf("batch %d = %v, want %v", i, seen[i], want[i])
		}
	}
	l := opts.labels(OneInput(src, in))
	if !slices.Equal(l, labels[5:17]) {
		t.Fatalf("labels %v", l)
	}
	if a := outs[0].Accuracy(l); a != 1 {
		t.Errorf("accuracy %v, want 1", a)
	}
	if a := outs[2].Accuracy(l); a != 0 {
		t.Errorf("shifted stage accuracy %v, want 0", a)
	}
	if b, a := outs[1].BitExact(outs[0]), outs[1].Top1Agreement(outs[0]); b != 1 || a != 1 {
		t.Errorf("identical stages: bit_exact %v top1_agreement %v", b, a)
	}
	if b, a := outs[2].BitExact(outs[0]), outs[2].Top1Agreement(outs[0]); b != 0 || a != 0 {
		t.Errorf("shifted stage: bit_exact %v top1_agreement %v", b, a)
	}
}

// TestRunRefuses: a label the model cannot predict (named with its sample
// index), a fixed batch that does not divide the samples, and an empty
// range are refused as bad data.
func TestRunRefuses(t *testing.T) {
	in := importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 1}}}
	labels := make([]int, 10)
	labels[7] = 3 // the stage has classes 0..2
	for _, tc := range []struct {
		name string
		in   importer.ValueInfo
		opts RunOptions
		want string
	}{
		{"label", in, RunOptions{First: 2}, "label 3 of sample 7 is outside the model's 3 classes"},
		{"fixed batch", importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Value: 4}, {Value: 1}}}, RunOptions{Limit: 6}, "exactly 4 samples"},
		{"no samples", in, RunOptions{First: 10}, "no samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), OneInput(&countSource{n: 10, labels: labels}, tc.in), tc.opts, oneHot(0, nil))
			if err == nil || !errors.Is(err, dataset.ErrInvalidData) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidData with %q", err, tc.want)
			}
		})
	}
}

// TestRunHashesEveryOutput: bit_exact compares every output of a sample,
// top-1 only the first: a stage whose second output differs agrees on the
// class but is not bit-exact.
func TestRunHashesEveryOutput(t *testing.T) {
	withSecond := func(delta float32) Stage {
		first := oneHot(0, nil)
		return func(xs []*importer.Tensor) ([]*importer.Tensor, error) {
			ys, err := first(xs)
			if err != nil {
				return nil, err
			}
			second := importer.NewFloat([]int{len(xs[0].Float), 2}, nil)
			for i, v := range xs[0].Float {
				second.Float[2*i], second.Float[2*i+1] = v, v+delta
			}
			return append(ys, second), nil
		}
	}
	in := importer.ValueInfo{Name: "x", Shape: []importer.Dim{{Param: "N"}, {Value: 1}}}
	outs, err := Run(context.Background(), OneInput(&countSource{n: 9}, in), RunOptions{BatchSize: 4},
		withSecond(0), withSecond(0), withSecond(0.5), oneHot(0, nil))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1, 0, 0} {
		if b, a := outs[i+1].BitExact(outs[0]), outs[i+1].Top1Agreement(outs[0]); b != want || a != 1 {
			t.Errorf("stage %d: bit_exact %v (want %v), top1_agreement %v (want 1)", i+1, b, want, a)
		}
	}
}
