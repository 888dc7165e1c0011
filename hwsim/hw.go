package hwsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/rramc/rramc/importer/atomicfile"
	"github.com/rramc/rramc/mapper"
)

// ErrInvalidHW is wrapped by every error caused by a bad hardware
// description (unknown field, out-of-range value, unreadable file). The CLI
// maps it to exit code 2.
var ErrInvalidHW = errors.New("invalid hardware description")

// ADC conversion modes for column sums beyond the ADC's range.
const (
	// ADCSaturate clips a column sum s to the largest code: min(s, 2^r-1).
	ADCSaturate = "saturate"
	// ADCTruncate keeps the r most significant bits of the full-scale sum and
	// drops the low ones: with D = max(0, bitlen(h·(2^dac_bits-1)) - r),
	// the code is floor(s / 2^D)·2^D (never clips).
	ADCTruncate = "truncate"
)

// Cycle models: how a layer's OU activations are scheduled in time (doc.go
// gives the formulas).
const (
	// CyclesIsoCrossbar gives every scheme the crossbars the dense mapping
	// of the layer needs and spreads the scheme's OUs evenly over them, so
	// that a scheme's speed-up is its cut in OU activations on the same
	// hardware. This is how OU-based sparsity papers (SRE and the method of
	// mapper/METHOD.md) compare performance, and the default.
	CyclesIsoCrossbar = "iso-crossbar"
	// CyclesPacked runs each scheme on the crossbars its own layout
	// occupies, one OU at a time per crossbar: compression then saves
	// crossbars (area) rather than time.
	CyclesPacked = "packed"
	// CyclesPipelined schedules each layer as iso-crossbar and pipelines
	// the layers as ISAAC and PUMA do, every layer on crossbars of its
	// own: one image leaves the pipeline per slowest layer (cycles and
	// period_ns are that layer's), and one image's latency is the sum of
	// the layers' (with a chip hierarchy: the chip's overlapping schedule).
	CyclesPipelined = "pipelined"
)

// isoCrossbar reports whether every layer is given the crossbars of its
// dense layout (every cycle model but packed).
func (h *HW) isoCrossbar() bool { return h.CycleModel != CyclesPacked }

