package quant

import (
	"fmt"
	"math"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
)

// histBins is the resolution of the magnitude histogram used for
// percentile ranges: the range is found to within top/histBins.
const histBins = 4096

// calibBatch is the number of samples per float calibration run.
const calibBatch = 64

// rangeStat accumulates what calibration learns about one float value.
type rangeStat struct {
	min, max float64
	count    int64
	// hist counts |v| in histBins bins over [0, top); zeros counts exact
	// zeros. top doubles (bins merge pairwise) when a larger value arrives.
	hist  []int64
	zeros int64
	top   float64
}

func newRangeStat(withHist bool) *rangeStat {
	s := &rangeStat{min: math.Inf(1), max: math.Inf(-1)}
	if withHist {
		s.hist = make([]int64, histBins)
	}
	return s
}

func (s *rangeStat) add(v []float32) {
	mn, mx := minMax(v)
	s.min = math.Min(s.min, float64(mn))
	s.max = math.Max(s.max, float64(mx))
	s.count += int64(len(v))
	if s.hist == nil {
		return
	}
	for _, f := range v {
		a := math.Abs(float64(f))
		if a == 0 || math.IsNaN(a) || math.IsInf(a, 0) {
			s.zeros++
			continue
		}
		if s.top == 0 {
			s.top = a * 2
		}
		for a >= s.top {
			s.grow()
		}
		s.hist[int(a/s.top*histBins)]++
	}
}

// minMax returns the smallest and largest non-NaN values of v (+Inf and
// -Inf when there are none). Plain comparisons skip NaN (every comparison
// with it is false); the sign of a zero extreme may differ from math.Min's,
// which no caller sees (they test min < 0 and take magnitudes). Four
// independent pairs keep the comparisons from waiting on each other.
func minMax(v []float32) (float32, float32) {
	inf := float32(math.Inf(1))
	var mn, mx [4]float32
	for j := range mn {
		mn[j], mx[j] = inf, -inf
	}
	i := 0
	for ; i+4 <= len(v); i += 4 {
		q := (*[4]float32)(v[i : i+4])
		for j, x := range q {
			if x < mn[j] {
				mn[j] = x
			}
			if x > mx[j] {
				mx[j] = x
			}
		}
	}
	for ; i < len(v); i++ {
		if x := v[i]; x < mn[0] {
			mn[0] = x
		}
		if x := v[i]; x > mx[0] {
			mx[0] = x
		}
	}
	return min(mn[0], mn[1], mn[2], mn[3]), max(mx[0], mx[1], mx[2], mx[3])
}

// grow doubles top, merging bin pairs.
func (s *rangeStat) grow() {
	for i := 0; i < histBins/2; i++ {
		s.hist[i] = s.hist[2*i] + s.hist[2*i+1]
	}
	clear(s.hist[histBins/2:])
	s.top *= 2
}

// maxAbs is the largest magnitude seen.
func (s *rangeStat) maxAbs() float64 {
	if s.count == 0 || math.IsInf(s.min, 1) {
		return 0
	}
	return math.Max(math.Abs(s.min), math.Abs(s.max))
}

// percentile returns the p-th percentile (0..100) of |v|: the upper edge of
// the histogram bin where the cumulative count reaches p %, never above the
// maximum.
func (s *rangeStat) percentile(p float64) float64 {
	m := s.maxAbs()
	if s.hist == nil || p >= 100 || s.top == 0 {
		return m
	}
	target := int64(math.Ceil(p / 100 * float64(s.count)))
	cum := s.zeros
	if cum >= target {
		return 0
	}
	for i, c := range s.hist {
		cum += c
		if cum >= target {
			return math.Min(m, float64(i+1)*s.top/histBins)
		}
	}
	return m
}

// calibrate runs the float graph g on the first n samples of xs (xs[i]
// feeding graph input i, in batches of calibBatch) and records, for every
// graph input and every float node output, its range.
func calibrate(g *importer.Graph, xs []*importer.Tensor, n int, withHist bool) (map[string]*rangeStat, error) {
	prog, err := interp.NewProgram(g)
	if err != nil {
		return nil, err
	}
	stats := map[string]*rangeStat{}
	get := func(name string) *rangeStat {
		s := stats[name]
		if s == nil {
			s = newRangeStat(withHist)
			stats[name] = s
		}
		return s
	}
	step := fixedBatch(g, calibBatch)
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		feeds := make(map[string]*importer.Tensor, len(xs))
		for i, x := range xs {
			gin := g.Inputs[i]
			per := 1
			for _, d := range x.Shape[1:] {
				per *= d
			}
			shape := append([]int{hi - lo}, x.Shape[1:]...)
			in := &importer.Tensor{DType: importer.Float, Shape: shape, Float: x.Float[lo*per : hi*per]}
			get(gin.Name).add(in.Float)
			feed := in
			if gin.DType.IsWhole() {
				// An integer input (image bytes) gets its whole values in
				// its own type; the integer network quantizes the same
				// values (its input encoding is calibrated on them).
				var err error
				if feed, err = importer.WholeValues(in, gin.DType); err != nil {
					return nil, fmt.Errorf("quant: calibration data for input %q: %w", gin.Name, err)
				}
			}
			feeds[gin.Name] = feed
		}
		_, err := prog.RunVisited(feeds, func(node *importer.Node, outs []*importer.Tensor) {
			for i, t := range outs {
				switch {
				case t == nil || i >= len(node.Outputs):
				case t.DType.IsFloat():
					get(node.Outputs[i]).add(t.Float)
				case t.DType.IsWhole() && len(t.Int) == t.Len():
					// integer values (a Where of int64 operands) are
					// encoded at scale 1 when they fit (encodeBits)
					get(node.Outputs[i]).add(t.Floats())
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("quant: calibration run on samples %d..%d: %w", lo, hi-1, err)
		}
	}
	return stats, nil
}

// fixedBatch returns the batch size the graph input declares when it is a
// fixed number (an export with batch 1), else def.
func fixedBatch(g *importer.Graph, def int) int {
	if len(g.Inputs) > 0 && len(g.Inputs[0].Shape) > 0 && g.Inputs[0].Shape[0].Value > 0 {
		return int(g.Inputs[0].Shape[0].Value)
	}
	return def
}
