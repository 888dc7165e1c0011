package main

import (
	"context"
	"fmt"
	"text/tabwriter"
)

func init() {
	register(&command{name: "quantize", summary: "quantize and prune a model, write it as QDQ ONNX", run: runQuantize})
}

func runQuantize(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "quantize", "MODEL.onnx -o OUT.onnx")
	var df dataFlags
	var qf quantFlags
	df.register(fs)
	qf.register(fs)
	out := fs.StringP("output", "o", "", "QDQ ONNX file to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *out == "" {
		return usagef("quantize: want MODEL and -o OUT.onnx")
	}
	if err := checkOutputPath("-o", *out); err != nil {
		return err
	}
	st, err := buildNetwork(e, fs.Arg(0), &df, &qf)
	if err != nil {
		return err
	}
	if err := st.net.WriteQDQ(*out); err != nil {
		return err
	}
	c := qf.cfg
	fmt.Fprintf(e.stdout, "wrote %s: %d-bit weights, %d-bit activations, pruning %.2f (%s, %s)\n", *out, c.WBits, c.ABits, c.Prune, c.PruneScope, c.PruneStructure)
	tw := tabwriter.NewWriter(e.stdout, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "layer\top\tK×N×groups\tsparsity")
	sp := st.net.Sparsity()
	for i, l := range st.net.Linears {
		fmt.Fprintf(tw, "%s\t%s\t%d×%d×%d\t%.1f %%\n", l.Name, l.Op, l.K, l.N, l.Groups, 100*sp[i])
	}
	fmt.Fprintf(tw, "total\t\t\t%.1f %%\n", 100*st.net.TotalSparsity())
	return tw.Flush()
}