// HW describes the simulated accelerator. It is read from and written to
// JSON; every field name carries its unit (or is a count or a bit width).
// HARDWARE.md documents each field and the source of its default.
type HW struct {
	// Name is a free-form label printed in reports.
	Name string `json:"name"`

	// Geometry is the crossbar and OU shape in cells and the bits one cell
	// stores (1, or 2: cell levels 0..3, a weight's bits stored in digit
	// columns, see mapper): what a mapping for this hardware must target.
	mapper.Geometry

	// DACBits is the wordline DAC resolution in bits: 1 = bit-serial input,
	// d > 1 feeds d input bits per step (see doc.go for signed inputs).
	DACBits int `json:"dac_bits"`
	// ADCBits is the resolution r of the column ADCs in bits. In a
	// hardware file it may be "auto" (ADCBitsAuto): LosslessADCBits for the
	// file's OU, cell and DAC widths.
	ADCBits int `json:"adc_bits"`
	// adcAuto records that ADCBits was asked for as "auto", so that a
	// caller that changes the geometry afterwards (the CLI's --ou,
	// --cell-bits) can resolve it again (SetADCBitsAuto).
	adcAuto bool
	// ADCMode is ADCSaturate or ADCTruncate.
	ADCMode string `json:"adc_mode"`
	// InputBits is the widest input code the input registers hold, in bits;
	// a layer with more activation bits is rejected.
	InputBits int `json:"input_bits"`

	// CycleModel is CyclesIsoCrossbar, CyclesPacked or CyclesPipelined.
	CycleModel string `json:"cycle_model"`

	// Timing. One OU activation (DAC drive, crossbar read, ADC conversion of
	// the OU's columns, pipelined) advances one cycle of
	// cycle_ns = max(1000/clock_mhz, xbar_read_latency_ns, adc_latency_ns).
	ClockMHz          float64 `json:"clock_mhz"`
	XbarReadLatencyNs float64 `json:"xbar_read_latency_ns"`
	ADCLatencyNs      float64 `json:"adc_latency_ns"`

	// Energies in picojoules per action.
	// CellReadEnergyPJ is spent per cell of an activated OU (rows × cols) per
	// input step.
	CellReadEnergyPJ float64 `json:"cell_read_energy_pj"`
	// DACEnergyPJ is spent per driven wordline per input step.
	DACEnergyPJ float64 `json:"dac_energy_pj"`
	// ADCEnergyPJ is the energy of one conversion by ADC resolution in bits
	// (JSON object keyed by the bit count, e.g. {"8": 1.67}).
	ADCEnergyPJ map[int]float64 `json:"adc_energy_pj"`
	// ShiftAddEnergyPJ is spent per index (owner) entry applied to one
	// conversion result: one shift-and-add or shift-and-subtract.
	ShiftAddEnergyPJ float64 `json:"shift_add_energy_pj"`
	// IndexReadEnergyPJPerBit is spent per bit of index table read (owner
	// entries of merged/skipped columns, input-row indices of compressed OUs).
	IndexReadEnergyPJPerBit float64 `json:"index_read_energy_pj_per_bit"`
	// BufferAccessEnergyPJ is spent per buffer access of BufferAccessBits.
	BufferAccessEnergyPJ float64 `json:"buffer_access_energy_pj"`
	BufferAccessBits     int     `json:"buffer_access_bits"`

	// Areas in square micrometres.
	// XbarAreaUM2 is one crossbar of xbar_rows × xbar_cols cells.
	XbarAreaUM2 float64 `json:"xbar_area_um2"`
	// ADCAreaUM2 is one ADC by resolution in bits.
	ADCAreaUM2 map[int]float64 `json:"adc_area_um2"`
	// DACAreaUM2 is one wordline DAC (one per crossbar row).
	DACAreaUM2 float64 `json:"dac_area_um2"`
	// ShiftAddAreaUM2 is one shift-and-add unit (one per ADC).
	ShiftAddAreaUM2 float64 `json:"shift_add_area_um2"`
	// IndexAreaUM2PerBit is one bit of index table storage.
	IndexAreaUM2PerBit float64 `json:"index_area_um2_per_bit"`
	// BufferAreaUM2 is one tile's eDRAM buffer; one per XbarsPerTile
	// crossbars (rounded up).
	BufferAreaUM2 float64 `json:"buffer_area_um2"`
	XbarsPerTile  int     `json:"xbars_per_tile"`

	// Non-idealities (all zero = ideal device). Reproducible from the
	// simulator's seed.
	// VariationSigma is the sigma of ln(G/G_on) of each programmed ('1')
	// cell: conductance G = G_on·exp(sigma·z), z ~ N(0,1), fixed per cell.
	VariationSigma float64 `json:"variation_sigma"`
	// StuckAt0Rate and StuckAt1Rate are the fractions of cells (each a
	// probability per cell, fixed per cell) stuck at 0 or at 1.
	StuckAt0Rate float64 `json:"stuck_at0_rate"`
	StuckAt1Rate float64 `json:"stuck_at1_rate"`
	// ADCNoiseSigmaLSB is the sigma of Gaussian noise added to each analog
	// column sum before conversion, in ADC LSBs (one LSB = one unit cell
	// current), drawn per conversion.
	ADCNoiseSigmaLSB float64 `json:"adc_noise_sigma_lsb"`

	// Chip is the whole-chip hierarchy (chip.go); nil charges only the
	// crossbar periphery and runs layers one after the other.
	Chip *Chip `json:"chip,omitempty"`
	// Sources gives, by JSON field name (dotted inside chip), where a
	// value comes from: a preset file documents itself.
	Sources map[string]string `json:"sources,omitempty"`
}

