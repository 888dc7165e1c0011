package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rramc/rramc/mapper"
)

// PointConfig is everything that determines one point, plus where its model
// lies and what tables call it. The hash of its identity (Key, identity.go)
// names the stored point file, so any change of a field that determines the
// result invalidates stored results.
type PointConfig struct {
	// Model is the ONNX file path and ModelName the name shown in tables.
	Model     string `json:"model"`
	ModelName string `json:"model_name"`
	// ModelHash is the SHA-256 of the model file contents: a retrained model
	// at the same path is a different point.
	ModelHash string `json:"model_hash,omitempty"`
	// DataHash is the SHA-256 of the test data's contents (and labels), ""
	// for the embedded MNIST set (dataset.Fingerprint).
	DataHash string `json:"data_hash,omitempty"`
	// Prune is the fraction of weights pruned before quantization; for a
	// fine-tuned sparse model (Finetuned) the sparsity its file already has,
	// which rramc does not prune further.
	Prune     float64 `json:"prune"`
	Finetuned bool    `json:"finetuned,omitempty"`
	// Scheme is the mapping scheme name; MaxShare the owner limit per kept
	// column (0 = unlimited), normalized to 0 for schemes that ignore it.
	Scheme   string `json:"scheme"`
	MaxShare int    `json:"max_share"`
	// Quant holds the quantization settings other than Prune (bit widths,
	// calibration, pruning scope...), as JSON so the key covers all of them.
	Quant json.RawMessage `json:"quant,omitempty"`
	// HW is the hardware description in effect (file contents or the
	// defaults), as JSON.
	HW json.RawMessage `json:"hw,omitempty"`
	// HWVariant names the hardware variant HW is (Config.Variants; "" in a
	// sweep of one hardware). It is not part of the point's identity: HW is.
	HWVariant string `json:"hw_variant,omitempty"`
	// CostOnly asks for the cost of an inference only (a cost-only
	// hardware variant, HWVariant.CostOnly): no image is simulated, the
	// point's accuracies are not measured and its ADC saturations are a
	// total over no image. It is part of the identity (omitted when false,
	// so other points keep their ids).
	CostOnly bool `json:"cost_only,omitempty"`
	// FirstImage and Limit are the test images simulated: Limit images from
	// FirstImage on (Limit 0 = to the end of the set). A whole point starts
	// at 0; a part of a point split by image range (Config.ImagesPerTask)
	// covers its own range.
	FirstImage int `json:"first_image,omitempty"`
	Limit      int `json:"limit"`
	// Data names the test set ("mnist" or a path dataset.Open takes) and
	// Labels its labels file when the format keeps them apart; Mean and Std
	// the preprocessing of 8-bit images x = (pixel/255 - Mean)/Std (one
	// value or one per channel; empty = the format's default); Resize the
	// image-folder resize (dataset.Spec).
	Data   string `json:"data"`
	Labels string `json:"labels,omitempty"`
	Mean   Floats `json:"mean"`
	Std    Floats `json:"std"`
	Resize int    `json:"resize,omitempty"`
	// Seed is the grid's seed; the simulator draws from SimSeed, a hash of
	// the whole configuration.
	Seed uint64 `json:"seed"`
	// Consts are the graph inputs frozen to constants (Config.Consts), by
	// input name in order; their contents are part of the identity.
	Consts []ConstFile `json:"consts,omitempty"`
}

