package sweep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rramc/rramc/importer/atomicfile"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// ErrInvalidConfig is wrapped by every error caused by a bad sweep
// configuration (lists, ranges, hardware JSON); the CLI maps it to exit code 2.
var ErrInvalidConfig = errors.New("invalid sweep configuration")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("sweep: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// MNIST preprocessing defaults: x = (pixel/255 - 0.1307)/0.3081.
const (
	DefaultMean = 0.1307
	DefaultStd  = 0.3081
)

// EvaluateFunc evaluates one point. It must honour ctx cancellation and be
// safe for concurrent calls.
type EvaluateFunc func(ctx context.Context, pc PointConfig) (*Point, error)

// Progress is reported after every point, finished or loaded from the store.
type Progress struct {
	Done, Total int // points finished so far (including cached) and in all
	Cached      int // points loaded from DIR/points instead of computed
	Point       *Point
	Elapsed     time.Duration
}

// String is a one-line status, e.g. "12/45 points (3 stored) 41 s: lenet5
// prune 0.5 colsim/2".
func (p Progress) String() string {
	s := fmt.Sprintf("%d/%d points", p.Done, p.Total)
	if p.Cached > 0 {
		s += fmt.Sprintf(" (%d stored)", p.Cached)
	}
	s += fmt.Sprintf(" %.0f s", p.Elapsed.Seconds())
	if p.Point != nil {
		s += fmt.Sprintf(": %s prune %g %s", p.Point.ModelName, p.Point.Prune, p.Point.Label())
	}
	return s
}

// Config is a sweep.
type Config struct {
	// Models are ONNX file paths; Names optional display names (default:
	// the file name without extension, made unique). Specs are further
	// networks with data of their own or fine-tuned sparse versions
	// (ModelSpec); they follow Models in tables.
	Models []string
	Names  []string
	Specs  []ModelSpec
	// Prune are the pruning ratios; Schemes the mapping schemes; MaxShare
	// the limits tried for the colsim family (empty = {0}).
	Prune    []float64
	Schemes  []string
	MaxShare []int
	// Quant is the quantization configuration; its Prune is set per point.
	Quant quant.Config
	// HWFile names the hardware file ("" = defaults) and HW holds the
	// description in effect as JSON (what the evaluator runs with).
	HWFile string
	HW     json.RawMessage
	// Variants, when set, replace HW: every point of the grid is run under
	// each named hardware description (a hardware axis); gains compare
	// points of one variant only.
	Variants []HWVariant
	// Limit is the number of test images (0 = whole set); Data the test
	// data ("" = "mnist", or any path dataset.Open takes: .npy, IDX, CIFAR
	// .bin, image folder) and Labels its labels file when the format keeps
	// them apart; Mean and Std the preprocessing of 8-bit images
	// x = (pixel/255-Mean)/Std, one value or one per channel (both empty =
	// MNIST's 0.1307, 0.3081 for mnist, the format's default otherwise);
	// Resize the image-folder resize (dataset.Spec). Calibration uses the
	// embedded MNIST training subset for mnist, the data's first images
	// otherwise.
	Limit     int
	Data      string
	Labels    string
	Mean, Std []float32
	Resize    int
	// Dir is the output directory: points/, results.json, results.csv,
	// gains.csv, report.html.
	Dir string
	// Workers is the number of points evaluated at once (0 = GOMAXPROCS).
	// With one worker the evaluator uses every core inside a point; with
	// more, each point's simulation runs on one goroutine, at the price of
	// one quantized network in memory per worker (doc.go).
	Workers int
	// Evaluate computes one point; nil = NewEvaluator's.
	Evaluate EvaluateFunc
	// Progress, when set, is called after each point from one goroutine at
	// a time.
	Progress func(Progress)
	// Report tunes report.html. Command is the canonical command of the
	// grid, recorded in the results (RunInfo.Command); RunCommand the
	// command line as typed, recorded in the run log only.
	Report     ReportOptions
	Command    string
	RunCommand string
	// Shard is the share of the grid this run computes (zero = all of it).
	Shard Shard
	// ImagesPerTask > 0 splits every point of more images into image
	// ranges of that many, each a work unit; merging adds their counts
	// exactly (combineParts). It needs Limit > 0.
	ImagesPerTask int
	// Seed is the grid's seed; each point simulates with its own seed
	// derived from its identity (PointConfig.SimSeed).
	Seed uint64
	// Consts freezes graph inputs of every swept network to the tensors of
	// files (.npy or .pb), by input name: a parameter passed as an input
	// (hwsim.LoadModelFiles). Each network must have those inputs.
	Consts map[string]string
}

// Jobs returns the point configurations of the sweep in evaluation order
// (network, ratio, scheme, limit): the points sharing a quantized network are
// adjacent so the evaluator's cache serves them.
func (c *Config) Jobs() ([]PointConfig, []ModelInfo, error) {
	if len(c.Models)+len(c.Specs) == 0 {
		return nil, nil, invalidf("no model")
	}
	if len(c.Prune) == 0 {
		return nil, nil, invalidf("no pruning ratio")
	}
	if len(c.Schemes) == 0 {
		return nil, nil, invalidf("no scheme")
	}
	if len(c.Names) != 0 && len(c.Names) != len(c.Models) {
		return nil, nil, invalidf("%d names for %d models", len(c.Names), len(c.Models))
	}
	for _, p := range c.Prune {
		if math.IsNaN(p) || p < 0 || p > 0.99 {
			return nil, nil, invalidf("prune ratio %g out of range 0..0.99", p)
		}
	}
	for _, s := range c.MaxShare {
		if s < 0 {
			return nil, nil, invalidf("max-share %d: must be ≥ 0 (0 = unlimited)", s)
		}
	}
	for _, s := range c.Schemes {
		if s == "" || strings.ContainsAny(s, " ,/") {
			return nil, nil, invalidf("bad scheme name %q", s)
		}
	}
	if c.Limit < 0 {
		return nil, nil, invalidf("limit %d is negative", c.Limit)
	}
	qjson, err := quantJSON(c.quantConfig())
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: quant config: %w", err)
	}
	var hw json.RawMessage
	hwData := c.HW
	if len(hwData) == 0 {
		// The defaults are part of the key: a change of hwsim's defaults
		// invalidates stored points.
		d, err := hwsim.Defaults().JSON()
		if err != nil {
			return nil, nil, fmt.Errorf("sweep: default hardware: %w", err)
		}
		hwData = d
	}
	{
		var buf bytes.Buffer
		if err := json.Compact(&buf, hwData); err != nil {
			return nil, nil, invalidf("hardware description: %v", err)
		}
		hw = buf.Bytes()
	}
	variants, err := c.variants(hw)
	if err != nil {
		return nil, nil, err
	}
	swept, err := c.sweptModels()
	if err != nil {
		return nil, nil, err
	}
	var consts []ConstFile
	for _, name := range slices.Sorted(maps.Keys(c.Consts)) {
		sha, err := fileSHA256(c.Consts[name])
		if err != nil {
			return nil, nil, invalidf("constant %s=%s: %v", name, c.Consts[name], err)
		}
		consts = append(consts, ConstFile{Input: name, Path: c.Consts[name], SHA256: sha})
	}
	shares := slices.Clone(c.MaxShare)
	if len(shares) == 0 {
		shares = []int{0}
	}
	prunes := slices.Clone(c.Prune)
	slices.Sort(prunes)
	prunes = slices.Compact(prunes)
	var jobs []PointConfig
	models := make([]ModelInfo, len(swept))
	for i, m := range swept {
		models[i] = m.info
		// An ordinary network is pruned one-shot at every ratio of the
		// grid; a family's fine-tuned network stands at the sparsity of each
		// of its files, which are not pruned further.
		files := []familyMember{{path: m.info.Path, sha: m.info.SHA256}}
		ratios := prunes
		if m.finetd {
			files, ratios = m.files, nil
			for _, f := range m.files {
				ratios = append(ratios, f.ratio)
			}
		}
		for ri, pr := range ratios {
			f := files[min(ri, len(files)-1)]
			for _, s := range dedupe(c.Schemes) {
				sh := []int{0}
				if mapper.UsesMaxShare(s) {
					sh = dedupe(shares)
				}
				for _, ms := range sh {
					for _, v := range variants {
						jobs = append(jobs, PointConfig{Model: f.path, ModelName: m.info.Name, ModelHash: f.sha, Finetuned: m.finetd,
							Prune: pr, Scheme: s, MaxShare: ms, Quant: qjson, HW: v.HW, HWVariant: v.Name, CostOnly: v.CostOnly, Limit: m.limit, Data: m.data.data, DataHash: m.data.hash,
							Labels: m.data.labels, Mean: m.data.mean, Std: m.data.std, Resize: m.data.resize, Seed: c.Seed, Consts: consts})
					}
				}
			}
		}
	}
	return jobs, models, nil
}