// Defaults returns the default accelerator: 128×128 crossbars of 1-bit
// cells, 9×8 OUs, bit-serial 1-bit DACs, 8-bit saturating ADCs, 8-bit
// inputs, ISAAC/PUMA energies and areas (HARDWARE.md gives every source).
func Defaults() HW {
	return HW{
		Name:       "rramc default (ISAAC/PUMA 32 nm constants)",
		Geometry:   mapper.Geometry{XbarRows: 128, XbarCols: 128, OURows: 9, OUCols: 8, CellBits: 1},
		DACBits:    1,
		ADCBits:    8,
		ADCMode:    ADCSaturate,
		CycleModel: CyclesIsoCrossbar,
		InputBits:  8,

		ClockMHz:          10,
		XbarReadLatencyNs: 100,
		ADCLatencyNs:      1 / 1.28, // 1.28 GS/s

		// PUMA: 128×128 crossbar read 0.3 mW over 100 ns = 30 pJ per full read.
		CellReadEnergyPJ: 30.0 / (128 * 128),
		DACEnergyPJ:      0.417,
		ADCEnergyPJ: map[int]float64{
			1: 0.16, 2: 0.37, 3: 0.58, // linear extrapolation (project assumption)
			4: 0.79, 5: 0.99, 6: 1.20, 7: 1.42, 8: 1.67, // ISAAC-action (HARDWARE.md)
		},
		ShiftAddEnergyPJ: 0.021,
		// ISAAC input register: 2 KB, 1.24 mW; one full read per 100 ns cycle.
		IndexReadEnergyPJPerBit: 1.24e-3 * 100e-9 / (2048 * 8) * 1e12,
		BufferAccessEnergyPJ:    20.45,
		BufferAccessBits:        256,

		XbarAreaUM2: 25,
		ADCAreaUM2: map[int]float64{
			// ISAAC: 8-bit 1.28 GS/s SAR ADC 0.0012 mm²; other resolutions
			// scaled with the energy table (project assumption).
			1: 1200 * 0.16 / 1.67, 2: 1200 * 0.37 / 1.67, 3: 1200 * 0.58 / 1.67,
			4: 1200 * 0.79 / 1.67, 5: 1200 * 0.99 / 1.67, 6: 1200 * 1.20 / 1.67,
			7: 1200 * 1.42 / 1.67, 8: 1200,
		},
		DACAreaUM2:         170.0 / (8 * 128), // ISAAC: 8×128 1-bit DACs 0.00017 mm²
		ShiftAddAreaUM2:    60,                // ISAAC: S+A 0.00006 mm²
		IndexAreaUM2PerBit: 2100.0 / (2048 * 8),
		BufferAreaUM2:      83000, // ISAAC: 64 KB eDRAM 0.083 mm²
		XbarsPerTile:       96,    // ISAAC: 12 IMAs × 8 crossbars per tile
	}
}

// ADCBitsAuto is the value of adc_bits (in a hardware file, or the CLI's
// --adc-bits) that asks for the smallest lossless resolution.
const ADCBitsAuto = "auto"

// LosslessADCBits returns the smallest ADC resolution that never clips:
// bitlen(ou_rows·(2^dac_bits−1)·(2^cell_bits−1)). Every conversion the
// simulator makes is of one non-negative column sum of at most ou_rows
// cells of level ≤ 2^cell_bits−1 driven by one DAC step of ≤ 2^dac_bits−1:
// signs never reach the ADC (the sign bit plane of a signed input converts
// as a non-negative sum that the shift-and-add subtracts, weight signs
// live in their own digit columns, and a complement-merged column's sum
// column is one more non-negative column sum), so no extra bit is needed.
// It returns 0 for a geometry Validate would reject.
func (h *HW) LosslessADCBits() int {
	if h.OURows < 1 || h.OURows > maxXbarDim || h.DACBits < 1 || h.DACBits > 8 || h.CellBits < 1 || h.CellBits > 2 {
		return 0
	}
	return bits.Len64(uint64(h.OURows) * (1<<uint(h.DACBits) - 1) * (1<<uint(h.CellBits) - 1))
}

