package sweep

import (
	"bytes"
	"fmt"
	"image/color"
	"regexp"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot size in the report.
const (
	plotW = 5.2 * vg.Inch
	plotH = 3.4 * vg.Inch
)

// sansFont is the font text is measured with. Liberation Sans ships inside
// gonum/plot (no file, no network) and has the metrics of Arial/Helvetica, so
// the generic fallback list svgFontFamily substitutes lays out the same.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// palette is Tableau 10: ten colours distinguishable in print and by most
// colour-blind readers (plotutil's has seven, too few for every method).
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff},
}

func colorOf(i int) color.Color { return palette[((i%len(palette))+len(palette))%len(palette)] }

// series is one named line of a plot.
type series struct {
	name   string
	xs, ys []float64
	dashed bool
	style  int // palette index
}

// plotSpec describes a line plot.
type plotSpec struct {
	title, xLabel, yLabel string
	series                []series
	// refY draws a horizontal reference line (e.g. y = 0 or y = 1) when set.
	refY *float64
	// legendLow puts the legend bottom left without headroom (accuracy
	// plots: high values at low x, y capped at yCap when yCap > 0).
	legendLow bool
	yCap      float64
}

func newPlot(title, xl, yl string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xl
	p.Y.Label.Text = yl
	p.Title.TextStyle.Font = font.From(sansFont, 11)
	p.X.Label.TextStyle.Font = font.From(sansFont, 10)
	p.Y.Label.TextStyle.Font = font.From(sansFont, 10)
	p.X.Tick.Label.Font = font.From(sansFont, 9)
	p.Y.Tick.Label.Font = font.From(sansFont, 9)
	p.Legend.TextStyle.Font = font.From(sansFont, 9)
	p.Legend.Top = true
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	return p
}

// cleanXY drops non-finite points (a zero-cost layer has infinite gain):
// gonum/plot rejects them and they carry no plottable value.
func cleanXY(xs, ys []float64) plotter.XYs {
	var pts plotter.XYs
	for i := range xs {
		if finite(xs[i]) && finite(ys[i]) {
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		}
	}
	return pts
}

// linePlot renders spec as an SVG fragment ("" when no series has data).
func linePlot(spec plotSpec) (string, error) {
	p, err := buildLinePlot(spec)
	if p == nil || err != nil {
		return "", err
	}
	return renderSVG(p)
}

