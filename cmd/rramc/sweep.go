package main

import (
	"context"
	"fmt"
	"github.com/rramc/rramc/importer/atomicfile"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/hwsim/sweep"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/testmodels"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, sweep.ErrInvalidConfig)
	register(&command{name: "sweep", summary: "quantize, map and simulate models over pruning ratios × schemes; write results.json/csv, report.html, RESULTS.md (sweep merge, sweep status: sharded runs)", run: runSweep})
}

// The paper's grid (mapper/METHOD.md) plus the two schemes beyond it.
var (
	defaultSweepPrune   = []float64{0, 0.3, 0.5, 0.7, 0.9}
	defaultSweepSchemes = mapper.SchemeNames()
	defaultSweepShare   = []int{2, 0}
)

func runSweep(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "merge":
			return runSweepMerge(ctx, e, args[1:])
		case "status":
			return runSweepStatus(ctx, e, args[1:])
		}
	}
	fs := newFlags(e, "sweep", "[MODEL.onnx...]  (no model: the testmodels, plus testmodels/resnet18.onnx when present)\n"+
		"       rramc sweep merge DIR...   merge the shards of a sweep\n       rramc sweep status DIR     done / running / missing per shard")
	prune := fs.Float64Slice("prune", defaultSweepPrune, "pruning ratios (comma-separated)")
	schemes := fs.StringSlice("schemes", defaultSweepSchemes, "mapping schemes: "+strings.Join(mapper.SchemeNames(), ", "))
	hwVariants := fs.StringSlice("hw-variants", nil, "hardware axis: run the grid under each of these, comma-separated: "+
		strings.Join(hwsim.VariantNames(), ", ")+" (built on --hw), a preset ("+strings.Join(hwsim.PresetNames(), ", ")+") or a hardware file; "+
		"RESULTS.md then compares them side by side")
	costOnlyVariants := fs.StringSlice("cost-only-variants", nil, "hardware variants (of --hw-variants) swept for their cost only: no image is simulated, "+
		"no accuracy measured (the cost of an inference depends on the mapping alone); for variants whose lossy ADC needs the bit-serial simulation")
	shares := fs.IntSlice("max-share", defaultSweepShare, "owner limits for the colsim family (2 = the paper's pairs, 0 = unlimited)")
	out := fs.StringP("output", "o", "sweep-out", "output directory (points/ holds finished points: rerunning resumes)")
	resultsMD := fs.String("results-md", "", "also write the RESULTS.md text to this file")
	workers := fs.Int("workers", 0, "points evaluated at once (0 = one per core)")
	asJSON := fs.Bool("json", false, "print the summaries as JSON")
	families := fs.StringArray("family", nil, "a model family: DENSE.onnx=SPARSE.onnx,SPARSE.onnx... (fine-tuned sparse versions, swept at the sparsity of their weights as network DENSE"+sweep.FinetunedSuffix+"; repeatable)")
	seed := fs.Uint64("seed", 0, "grid seed: each point's non-idealities draw from a hash of its whole configuration, this included")
	var sf shardFlags
	sf.register(fs)
	// The quantization flags of the other commands, except --prune, which
	// is a list here; and the hardware flags that do not pick a scheme.
	var qf quantFlags
	var hf hwFlags
	var df dataFlags
	borrowFlags(fs, df.register, "batch")
	borrowFlags(fs, qf.register, "prune")
	borrowFlags(fs, hf.register, "scheme", "max-share", "seed", "sim-mode")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	shard, err := sf.resolve()
	if err != nil {
		return err
	}
	if err := qf.cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	spec, err := df.spec()
	if err != nil {
		return err
	}
	_, constFiles, err := df.consts.tensors() // read once here: a bad file is named before the grid starts
	if err != nil {
		return err
	}
	for _, s := range *schemes {
		if _, err := mapper.LookupScheme(s); err != nil {
			return usagef("--schemes: %v", err)
		}
	}
	hw, err := hf.hardware()
	if err != nil {
		return err
	}
	hwJSON, err := hw.JSON()
	if err != nil {
		return err
	}
	models := fs.Args()
	specs, err := familySpecs(*families)
	if err != nil {
		return err
	}
	if len(models) == 0 && len(specs) == 0 {
		if specs, err = defaultSweepModels(*out); err != nil {
			return err
		}
	}
	for _, m := range models {
		if _, err := os.Stat(m); err != nil {
			return fmt.Errorf("sweep: model %s: %w", m, err)
		}
	}
	variants, err := hardwareVariants(*hwVariants, hw)
	if err != nil {
		return err
	}
	if err := markCostOnly(variants, *costOnlyVariants); err != nil {
		return err
	}
	cfg := sweep.Config{
		Models: models, Specs: specs, Prune: *prune, Schemes: *schemes, MaxShare: *shares,
		Quant: qf.cfg, HWFile: hf.hwFile, HW: hwJSON, Variants: variants,
		Limit: df.limit, Data: spec.Data, Labels: spec.Labels, Mean: spec.Norm.Mean, Std: spec.Norm.Std, Resize: spec.Resize,
		Dir: *out, Workers: *workers, Report: sweep.DefaultReportOptions(),
		Command: canonicalCommand(fs, args), RunCommand: "rramc sweep " + shellJoin(args),
		Shard: shard, ImagesPerTask: sf.imagesPerTask, Seed: *seed, Consts: constFiles,
	}
	p := newProgress(e, "sweep", 0)
	var last sweep.Progress
	cfg.Progress = func(pr sweep.Progress) {
		last = pr
		if !p.on {
			return
		}
		fmt.Fprintf(p.w, "\r\033[Ksweep: %s", pr)
	}
	res, err := sweep.Run(ctx, cfg)
	p.done()
	if err != nil {
		return err
	}
	if res == nil { // one shard of a larger sweep
		fmt.Fprintf(e.stdout, "shard %s: %d work units, %d computed, %d already stored in %s\n"+
			"when every shard is done: rramc sweep merge %s\n", shard, last.Total, last.Done-last.Cached, last.Cached, *out, *out)
		return nil
	}
	if *resultsMD != "" { // RESULTS.md is in the output directory too (WriteAll)
		md, err := sweep.WriteResultsMarkdown(res)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*resultsMD, md); err != nil {
			return err
		}
	}
	sums := sweep.Summaries(res.Gains())
	if *asJSON {
		return writeJSON(e.stdout, sweepJSON(sums, *out))
	}
	return printSweep(e, res, sums, *out, *resultsMD)
}

