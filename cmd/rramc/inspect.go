package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/quant"
)

func init() {
	badInputErrors = append(badInputErrors, importer.ErrInvalidModel)
	register(&command{name: "inspect", summary: "describe an ONNX model: inputs, opset, ops, layers, where each node runs, verdict", run: runInspect})
}

// inspection is what inspect prints: the model summary, where each node
// runs once quantized (quant.Placement) and the whole-model verdict.
type inspection struct {
	*importer.Summary
	// Placement is absent when the model cannot be prepared for
	// quantization at all (PlacementError says why).
	Placement      *quant.Plan `json:"placement,omitempty"`
	PlacementError string      `json:"placement_error,omitempty"`
	RunsEndToEnd   bool        `json:"runs_end_to_end"`
	Verdict        string      `json:"verdict"`
}

func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inspect", "MODEL.onnx")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	var consts constInputs
	consts.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("inspect: want exactly one MODEL argument, got %d", fs.NArg())
	}
	m, err := onnx.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	if m, err = consts.freeze(m); err != nil {
		return err
	}
	in := inspect(m)
	if *asJSON {
		return writeJSON(e.stdout, in)
	}
	return in.writeText(e.stdout)
}

// inspect summarizes m and places its nodes. The verdict names the first
// stage that stops: import (ops the float interpreter cannot run), then
// quantization (nodes no integer kind takes).
func inspect(m *importer.Model) *inspection {
	in := &inspection{Summary: importer.Summarize(m, interp.Supported)}
	plan, err := quant.Placement(m)
	if err != nil {
		in.PlacementError = err.Error()
	} else {
		in.Placement = plan
	}
	switch {
	case len(in.Unsupported) > 0:
		var ops []string
		count := map[string]int{}
		for _, n := range in.Unsupported {
			if count[n.Op] == 0 {
				ops = append(ops, n.Op)
			}
			count[n.Op]++
		}
		for i, op := range ops {
			ops[i] = fmt.Sprintf("%s ×%d", op, count[op])
		}
		noun := "nodes"
		if len(in.Unsupported) == 1 {
			noun = "node"
		}
		in.Verdict = fmt.Sprintf("stops at import: %d %s the float interpreter cannot run (%s)", len(in.Unsupported), noun, strings.Join(ops, ", "))
	case err != nil:
		in.Verdict = "stops at quantization: " + err.Error()
	default:
		in.Verdict, in.RunsEndToEnd = plan.Verdict(), plan.Runs()
	}
	return in
}

func (in *inspection) writeText(w io.Writer) error {
	if err := in.Summary.WriteText(w); err != nil {
		return err
	}
	if p := in.Placement; p != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "placement (%d crossbar layers, %d digital, %d on the host, %d folded, %d unsupported):\n",
			p.CrossbarLayers, p.DigitalNodes, p.HostNodes, p.FoldedNodes, p.UnsupportedNodes)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  node\top\twhere\tdetail\n")
		for i, n := range p.Nodes {
			name := n.Node
			if name == "" {
				name = fmt.Sprintf("#%d", i)
			}
			var detail []string
			if len(n.Kinds) > 0 {
				detail = append(detail, "kind "+strings.Join(n.Kinds, "+"))
			}
			if n.Into != "" {
				detail = append(detail, "into "+n.Into)
			}
			if n.Reason != "" {
				detail = append(detail, n.Reason)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", name, n.Op, n.Where, strings.Join(detail, "; "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	_, err := fmt.Fprintf(w, "verdict: %s\n", in.Verdict)
	return err
}
