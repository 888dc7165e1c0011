package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
	"github.com/rramc/rramc/testmodels"
)

func init() {
	register(&command{name: "eval", summary: "top-1 accuracy of a model on a dataset: float, int (golden) and simulated; with no model, the bundled LeNet-5", run: runEval})
}

// evalResult is eval's JSON output. Accuracies a mode did not compute are
// omitted.
type evalResult struct {
	Model         string             `json:"model"`
	Data          string             `json:"data"`
	Images        int                `json:"images"`
	Mode          string             `json:"mode"`
	Accuracy      float64            `json:"accuracy"` // of the last stage run
	AccuracyFloat *float64           `json:"accuracy_float,omitempty"`
	AccuracyInt   *float64           `json:"accuracy_int,omitempty"`
	AccuracySim   *float64           `json:"accuracy_sim,omitempty"`
	BitExact      *float64           `json:"bit_exact,omitempty"`
	Top1Agreement *float64           `json:"top1_agreement,omitempty"`
	Sparsity      *float64           `json:"sparsity,omitempty"` // of all linear layers
	Layers        []layerSparsity    `json:"layers,omitempty"`
	Sim           *hwsim.Report      `json:"sim,omitempty"`
	Gains         []schemeGain       `json:"gains,omitempty"`
	Seconds       float64            `json:"seconds"`
	StageSeconds  map[string]float64 `json:"stage_seconds"`
	Config        *quant.Config      `json:"config,omitempty"`
	Shard         *shardInfo         `json:"shard,omitempty"`
	schemeReports map[string]*hwsim.Report
}

type layerSparsity struct {
	Name     string  `json:"name"`
	Sparsity float64 `json:"sparsity"`
}

// schemeGain compares the simulated scheme with one baseline.
type schemeGain struct {
	Scheme        string  `json:"scheme"`
	Baseline      string  `json:"baseline"`
	Cycles        int64   `json:"cycles"`
	BaselineCyc   int64   `json:"baseline_cycles"`
	PerfImprove   float64 `json:"performance_improvement"` // baseline cycles / cycles - 1
	EnergyPJ      float64 `json:"energy_pj"`
	BaselineEPJ   float64 `json:"baseline_energy_pj"`
	EnergySaving  float64 `json:"energy_saving"` // baseline energy / energy
	IndexBits     int64   `json:"index_bits"`
	BaselineIndex int64   `json:"baseline_index_bits"`
}

