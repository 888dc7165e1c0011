package sweep

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// testmodelsDir is the committed test models, with their fine-tuned sparse
// families.
var testmodelsDir = filepath.Join("..", "..", "testmodels")

// TestJobsFamilyAndData checks the grid of a model family and of a network
// with data of its own: the family's fine-tuned network stands at the
// sparsity read from each file and is never pruned again, the dense network
// is pruned at every ratio, and a network's own data reaches its points.
func TestJobsFamilyAndData(t *testing.T) {
	tm := func(n string) string { return filepath.Join(testmodelsDir, n+".onnx") }
	cfg := Config{
		Specs: []ModelSpec{
			{Path: tm("lenet5"), Sparse: []string{tm("lenet5_s90"), tm("lenet5_s30")}},
			{Path: tm("mlp"), Data: "npy:" + filepath.Join("..", "..", "importer", "dataset", "testdata", "folder", "labels.npy"), Mean: []float32{0.5}, Std: []float32{0.25}, Limit: 3},
		},
		Prune: []float64{0, 0.5}, Schemes: []string{"dense", "sre"}, Dir: t.TempDir(),
	}
	jobs, models, err := cfg.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 3 || models[0].Name != "lenet5" || models[1].Name != "lenet5"+FinetunedSuffix || models[2].Name != "mlp" {
		t.Fatalf("models %+v", models)
	}
	if ft := models[1]; ft.Family != "lenet5" || len(ft.Files) != 2 || ft.Files[0] != tm("lenet5_s30") {
		t.Errorf("family network %+v: want lenet5's, files in order of sparsity", ft)
	}
	type want struct {
		model     string
		prune     float64
		finetuned bool
	}
	var got []want
	for _, j := range jobs {
		if j.Scheme != "dense" {
			continue
		}
		got = append(got, want{filepath.Base(j.Model), j.Prune, j.Finetuned})
		switch j.ModelName {
		case "mlp":
			if !strings.HasSuffix(j.Data, "labels.npy") || j.Limit != 3 || len(j.Mean) != 1 || j.Mean[0] != 0.5 || j.DataHash == "" {
				t.Errorf("mlp point data %q limit %d mean %v hash %q: want its own", j.Data, j.Limit, j.Mean, j.DataHash)
			}
		default:
			if j.Data != "mnist" || j.Limit != 0 {
				t.Errorf("%s point data %q limit %d: want the sweep's MNIST", j.ModelName, j.Data, j.Limit)
			}
		}
	}
	wantJobs := []want{
		{"lenet5.onnx", 0, false}, {"lenet5.onnx", 0.5, false},
		{"lenet5_s30.onnx", 0.3, true}, {"lenet5_s90.onnx", 0.9, true},
		{"mlp.onnx", 0, false}, {"mlp.onnx", 0.5, false},
	}
	if len(got) != len(wantJobs) {
		t.Fatalf("dense points %+v, want %+v", got, wantJobs)
	}
	for i := range got {
		if got[i] != wantJobs[i] {
			t.Errorf("point %d: %+v, want %+v", i, got[i], wantJobs[i])
		}
	}
	// A fine-tuned point and a one-shot point of the same file and ratio
	// are different points.
	a := jobs[0]
	b := a
	b.Finetuned = true
	if a.Key() == b.Key() {
		t.Error("Finetuned is not part of a point's identity")
	}

	for _, tc := range []struct {
		name string
		spec ModelSpec
		want string
	}{
		{"same sparsity twice", ModelSpec{Path: tm("lenet5"), Sparse: []string{tm("lenet5_s30"), tm("lenet5_s30")}}, "same"},
		{"missing sparse file", ModelSpec{Path: tm("lenet5"), Sparse: []string{"/nonexistent/s.onnx"}}, "/nonexistent/s.onnx"},
		{"bad std", ModelSpec{Path: tm("mlp"), Data: "mnist", Std: []float32{0}}, "std"},
		{"negative limit", ModelSpec{Path: tm("mlp"), Limit: -1}, "limit -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Specs = []ModelSpec{tc.spec}
			if _, _, err := c.Jobs(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSparsityOf reads the sparsity of the committed fine-tuned models
// from their weights: train.py pruned them exactly to their ratio.
func TestSparsityOf(t *testing.T) {
	for _, tc := range []struct {
		model string
		want  float64
	}{{"lenet5", 0}, {"lenet5_s30", 0.3}, {"vgg_bn_s70", 0.7}, {"resnet_small_s90", 0.9}} {
		got, err := SparsityOf(filepath.Join(testmodelsDir, tc.model+".onnx"))
		if err != nil || got != tc.want {
			t.Errorf("%s: sparsity %v, %v; want %v", tc.model, got, err, tc.want)
		}
	}
}

// TestFamilyMarkdown renders a family through the real evaluator on a few
// images and checks the trained-sparse and weight-statistics sections.
func TestFamilyMarkdown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the evaluator")
	}
	tm := func(n string) string { return filepath.Join(testmodelsDir, n+".onnx") }
	cfg := Config{
		Specs: []ModelSpec{{Path: tm("lenet5"), Sparse: []string{tm("lenet5_s90")}}},
		Prune: []float64{0, 0.9}, Schemes: []string{"dense", "sre"}, Limit: 50,
		Dir: t.TempDir(), Report: DefaultReportOptions(),
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	md, err := WriteResultsMarkdown(res)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## Trained sparse networks against one-shot pruning", "| lenet5 | 0.9 |", "## Weight statistics", "| lenet5_ft | MNIST | 0.9 | 0.9"} {
		if !strings.Contains(s, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	for _, p := range res.Points {
		if p.ModelName == "lenet5_ft" && (!p.Finetuned || p.Prune != 0.9 || p.Sparsity < 0.9) {
			t.Errorf("fine-tuned point %+v", p)
		}
	}
}
