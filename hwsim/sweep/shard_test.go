package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// imageEval is a fake evaluation whose accuracies are true counts over
// images: image i of a point is right (float, golden, simulated), agrees
// and is bit-exact according to hash bits of (point seed, i), and ADC
// saturations add one per image whose hash says so. The per-image outcome
// depends only on the point (its SimSeed, which ignores the image range)
// and the image index, as with the real simulator on noise-free hardware,
// so a point split by image range must merge to exactly the whole point.
type imageEval struct {
	fakeEval
	mu    sync.Mutex
	units map[string]int // unit name → evaluations
}

func (f *imageEval) eval(ctx context.Context, pc PointConfig) (*Point, error) {
	p, err := f.fakeEval.eval(ctx, pc)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.units == nil {
		f.units = map[string]int{}
	}
	f.units[fmt.Sprintf("%s.%d+%d", pc.Key(), pc.FirstImage, pc.Limit)]++
	f.mu.Unlock()
	n := pc.Limit
	if n == 0 {
		n = 37 // the whole "set"
	}
	seed := pc.SimSeed()
	var ok [5]int
	for i := pc.FirstImage; i < pc.FirstImage+n; i++ {
		h := rand.New(rand.NewPCG(seed, uint64(i))).Uint64()
		for j := range ok {
			if h>>(j*3)&7 != 0 {
				ok[j]++
			}
		}
		if h>>40&3 == 0 {
			p.Saturations++
		}
	}
	p.Images = n
	for j, f := range []*float64{&p.AccFloat, &p.AccInt, &p.AccSim, &p.Agreement, &p.BitExact} {
		*f = float64(ok[j]) / float64(n)
	}
	return p, nil
}

// randomGrid is a random sweep configuration over fake models.
func randomGrid(t *testing.T, rng *rand.Rand, f *imageEval) Config {
	dir := t.TempDir()
	names := []string{"lenet", "mlp", "cnn"}[:1+rng.IntN(3)]
	pick := func(all []string) []string {
		var out []string
		for _, s := range all {
			if rng.IntN(2) == 0 {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			out = all[:1]
		}
		return out
	}
	var prune []float64
	for _, p := range []float64{0, 0.3, 0.5, 0.7, 0.9} {
		if rng.IntN(2) == 0 {
			prune = append(prune, p)
		}
	}
	if len(prune) == 0 {
		prune = []float64{0.5}
	}
	shares := [][]int{{0}, {2, 0}, {1, 2, 4, 0}}[rng.IntN(3)]
	cfg := Config{
		Models: writeModels(t, dir, names...), Prune: prune,
		Schemes: pick([]string{"dense", "zerocol", "sre", "colsim"}), MaxShare: shares,
		HW: []byte(`{"ou_rows": 9}`), Workers: 1 + rng.IntN(3), Evaluate: f.eval, Report: DefaultReportOptions(),
		Limit: []int{0, 10, 25}[rng.IntN(3)], Seed: rng.Uint64N(3),
	}
	if cfg.Limit > 0 && rng.IntN(2) == 0 {
		cfg.ImagesPerTask = 1 + rng.IntN(cfg.Limit)
	}
	return cfg
}

var outputFiles = []string{"results.json", "results.csv", "gains.csv", "report.html", "RESULTS.md"}

func readOutputs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range outputFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// TestShardsPartitionAndMerge is the property test: for random grids and
// N in 1..7, the shards are disjoint (every work unit is evaluated by
// exactly one shard), their union is the grid, and merging them, from one
// shared directory or from one directory per shard, gives results.json,
// the CSVs, report.html and RESULTS.md byte for byte equal to a single run.
func TestShardsPartitionAndMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 34))
	trials := 14
	if testing.Short() {
		trials = 5
	}
	for trial := range trials {
		n := 1 + trial%7
		t.Run(fmt.Sprintf("trial%d_N%d", trial, n), func(t *testing.T) {
			single := &imageEval{}
			cfg := randomGrid(t, rng, single)
			cfg.Dir = filepath.Join(t.TempDir(), "single")
			if _, err := Run(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			want := readOutputs(t, cfg.Dir)
			jobs, _, err := cfg.Jobs()
			if err != nil {
				t.Fatal(err)
			}
			us := units(jobs, cfg.ImagesPerTask)

			shared := filepath.Join(t.TempDir(), "shared")
			sharded := &imageEval{}
			var dirs []string
			for i := range n {
				c := cfg
				c.Evaluate = sharded.eval
				c.Shard = Shard{Index: i, Count: n}
				c.Dir = shared
				res, err := Run(context.Background(), c)
				if err != nil {
					t.Fatal(err)
				}
				if (n == 1) != (res != nil) {
					t.Fatalf("shard %d/%d returned results %v", i, n, res != nil)
				}
				// The same shard again, alone in its own directory.
				c.Dir = filepath.Join(t.TempDir(), fmt.Sprintf("own%d", i))
				c.Evaluate = (&imageEval{}).eval
				if _, err := Run(context.Background(), c); err != nil {
					t.Fatal(err)
				}
				dirs = append(dirs, c.Dir)
			}
			// Disjoint and covering: every unit exactly once over all shards.
			if len(sharded.units) != len(us) {
				t.Errorf("shards evaluated %d distinct units, the grid has %d", len(sharded.units), len(us))
			}
			for u, k := range sharded.units {
				if k != 1 {
					t.Errorf("unit %s evaluated %d times", u, k)
				}
			}
			for i, u := range us {
				owners := 0
				for s := range n {
					if (Shard{Index: s, Count: n}).Owns(i) {
						owners++
					}
				}
				if owners != 1 {
					t.Errorf("unit %d (%s) owned by %d shards", i, u.name(), owners)
				}
			}
			for _, m := range []struct {
				name string
				dirs []string
			}{{"shared", []string{shared}}, {"per-shard", dirs}} {
				out := filepath.Join(t.TempDir(), "merged")
				if _, err := Merge(m.dirs, out, DefaultReportOptions()); err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				got := readOutputs(t, out)
				for _, f := range outputFiles {
					if !bytes.Equal(got[f], want[f]) {
						t.Errorf("%s merge: %s differs from the single run", m.name, f)
					}
				}
			}
		})
	}
}