// borrowFlags registers flags with reg on a scratch set and copies them into
// fs, leaving out the named ones (which fs defines differently or not at
// all), so that sweep shares the other commands' flag definitions.
func borrowFlags(fs *pflag.FlagSet, reg func(*pflag.FlagSet), skip ...string) {
	scratch := pflag.NewFlagSet("", pflag.ContinueOnError)
	reg(scratch)
	scratch.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(skip, f.Name) {
			fs.AddFlag(f)
		}
	})
}

// defaultSweepModels are the networks of `rramc sweep` with no model:
//   - the committed testmodels on MNIST, read from ./testmodels when run
//     inside the repository, each with its fine-tuned sparse family when
//     the manifest lists one, and resnet18.onnx (cost only) when exported;
//     outside the repository the embedded testmodels, extracted into
//     DIR/models;
//   - the trained CIFAR-10 ResNets of ../shared/models/cifar10 on the
//     CIFAR-10 test images of ../shared/data, when both are there
//     (cifarModels).
func defaultSweepModels(dir string) ([]sweep.ModelSpec, error) {
	man, err := testmodels.Embedded()
	if err != nil {
		return nil, err
	}
	var specs []sweep.ModelSpec
	if _, err := os.Stat(filepath.Join("testmodels", "manifest.json")); err == nil {
		local, err := testmodels.LoadManifest("testmodels")
		if err != nil {
			return nil, err
		}
		for _, n := range local.Names() {
			s := sweep.ModelSpec{Path: filepath.Join("testmodels", local.Models[n].File)}
			fam, err := local.Family(n)
			if err != nil {
				return nil, err
			}
			for _, f := range fam[1:] {
				s.Sparse = append(s.Sparse, filepath.Join("testmodels", local.SparseModels[f].File))
			}
			specs = append(specs, s)
		}
		if _, err := os.Stat(filepath.Join("testmodels", "resnet18.onnx")); err == nil {
			specs = append(specs, sweep.ModelSpec{Path: filepath.Join("testmodels", "resnet18.onnx")})
		}
		return append(specs, cifarModels(filepath.Join("..", "shared"))...), nil
	}
	mdir := filepath.Join(dir, "models")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return nil, err
	}
	for _, n := range man.Names() {
		b, err := testmodels.ReadModel(n)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(mdir, man.Models[n].File)
		if err := atomicfile.WriteFile(path, b); err != nil {
			return nil, err
		}
		specs = append(specs, sweep.ModelSpec{Path: path})
	}
	return specs, nil
}

