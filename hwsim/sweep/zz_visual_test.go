package sweep

import (
	"os"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func savePNG(p *plot.Plot, path string) {
	c := vgimg.New(plotW, plotH)
	p.Draw(draw.New(c))
	f, _ := os.Create(path)
	vgimg.PngCanvas{Canvas: c}.WriteTo(f)
	f.Close()
}

func TestZZVisual(t *testing.T) {
	r := synthResults()
	var s []series
	for _, me := range r.Methods() {
		var xs, ys []float64
		for _, g := range r.Gains() {
			if g.LayerIndex < 0 && g.ModelName == "lenet5" && g.Baseline == "dense" && g.Method() == me {
				xs = append(xs, g.Prune)
				ys = append(ys, 100*g.PerfImprovement)
			}
		}
		s = append(s, series{name: me.Label(), xs: xs, ys: ys, style: len(s), dashed: IsBaseline(me.Scheme)})
	}
	zero := 0.0
	p, err := buildLinePlot(plotSpec{title: "lenet5: performance improvement vs dense", xLabel: "pruning ratio (fraction of weights zeroed)", yLabel: "performance improvement (%)", series: s, refY: &zero})
	if err != nil {
		t.Fatal(err)
	}
	savePNG(p, "/tmp/vis1.png")
	cats := []string{"conv1", "conv2", "fc"}
	var gs []barGroup
	for _, me := range r.Methods() {
		p := r.Find("lenet5", 0.5, me.Scheme, me.MaxShare)
		g := barGroup{name: me.Label()}
		for _, l := range p.Layers {
			g.vals = append(g.vals, float64(l.Cycles))
		}
		gs = append(gs, g)
	}
	bp, err := buildBarPlot("t", "layer", "cycles per inference", cats, gs)
	if err != nil {
		t.Fatal(err)
	}
	savePNG(bp, "/tmp/vis2.png")
}