// ConstFile is a graph input frozen to the tensor of a file.
type ConstFile struct {
	Input  string `json:"input"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// constFiles is the file of each frozen input, by name (nil: none).
func (c *PointConfig) constFiles() map[string]string {
	if len(c.Consts) == 0 {
		return nil
	}
	m := make(map[string]string, len(c.Consts))
	for _, f := range c.Consts {
		m[f.Input] = f.Path
	}
	return m
}

// Floats is a list of preprocessing values. A single value is written as a
// bare number, so the identity (and id) of a point with one mean and std is
// what it was before per-channel values existed.
type Floats []float32

// MarshalJSON writes one value as a number, several as an array.
func (f Floats) MarshalJSON() ([]byte, error) {
	if len(f) == 1 {
		return json.Marshal(f[0])
	}
	return json.Marshal([]float32(f))
}

// UnmarshalJSON reads a number or an array.
func (f *Floats) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*f = nil
		return nil
	}
	var one float32
	if err := json.Unmarshal(b, &one); err == nil {
		*f = Floats{one}
		return nil
	}
	var many []float32
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*f = many
	return nil
}

// Energy is the energy of one inference by component, in pJ. Component names
// are those of the cost model (crossbar, dac, adc, shift_add, index, buffer...).
type Energy map[string]float64

// Total returns the sum over components.
func (e Energy) Total() float64 {
	t := 0.0
	for _, v := range e {
		t += v
	}
	return t
}

// LayerRow is the cost of one crossbar-mapped layer for one inference.
type LayerRow struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// OUActivations counts OU firings per input bit; Cycles is the layer's
	// latency in cycles (activations × input bits over the parallel units).
	OUActivations int64 `json:"ou_activations"`
	Cycles        int64 `json:"cycles"`
	// EnergyPJ is the layer's total energy; Energy its components.
	EnergyPJ float64 `json:"energy_pj"`
	Energy   Energy  `json:"energy_by_component_pj,omitempty"`
	// IndexBits is the index storage of the layer (owner entries and input
	// routing); IndexEnergyPJ the energy of its lookups.
	IndexBits     int64   `json:"index_bits"`
	IndexEnergyPJ float64 `json:"index_energy_pj"`
	// Crossbars and Columns are the crossbars occupied and physical columns kept.
	Crossbars int     `json:"crossbars"`
	Columns   int64   `json:"columns"`
	AreaUM2   float64 `json:"area_um2"`
}

// Point is one evaluated configuration: accuracies and hardware cost per
// inference.
type Point struct {
	Key       string  `json:"point_id"`
	Model     string  `json:"model"`
	ModelName string  `json:"model_name"`
	Prune     float64 `json:"prune"`
	// Finetuned marks a point of a fine-tuned sparse model: Prune is the
	// sparsity of its file, which rramc did not prune further.
	Finetuned bool   `json:"finetuned,omitempty"`
	Scheme    string `json:"scheme"`
	MaxShare  int    `json:"max_share"`
	// HWVariant names the point's hardware variant ("" in a sweep of one
	// hardware; RunInfo.HWVariants holds each variant's description).
	HWVariant string `json:"hw_variant,omitempty"`
	WBits     int    `json:"weight_bits"`
	ABits     int    `json:"activation_bits"`
	// Geometry: crossbar R × C, OU h × w, bits per cell.
	XbarRows int `json:"xbar_rows"`
	XbarCols int `json:"xbar_cols"`
	OURows   int `json:"ou_rows"`
	OUCols   int `json:"ou_cols"`
	CellBits int `json:"cell_bits"`
	ADCBits  int `json:"adc_bits"`
	// Sparsity is the measured fraction of zero weight codes over all linear
	// layers; BitSparsity the fraction of zero bits of the bit-sliced weights.
	Sparsity    float64 `json:"sparsity"`
	BitSparsity float64 `json:"bit_sparsity"`
	// Images is the number of test images; accuracies are top-1 fractions:
	// AccFloat of the float model as given (unpruned), AccInt of the pruned
	// integer golden model, AccSim of the simulated accelerator.
	Images    int     `json:"images"`
	AccFloat  float64 `json:"accuracy_float"`
	AccInt    float64 `json:"accuracy_int"`
	AccSim    float64 `json:"accuracy_sim"`
	Agreement float64 `json:"top1_agreement"` // fraction of images where sim and golden predict the same class
	// BitExact is the fraction of images whose simulated output codes are
	// all equal to the golden model's (1 on ideal, lossless hardware).
	BitExact float64 `json:"bit_exact"`
	// CostOnly marks a point of a network whose input cannot take the test
	// images (e.g. a 3×224×224 ImageNet-size network in an MNIST sweep):
	// no accuracy is measured, so Images and the four accuracy fields are
	// 0 and every table shows them as n/a. Its costs are real: the
	// network is quantized and pruned like any other (calibrated on
	// synthetic inputs) and one synthetic image is simulated, and the
	// counts of one inference do not depend on the input values (doc.go).
	// CostOnlyReason says why the point is cost-only.
	CostOnly       bool   `json:"cost_only"`
	CostOnlyReason string `json:"cost_only_reason,omitempty"`
	// Saturations counts the ADC conversions clipped or truncated over all
	// the test images (a total, not per inference); for a cost-only point,
	// over the synthetic image(s) simulated.
	Saturations int64 `json:"adc_saturations"`
	// Costs of one inference.
	OUActivations int64 `json:"ou_activations"`
	// OUActivationBound is a lower bound on the OU activations of one
	// inference of any layout of the network on the point's geometry that
	// obeys the scheme's sharing rule (its limit; one logical column per
	// physical column for schemes that do not share): mapper's
	// ActivationBound per layer, times the layer's input vectors and steps.
	OUActivationBound int64   `json:"ou_activation_bound"`
	Cycles            int64   `json:"cycles"`
	LatencyNS         float64 `json:"latency_ns"`
	// PeriodNS is the time between two images leaving the pipeline when
	// the layers form one (cycle_model pipelined, or a chip hierarchy);
	// 0 otherwise.
	PeriodNS      float64    `json:"period_ns,omitempty"`
	EnergyPJ      float64    `json:"energy_pj"`
	Energy        Energy     `json:"energy_by_component_pj,omitempty"`
	AreaUM2       float64    `json:"area_um2"`
	IndexBits     int64      `json:"index_bits"`
	IndexEnergyPJ float64    `json:"index_energy_pj"`
	Crossbars     int        `json:"crossbars"`
	Layers        []LayerRow `json:"layers,omitempty"`
}

// Label is the scheme with its sharing limit where it matters, e.g.
// "colsim/2", "colsim/∞" or "sre".
func (p *Point) Label() string { return SchemeLabel(p.Scheme, p.MaxShare, true) }

// SchemeLabel formats a scheme name and its limit. withShare=false gives
// the bare scheme, as do the schemes without a limit (baselines).
func SchemeLabel(scheme string, maxShare int, withShare bool) string {
	if !withShare || !mapper.UsesMaxShare(scheme) {
		return scheme
	}
	if maxShare == 0 {
		return scheme + "/∞"
	}
	return fmt.Sprintf("%s/%d", scheme, maxShare)
}

// validate checks the fields later stages divide by or index with, so a
// corrupt point file is reported instead of producing NaN tables.
func (p *Point) validate() error {
	var bad []string
	if p.ModelName == "" {
		bad = append(bad, "model_name empty")
	}
	if p.Scheme == "" {
		bad = append(bad, "scheme empty")
	}
	for name, v := range map[string]float64{"prune": p.Prune, "energy_pj": p.EnergyPJ, "accuracy_sim": p.AccSim,
		"accuracy_int": p.AccInt, "accuracy_float": p.AccFloat, "area_um2": p.AreaUM2, "latency_ns": p.LatencyNS} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			bad = append(bad, fmt.Sprintf("%s %g", name, v))
		}
	}
	if p.Cycles < 0 || p.OUActivations < 0 || p.IndexBits < 0 || p.MaxShare < 0 || p.Images < 0 {
		bad = append(bad, "negative count")
	}
	if p.CostOnly && (p.Images != 0 || p.AccFloat != 0 || p.AccInt != 0 || p.AccSim != 0 || p.Agreement != 0) {
		bad = append(bad, "cost-only point with images or accuracies")
	}
	if !p.CostOnly && p.CostOnlyReason != "" {
		bad = append(bad, "cost_only_reason without cost_only")
	}
	for name, v := range map[string]float64{"top1_agreement": p.Agreement, "bit_exact": p.BitExact, "sparsity": p.Sparsity, "bit_sparsity": p.BitSparsity} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			bad = append(bad, fmt.Sprintf("%s %g", name, v))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("point %s %s prune %g: %s", p.ModelName, p.Label(), p.Prune, strings.Join(bad, ", "))
	}
	return nil
}

// sameSetting reports whether a and b differ only in scheme and max-share
// (same hardware variant included):
// the condition for comparing their costs.
func sameSetting(a, b *Point) bool {
	return a.ModelName == b.ModelName && a.Model == b.Model && a.Prune == b.Prune && a.HWVariant == b.HWVariant &&
		a.WBits == b.WBits && a.ABits == b.ABits && a.XbarRows == b.XbarRows && a.XbarCols == b.XbarCols &&
		a.OURows == b.OURows && a.OUCols == b.OUCols && a.CellBits == b.CellBits && a.ADCBits == b.ADCBits
}