// smallGrid is a fixed grid of 2 models × 2 ratios × (dense, colsim/2,
// colsim/∞) = 12 points.
func smallGrid(t *testing.T, f *imageEval) Config {
	dir := t.TempDir()
	return Config{Models: writeModels(t, dir, "lenet", "mlp"), Prune: []float64{0, 0.5}, Schemes: []string{"dense", "colsim"},
		MaxShare: []int{2, 0}, Limit: 20, Evaluate: f.eval, Report: DefaultReportOptions(), Dir: filepath.Join(dir, "out")}
}

func pointFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, pointsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestMergeNamesWhatIsWrong: a missing point, a corrupt and a truncated
// file, and two directories with different results for one point are each
// named, with ErrIncomplete; identical copies in two directories are fine.
func TestMergeNamesWhatIsWrong(t *testing.T) {
	f := &imageEval{}
	cfg := smallGrid(t, f)
	cfg.Shard = Shard{Index: 0, Count: 2}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err := Merge([]string{cfg.Dir}, out, DefaultReportOptions())
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "6 missing") || !strings.Contains(err.Error(), "mlp prune 0.5 colsim/∞") {
		t.Fatalf("half the grid: err %v", err)
	}
	cfg.Shard = Shard{Index: 1, Count: 2}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]string{cfg.Dir}, out, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}
	files := pointFiles(t, cfg.Dir)
	if len(files) != 12 {
		t.Fatalf("%d point files", len(files))
	}

	// A copy of the directory: identical duplicates merge.
	copyDir := t.TempDir()
	if err := os.CopyFS(copyDir, os.DirFS(cfg.Dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]string{cfg.Dir, copyDir}, out, DefaultReportOptions()); err != nil {
		t.Fatalf("identical copies: %v", err)
	}

	// One point with another result in the copy: a conflict, both files named.
	victim := filepath.Join(copyDir, pointsDir, filepath.Base(files[3]))
	rec, err := readRecord(victim, strings.TrimSuffix(filepath.Base(victim), ".json"))
	if err != nil {
		t.Fatal(err)
	}
	rec.Point.Cycles++
	b, err := encodeRecord(&rec.Config, &rec.Point)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Merge([]string{cfg.Dir, copyDir}, out, DefaultReportOptions())
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "1 conflicting") || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), files[3]) {
		t.Fatalf("conflict: err %v", err)
	}

	// A flipped byte inside the record and a truncated file: named as corrupt.
	data, _ := os.ReadFile(files[0])
	i := bytes.Index(data, []byte(`"cycles":`)) + len(`"cycles":`)
	for data[i+1] >= '0' && data[i+1] <= '9' {
		i++
	}
	data[i] ^= 1 // the last digit becomes another digit: still valid JSON
	if err := os.WriteFile(files[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(files[1])
	if err := os.WriteFile(files[1], data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Merge([]string{cfg.Dir}, out, DefaultReportOptions())
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "2 corrupt") || !strings.Contains(err.Error(), "checksum mismatch") ||
		!strings.Contains(err.Error(), "truncated") || strings.Contains(err.Error(), "missing") {
		t.Fatalf("corrupt: err %v", err)
	}
	st, err := ReadStatus(cfg.Dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Complete() || st.Shards[0].Corrupt+st.Shards[1].Corrupt != 2 || st.Shards[0].Done+st.Shards[1].Done != 10 {
		t.Errorf("status %+v", st.Shards)
	}

	// Rerunning recomputes exactly the two corrupt points.
	calls := f.calls.Load()
	for i := range 2 {
		cfg.Shard = Shard{Index: i, Count: 2}
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls.Load() - calls; got != 2 {
		t.Errorf("rerun recomputed %d points, want the 2 corrupt ones", got)
	}
	if _, err := Merge([]string{cfg.Dir}, out, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}

	// Another grid in the second directory.
	other := cfg
	other.Dir, other.Prune, other.Shard = t.TempDir(), []float64{0.9}, Shard{}
	if _, err := Run(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]string{cfg.Dir, other.Dir}, out, DefaultReportOptions()); err == nil || !strings.Contains(err.Error(), "different grids") {
		t.Errorf("two grids: err %v", err)
	}
	if _, err := Merge([]string{t.TempDir()}, out, DefaultReportOptions()); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "grid.json") {
		t.Errorf("empty directory: err %v", err)
	}
}

// TestRacingTasksLeaveOneValidFile runs the same shard in several
// goroutines at once into one directory (Kubernetes restarting an index
// while the old pod still runs): every point file must end up valid, the
// merge exact.
func TestRacingTasksLeaveOneValidFile(t *testing.T) {
	f := &imageEval{}
	cfg := smallGrid(t, f)
	cfg.ImagesPerTask = 7
	single := cfg
	single.Dir = filepath.Join(t.TempDir(), "single")
	if _, err := Run(context.Background(), single); err != nil {
		t.Fatal(err)
	}
	want := readOutputs(t, single.Dir)
	cfg.Shard = Shard{Index: 0, Count: 1}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = Run(context.Background(), cfg) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if _, err := Merge([]string{cfg.Dir}, out, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}
	got := readOutputs(t, out)
	for _, name := range outputFiles {
		if !bytes.Equal(got[name], want[name]) {
			t.Errorf("%s differs after racing tasks", name)
		}
	}
	for _, d := range []string{pointsDir, partsDir, runningDir} {
		ents, _ := os.ReadDir(filepath.Join(cfg.Dir, d))
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") || d == runningDir {
				t.Errorf("leftover %s/%s", d, e.Name())
			}
		}
	}
}

