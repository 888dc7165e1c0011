package quant

import (
	"cmp"
	"math"
	"slices"

	"github.com/rramc/rramc/importer"
)

// floatLayer is a crossbar-mappable layer before quantization: its float
// weight tensor as stored in the graph (a private copy that pruning edits in
// place) and how tensor elements map to output channels.
type floatLayer struct {
	node *importer.Node
	op   string
	w    []float32 // weight data, ONNX layout
	bias []float32 // nil or one value per output channel (private copy)
	cout int       // output channels (Groups·N)
	k    int       // weights per output channel
	// layout of w: "oc" = channel-major [Cout, K] (Conv, Gemm transB),
	// "kn" = [K, N] (Gemm without transB, MatMul); convT, when set, is
	// ConvTranspose's [C_in, Cout/groups, taps...]
	kn    bool
	convT *convTLayout
	// pruned is the number of weights zeroed by pruning; prunedCh the
	// channels removed by structured pruning.
	pruned, prunedCh int
}

// convTLayout is the weight layout of a ConvTranspose: cg input channels
// and mg output channels per group, taps kernel positions.
type convTLayout struct{ cg, mg, taps int }

// index returns the position in w of weight kk of channel c.
func (f *floatLayer) index(c, kk int) int {
	if f.kn {
		return kk*f.cout + c
	}
	if t := f.convT; t != nil {
		// weight kk = c_in·taps + tap of output channel g·mg + m
		g, m, ci, tap := c/t.mg, c%t.mg, kk/t.taps, kk%t.taps
		return ((g*t.cg+ci)*t.mg+m)*t.taps + tap
	}
	return c*f.k + kk
}

type magRef struct {
	mag   float32
	layer int32
	idx   int32
}

func cmpMag(a, b magRef) int {
	if c := cmp.Compare(a.mag, b.mag); c != 0 {
		return c
	}
	if c := cmp.Compare(a.layer, b.layer); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

// prune zeroes weights of the selected layers (float, before quantization)
// following cfg: the count removed is round(ratio·count) for unstructured
// pruning (per layer, or over all selected layers together for global scope),
// and round(ratio·channels) output channels for channel pruning. Ties in
// magnitude are broken by layer then element order, so the result is
// deterministic and the count exact.
func prune(layers []*floatLayer, cfg Config) {
	if cfg.Prune <= 0 || len(layers) == 0 {
		return
	}
	var sel []*floatLayer
	for i, l := range layers {
		if i == 0 && !cfg.PruneFirst || i == len(layers)-1 && !cfg.PruneLast {
			continue
		}
		sel = append(sel, l)
	}
	if len(sel) == 0 {
		return
	}
	if cfg.PruneStructure == StructChannel {
		pruneChannels(sel, cfg)
		return
	}
	if cfg.PruneScope == ScopeGlobal {
		total := 0
		for _, l := range sel {
			total += len(l.w)
		}
		refs := make([]magRef, 0, total)
		for li, l := range sel {
			for i, v := range l.w {
				refs = append(refs, magRef{float32(math.Abs(float64(v))), int32(li), int32(i)})
			}
		}
		zeroSmallest(sel, refs, int(math.Round(cfg.Prune*float64(total))))
		return
	}
	for _, l := range sel {
		refs := make([]magRef, len(l.w))
		for i, v := range l.w {
			refs[i] = magRef{float32(math.Abs(float64(v))), 0, int32(i)}
		}
		zeroSmallest([]*floatLayer{l}, refs, int(math.Round(cfg.Prune*float64(len(l.w)))))
	}
}

// zeroSmallest zeroes the n smallest entries of refs. A full sort is avoided:
// a select of the n-th element then a sort of the ties at the threshold.
func zeroSmallest(ls []*floatLayer, refs []magRef, n int) {
	if n <= 0 {
		return
	}
	n = min(n, len(refs))
	mags := make([]float32, len(refs))
	for i, r := range refs {
		mags[i] = r.mag
	}
	slices.Sort(mags)
	thr := mags[n-1]
	below := 0
	for _, m := range mags {
		if m < thr {
			below++
		}
	}
	ties := n - below // how many entries equal to thr to zero, in (layer, idx) order
	var tied []magRef
	for _, r := range refs {
		if r.mag < thr {
			ls[r.layer].w[r.idx] = 0
			ls[r.layer].pruned++
		} else if r.mag == thr {
			tied = append(tied, r)
		}
	}
	slices.SortFunc(tied, cmpMag)
	for _, r := range tied[:ties] {
		ls[r.layer].w[r.idx] = 0
		ls[r.layer].pruned++
	}
}

// pruneChannels removes whole output channels (weights and bias) with the
// smallest norm. For global scope the norms are normalized per weight
// (RMS for l2, mean |w| for l1) so layers of different fan-in compare, and a
// layer always keeps at least one channel.
func pruneChannels(sel []*floatLayer, cfg Config) {
	norm := func(l *floatLayer, c int) float64 {
		var s float64
		for kk := 0; kk < l.k; kk++ {
			v := float64(l.w[l.index(c, kk)])
			if cfg.PruneNorm == "l1" {
				s += math.Abs(v)
			} else {
				s += v * v
			}
		}
		if cfg.PruneNorm != "l1" {
			s = math.Sqrt(s)
			if cfg.PruneScope == ScopeGlobal {
				s /= math.Sqrt(float64(l.k))
			}
		} else if cfg.PruneScope == ScopeGlobal {
			s /= float64(l.k)
		}
		return s
	}
	remove := func(l *floatLayer, c int) {
		for kk := 0; kk < l.k; kk++ {
			l.w[l.index(c, kk)] = 0
		}
		l.pruned += l.k
		l.prunedCh++
		if l.bias != nil {
			l.bias[c] = 0
		}
	}
	type chRef struct {
		norm  float64
		layer int
		ch    int
	}
	byNorm := func(a, b chRef) int {
		if c := cmp.Compare(a.norm, b.norm); c != 0 {
			return c
		}
		if c := cmp.Compare(a.layer, b.layer); c != 0 {
			return c
		}
		return cmp.Compare(a.ch, b.ch)
	}
	if cfg.PruneScope == ScopeGlobal {
		var refs []chRef
		for li, l := range sel {
			for c := 0; c < l.cout; c++ {
				refs = append(refs, chRef{norm(l, c), li, c})
			}
		}
		slices.SortFunc(refs, byNorm)
		n := int(math.Round(cfg.Prune * float64(len(refs))))
		for _, r := range refs {
			if n == 0 {
				break
			}
			l := sel[r.layer]
			if l.prunedCh == l.cout-1 {
				continue
			}
			remove(l, r.ch)
			n--
		}
		return
	}
	for _, l := range sel {
		refs := make([]chRef, l.cout)
		for c := range refs {
			refs[c] = chRef{norm(l, c), 0, c}
		}
		slices.SortFunc(refs, byNorm)
		n := min(int(math.Round(cfg.Prune*float64(l.cout))), l.cout)
		for _, r := range refs[:n] {
			remove(l, r.ch)
		}
	}
}
