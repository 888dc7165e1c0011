package sweep

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// synthResults is a plausible sweep: costs fall with pruning, colsim below
// the baselines, three layers per network.
func synthResults() *Results {
	r := &Results{SchemaVersion: SchemaVersion, Info: RunInfo{
		Models:  []ModelInfo{{Name: "lenet5", Path: "lenet5.onnx", SHA256: "0123456789abcdef"}, {Name: "mlp", Path: "mlp.onnx"}},
		Prune:   []float64{0, 0.3, 0.5, 0.7, 0.9},
		Schemes: []string{"dense", "zerocol", "sre", "colsim"}, MaxShare: []int{2, 0},
		Quant: []byte(`{"WBits":8}`), HW: []byte(`{"ou_rows":9,"url":"<https://example.org/x>"}`), Limit: 100, Data: "mnist"}}
	factor := map[string]float64{"dense": 1, "zerocol": 0.8, "sre": 0.6, "colsim": 0.4}
	for mi, m := range r.Info.Models {
		for _, pr := range r.Info.Prune {
			for _, s := range r.Info.Schemes {
				shares := []int{0}
				if s == "colsim" {
					shares = []int{2, 0}
				}
				for _, sh := range shares {
					f := factor[s]
					if s != "dense" {
						f *= 1 - 0.5*pr
					}
					if sh == 0 && s == "colsim" {
						f *= 0.9
					}
					var ls []LayerRow
					var cyc int64
					var en float64
					for li, name := range []string{"conv1", "conv2", "fc"} {
						c := int64(float64(1000*(li+1)*(mi+1)) * f)
						e := float64(c) * 0.7
						ls = append(ls, LayerRow{Index: li, Name: name, Cycles: c, EnergyPJ: e, IndexBits: int64(len(s) * 10)})
						cyc += c
						en += e
					}
					p := pt(m.Name, pr, s, sh, cyc, en, ls...)
					p.AccSim = 0.99 - 0.05*pr*pr
					r.Points = append(r.Points, p)
				}
			}
		}
	}
	return r
}

// svgTexts parses one SVG (well-formed XML required) and returns its text
// contents.
func svgTexts(t *testing.T, svg string) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed XML: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inText = v.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(v))
			}
		}
	}
	return texts
}

func TestReportSelfContained(t *testing.T) {
	r := synthResults()
	out, err := r.Report(DefaultReportOptions())
	if err != nil {
		t.Fatal(err)
	}
	page := string(out)
	if os.Getenv("SWEEP_REPORT_OUT") != "" {
		os.WriteFile(os.Getenv("SWEEP_REPORT_OUT"), out, 0o644)
	}

	// No external reference: no src/href/url()/@import pointing at a network
	// resource. xmlns namespace names are identifiers, never fetched.
	ref := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*([a-z]+:)?//|url\(|@import|<script|<link|<img|<iframe|@font-face`)
	if m := ref.FindAllString(page, -1); len(m) > 0 {
		t.Errorf("external references: %q", m)
	}
	// The HW JSON contained a URL in plain text: it must appear escaped as text.
	if !strings.Contains(page, "&lt;https://example.org/x&gt;") {
		t.Error("hardware text not escaped into the page")
	}

	svgRe := regexp.MustCompile(`(?s)<svg .*?</svg>`)
	svgs := svgRe.FindAllString(page, -1)
	// Per network: 3 baselines × 2 gain plots + accuracy + 2 index plots; one
	// per-layer pair and the energy components of that point.
	want := 2*(3*2+1+2) + 3
	if len(svgs) != want {
		t.Fatalf("%d svg plots, want %d", len(svgs), want)
	}
	if strings.Count(page, "<svg") != want {
		t.Errorf("unbalanced <svg> count")
	}
	for i, svg := range svgs {
		if strings.Contains(svg, "<?xml") {
			t.Errorf("svg %d keeps its XML prolog", i)
		}
		if strings.Contains(svg, "font-family:Liberation") {
			t.Errorf("svg %d names a font with no fallback", i)
		}
		texts := strings.Join(svgTexts(t, svg), "\n")
		// Axis labels with units.
		hasX := regexp.MustCompile(`(?m)^(pruning ratio \(fraction of weights zeroed\)|layer|method)$`).MatchString(texts)
		hasY := regexp.MustCompile(`\((%|× baseline|kbit|nJ)\)|cycles per inference`).MatchString(texts)
		if !hasX || !hasY {
			t.Errorf("svg %d lacks axis labels: %q", i, texts)
		}
		// A legend: at least one method name.
		if !regexp.MustCompile(`(?m)^(colsim/2|colsim/∞|sre|zerocol|dense|sim colsim/2|adc|crossbar)$`).MatchString(texts) {
			t.Errorf("svg %d lacks a legend: %q", i, texts)
		}
	}
	// The per-layer figure names the layers.
	joined := strings.Join(svgTexts(t, svgs[len(svgs)-4]), "\n")
	_ = joined
	found := false
	for _, svg := range svgs {
		tx := svgTexts(t, svg)
		if contains(tx, "conv1") && contains(tx, "conv2") && contains(tx, "fc") {
			found = true
		}
	}
	if !found {
		t.Error("no per-layer plot naming the layers")
	}

	// The paper figures sit next to rramc's: synthetic colsim/2 vs sre is
	// 0.4/0.6 cycles -> 50 % improvement at every ratio.
	// Per-layer vs sre at the chosen point, conv1 at prune 0.5: sre
	// int64(1000·0.45) = 449 cycles (0.45 is not exact in binary) vs colsim/2
	// 300 -> 449/300 - 1 = 49.67 %; energy 0.7·cycles -> 1.50x.
	for _, s := range []string{"61.24 %", "1.51x–2.52x", "colsim/2 vs sre", "<td>50.00 %</td>", "<td>49.67 % / 1.50x</td>"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestReportEmptyAndSparse(t *testing.T) {
	// An empty sweep and a sweep without baselines still render.
	for i, r := range []*Results{
		{SchemaVersion: SchemaVersion},
		{SchemaVersion: SchemaVersion, Points: []Point{pt("a", 0, "colsim", 2, 10, 10)}},
	} {
		out, err := r.Report(DefaultReportOptions())
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.HasSuffix(out, []byte("</html>\n")) {
			t.Errorf("case %d: truncated page", i)
		}
	}
}

func BenchmarkReport(b *testing.B) {
	r := synthResults()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Report(DefaultReportOptions()); err != nil {
			b.Fatal(err)
		}
	}
	_ = fmt.Sprint()
}

func TestReportLayerPointChoice(t *testing.T) {
	r := synthResults()
	for _, tc := range []struct {
		opt  ReportOptions
		want string
	}{
		{DefaultReportOptions(), "Per-layer breakdown: lenet5 at pruning ratio 0.5"},
		{ReportOptions{LayerModel: "mlp", LayerPrune: 0.9}, "Per-layer breakdown: mlp at pruning ratio 0.9"},
		// Unknown choices fall back to the defaults.
		{ReportOptions{LayerModel: "nosuch", LayerPrune: 0.9}, "Per-layer breakdown: lenet5 at pruning ratio 0.5"},
		{ReportOptions{LayerModel: "mlp", LayerPrune: 0.42}, "Per-layer breakdown: mlp at pruning ratio 0.5"},
		{ReportOptions{LayerModel: "mlp"}, "Per-layer breakdown: mlp at pruning ratio 0<"},
	} {
		out, err := r.Report(tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%+v: page lacks %q", tc.opt, tc.want)
		}
	}
}
