package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/rramc/rramc/importer"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers (and a resumed sweep) never see a
// partial file.
func WriteFileAtomic(path string, data []byte) error { return importer.WriteFileAtomic(path, data) }

// MarshalJSON-friendly copy: JSON has no NaN or Inf, points never hold them
// (validate), so plain encoding is enough.

// EncodeJSON returns the indented JSON of r.
func (r *Results) EncodeJSON() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteJSON writes r to path atomically.
func (r *Results) WriteJSON(path string) error {
	b, err := r.EncodeJSON()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// maxResultsFile bounds what ReadResults accepts (a sweep of thousands of
// points with per-layer rows stays far below).
const maxResultsFile = 1 << 30

// ReadResults reads a results.json.
func ReadResults(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxResultsFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxResultsFile {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxResultsFile)
	}
	r, err := DecodeResults(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// DecodeResults parses results JSON, rejecting unknown fields and invalid points.
func DecodeResults(data []byte) (*Results, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Results
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	if r.Version != ResultsVersion {
		return nil, fmt.Errorf("decode results: version %d, want %d", r.Version, ResultsVersion)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func fmtF(v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}

func fmtI(v int64) string { return strconv.FormatInt(v, 10) }

// energyComponents returns the union of component names over the points, sorted.
func (r *Results) energyComponents() []string {
	var names []string
	for i := range r.Points {
		for k := range r.Points[i].Energy {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	return names
}

// EncodeCSV returns one row per point (network totals; per-layer rows are in
// the JSON), with one column per energy component. The accuracy cells of a
// cost-only point (cost_only = true) are empty.
func (r *Results) EncodeCSV() ([]byte, error) {
	comps := r.energyComponents()
	head := []string{"key", "model", "model_path", "prune", "scheme", "max_share", "wbits", "abits",
		"xbar_rows", "xbar_cols", "ou_rows", "ou_cols", "cell_bits", "adc_bits", "sparsity", "bit_sparsity",
		"images", "cost_only", "acc_float", "acc_int", "acc_sim", "agreement", "bit_exact", "adc_saturations",
		"ou_activations", "cycles", "latency_ns", "energy_pj"}
	for _, c := range comps {
		head = append(head, "energy_"+c+"_pj")
	}
	head = append(head, "area_um2", "index_bits", "index_energy_pj", "crossbars", "seconds")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(head)
	for i := range r.Points {
		p := &r.Points[i]
		row := []string{p.Key, p.ModelName, p.Model, fmtF(p.Prune), p.Scheme, strconv.Itoa(p.MaxShare),
			strconv.Itoa(p.WBits), strconv.Itoa(p.ABits), strconv.Itoa(p.XbarRows), strconv.Itoa(p.XbarCols),
			strconv.Itoa(p.OURows), strconv.Itoa(p.OUCols), strconv.Itoa(p.CellBits), strconv.Itoa(p.ADCBits),
			fmtF(p.Sparsity), fmtF(p.BitSparsity), strconv.Itoa(p.Images), strconv.FormatBool(p.CostOnly)}
		if p.CostOnly { // no accuracy was measured: empty cells, not 0
			row = append(row, "", "", "", "", "")
		} else {
			row = append(row, fmtF(p.AccFloat), fmtF(p.AccInt), fmtF(p.AccSim), fmtF(p.Agreement), fmtF(p.BitExact))
		}
		row = append(row, fmtI(p.Saturations), fmtI(p.OUActivations), fmtI(p.Cycles),
			fmtF(p.LatencyNS), fmtF(p.EnergyPJ))
		for _, c := range comps {
			row = append(row, fmtF(p.Energy[c]))
		}
		row = append(row, fmtF(p.AreaUM2), fmtI(p.IndexBits), fmtF(p.IndexEnergyPJ), strconv.Itoa(p.Crossbars),
			strconv.FormatFloat(p.Seconds, 'f', 3, 64))
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("encode csv: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteCSV writes the points table to path atomically.
func (r *Results) WriteCSV(path string) error {
	b, err := r.EncodeCSV()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// EncodeGainsCSV returns the derived gains, network and layer rows (layer
// index -1 = whole network).
func EncodeGainsCSV(gs []Gain) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"model", "prune", "scheme", "max_share", "baseline", "layer_index", "layer",
		"baseline_cycles", "cycles", "perf_improvement", "baseline_energy_pj", "energy_pj", "energy_saving"})
	for _, g := range gs {
		w.Write([]string{g.ModelName, fmtF(g.Prune), g.Scheme, strconv.Itoa(g.MaxShare), g.Baseline,
			strconv.Itoa(g.LayerIndex), g.Layer, fmtI(g.BaselineCycles), fmtI(g.Cycles), fmtF(g.PerfImprovement),
			fmtF(g.BaselineEnergyPJ), fmtF(g.EnergyPJ), fmtF(g.EnergySaving)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("encode gains csv: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteAll writes results.json, results.csv, gains.csv and report.html into
// dir (created if missing), each atomically.
func (r *Results) WriteAll(dir string, opt ReportOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r.Sort()
	var errs []error
	errs = append(errs, r.WriteJSON(filepath.Join(dir, "results.json")))
	errs = append(errs, r.WriteCSV(filepath.Join(dir, "results.csv")))
	if b, err := EncodeGainsCSV(r.Gains()); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, WriteFileAtomic(filepath.Join(dir, "gains.csv"), b))
	}
	if b, err := r.Report(opt); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, WriteFileAtomic(filepath.Join(dir, "report.html"), b))
	}
	return errors.Join(errs...)
}
