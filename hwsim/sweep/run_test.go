package sweep

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeEval is an injectable evaluation that counts its calls and derives a
// deterministic point from the configuration.
type fakeEval struct {
	calls atomic.Int64
	mu    sync.Mutex
	seen  map[string]int
	// failOn makes the evaluation of this scheme fail.
	failOn string
	// block, when set, makes every call signal started and wait for ctx
	// to end.
	block   bool
	started chan struct{}
}

func (f *fakeEval) eval(ctx context.Context, pc PointConfig) (*Point, error) {
	f.calls.Add(1)
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	f.seen[pc.Key()]++
	f.mu.Unlock()
	if f.block {
		f.started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if pc.Scheme == f.failOn {
		return nil, errors.New("injected failure")
	}
	base := map[string]int64{"dense": 1000, "zerocol": 800, "sre": 600, "colsim": 400}[pc.Scheme]
	c := base * int64(10-int(pc.Prune*10)) / 10
	if pc.MaxShare == 2 {
		c += 20
	}
	p := pt(pc.ModelName, pc.Prune, pc.Scheme, pc.MaxShare, c, float64(c)/2,
		lr(0, "conv", c/4, float64(c)/8), lr(1, "fc", c-c/4, float64(c)/2-float64(c)/8))
	p.Model = "wrong" // the runner stamps the configuration
	return &p, nil
}

func writeModels(t *testing.T, dir string, names ...string) []string {
	t.Helper()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n+".onnx")
		if err := os.WriteFile(p, []byte("model "+n), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func testConfig(t *testing.T, f *fakeEval, workers int) Config {
	dir := t.TempDir()
	return Config{
		Models: writeModels(t, dir, "lenet", "mlp"), Prune: []float64{0.5, 0, 0.9},
		Schemes: []string{"dense", "zerocol", "sre", "colsim"}, MaxShare: []int{2, 0},
		HW: []byte(`{"ou_rows": 9}`), Dir: filepath.Join(dir, "out"), Workers: workers, Evaluate: f.eval,
		Report: DefaultReportOptions(),
	}
}

func TestJobs(t *testing.T) {
	f := &fakeEval{}
	cfg := testConfig(t, f, 1)
	jobs, models, err := cfg.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	// 2 models × 3 ratios × (3 baselines + colsim × 2 limits).
	if len(jobs) != 2*3*5 || len(models) != 2 {
		t.Fatalf("%d jobs, %d models", len(jobs), len(models))
	}
	keys := map[string]bool{}
	for _, j := range jobs {
		if keys[j.Key()] {
			t.Errorf("duplicate key for %+v", j)
		}
		keys[j.Key()] = true
		if j.Scheme != "colsim" && j.MaxShare != 0 {
			t.Errorf("baseline %s with max-share %d", j.Scheme, j.MaxShare)
		}
	}
	// Adjacent points share (model, ratio): ratios ascending inside a model.
	if jobs[0].Prune != 0 || jobs[5].Prune != 0.5 || jobs[15].ModelName != "mlp" {
		t.Errorf("job order: %+v %+v %+v", jobs[0], jobs[5], jobs[15])
	}
	// The key covers the model contents, not only its path.
	k := jobs[0].Key()
	if err := os.WriteFile(cfg.Models[0], []byte("retrained"), 0o644); err != nil {
		t.Fatal(err)
	}
	jobs2, _, err := cfg.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	if jobs2[0].Key() == k {
		t.Error("key unchanged after the model file changed")
	}
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"no model", func(c *Config) { c.Models = nil }, "no model"},
		{"bad prune", func(c *Config) { c.Prune = []float64{1.5} }, "prune ratio 1.5"},
		{"negative share", func(c *Config) { c.MaxShare = []int{-1} }, "max-share -1"},
		{"missing file", func(c *Config) { c.Models = []string{"/nonexistent/x.onnx"} }, "/nonexistent/x.onnx"},
		{"bad hw json", func(c *Config) { c.HW = []byte("{") }, "hardware description"},
		{"data", func(c *Config) { c.Data = "cifar" }, `data "cifar"`},
		{"names", func(c *Config) { c.Names = []string{"a"} }, "1 names for 2 models"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, f, 1)
			tc.mod(&c)
			if _, _, err := c.Jobs(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRunResumes(t *testing.T) {
	for _, workers := range []int{1, 2} {
		f := &fakeEval{}
		cfg := testConfig(t, f, workers)
		var progress []Progress
		cfg.Progress = func(p Progress) { progress = append(progress, p) }
		r1, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.calls.Load(); n != 30 {
			t.Fatalf("workers %d: first run evaluated %d points, want 30", workers, n)
		}
		for k, n := range f.seen {
			if n != 1 {
				t.Errorf("point %s evaluated %d times", k, n)
			}
		}
		if len(progress) != 30 || progress[29].Done != 30 || progress[29].Total != 30 || progress[29].Cached != 0 {
			t.Errorf("progress %+v", progress[len(progress)-1])
		}
		if got := progress[29].String(); !strings.HasPrefix(got, "30/30 points ") || !strings.Contains(got, " prune ") {
			t.Errorf("progress line %q", got)
		}
		if r1.Points[0].Model != cfg.Models[0] {
			t.Errorf("point not stamped with its configuration: model %q", r1.Points[0].Model)
		}
		json1, err := os.ReadFile(filepath.Join(cfg.Dir, "results.json"))
		if err != nil {
			t.Fatal(err)
		}

		// Second run: nothing recomputed, same results.
		progress = nil
		r2, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.calls.Load(); n != 30 {
			t.Errorf("second run evaluated %d new points, want 0", n-30)
		}
		if len(progress) != 30 || progress[29].Cached != 30 {
			t.Errorf("second run progress %+v", progress[len(progress)-1])
		}
		json2, _ := os.ReadFile(filepath.Join(cfg.Dir, "results.json"))
		if !bytes.Equal(json1, json2) {
			t.Error("results.json differs after a resumed run")
		}
		if len(r2.Points) != len(r1.Points) {
			t.Errorf("%d points, want %d", len(r2.Points), len(r1.Points))
		}

		// Extending the sweep computes only the new points; a corrupt point
		// file is recomputed.
		cfg.Prune = append(cfg.Prune, 0.7)
		ents, _ := os.ReadDir(filepath.Join(cfg.Dir, "points"))
		if len(ents) != 30 {
			t.Fatalf("%d stored points, want 30", len(ents))
		}
		if err := os.WriteFile(filepath.Join(cfg.Dir, "points", ents[3].Name()), []byte(`{"config":`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		if n := f.calls.Load(); n != 30+10+1 {
			t.Errorf("extended run: %d evaluations in all, want 41", n)
		}
	}
}

func TestRunWorkersSameResults(t *testing.T) {
	var outs [][]byte
	for _, w := range []int{1, 2, 4} {
		f := &fakeEval{}
		cfg := testConfig(t, f, w)
		r, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range r.Points {
			r.Points[i].Model = filepath.Base(r.Points[i].Model)
			r.Points[i].Key = ""
		}
		r.Info = RunInfo{}
		b, err := r.EncodeCSV()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("results with %d workers differ from 1 worker", []int{1, 2, 4}[i])
		}
	}
}

func TestRunErrorKeepsFinishedPoints(t *testing.T) {
	f := &fakeEval{failOn: "sre"}
	cfg := testConfig(t, f, 2)
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "injected failure") || !strings.Contains(err.Error(), "sre") {
		t.Fatalf("err %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(cfg.Dir, "points"))
	stored := len(ents)
	if stored == 0 {
		t.Fatal("no point stored before the failure")
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "results.json")); !os.IsNotExist(err) {
		t.Error("results.json written by a failed sweep")
	}
	// Fixed evaluator: only the missing points run.
	f2 := &fakeEval{}
	cfg.Evaluate = f2.eval
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := int(f2.calls.Load()); got != 30-stored {
		t.Errorf("resumed after failure: %d evaluations, want %d", got, 30-stored)
	}
}

func TestRunCancel(t *testing.T) {
	f := &fakeEval{block: true, started: make(chan struct{}, 2)}
	cfg := testConfig(t, f, 2)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-f.started
		<-f.started
		cancel()
	}()
	_, err := Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestRunWritesAtomicOutputs(t *testing.T) {
	f := &fakeEval{}
	cfg := testConfig(t, f, 2)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"results.json", "results.csv", "gains.csv", "report.html"} {
		if st, err := os.Stat(filepath.Join(cfg.Dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Only final files: no temporary left in the output or the point store.
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, "points")} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), ".tmp") {
				t.Errorf("leftover %s in %s", e.Name(), d)
			}
		}
	}
	if _, err := ReadResults(filepath.Join(cfg.Dir, "results.json")); err != nil {
		t.Error(err)
	}
}
