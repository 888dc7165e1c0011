package onnx

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rramc/rramc/importer"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
)

// maxListedErrs bounds how many offenders one error message lists.
const maxListedErrs = 8

// sortGraph checks the dataflow of g and puts g.Nodes in topological order.
//
// Every value must be defined once (by a node, a graph input or an
// initializer); every node input and graph output must be defined; the
// node graph must be acyclic. Files are nearly always already in order (the
// ONNX spec requires it), and then the file order is kept unchanged; otherwise
// gonum's Tarjan-based topo.SortStabilized orders the nodes, ties broken by
// file position, and reports the strongly connected components of any cycle.
// inputNames holds every declared graph input, including IR 3 weight inputs.
func (d *decoder) sortGraph(g *importer.Graph, inputNames map[string]bool) error {
	producer := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, out := range n.Outputs {
			if out == "" {
				continue // omitted optional output
			}
			if j, dup := producer[out]; dup {
				return invalidf(d.file, nodeLoc(n), "output %q is also produced by node %q", out, g.Nodes[j].Name)
			}
			if inputNames[out] {
				return invalidf(d.file, nodeLoc(n), "output %q redefines a graph input", out)
			}
			if _, ok := g.Initializers[out]; ok {
				return invalidf(d.file, nodeLoc(n), "output %q redefines an initializer", out)
			}
			producer[out] = i
		}
	}
	defined := func(v string) bool {
		if _, ok := g.Initializers[v]; ok {
			return true
		}
		return inputNames[v]
	}

	var missing []string
	inOrder := true
	type edge struct{ from, to int }
	var edges []edge
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == "" {
				continue // omitted optional input
			}
			j, ok := producer[in]
			if !ok {
				if !defined(in) {
					missing = append(missing, fmt.Sprintf("%s needs %q", nodeLoc(n), in))
				}
				continue
			}
			if j == i {
				return invalidf(d.file, nodeLoc(n), "cycle: the node consumes its own output %q", in)
			}
			if j > i {
				inOrder = false
			}
			edges = append(edges, edge{j, i})
		}
	}
	if len(missing) > 0 {
		return invalidf(d.file, "graph", "%d node input(s) are produced by no node and are neither graph inputs nor initializers: %s",
			len(missing), listFew(missing))
	}
	for _, o := range g.Outputs {
		if _, ok := producer[o.Name]; !ok && !defined(o.Name) {
			return invalidf(d.file, "output "+strconv.Quote(o.Name), "graph output is produced by no node and is neither a graph input nor an initializer")
		}
	}
	if inOrder {
		return nil
	}

	dg := simple.NewDirectedGraph()
	for i := range g.Nodes {
		dg.AddNode(simple.Node(i))
	}
	for _, e := range edges {
		dg.SetEdge(simple.Edge{F: simple.Node(e.from), T: simple.Node(e.to)})
	}
	sorted, err := topo.SortStabilized(dg, nil)
	if err != nil {
		var cyc topo.Unorderable
		if !errors.As(err, &cyc) {
			return invalidErr(d.file, "graph", err, "cannot order nodes")
		}
		var comps []string
		for _, c := range cyc {
			ids := make([]int, len(c))
			for k, n := range c {
				ids[k] = int(n.ID())
			}
			slices.Sort(ids)
			names := make([]string, len(ids))
			for k, id := range ids {
				names[k] = fmt.Sprintf("%q (%s)", g.Nodes[id].Name, g.Nodes[id].OpType)
			}
			comps = append(comps, "["+listFew(names)+"]")
		}
		return invalidf(d.file, "graph", "the nodes form %d cycle(s): %s", len(comps), strings.Join(comps, "; "))
	}
	out := make([]*importer.Node, len(sorted))
	for k, n := range sorted {
		out[k] = g.Nodes[n.ID()]
	}
	g.Nodes = out
	return nil
}

// listFew joins up to maxListedErrs items and says how many were left out.
func listFew(items []string) string {
	if len(items) <= maxListedErrs {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:maxListedErrs], ", ") + fmt.Sprintf(", and %d more", len(items)-maxListedErrs)
}