// buildLinePlot makes the plot of spec, nil when no series has data.
func buildLinePlot(spec plotSpec) (*plot.Plot, error) {
	p := newPlot(spec.title, spec.xLabel, spec.yLabel)
	if spec.refY != nil {
		lo, hi := 0.0, 1.0
		first := true
		for _, s := range spec.series {
			for _, x := range s.xs {
				if first {
					lo, hi, first = x, x, false
				}
				lo, hi = min(lo, x), max(hi, x)
			}
		}
		ref, err := plotter.NewLine(plotter.XYs{{X: lo, Y: *spec.refY}, {X: hi, Y: *spec.refY}})
		if err != nil {
			return nil, err
		}
		ref.Color = color.Gray{Y: 120}
		ref.Width = vg.Points(0.8)
		p.Add(ref)
	}
	n := 0
	for _, s := range spec.series {
		pts := cleanXY(s.xs, s.ys)
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("plot %q series %q: %w", spec.title, s.name, err)
		}
		l.Color = colorOf(s.style)
		l.Width = vg.Points(1.4)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		sc.Color = l.Color
		sc.Shape = plotutil.Shape(s.style)
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
		n++
	}
	if n == 0 {
		return nil, nil
	}
	// A tick at every measured x (the pruning ratios) when there are few,
	// rather than gonum's round numbers between them.
	var xs []float64
	for _, s := range spec.series {
		for _, x := range s.xs {
			if finite(x) && !slices.Contains(xs, x) {
				xs = append(xs, x)
			}
		}
	}
	if len(xs) >= 2 && len(xs) <= 12 {
		slices.Sort(xs)
		ticks := make([]plot.Tick, len(xs))
		for i, x := range xs {
			ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	// Pad x so end points are not cut by the frame.
	if w := p.X.Max - p.X.Min; w > 0 {
		p.X.Min, p.X.Max = p.X.Min-0.04*w, p.X.Max+0.04*w
	} else {
		p.X.Min, p.X.Max = p.X.Min-0.05, p.X.Max+0.05
	}
	if spec.legendLow {
		p.Legend.Top, p.Legend.Left = false, true
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(8)
		if spec.yCap > 0 {
			p.Y.Max = min(max(p.Y.Max+0.02*(p.Y.Max-p.Y.Min), p.Y.Min+1), spec.yCap)
		}
		// Room below the data for the legend.
		lo, hi := p.Y.Min, p.Y.Max
		f := min(0.6, float64(n)*12/(plotH.Points()-60))
		p.Y.Min = lo - (hi-lo)*f/(1-f)
		if p.Y.Min < 0 && lo >= 0 {
			p.Y.Min = min(0, lo)
		}
		return p, nil
	}
	legendHeadroom(p, n)
	return p, nil
}

// legendHeadroom raises the y axis so the legend (top right) sits above the
// data instead of over it.
func legendHeadroom(p *plot.Plot, entries int) {
	lo, hi := p.Y.Min, p.Y.Max
	if hi <= lo {
		hi = lo + 1
	}
	// Legend rows are ~12 pt; the data area is the plot height minus ~60 pt
	// of title, tick labels and axis label.
	f := min(0.6, float64(entries)*12/(plotH.Points()-60))
	p.Y.Max = hi + (hi-lo)*f/(1-f)
	p.Y.Min = lo
}

// barGroup is one bar series of a grouped bar chart.
type barGroup struct {
	name string
	vals []float64
}

// barPlot renders grouped bars over nominal categories ("" when empty).
func barPlot(title, xl, yl string, cats []string, groups []barGroup) (string, error) {
	p, err := buildBarPlot(title, xl, yl, cats, groups)
	if p == nil || err != nil {
		return "", err
	}
	return renderSVG(p)
}

// buildBarPlot makes the grouped bar chart, nil when empty.
func buildBarPlot(title, xl, yl string, cats []string, groups []barGroup) (*plot.Plot, error) {
	if len(cats) == 0 || len(groups) == 0 {
		return nil, nil
	}
	p := newPlot(title, xl, yl)
	w := vg.Points(min(14, 300/float64(len(cats)*len(groups))))
	for i, g := range groups {
		vals := make(plotter.Values, len(g.vals))
		for j, v := range g.vals {
			if finite(v) {
				vals[j] = v
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("plot %q bars %q: %w", title, g.name, err)
		}
		b.Color = colorOf(i)
		b.LineStyle.Width = vg.Points(0.3)
		b.Offset = w * vg.Length(float64(i)-float64(len(groups)-1)/2)
		p.Add(b)
		p.Legend.Add(g.name, b)
	}
	p.NominalX(cats...)
	p.X.Min, p.X.Max = -0.6, float64(len(cats))-0.4
	p.Y.Min = min(0, p.Y.Min)
	legendHeadroom(p, len(groups))
	if len(cats) > 6 {
		p.X.Tick.Label.Rotation = 0.6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, nil
}

var (
	svgProlog = regexp.MustCompile(`(?s)^<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)
	svgFamily = regexp.MustCompile(`font-family:Liberation Sans;`)
	svgSize   = regexp.MustCompile(`^<svg width="([0-9.]+)pt" height="[0-9.]+pt"`)
)

// svgFontFamily replaces the bare family name vgsvg writes with a generic
// fallback list: the report embeds no font and fetches none.
const svgFontFamily = `font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`

// renderSVG draws p into an inline-ready SVG element (no XML prolog).
func renderSVG(p *plot.Plot) (string, error) {
	c := vgsvg.New(plotW, plotH)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("render svg: %w", err)
	}
	s := svgProlog.ReplaceAllString(buf.String(), "")
	s = svgFamily.ReplaceAllString(s, svgFontFamily)
	// Size by the page width rather than in points so the report reflows.
	s = svgSize.ReplaceAllString(s, `<svg width="100%" style="max-width:${1}pt"`)
	return s, nil
}

// buildStackPlot makes a stacked bar chart: one bar per category, one stack
// layer per group (e.g. energy components per method); nil when empty.
func buildStackPlot(title, xl, yl string, cats []string, layers []barGroup) (*plot.Plot, error) {
	if len(cats) == 0 || len(layers) == 0 {
		return nil, nil
	}
	p := newPlot(title, xl, yl)
	w := vg.Points(min(40, 260/float64(len(cats))))
	var below *plotter.BarChart
	for i, g := range layers {
		vals := make(plotter.Values, len(cats))
		for j := range cats {
			if j < len(g.vals) && finite(g.vals[j]) && g.vals[j] > 0 {
				vals[j] = g.vals[j]
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("plot %q stack %q: %w", title, g.name, err)
		}
		b.Color = colorOf(i)
		b.LineStyle.Width = vg.Points(0.3)
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add(g.name, b)
	}
	p.NominalX(cats...)
	p.X.Min, p.X.Max = -0.6, float64(len(cats))-0.4
	p.Y.Min = 0
	if len(cats) > 5 {
		p.X.Tick.Label.Rotation = 0.6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	legendHeadroom(p, len(layers))
	return p, nil
}