// bundledModel writes the embedded LeNet-5 to a temporary file so that the
// default command works from an installed binary.
func bundledModel() (string, func(), error) {
	dir, err := os.MkdirTemp("", "rramc")
	if err != nil {
		return "", nil, err
	}
	b, err := testmodels.DefaultONNX()
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	path := filepath.Join(dir, testmodels.DefaultModel+".onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "eval", "[MODEL.onnx]  (no model: the bundled LeNet-5, --mode all)")
	var df dataFlags
	var qf quantFlags
	var hf hwFlags
	df.register(fs)
	df.shard.register(fs)
	qf.register(fs)
	hf.register(fs)
	mode := fs.String("mode", "", "float | int | sim | all (default: all for the bundled model, float otherwise)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("eval: want at most one MODEL argument, got %d", fs.NArg())
	}
	path, display := "", ""
	if fs.NArg() == 1 {
		path, display = fs.Arg(0), fs.Arg(0)
		if *mode == "" {
			*mode = "float"
		}
	} else {
		p, cleanup, err := bundledModel()
		if err != nil {
			return err
		}
		defer cleanup()
		path, display = p, "bundled "+testmodels.DefaultModel+".onnx"
		if *mode == "" {
			*mode = "all"
		}
	}
	doFloat, doInt, doSim := false, false, false
	switch *mode {
	case "float":
		doFloat = true
	case "int":
		doInt = true
	case "sim":
		doSim = true
	case "all":
		doFloat, doInt, doSim = true, true, true
	default:
		return usagef("eval: --mode %q: want float, int, sim or all", *mode)
	}
	t0 := time.Now()
	r := &evalResult{Model: display, Mode: *mode, StageSeconds: map[string]float64{}}
	m, err := openModel(path, &df.consts)
	if err != nil {
		return err
	}
	src, err := openEvalData(&df, m.Inputs)
	if err != nil {
		return err
	}
	r.Data, r.Images, r.Shard = src.Name(), df.runOptions(0, nil).Samples(src), df.shard.info
	labels := src.Labels()[df.first : df.first+r.Images] // the images run (a --shard starts at df.first)
	if doFloat {
		ts := time.Now()
		p := newProgress(e, "float32", r.Images)
		outs, err := hwsim.Run(ctx, src, df.runOptions(df.batch, p), m.Stage())
		p.done()
		if err != nil {
			return err
		}
		a := outs[0].Accuracy(labels)
		r.AccuracyFloat, r.Accuracy = &a, a
		r.StageSeconds["float"] = time.Since(ts).Seconds()
	}
	if doInt || doSim {
		ts := time.Now()
		net, err := quantizeModelFrom(e, m, &df, &qf, &src)
		if err != nil {
			return err
		}
		r.StageSeconds["quantize"] = time.Since(ts).Seconds()
		sp := net.Sparsity()
		for i, l := range net.Linears {
			r.Layers = append(r.Layers, layerSparsity{l.Name, sp[i]})
		}
		total := net.TotalSparsity()
		r.Sparsity = &total
		c := qf.cfg
		r.Config = &c
		if doInt && !doSim {
			ts = time.Now()
			p := newProgress(e, "integer", r.Images)
			outs, err := hwsim.Run(ctx, src, df.runOptions(max(df.batch, 256), p), hwsim.GoldenStage(net, net.Config.Workers))
			p.done()
			if err != nil {
				return err
			}
			a := outs[0].Accuracy(labels)
			r.AccuracyInt, r.Accuracy = &a, a
			r.StageSeconds["int"] = time.Since(ts).Seconds()
		}
		if doSim {
			if err := evalSim(ctx, e, r, &stages{path: display, ins: m.Inputs, net: net}, src, &df, &hf); err != nil {
				return err
			}
		}
	}
	r.Seconds = time.Since(t0).Seconds()
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	writeEvalText(e, r)
	return nil
}

// evalSim simulates the chosen scheme over the data (which also yields the
// golden model's accuracy) and costs the baselines on one image each, since
// cycles and energy do not depend on the input values.
func evalSim(ctx context.Context, e *env, r *evalResult, st *stages, src hwsim.Feed, df *dataFlags, hf *hwFlags) error {
	hw, err := hf.hardware()
	if err != nil {
		return err
	}
	st.hw = hw
	opts, err := hf.mapOptions()
	if err != nil {
		return err
	}
	r.schemeReports = map[string]*hwsim.Report{}
	ts := time.Now()
	for _, scheme := range append([]string{opts.Scheme}, mapper.Baselines()...) {
		if _, done := r.schemeReports[scheme]; done {
			continue
		}
		o := opts
		o.Scheme = scheme
		mp, err := mapperMap(st, o)
		if err != nil {
			return err
		}
		s := *st
		s.mp = mp
		if scheme == opts.Scheme {
			rep, err := simulate(ctx, e, &s, src, df, hf, max(df.batch, 500))
			if err != nil {
				return err
			}
			r.Sim = rep
			ai, as, be, ta := rep.AccuracyInt, rep.AccuracySim, rep.BitExact, rep.Top1Agreement
			r.AccuracyInt, r.AccuracySim, r.BitExact, r.Top1Agreement, r.Accuracy = &ai, &as, &be, &ta, as
			r.schemeReports[scheme] = rep
			r.StageSeconds["sim"] = time.Since(ts).Seconds()
			continue
		}
		sim, err := hwsim.Simulate(st.net, mp, hw, hf.simOptions())
		if err != nil {
			return err
		}
		rep, err := hwsim.Evaluate(ctx, sim, src, hwsim.EvalOptions{RunOptions: hwsim.RunOptions{Limit: 1}})
		if err != nil {
			return err
		}
		r.schemeReports[scheme] = rep
	}
	me := r.schemeReports[opts.Scheme]
	for _, b := range mapper.Baselines() {
		if b == opts.Scheme {
			continue
		}
		br := r.schemeReports[b]
		r.Gains = append(r.Gains, schemeGain{Scheme: opts.Scheme, Baseline: b, Cycles: me.Cycles, BaselineCyc: br.Cycles,
			PerfImprove: float64(br.Cycles)/float64(me.Cycles) - 1, EnergyPJ: me.EnergyPJ.Total, BaselineEPJ: br.EnergyPJ.Total,
			EnergySaving: br.EnergyPJ.Total / me.EnergyPJ.Total, IndexBits: me.IndexOverhead.Bits, BaselineIndex: br.IndexOverhead.Bits})
	}
	return nil
}

func writeEvalText(e *env, r *evalResult) {
	w := e.stdout
	fmt.Fprintf(w, "%s on %s, %d images (%.1f s)\n", r.Model, r.Data, r.Images, r.Seconds)
	fmt.Fprint(w, r.Shard.String())
	if r.AccuracyFloat != nil {
		fmt.Fprintf(w, "  float32 top-1            %6.2f %%\n", 100**r.AccuracyFloat)
	}
	if r.AccuracyInt != nil {
		c := r.Config
		fmt.Fprintf(w, "  integer top-1 (golden)   %6.2f %%   (%d-bit weights, %d-bit activations, pruning %v)\n", 100**r.AccuracyInt, c.WBits, c.ABits, c.Prune)
	}
	if r.AccuracySim != nil {
		s := r.Sim
		fmt.Fprintf(w, "  simulated top-1          %6.2f %%   (%s, max-share %d, crossbar %dx%d, OU %dx%d, %d-bit ADC; %.2f %% of outputs bit-identical to golden, %.2f %% same top-1)\n",
			100**r.AccuracySim, s.Scheme, s.MaxShare, s.HW.XbarRows, s.HW.XbarCols, s.HW.OURows, s.HW.OUCols, s.HW.ADCBits, 100**r.BitExact, 100**r.Top1Agreement)
	}
	if len(r.Gains) == 0 {
		return
	}
	me := r.Sim
	fmt.Fprintf(w, "\nper inference: %d cycles (%s), %s, %s of area, %d index bits\n", me.Cycles, fmtTime(me.LatencyNs), fmtEnergy(me.EnergyPJ.Total), fmtArea(me.AreaUM2.Total), me.IndexOverhead.Bits)
	fmt.Fprintf(w, "\ngains of %s over the baselines (same network, weights, crossbar and OU):\n", me.Scheme)
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "baseline\tcycles\tenergy\tperformance improvement\tenergy saving\t")
	for _, g := range r.Gains {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%+.1f %%\t%.2fx\t\n", g.Baseline, g.BaselineCyc, fmtEnergy(g.BaselineEPJ), 100*g.PerfImprove, g.EnergySaving)
	}
	tw.Flush()
}