// The trained CIFAR-10 ResNets kept beside the repository (shared/models/
// cifar10: ResNet-20 and ResNet-56 from the public ace-compiler repository,
// PyTorch 2.2.1 exports, static batch 1) and their test images (shared/data:
// the first 846 CIFAR-10 test images in the official binary format), with
// the per-channel preprocessing they were trained with.
var (
	cifarNets = []struct{ file, depth, size string }{
		{"resnet20_cifar10", "20", "0.27 M parameters, about 41 M multiply-accumulates per image; onnxruntime's float32 top-1 on the 846 images: 90.43 %"},
		{"resnet56_cifar10", "56", "0.86 M parameters, about 126 M multiply-accumulates per image; onnxruntime's float32 top-1 on the 846 images: 93.50 %"},
	}
	cifarData = filepath.Join("data", "cifar10_test_first846.bin")
	cifarMean = []float32{0.4914, 0.4822, 0.4465}
	cifarStd  = []float32{0.2023, 0.1994, 0.2010}
)

// cifarNote is what RESULTS.md says of a CIFAR-10 ResNet: where it and its
// data come from, and why it is pruned one-shot only.
func cifarNote(depth, size string) string {
	return "ResNet-" + depth + " for CIFAR-10, the residual network of He et al. (2016) for 32×32 images (three stages of basic " +
		"blocks with 16, 32 and 64 channels, global average pooling, one fully connected layer; " + size + "), trained by others " +
		"and used unchanged: an ONNX export by PyTorch 2.2.1 (opset 10, batch 1) shipped as a test model by the public " +
		"repository zggl404/ace-compiler (commit fb76131, folder model/). Test data: the first 846 images of the official " +
		"CIFAR-10 test set in its binary format, each channel normalized as x = (pixel/255 − mean)/std with mean (0.4914, " +
		"0.4822, 0.4465) and std (0.2023, 0.1994, 0.2010), the preprocessing it was trained with; calibration uses the first " +
		"512 of them. Pruned one-shot by rramc only: fine-tuning needs the CIFAR-10 training images, which were not on the " +
		"machine that ran the sweep (only these 846 test images were, and fine-tuning on them would leak the test set into " +
		"the weights), and rramc downloads nothing."
}

// cifarModels returns the CIFAR-10 networks under shared, nil when the
// folder or its data is absent.
func cifarModels(shared string) []sweep.ModelSpec {
	data := filepath.Join(shared, cifarData)
	if _, err := os.Stat(data); err != nil {
		return nil
	}
	var specs []sweep.ModelSpec
	for _, n := range cifarNets {
		p := filepath.Join(shared, "models", "cifar10", n.file+".onnx")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		specs = append(specs, sweep.ModelSpec{Path: p, Data: data, Mean: cifarMean, Std: cifarStd, Note: cifarNote(n.depth, n.size)})
	}
	return specs
}

