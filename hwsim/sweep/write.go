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

	"github.com/rramc/rramc/importer/atomicfile"
)

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
	return atomicfile.WriteFile(path, b)
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

// DecodeResults parses results JSON of the current SchemaVersion, rejecting
// unknown fields and invalid points. Results of another version are refused
// with a message naming both versions (checkSchemaVersion), never decoded
// field by field into the wrong meaning.
func DecodeResults(data []byte) (*Results, error) {
	if err := checkSchemaVersion(data, "results"); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Results
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkSchemaVersion reads only the version of a sweep file (results.json,
// grid.json) and refuses any but SchemaVersion. Version 1 results.json
// carried it as "version" and spelled its keys differently (acc_float,
// agreement, wbits, seconds): they are named so the reader knows what to do.
func checkSchemaVersion(data []byte, what string) error {
	var v struct {
		SchemaVersion *int `json:"schema_version"`
		Version       *int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	switch {
	case v.SchemaVersion != nil && *v.SchemaVersion == SchemaVersion:
		return nil
	case v.SchemaVersion != nil:
		return fmt.Errorf("decode %s: schema_version %d, this rramc reads version %d: rerun the sweep (or `rramc sweep merge`) with this rramc", what, *v.SchemaVersion, SchemaVersion)
	case v.Version != nil && *v.Version == 1:
		return fmt.Errorf("decode %s: schema version 1 (an older rramc: keys acc_float, acc_int, acc_sim, agreement, wbits, abits, seconds), "+
			"this rramc reads version %d (accuracy_float, accuracy_int, accuracy_sim, top1_agreement, weight_bits, activation_bits, "+
			"no run times): rerun the sweep with this rramc; stored points of version 1 are recomputed", what, SchemaVersion)
	case v.Version != nil:
		return fmt.Errorf("decode %s: unknown version %d, this rramc reads schema_version %d", what, *v.Version, SchemaVersion)
	}
	return fmt.Errorf("decode %s: no schema_version: not an rramc sweep file", what)
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
// the JSON), with one column per energy component; hw_variant is empty in
// a sweep of one hardware, period_ns 0 without a pipeline. The accuracy cells of a
// cost-only point (cost_only = true) are empty.
func (r *Results) EncodeCSV() ([]byte, error) {
	comps := r.energyComponents()
	head := []string{"point_id", "model_name", "model", "prune", "scheme", "max_share", "hw_variant", "weight_bits", "activation_bits",
		"xbar_rows", "xbar_cols", "ou_rows", "ou_cols", "cell_bits", "adc_bits", "sparsity", "bit_sparsity",
		"images", "cost_only", "accuracy_float", "accuracy_int", "accuracy_sim", "top1_agreement", "bit_exact", "adc_saturations",
		"ou_activations", "ou_activation_bound", "cycles", "latency_ns", "period_ns", "energy_pj"}
	for _, c := range comps {
		head = append(head, "energy_"+c+"_pj")
	}
	head = append(head, "area_um2", "index_bits", "index_energy_pj", "crossbars")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(head)
	for i := range r.Points {
		p := &r.Points[i]
		row := []string{p.Key, p.ModelName, p.Model, fmtF(p.Prune), p.Scheme, strconv.Itoa(p.MaxShare), p.HWVariant,
			strconv.Itoa(p.WBits), strconv.Itoa(p.ABits), strconv.Itoa(p.XbarRows), strconv.Itoa(p.XbarCols),
			strconv.Itoa(p.OURows), strconv.Itoa(p.OUCols), strconv.Itoa(p.CellBits), strconv.Itoa(p.ADCBits),
			fmtF(p.Sparsity), fmtF(p.BitSparsity), strconv.Itoa(p.Images), strconv.FormatBool(p.CostOnly)}
		if p.CostOnly { // no accuracy was measured: empty cells, not 0
			row = append(row, "", "", "", "", "")
		} else {
			row = append(row, fmtF(p.AccFloat), fmtF(p.AccInt), fmtF(p.AccSim), fmtF(p.Agreement), fmtF(p.BitExact))
		}
		row = append(row, fmtI(p.Saturations), fmtI(p.OUActivations), fmtI(p.OUActivationBound), fmtI(p.Cycles),
			fmtF(p.LatencyNS), fmtF(p.PeriodNS), fmtF(p.EnergyPJ))
		for _, c := range comps {
			row = append(row, fmtF(p.Energy[c]))
		}
		row = append(row, fmtF(p.AreaUM2), fmtI(p.IndexBits), fmtF(p.IndexEnergyPJ), strconv.Itoa(p.Crossbars))
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
	return atomicfile.WriteFile(path, b)
}

// EncodeGainsCSV returns the derived gains, network and layer rows (layer
// index -1 = whole network).
func EncodeGainsCSV(gs []Gain) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"model_name", "prune", "scheme", "max_share", "baseline", "layer_index", "layer",
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

// WriteAll writes results.json, results.csv, gains.csv, report.html and
// RESULTS.md into dir (created if missing), each atomically.
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
		errs = append(errs, atomicfile.WriteFile(filepath.Join(dir, "gains.csv"), b))
	}
	if b, err := r.Report(opt); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, atomicfile.WriteFile(filepath.Join(dir, "report.html"), b))
	}
	if b, err := WriteResultsMarkdown(r); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, atomicfile.WriteFile(filepath.Join(dir, "RESULTS.md"), b))
	}
	return errors.Join(errs...)
}
