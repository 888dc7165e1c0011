package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rramc/rramc/hwsim"
)

func init() {
	register(&command{name: "sim", summary: "simulate a model or mapping file on the RRAM accelerator: accuracy, cycles, energy, area", run: runSim})
}

// simulate runs the golden model, the simulator and (for a model file) the
// float model over the data.
func simulate(ctx context.Context, e *env, st *stages, src hwsim.Feed, df *dataFlags, hf *hwFlags, batch int) (*hwsim.Report, error) {
	var sim *hwsim.Simulator
	if err := st.timed("compile", func() (err error) { sim, err = hwsim.Simulate(st.net, st.mp, st.hw, hf.simOptions()); return err }); err != nil {
		return nil, err
	}
	p := newProgress(e, "simulating "+st.mp.Scheme, 0)
	defer p.done()
	opts := hwsim.EvalOptions{RunOptions: df.runOptions(batch, p), StageSeconds: st.seconds}
	if st.model != nil {
		opts.Float = st.model.Stage()
	}
	return hwsim.Evaluate(ctx, sim, src, opts)
}

func runSim(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sim", "MODEL.onnx|MAPPING.rmap")
	var df dataFlags
	var qf quantFlags
	var hf hwFlags
	df.register(fs)
	df.shard.register(fs)
	qf.register(fs)
	hf.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	maxDrop := fs.Float64("max-accuracy-drop", -1, "exit with code 3 when simulated top-1 is more than this many percentage points below float (or integer, for a mapping file); unset = no check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("sim: want one MODEL or MAPPING argument, got %d", fs.NArg())
	}
	if fs.Changed("max-accuracy-drop") && !(*maxDrop >= 0) {
		return usagef("--max-accuracy-drop %v: want percentage points >= 0", *maxDrop)
	}
	if isMappingFile(fs.Arg(0)) {
		// The file fixes quantization, pruning and layout: flags that would
		// change them must not look as if they had been applied.
		var ignored []string
		for _, name := range []string{"wbits", "abits", "per-channel", "calib", "calib-method", "percentile", "prune",
			"prune-scope", "prune-structure", "prune-first", "prune-last", "scheme", "max-share"} {
			if fs.Changed(name) {
				ignored = append(ignored, "--"+name)
			}
		}
		if len(ignored) > 0 {
			return usagef("sim: %s: a mapping file fixes quantization, pruning and scheme; %s cannot apply (map the model again instead)",
				fs.Arg(0), strings.Join(ignored, ", "))
		}
	}
	df.batch = max(df.batch, 500) // the simulator parallelises inside a batch
	t0 := time.Now()
	st, err := buildMapping(e, fs.Arg(0), &df, &qf, &hf)
	if err != nil {
		return err
	}
	src, err := openEvalData(&df, st.ins)
	if err != nil {
		return err
	}
	rep, err := simulate(ctx, e, st, src, &df, &hf, df.batch)
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	if *asJSON {
		if err := writeJSON(e.stdout, struct {
			Model string `json:"model"`
			*hwsim.Report
			Seconds float64 `json:"seconds"`
			// StageSeconds is the wall time of each stage (load, quantize,
			// map or read, compile, simulate, golden, float); the rest of
			// seconds is reading the data and comparing outputs.
			StageSeconds map[string]float64 `json:"stage_seconds"`
			Shard        *shardInfo         `json:"shard,omitempty"`
		}{st.path, rep, secs, st.seconds, df.shard.info}); err != nil {
			return err
		}
	} else {
		writeSimText(e, st, rep, secs)
		fmt.Fprint(e.stdout, df.shard.info.String())
	}
	if *maxDrop >= 0 {
		ref, what := rep.AccuracyInt, "integer"
		if rep.AccuracyFloat != nil {
			ref, what = *rep.AccuracyFloat, "float"
		}
		if drop := 100 * (ref - rep.AccuracySim); drop > *maxDrop {
			return &accuracyError{msg: fmt.Sprintf("simulated top-1 %.2f %% is %.2f points below %s %.2f %% (allowed %.2f)", 100*rep.AccuracySim, drop, what, 100*ref, *maxDrop)}
		}
	}
	return nil
}