// SetADCBitsAuto sets adc_bits to LosslessADCBits for the current
// geometry, remembers that it is automatic and records that in Sources.
func (h *HW) SetADCBitsAuto() {
	h.ADCBits = h.LosslessADCBits()
	h.adcAuto = true
	if h.Sources == nil {
		h.Sources = map[string]string{}
	}
	h.Sources["adc_bits"] = fmt.Sprintf("auto: the smallest lossless resolution, bitlen(ou_rows·(2^dac_bits−1)·(2^cell_bits−1)) = bitlen(%d·%d·%d)",
		h.OURows, 1<<max(h.DACBits, 0)-1, 1<<max(h.CellBits, 0)-1)
}

// SetADCBits sets a fixed resolution of r bits, undoing SetADCBitsAuto.
func (h *HW) SetADCBits(r int) {
	h.ADCBits = r
	if h.adcAuto {
		h.adcAuto = false
		delete(h.Sources, "adc_bits")
	}
}

// ADCBitsIsAuto reports whether adc_bits was given as "auto".
func (h *HW) ADCBitsIsAuto() bool { return h.adcAuto }

// Clone returns a deep copy (the ADC tables are maps).
func (h HW) Clone() HW {
	c := h
	c.ADCEnergyPJ = cloneTable(h.ADCEnergyPJ)
	c.ADCAreaUM2 = cloneTable(h.ADCAreaUM2)
	if h.Chip != nil {
		chip := *h.Chip
		c.Chip = &chip
	}
	if h.Sources != nil {
		c.Sources = make(map[string]string, len(h.Sources))
		for k, v := range h.Sources {
			c.Sources[k] = v
		}
	}
	return c
}

func cloneTable(m map[int]float64) map[int]float64 {
	if m == nil {
		return nil
	}
	c := make(map[int]float64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// CycleNs returns the duration of one OU-activation cycle in nanoseconds.
func (h *HW) CycleNs() float64 { return h.ouNs() }

// Limits beyond which a value is rejected as absurd (a typo rather than a
// design): they keep every derived allocation and product bounded.
const (
	maxXbarDim   = 4096
	maxBits      = 16
	maxEnergyPJ  = 1e9
	maxAreaUM2   = 1e12
	maxClockMHz  = 1e5
	maxLatencyNs = 1e9
	maxSigma     = 10
)

func hwErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidHW, field, fmt.Sprintf(format, args...))
}