// HWVariant is one named hardware description of a sweep's hardware axis.
type HWVariant struct {
	Name string          `json:"name"`
	HW   json.RawMessage `json:"hw"`
	// CostOnly sweeps the variant for its cost only: its points simulate
	// no image and measure no accuracy (PointConfig.CostOnly). The cost of
	// an inference depends on the mapping alone, so it is exact; what is
	// given up is the accuracy on that hardware, whose bit-serial
	// simulation of lossy conversions can cost a thousand times the
	// golden model.
	CostOnly bool `json:"cost_only,omitempty"`
}

// variants returns the hardware axis: c.Variants with their JSON
// compacted, or the single unnamed hardware hw when there are none.
// Names must be unique and non-empty, and descriptions distinct (two
// variants of the same hardware would be the same points).
func (c *Config) variants(hw json.RawMessage) ([]HWVariant, error) {
	if len(c.Variants) == 0 {
		return []HWVariant{{HW: hw}}, nil
	}
	out := make([]HWVariant, len(c.Variants))
	for i, v := range c.Variants {
		if v.Name == "" || strings.ContainsAny(v.Name, " ,|") {
			return nil, invalidf("hardware variant %d: bad name %q", i, v.Name)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v.HW); err != nil {
			return nil, invalidf("hardware variant %s: %v", v.Name, err)
		}
		out[i] = HWVariant{Name: v.Name, HW: buf.Bytes(), CostOnly: v.CostOnly}
		for _, o := range out[:i] {
			if o.Name == v.Name {
				return nil, invalidf("hardware variant %s given twice", v.Name)
			}
			if bytes.Equal(o.HW, out[i].HW) {
				return nil, invalidf("hardware variants %s and %s describe the same hardware", o.Name, v.Name)
			}
		}
	}
	return out, nil
}

