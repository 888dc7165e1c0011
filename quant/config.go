package quant

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidConfig is wrapped by every error caused by a bad Config (bit
// widths, pruning ratio, calibration size, method names). The CLI maps it to
// exit code 2.
var ErrInvalidConfig = errors.New("invalid quantization config")

// Calibration methods for activation ranges.
const (
	// CalibMinMax uses the largest magnitude seen over the calibration set.
	CalibMinMax = "minmax"
	// CalibPercentile uses the Percentile-th percentile of the magnitudes.
	CalibPercentile = "percentile"
)

// Pruning scopes and structures.
const (
	ScopeLayer    = "layer"   // every pruned layer reaches the ratio on its own
	ScopeGlobal   = "global"  // one magnitude threshold over all pruned layers
	StructWeight  = "weight"  // unstructured: individual weights
	StructChannel = "channel" // whole output channels (filters / neurons)
)

// Config selects how a float model is quantized and pruned. Start from
// DefaultConfig: the zero value is not valid (bit widths 0).
//
// The JSON names are part of rramc's output vocabulary and key stored sweep
// points, so they are spelled out and pinned by a test: renaming a Go field
// must not change them. Workers is a run-time setting, not part of a result.
type Config struct {
	// WBits is the weight width B (2..8): weights are B-bit two's complement.
	WBits int `json:"weight_bits"`
	// ABits is the activation width A (2..8).
	ABits int `json:"activation_bits"`
	// PerChannel gives every output channel its own weight scale instead of
	// one scale per tensor.
	PerChannel bool `json:"per_channel"`
	// Calib is the number of calibration samples used (the first Calib of the
	// calibration batch); it must be in 1..len(batch).
	Calib int `json:"calib"`
	// CalibMethod is CalibMinMax or CalibPercentile.
	CalibMethod string `json:"calib_method"`
	// Percentile (in (50, 100]) is used by CalibPercentile, e.g. 99.99.
	Percentile float64 `json:"percentile"`

	// Prune is the fraction of weights set to zero, 0 .. 0.99.
	Prune float64 `json:"prune"`
	// PruneScope is ScopeGlobal (the default: one magnitude threshold, as in
	// Han et al. 2015 and the lottery-ticket work, keeps accuracy far longer
	// than one ratio per layer; see the package doc's table) or ScopeLayer.
	PruneScope string `json:"prune_scope"`
	// PruneStructure is StructWeight (magnitude of single weights) or
	// StructChannel (whole output channels by norm).
	PruneStructure string `json:"prune_structure"`
	// PruneNorm is "l2" or "l1", the channel norm for StructChannel.
	PruneNorm string `json:"prune_norm"`
	// PruneFirst and PruneLast include the first and the last linear layer
	// (in graph order) in pruning. DefaultConfig sets both: then the
	// requested ratio is the sparsity of the whole network (of every layer
	// with ScopeLayer), which is what crossbar results are reported against. Setting them
	// false keeps these small, sensitive layers dense (Han et al. 2015 prune
	// them less) at the price of a network sparsity below the ratio (an MLP
	// whose first layer holds 85 % of the weights barely changes).
	PruneFirst bool `json:"prune_first"`
	PruneLast  bool `json:"prune_last"`

	// Workers is the number of goroutines Run uses for the golden model;
	// 0 means runtime.GOMAXPROCS.
	Workers int `json:"-"`
}

// DefaultConfig is 8-bit weights (per-tensor) and activations, 512
// calibration samples with min-max ranges, no pruning (and, when a ratio is
// set, per-layer magnitude pruning of every layer, first and last included).
func DefaultConfig() Config {
	return Config{
		WBits:          8,
		ABits:          8,
		Calib:          512,
		CalibMethod:    CalibMinMax,
		Percentile:     99.99,
		PruneScope:     ScopeGlobal,
		PruneStructure: StructWeight,
		PruneNorm:      "l2",
		PruneFirst:     true,
		PruneLast:      true,
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Validate checks every field; the error wraps ErrInvalidConfig and names
// the field. Empty method/scope/structure/norm strings mean the defaults.
func (c *Config) Validate() error {
	if c.WBits < 2 || c.WBits > 8 {
		return invalid("wbits %d out of range 2..8", c.WBits)
	}
	if c.ABits < 2 || c.ABits > 8 {
		return invalid("abits %d out of range 2..8", c.ABits)
	}
	if c.Calib <= 0 {
		return invalid("calib %d: need at least 1 calibration sample", c.Calib)
	}
	switch c.CalibMethod {
	case "", CalibMinMax:
	case CalibPercentile:
		if math.IsNaN(c.Percentile) || c.Percentile <= 50 || c.Percentile > 100 {
			return invalid("percentile %g out of range (50, 100]", c.Percentile)
		}
	default:
		return invalid("calibration method %q (want %q or %q)", c.CalibMethod, CalibMinMax, CalibPercentile)
	}
	if math.IsNaN(c.Prune) || c.Prune < 0 || c.Prune > 0.99 {
		return invalid("prune %g out of range 0..0.99", c.Prune)
	}
	switch c.PruneScope {
	case "", ScopeLayer, ScopeGlobal:
	default:
		return invalid("prune scope %q (want %q or %q)", c.PruneScope, ScopeLayer, ScopeGlobal)
	}
	switch c.PruneStructure {
	case "", StructWeight, StructChannel:
	default:
		return invalid("prune structure %q (want %q or %q)", c.PruneStructure, StructWeight, StructChannel)
	}
	switch c.PruneNorm {
	case "", "l1", "l2":
	default:
		return invalid("prune norm %q (want l1 or l2)", c.PruneNorm)
	}
	if c.Workers < 0 {
		return invalid("workers %d is negative", c.Workers)
	}
	return nil
}

// withDefaults fills empty names with their defaults.
func (c Config) withDefaults() Config {
	if c.CalibMethod == "" {
		c.CalibMethod = CalibMinMax
	}
	if c.Percentile == 0 {
		c.Percentile = 99.99
	}
	if c.PruneScope == "" {
		c.PruneScope = ScopeGlobal
	}
	if c.PruneStructure == "" {
		c.PruneStructure = StructWeight
	}
	if c.PruneNorm == "" {
		c.PruneNorm = "l2"
	}
	return c
}