// familySpecs parses --family values: DENSE.onnx=SPARSE.onnx,SPARSE.onnx...
func familySpecs(values []string) ([]sweep.ModelSpec, error) {
	var specs []sweep.ModelSpec
	for _, v := range values {
		dense, sparse, ok := strings.Cut(v, "=")
		if !ok || dense == "" || sparse == "" {
			return nil, usagef("--family %q: want DENSE.onnx=SPARSE.onnx[,SPARSE.onnx...]", v)
		}
		s := sweep.ModelSpec{Path: dense, Sparse: strings.Split(sparse, ",")}
		for _, p := range append([]string{dense}, s.Sparse...) {
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("sweep: --family: model %s: %w", p, err)
			}
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// shellJoin quotes args for a POSIX shell, so that the recorded command can
// be pasted back.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+", r))
		}) < 0 {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

type sweepSummary struct {
	Method           string   `json:"method"`
	Baseline         string   `json:"baseline"`
	Points           int      `json:"points"`
	MeanPerfImprove  *float64 `json:"mean_performance_improvement"`
	PerfRangeLo      *float64 `json:"performance_improvement_range_lo"`
	PerfRangeHi      *float64 `json:"performance_improvement_range_hi"`
	MeanEnergySaving *float64 `json:"mean_energy_saving"`
	EnergyRangeLo    *float64 `json:"energy_saving_range_lo"`
	EnergyRangeHi    *float64 `json:"energy_saving_range_hi"`
}

type sweepOutput struct {
	Dir       string         `json:"dir"`
	Summaries []sweepSummary `json:"summaries"`
	Paper     struct {
		Baseline        string  `json:"baseline"`
		MeanPerfImprove float64 `json:"mean_performance_improvement"`
		EnergyRangeLo   float64 `json:"energy_saving_range_lo"`
		EnergyRangeHi   float64 `json:"energy_saving_range_hi"`
	} `json:"paper"`
}

// finiteOrNil keeps NaN and ±Inf (no comparable point) out of the JSON.
func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func sweepJSON(sums []sweep.Summary, dir string) sweepOutput {
	o := sweepOutput{Dir: dir, Summaries: []sweepSummary{}}
	o.Paper.Baseline, o.Paper.MeanPerfImprove = sweep.PaperBaseline, sweep.PaperPerfImprovement
	o.Paper.EnergyRangeLo, o.Paper.EnergyRangeHi = sweep.PaperEnergyLo, sweep.PaperEnergyHi
	for _, s := range sums {
		if mapper.IsBaseline(s.Scheme) {
			continue
		}
		o.Summaries = append(o.Summaries, sweepSummary{Method: sweep.SchemeLabel(s.Scheme, s.MaxShare, true), Baseline: s.Baseline,
			Points: s.Points, MeanPerfImprove: finiteOrNil(s.MeanPerf), PerfRangeLo: finiteOrNil(s.PerfRangeLo),
			PerfRangeHi: finiteOrNil(s.PerfRangeHi), MeanEnergySaving: finiteOrNil(s.MeanEnergy),
			EnergyRangeLo: finiteOrNil(s.EnergyRangeLo), EnergyRangeHi: finiteOrNil(s.EnergyRangeHi)})
	}
	return o
}

func printSweep(e *env, res *sweep.Results, sums []sweep.Summary, dir, md string) error {
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(e.stdout, "%d points, %d networks; performance improvement = baseline cycles / cycles - 1, energy saving = baseline energy / energy\n\n",
		len(res.Points), len(res.ModelNames()))
	fmt.Fprintln(w, "method\tvs\tmean perf. improvement\tover ratios\tmean energy saving\tover ratios\t")
	fmt.Fprintf(w, "paper\t%s\t%.2f %%\t\t\t%.2fx–%.2fx\t\n", sweep.PaperBaseline, 100*sweep.PaperPerfImprovement, sweep.PaperEnergyLo, sweep.PaperEnergyHi)
	for _, s := range sums {
		if mapper.IsBaseline(s.Scheme) {
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s–%s\t%s\t%s–%s\t\n", sweep.SchemeLabel(s.Scheme, s.MaxShare, true), s.Baseline,
			fmtPct(s.MeanPerf), fmtPct(s.PerfRangeLo), fmtPct(s.PerfRangeHi),
			fmtTimes(s.MeanEnergy), fmtTimes(s.EnergyRangeLo), fmtTimes(s.EnergyRangeHi))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nwrote %s\n", strings.Join(mergedFiles(dir), ", "))
	if md != "" {
		fmt.Fprintf(e.stdout, "wrote %s\n", md)
	}
	return nil
}

func fmtPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f %%", 100*v)
}

func fmtTimes(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", v)
}

// markCostOnly marks the named variants cost-only; each must be one of
// the sweep's variants.
func markCostOnly(variants []sweep.HWVariant, names []string) error {
	for _, n := range names {
		i := slices.IndexFunc(variants, func(v sweep.HWVariant) bool { return v.Name == n })
		if i < 0 {
			return usagef("--cost-only-variants: %q is not one of --hw-variants", n)
		}
		variants[i].CostOnly = true
	}
	return nil
}

// hardwareVariants resolves the --hw-variants names over the sweep's
// hardware base (nil when none are given: a sweep of one hardware).
func hardwareVariants(names []string, base hwsim.HW) ([]sweep.HWVariant, error) {
	var out []sweep.HWVariant
	for _, name := range names {
		h, err := hwsim.ResolveVariant(name, base)
		if err != nil {
			return nil, fmt.Errorf("--hw-variants: %w", err)
		}
		js, err := h.JSON()
		if err != nil {
			return nil, err
		}
		out = append(out, sweep.HWVariant{Name: name, HW: js})
	}
	return out, nil
}