func writeSimText(e *env, st *stages, r *hwsim.Report, secs float64) {
	w := e.stdout
	fmt.Fprintf(w, "%s: scheme %s (max-share %d), %s, %d-bit ADC (%s), %d images, %.1f s\n",
		st.path, r.Scheme, r.MaxShare, st.mp.Geometry, r.HW.ADCBits, r.HW.ADCMode, r.Images, secs)
	fmt.Fprintf(w, "time: %s\n", formatStageSeconds(st.seconds))
	if r.AccuracyFloat != nil {
		fmt.Fprintf(w, "top-1  float %.2f %%   integer (golden) %.2f %%   simulated %.2f %%\n", 100**r.AccuracyFloat, 100*r.AccuracyInt, 100*r.AccuracySim)
	} else {
		fmt.Fprintf(w, "top-1  integer (golden) %.2f %%   simulated %.2f %%\n", 100*r.AccuracyInt, 100*r.AccuracySim)
	}
	fmt.Fprintf(w, "agreement with golden model: %.2f %% of outputs bit-identical, %.2f %% same top-1; ADC saturations %d of %d conversions\n",
		100*r.BitExact, 100*r.Top1Agreement, r.ADCSaturations, r.ADCConversions)
	fmt.Fprintf(w, "\nper inference (one image):\n")
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', tabwriter.AlignRight)
	labels := hwsim.ComponentLabels()
	fmt.Fprintf(tw, "layer\tcrossbars\tOU activations\tcycles\tlatency\tenergy\t%s\tindex bits\t\n", strings.Join(labels, "\t"))
	row := func(name string, crossbars int, activations, cycles int64, latencyNs float64, en hwsim.Breakdown, indexBits int64) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t", name, crossbars, activations, cycles, fmtTime(latencyNs), fmtEnergy(en.Total))
		for _, v := range en.Parts() {
			fmt.Fprintf(tw, "%s\t", fmtEnergy(v))
		}
		fmt.Fprintf(tw, "%d\t\n", indexBits)
	}
	for _, l := range r.Layers {
		row(l.Name, l.Crossbars, l.OUActivations, l.Cycles, l.LatencyNs, l.EnergyPJ, l.IndexBits)
	}
	row("total", r.Crossbars, r.Counts.OUActivations, r.Cycles, r.LatencyNs, r.EnergyPJ, r.IndexOverhead.Bits)
	tw.Flush()
	var parts []string
	for i, v := range r.AreaUM2.Parts() {
		parts = append(parts, labels[i]+" "+fmtArea(v))
	}
	fmt.Fprintf(w, "area %s (%s)\n", fmtArea(r.AreaUM2.Total), strings.Join(parts, ", "))
	if r.PeriodNs > 0 {
		fmt.Fprintf(w, "chip: %d tiles; layers pipelined: latency %s per image, one image every %s (%.0f images/s); static power %.3f mW (in the energy above)\n",
			r.Tiles, fmtTime(r.LatencyNs), fmtTime(r.PeriodNs), r.ThroughputIPS, r.StaticPowerMW)
	}
	fmt.Fprintf(w, "index overhead: %d bits, %.2f %% of energy, %.2f %% of area\n", r.IndexOverhead.Bits, 100*r.IndexOverhead.EnergyShare, 100*r.IndexOverhead.AreaShare)
}

// stageOrder is the order stages run in, for the text summary.
var stageOrder = []string{"read", "load", "quantize", "map", "compile", "float", "int", "sim"}

// formatStageSeconds lists the stages' wall times in pipeline order.
func formatStageSeconds(sec map[string]float64) string {
	var parts []string
	for _, name := range stageOrder {
		if v, ok := sec[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.3f s", name, v))
		}
	}
	return strings.Join(parts, ", ")
}