// Validate checks every field and returns an error naming the first bad
// one (JSON name).
func (h *HW) Validate() error {
	ints := []struct {
		name   string
		v      int
		lo, hi int
	}{
		{"xbar_rows", h.XbarRows, 1, maxXbarDim},
		{"xbar_cols", h.XbarCols, 1, maxXbarDim},
		{"ou_rows", h.OURows, 1, h.XbarRows},
		{"ou_cols", h.OUCols, 1, h.XbarCols},
		{"cell_bits", h.CellBits, 1, 2},
		{"dac_bits", h.DACBits, 1, 8},
		{"adc_bits", h.ADCBits, 1, maxBits},
		{"input_bits", h.InputBits, 1, maxBits},
		{"buffer_access_bits", h.BufferAccessBits, 1, 1 << 20},
		{"xbars_per_tile", h.XbarsPerTile, 1, 1 << 20},
	}
	for _, f := range ints {
		if f.v < f.lo || f.v > f.hi {
			if f.name == "cell_bits" {
				return hwErr(f.name, "%d not supported: the simulator models 1- and 2-bit cells", f.v)
			}
			if f.hi < f.lo { // ou bound by a bad crossbar size: reported there
				continue
			}
			return hwErr(f.name, "%d out of range [%d, %d]", f.v, f.lo, f.hi)
		}
	}
	if h.ADCMode != ADCSaturate && h.ADCMode != ADCTruncate {
		return hwErr("adc_mode", "%q: want %q or %q", h.ADCMode, ADCSaturate, ADCTruncate)
	}
	if h.CycleModel != CyclesIsoCrossbar && h.CycleModel != CyclesPacked && h.CycleModel != CyclesPipelined {
		return hwErr("cycle_model", "%q: want %q, %q or %q", h.CycleModel, CyclesIsoCrossbar, CyclesPacked, CyclesPipelined)
	}
	floats := []struct {
		name string
		v    float64
		lo   float64
		hi   float64
		pos  bool // must be > 0
	}{
		{"clock_mhz", h.ClockMHz, 0, maxClockMHz, true},
		{"xbar_read_latency_ns", h.XbarReadLatencyNs, 0, maxLatencyNs, false},
		{"adc_latency_ns", h.ADCLatencyNs, 0, maxLatencyNs, false},
		{"cell_read_energy_pj", h.CellReadEnergyPJ, 0, maxEnergyPJ, false},
		{"dac_energy_pj", h.DACEnergyPJ, 0, maxEnergyPJ, false},
		{"shift_add_energy_pj", h.ShiftAddEnergyPJ, 0, maxEnergyPJ, false},
		{"index_read_energy_pj_per_bit", h.IndexReadEnergyPJPerBit, 0, maxEnergyPJ, false},
		{"buffer_access_energy_pj", h.BufferAccessEnergyPJ, 0, maxEnergyPJ, false},
		{"xbar_area_um2", h.XbarAreaUM2, 0, maxAreaUM2, false},
		{"dac_area_um2", h.DACAreaUM2, 0, maxAreaUM2, false},
		{"shift_add_area_um2", h.ShiftAddAreaUM2, 0, maxAreaUM2, false},
		{"index_area_um2_per_bit", h.IndexAreaUM2PerBit, 0, maxAreaUM2, false},
		{"buffer_area_um2", h.BufferAreaUM2, 0, maxAreaUM2, false},
		{"variation_sigma", h.VariationSigma, 0, maxSigma, false},
		{"stuck_at0_rate", h.StuckAt0Rate, 0, 1, false},
		{"stuck_at1_rate", h.StuckAt1Rate, 0, 1, false},
		{"adc_noise_sigma_lsb", h.ADCNoiseSigmaLSB, 0, maxSigma * 100, false},
	}
	for _, f := range floats {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < f.lo || f.v > f.hi || (f.pos && f.v == 0) {
			if f.pos {
				return hwErr(f.name, "%v out of range (%v, %v]", f.v, f.lo, f.hi)
			}
			return hwErr(f.name, "%v out of range [%v, %v]", f.v, f.lo, f.hi)
		}
	}
	if h.Chip != nil {
		if err := h.Chip.validate(h); err != nil {
			return err
		}
	}
	if err := h.validateSources(); err != nil {
		return err
	}
	if h.StuckAt0Rate+h.StuckAt1Rate > 1 {
		return hwErr("stuck_at0_rate", "stuck_at0_rate + stuck_at1_rate = %v exceeds 1", h.StuckAt0Rate+h.StuckAt1Rate)
	}
	for _, t := range []struct {
		name string
		m    map[int]float64
		hi   float64
	}{{"adc_energy_pj", h.ADCEnergyPJ, maxEnergyPJ}, {"adc_area_um2", h.ADCAreaUM2, maxAreaUM2}} {
		keys := make([]int, 0, len(t.m))
		for k := range t.m {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			v := t.m[k]
			if k < 1 || k > maxBits {
				return hwErr(t.name, "entry for %d bits: resolution out of range [1, %d]", k, maxBits)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > t.hi {
				return hwErr(t.name, "entry for %d bits: %v out of range [0, %v]", k, v, t.hi)
			}
		}
		if _, ok := t.m[h.ADCBits]; !ok {
			if h.adcAuto {
				return hwErr(t.name, "no entry for adc_bits = %d (auto: lossless for %d-row OUs of %d-bit cells and %d-bit DACs); add one", h.ADCBits, h.OURows, h.CellBits, h.DACBits)
			}
			return hwErr(t.name, "no entry for adc_bits = %d", h.ADCBits)
		}
	}
	return nil
}

// ADCEnergy returns the energy of one conversion at the configured ADC
// resolution in pJ.
func (h *HW) ADCEnergy() float64 { return h.ADCEnergyPJ[h.ADCBits] }

// ADCArea returns the area of one ADC at the configured resolution in µm².
func (h *HW) ADCArea() float64 { return h.ADCAreaUM2[h.ADCBits] }

// maxHWFile bounds the size of a hardware file read by LoadHW.
const maxHWFile = 1 << 20

// LoadHW reads a hardware description from a JSON file. Fields absent from
// the file keep their Defaults() value (ADC table entries are merged by
// resolution); unknown fields, trailing data and invalid values are errors
// naming the file and the field.
func LoadHW(path string) (HW, error) {
	f, err := os.Open(path)
	if err != nil {
		return HW{}, fmt.Errorf("%w: %v", ErrInvalidHW, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxHWFile+1))
	if err != nil {
		return HW{}, fmt.Errorf("%w: %s: %v", ErrInvalidHW, path, err)
	}
	if len(data) > maxHWFile {
		return HW{}, fmt.Errorf("%w: %s: larger than %d bytes", ErrInvalidHW, path, maxHWFile)
	}
	h, err := ParseHW(data)
	if err != nil {
		return HW{}, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// ParseHW decodes a hardware description from JSON over Defaults() (see
// LoadHW) and validates it.
func ParseHW(data []byte) (HW, error) {
	h := Defaults()
	data, auto := cutADCBitsAuto(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return HW{}, fmt.Errorf("%w: %s", ErrInvalidHW, describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return HW{}, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidHW)
	}
	if auto {
		h.SetADCBitsAuto()
	}
	if err := h.Validate(); err != nil {
		return HW{}, err
	}
	return h, nil
}

// cutADCBitsAuto returns data without its top-level "adc_bits": "auto"
// and whether it had one (the field is otherwise a number). Anything that
// is not a JSON object with that entry is returned unchanged, for the
// decoder to judge.
func cutADCBitsAuto(data []byte) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return data, false
	}
	var s string
	if raw, ok := obj["adc_bits"]; !ok || json.Unmarshal(raw, &s) != nil || s != ADCBitsAuto {
		return data, false
	}
	delete(obj, "adc_bits")
	out, err := json.Marshal(obj)
	if err != nil {
		return data, false
	}
	return out, true
}

// describeJSONError turns encoding/json errors into messages that name the
// field.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("%s: got JSON %s, want %s", field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at byte %d: %v", se.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "JSON syntax error: unexpected end of input"
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, uerr := strconv.Unquote(rest)
		if uerr != nil {
			name = rest
		}
		return fmt.Sprintf("%s: unknown field (known fields: %s)", name, strings.Join(fieldNames(), ", "))
	}
	return msg
}

// fieldNames lists the JSON field names of HW (those of embedded structs
// included, as encoding/json flattens them).
func fieldNames() []string { return jsonNames(reflect.TypeOf(HW{})) }

func jsonNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		switch {
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			names = append(names, jsonNames(f.Type)...)
		case tag != "" && tag != "-":
			names = append(names, strings.Split(tag, ",")[0])
		}
	}
	return names
}

// JSON returns the description as indented JSON (what `rramc hw defaults`
// prints), ending in a newline.
func (h HW) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteHW writes h as JSON to path through a temporary file and a rename.
func WriteHW(path string, h HW) error {
	if err := h.Validate(); err != nil {
		return err
	}
	b, err := h.JSON()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}
