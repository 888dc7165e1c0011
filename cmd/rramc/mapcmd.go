package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/rramc/rramc/mapper"
)

func init() {
	register(&command{name: "map", summary: "quantize a model and map it onto crossbars; write a mapping file and/or the per-layer statistics", run: runMap})
}

type mapJSON struct {
	Model    string         `json:"model"`
	Scheme   string         `json:"scheme"`
	MaxShare int            `json:"max_share"`
	Geometry string         `json:"geometry"`
	Layers   []mapper.Stats `json:"layers"`
	Total    mapper.Stats   `json:"total"`
	Output   string         `json:"output,omitempty"`
}

func runMap(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "map", "MODEL.onnx [-o FILE.rmap] [--stats] [--json]")
	var df dataFlags
	var qf quantFlags
	var hf hwFlags
	df.register(fs)
	qf.register(fs)
	hf.register(fs)
	out := fs.StringP("output", "o", "", "write the mapping file here")
	stats := fs.Bool("stats", false, "print the per-layer statistics table")
	asJSON := fs.Bool("json", false, "print the statistics as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("map: want one MODEL argument, got %d", fs.NArg())
	}
	if *out == "" && !*stats && !*asJSON {
		return usagef("map: nothing to do: give -o FILE, --stats or --json")
	}
	if err := checkOutputPath("-o", *out); err != nil {
		return err
	}
	st, err := buildMapping(e, fs.Arg(0), &df, &qf, &hf)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := mapper.WriteFile(*out, st.mp); err != nil {
			return err
		}
	}
	layers, total, err := st.mp.Stats()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, mapJSON{Model: st.path, Scheme: st.mp.Scheme, MaxShare: st.mp.MaxShare,
			Geometry: st.mp.Geometry.String(), Layers: layers, Total: total, Output: *out})
	}
	if *stats {
		writeStatsTable(e, st.mp, layers, total)
	}
	if *out != "" {
		fmt.Fprintf(e.stdout, "wrote %s (%s, %s)\n", *out, st.mp.Scheme, st.mp.Geometry)
	}
	return nil
}

func writeStatsTable(e *env, mp *mapper.Mapping, layers []mapper.Stats, total mapper.Stats) {
	fmt.Fprintf(e.stdout, "scheme %s (max-share %d), %s\n", mp.Scheme, mp.MaxShare, mp.Geometry)
	tw := tabwriter.NewWriter(e.stdout, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tcrossbars\tcells\tOU act./input bit\tlower bound\tbit sparsity\tmerged\tindex bits\tcompression vs dense\t")
	row := func(s mapper.Stats) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f %%\t%.1f %%\t%d\t%.2fx\t\n", s.Name, s.Crossbars, s.Cells, s.OUActivations, s.OUActivationBound,
			100*s.BitSparsity(), 100*s.MergedShare(), s.IndexBits, s.CompressionRatio())
	}
	for _, s := range layers {
		row(s)
	}
	total.Name = "total"
	row(total)
	tw.Flush()
}