// TestCombineParts checks the exact merge of image ranges against sums done
// here, and its refusals.
func TestCombineParts(t *testing.T) {
	a := pt("m", 0.5, "dense", 0, 100, 50)
	a.AccFloat = 1
	a.Images, a.AccSim, a.AccInt, a.Agreement, a.BitExact, a.Saturations = 3, 2.0/3, 1.0/3, 1, 0, 4
	b := a
	b.Images, b.AccSim, b.AccInt, b.Agreement, b.BitExact, b.Saturations = 7, 5.0/7, 7.0/7, 6.0/7, 1.0/7, 1
	p, err := combineParts([]Point{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if p.Images != 10 || p.AccSim != 7.0/10 || p.AccInt != 8.0/10 || p.Agreement != 9.0/10 || p.BitExact != 1.0/10 || p.Saturations != 5 || p.Cycles != 100 {
		t.Errorf("combined %+v", p)
	}
	c := b
	c.Cycles++
	if _, err := combineParts([]Point{a, c}); err == nil || !strings.Contains(err.Error(), "image-independent") {
		t.Errorf("different costs: err %v", err)
	}
	d := b
	d.AccSim = 0.5 // not k/7
	if _, err := combineParts([]Point{a, d}); err == nil || !strings.Contains(err.Error(), "not a count over 7") {
		t.Errorf("non-count fraction: err %v", err)
	}
	for n := 1; n < 300; n++ {
		for k := 0; k <= n; k++ {
			if got, err := CountOf(float64(k)/float64(n), int64(n)); err != nil || got != int64(k) {
				t.Fatalf("CountOf(%d/%d) = %d, %v", k, n, got, err)
			}
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		shards int
		want   Shard
		ok     bool
		err    string
	}{
		{"none", nil, 0, Shard{}, false, ""},
		{"slurm 0-3", map[string]string{EnvSlurmTaskID: "2", EnvSlurmTaskCount: "4", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "3"}, 0, Shard{2, 4}, true, ""},
		{"slurm 1-4", map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskCount: "4", EnvSlurmTaskMin: "1", EnvSlurmTaskMax: "4"}, 0, Shard{0, 4}, true, ""},
		{"slurm step", map[string]string{EnvSlurmTaskID: "2", EnvSlurmTaskCount: "2", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "2", EnvSlurmTaskStep: "2"}, 0, Shard{}, false, "contiguous"},
		{"slurm list", map[string]string{EnvSlurmTaskID: "5", EnvSlurmTaskCount: "3", EnvSlurmTaskMin: "1", EnvSlurmTaskMax: "9"}, 0, Shard{}, false, "contiguous"},
		{"slurm shards disagree", map[string]string{EnvSlurmTaskID: "0", EnvSlurmTaskCount: "4"}, 3, Shard{}, false, "--shards 3"},
		{"slurm bad id", map[string]string{EnvSlurmTaskID: "x", EnvSlurmTaskCount: "4"}, 0, Shard{}, false, "not an integer"},
		{"k8s", map[string]string{EnvJobIndex: "6"}, 7, Shard{6, 7}, true, ""},
		{"k8s without shards", map[string]string{EnvJobIndex: "6"}, 0, Shard{}, false, "give --shards N"},
		{"k8s index out of range", map[string]string{EnvJobIndex: "7"}, 7, Shard{}, false, "must be 0..6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok, err := ShardFromEnv(func(k string) string { return tc.env[k] }, tc.shards)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || ok != tc.ok || s != tc.want {
				t.Errorf("got %v %v %v, want %v %v", s, ok, err, tc.want, tc.ok)
			}
		})
	}
	for _, s := range []string{"4/4", "-1/3", "1", "a/b", "0/0"} {
		if _, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
	if s, err := ParseShard("3/8"); err != nil || s != (Shard{3, 8}) {
		t.Errorf("ParseShard(3/8) = %v, %v", s, err)
	}
}

// TestPointIdentity: the id depends on the model's contents, not its path
// or display name; on the image range and the seed; and the simulator seed
// is shared by the parts of a point.
func TestPointIdentity(t *testing.T) {
	f := &imageEval{}
	cfg := smallGrid(t, f)
	jobs, _, err := cfg.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	pc := jobs[0]
	moved := pc
	moved.Model, moved.ModelName = "/elsewhere/copy.onnx", "renamed"
	if moved.Key() != pc.Key() || moved.SimSeed() != pc.SimSeed() {
		t.Error("the id depends on the model's path or name")
	}
	for name, mod := range map[string]func(*PointConfig){
		"seed":     func(c *PointConfig) { c.Seed++ },
		"range":    func(c *PointConfig) { c.FirstImage = 5 },
		"limit":    func(c *PointConfig) { c.Limit++ },
		"model":    func(c *PointConfig) { c.ModelHash = "00" },
		"hw":       func(c *PointConfig) { c.HW = []byte(`{"ou_rows":8}`) },
		"quant":    func(c *PointConfig) { c.Quant = []byte(`{"WBits":4}`) },
		"scheme":   func(c *PointConfig) { c.Scheme = "sre" },
		"share":    func(c *PointConfig) { c.MaxShare = 3 },
		"prune":    func(c *PointConfig) { c.Prune = 0.25 },
		"data":     func(c *PointConfig) { c.Data = "other" },
		"meanstd":  func(c *PointConfig) { c.Mean = Floats{0.123} },
		"labels":   func(c *PointConfig) { c.Labels = "y.npy" },
		"resize":   func(c *PointConfig) { c.Resize = 300 },
		"datahash": func(c *PointConfig) { c.DataHash = "00" },
	} {
		c := pc
		mod(&c)
		if c.Key() == pc.Key() {
			t.Errorf("%s: id unchanged", name)
		}
		if sameSeed := c.SimSeed() == pc.SimSeed(); sameSeed != (name == "range" || name == "limit") {
			t.Errorf("%s: simulator seed shared %v", name, sameSeed)
		}
	}
	dup := cfg
	dup.Models = []string{cfg.Models[0], cfg.Models[0]}
	if _, _, err := dup.Jobs(); err == nil || !strings.Contains(err.Error(), "same contents") {
		t.Errorf("the same model twice: err %v", err)
	}
}