// quantConfig is c.Quant, or quant.DefaultConfig when c.Quant is the zero
// value, with empty method names and a zero percentile replaced by the
// defaults quant applies, so the recorded configuration is explicit.
func (c *Config) quantConfig() quant.Config {
	if c.Quant == (quant.Config{}) {
		return quant.DefaultConfig()
	}
	q, d := c.Quant, quant.DefaultConfig()
	for _, f := range []struct{ v, def *string }{{&q.CalibMethod, &d.CalibMethod}, {&q.PruneScope, &d.PruneScope},
		{&q.PruneStructure, &d.PruneStructure}, {&q.PruneNorm, &d.PruneNorm}} {
		if *f.v == "" {
			*f.v = *f.def
		}
	}
	if q.Percentile == 0 {
		q.Percentile = d.Percentile
	}
	return q
}

// quantJSON is the quantization configuration of every point: prune is set
// per point, so it is left out (Workers never reaches JSON: it does not change
// results).
func quantJSON(q quant.Config) (json.RawMessage, error) {
	b, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "prune") // a point's own field
	return json.Marshal(m)
}

func dedupe[T comparable](v []T) []T {
	var out []T
	for _, x := range v {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func describe(pc *PointConfig) string {
	return fmt.Sprintf("%s prune %g %s", pc.ModelName, pc.Prune, SchemeLabel(pc.Scheme, pc.MaxShare, mapper.UsesMaxShare(pc.Scheme)))
}

// grid returns grid.json's content for jobs.
func (c *Config) grid(jobs []PointConfig, models []ModelInfo) *gridFile {
	info := RunInfo{Models: models, Prune: dedupe(c.Prune), Schemes: dedupe(c.Schemes), MaxShare: dedupe(c.MaxShare),
		Quant: jobs[0].Quant, HWFile: c.HWFile, HW: jobs[0].HW, Limit: c.Limit, Data: jobs[0].Data, Seed: c.Seed,
		Command: c.Command}
	if len(c.Variants) > 0 {
		info.HWVariants, _ = c.variants(nil) // checked by Jobs
	}
	slices.Sort(info.Prune)
	g := &gridFile{SchemaVersion: SchemaVersion, Config: info, ImagesPerTask: c.ImagesPerTask}
	for _, pc := range jobs {
		g.Points = append(g.Points, gridPoint{ID: pc.Key(), Config: pc})
	}
	return g
}

// checkSplit refuses to split points by image range where the parts would
// not add up to the whole point exactly.
func (c *Config) checkSplit(jobs []PointConfig) error {
	if c.ImagesPerTask < 0 {
		return invalidf("images per task %d is negative", c.ImagesPerTask)
	}
	if c.ImagesPerTask == 0 {
		return nil
	}
	if c.Limit <= 0 {
		return invalidf("splitting points by image range (images per task %d) needs the number of images of a point (limit)", c.ImagesPerTask)
	}
	hw, err := hwsim.ParseHW(jobs[0].HW)
	if err != nil {
		return invalidf("hardware description: %v", err)
	}
	// ADC noise is drawn per input vector numbered from the start of a
	// simulation, so a part starting at image k would draw another noise
	// than the whole point does at image k.
	if hw.ADCNoiseSigmaLSB > 0 {
		return invalidf("adc_noise_sigma_lsb %g: points with ADC noise cannot be split by image range (the noise of an image depends on its position in the run)", hw.ADCNoiseSigmaLSB)
	}
	return nil
}

// Run computes the work units of cfg.Shard (the whole grid by default) that
// are not already stored under cfg.Dir, storing each as soon as it is done
// (store.go: checksummed, atomic; a claim in running/ while it is computed;
// the seconds it took in the run log, runs/). Stored units are verified and
// reused; a corrupt one is recomputed. On error or cancellation the
// finished units stay stored: rerunning resumes.
//
// When the shard is the whole grid, Run then merges the directory and writes
// results.json, results.csv, gains.csv, report.html and RESULTS.md into
// cfg.Dir, exactly as Merge does (it is the same code). A shard of a larger
// sweep returns nil Results: `Merge` gives them once every shard is done.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	jobs, models, err := cfg.Jobs()
	if err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, invalidf("no output directory")
	}
	if err := cfg.checkSplit(jobs); err != nil {
		return nil, err
	}
	if cfg.Shard.Count == 0 {
		cfg.Shard = Shard{Index: 0, Count: 1}
	}
	if _, err := NewShard(cfg.Shard.Index, cfg.Shard.Count); err != nil {
		return nil, err
	}
	for _, d := range []string{pointsDir, partsDir, runningDir, runsDir} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
	}
	grid := cfg.grid(jobs, models)
	if err := writeGrid(cfg.Dir, grid); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var mine []Unit
	for i, u := range units(jobs, cfg.ImagesPerTask) {
		if cfg.Shard.Owns(i) {
			mine = append(mine, u)
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	eval := cfg.Evaluate
	if eval == nil && len(mine) > 0 {
		ev, err := NewEvaluator(cfg)
		if err != nil {
			return nil, err
		}
		eval = ev.Evaluate
	}
	log, err := openRunLog(cfg.Dir, cfg.Shard, cfg.RunCommand)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer log.close()
	workers := min(cfg.Workers, runtime.GOMAXPROCS(0)*4, max(len(mine), 1))

	start := time.Now()
	var mu sync.Mutex
	done, cached := 0, 0
	report := func(p *Point, fromStore bool) {
		mu.Lock()
		defer mu.Unlock()
		done++
		if fromStore {
			cached++
		}
		if cfg.Progress != nil {
			cfg.Progress(Progress{Done: done, Total: len(mine), Cached: cached, Point: p, Elapsed: time.Since(start)})
		}
	}
	// Stored units first, so progress counts them at once.
	var todo []int
	for i := range mine {
		u := &mine[i]
		if rec, err := readRecord(filepath.Join(cfg.Dir, u.file()), u.key()); err == nil {
			report(&rec.Point, true)
		} else {
			todo = append(todo, i)
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				u := &mine[i]
				t0 := time.Now()
				err := writeClaim(cfg.Dir, u, cfg.Shard)
				var p *Point
				if err == nil {
					p, err = evalPoint(ctx, eval, &u.Config)
				}
				if err == nil {
					var b []byte
					if b, err = encodeRecord(&u.Config, p); err == nil {
						err = atomicfile.WriteFile(filepath.Join(cfg.Dir, u.file()), b)
					}
				}
				removeClaim(cfg.Dir, u)
				if err != nil {
					cancel(fmt.Errorf("sweep: %s: %w", describeUnit(u), err))
					continue
				}
				log.write(logEvent{Event: "unit", Unit: u.name(), Label: describe(&u.Config), Seconds: time.Since(t0).Seconds()})
				report(p, false)
			}
		})
	}
feed:
	for _, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	log.write(logEvent{Event: "end", Shard: cfg.Shard.String(), Computed: done - cached, Stored: cached, Seconds: time.Since(start).Seconds()})
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if !cfg.Shard.whole() {
		return nil, nil
	}
	points, err := gather(grid, []string{cfg.Dir})
	if err != nil {
		return nil, err
	}
	res := &Results{SchemaVersion: SchemaVersion, Info: grid.Config, Points: points}
	res.Sort()
	if err := res.WriteAll(cfg.Dir, cfg.Report); err != nil {
		return res, fmt.Errorf("sweep: %w", err)
	}
	return res, nil
}

// evalPoint runs eval and stamps the point with its configuration, so a
// point can never claim another setting than the one it was computed for.
func evalPoint(ctx context.Context, eval EvaluateFunc, pc *PointConfig) (*Point, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := eval(ctx, *pc)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("evaluator returned no point")
	}
	q := *p
	stamp(&q, pc, pc.Key())
	if err := q.validate(); err != nil {
		return nil, err
	}
	return &q, nil
}
