package hwsim

// When a simulation is the golden model.
//
// On lossless, ideal hardware the simulator runs every layer group on the
// fast path (doc.go): out = x·W_eff with the integer GEMM the golden model
// uses, W_eff folded from the mapping alone, and W_eff small enough that
// the int32 accumulation equals the bit-serial int64 one. When, moreover,
// W_eff equals the layer's weight matrix element for element, the product
// is the golden model's for every input, so the whole network's outputs
// are the golden model's bit for bit; and no counter depends on the data
// (nothing can clip), so the counts of any run are AnalyticCounts for the
// vectors it fed. A caller that already has the golden outputs (a sweep
// evaluating many mappings of one quantized network) can then skip running
// the images through the simulator without changing a single result.

// ComputesGolden reports whether the simulator provably computes the
// integer golden model's products for every input: every layer group takes
// the exact fast path (ModeAuto, every OU lossless, no conductance
// variation, no ADC noise, no int32 overflow) and its folded matrix, cells
// after stuck-at faults included, equals the layer's weights. A wrong
// mapping, a stuck cell that changes a weight, or any lossy OU makes it
// false.
func (s *Simulator) ComputesGolden() bool {
	for _, gs := range s.groups {
		for _, g := range gs {
			if g == nil || g.fast == nil || !g.foldsToWeights {
				return false
			}
		}
	}
	return true
}

// InferenceCounts returns the counts of one inference computed from the
// mapping alone: AnalyticCounts for the input vectors one image feeds each
// layer group (the golden program's shapes), through PerImage. When
// ComputesGolden holds they equal PerImage(Counted(), n) after simulating
// any n images; otherwise the data-dependent counters (ADC clipping and
// truncation) are missing, and the caller must simulate.
func (s *Simulator) InferenceCounts() ([]Counts, error) {
	v := make([]int64, len(s.groups))
	for li, gs := range s.groups {
		if len(gs) > 0 {
			v[li] = s.work[li].vectors / int64(len(gs))
		}
	}
	counts, err := AnalyticCounts(s.mp, s.hw, v)
	if err != nil {
		return nil, err
	}
	return s.PerImage(counts, 1)
}
