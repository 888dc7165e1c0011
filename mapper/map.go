package mapper

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/rramc/rramc/quant"
)

// Map lays every Linear of net onto crossbars of geometry geo with the
// scheme opts.Scheme. Layer groups are mapped in parallel (opts.Workers,
// default GOMAXPROCS); the result does not depend on the worker count.
func Map(net *quant.Network, geo Geometry, opts Options) (*Mapping, error) {
	if net == nil {
		return nil, fmt.Errorf("mapper: nil network")
	}
	if err := geo.Validate(); err != nil {
		return nil, err
	}
	s, err := LookupScheme(opts.Scheme)
	if err != nil {
		return nil, err
	}
	if opts.MaxShare < 0 {
		return nil, fmt.Errorf("mapper: max share %d: must be ≥ 0 (0 = unlimited)", opts.MaxShare)
	}
	if opts.Window < 0 {
		return nil, fmt.Errorf("mapper: reorder window %d: must be ≥ 0", opts.Window)
	}
	if opts, err = s.Canonical(opts); err != nil {
		return nil, err
	}
	m := &Mapping{Scheme: s.Name(), MaxShare: opts.MaxShare, Window: opts.Window, Geometry: geo, Net: net,
		Layers: make([]*LayerMap, len(net.Linears))}
	type task struct{ layer, group, size int }
	var tasks []task
	for li, l := range net.Linears {
		if err := checkLinear(l); err != nil {
			return nil, fmt.Errorf("mapper: layer %d %q: %w", li, linearName(l), err)
		}
		m.Layers[li] = &LayerMap{Name: l.Name, Groups: make([]*GroupMap, l.Groups)}
		for g := 0; g < l.Groups; g++ {
			tasks = append(tasks, task{li, g, l.K * l.N})
		}
	}
	// largest first so that two workers finish together
	slices.SortStableFunc(tasks, func(a, b task) int { return b.size - a.size })
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(tasks), 1))
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	var mu sync.Mutex
	nextTask := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := nextTask
				nextTask++
				mu.Unlock()
				if i >= len(tasks) {
					return
				}
				t := tasks[i]
				l := net.Linears[t.layer]
				in := &GroupInput{Dims: Dims{K: l.K, N: l.N, Bits: l.WBits, CellBits: geo.CellBits}, W: l.Weights[t.group], Geo: geo, Opts: opts}
				gm, err := s.MapGroup(in)
				if err != nil {
					errs[i] = fmt.Errorf("mapper: layer %d %q group %d: %w", t.layer, linearName(l), t.group, err)
					continue
				}
				m.Layers[t.layer].Groups[t.group] = gm
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func linearName(l *quant.Linear) string {
	if l == nil {
		return "<nil>"
	}
	return l.Name
}

// checkLinear validates the sizes and weight range of a layer so that the
// schemes can index without checks.
func checkLinear(l *quant.Linear) error {
	if l == nil {
		return fmt.Errorf("nil layer")
	}
	if l.K <= 0 || l.N <= 0 || l.K > maxMatDim || l.N > maxMatDim || l.Groups <= 0 {
		return fmt.Errorf("K=%d N=%d groups=%d: sizes must be positive and at most %d", l.K, l.N, l.Groups, maxMatDim)
	}
	if l.K*l.N > 1<<28 {
		return fmt.Errorf("K×N = %d×%d: more than 2^28 weights per group", l.K, l.N)
	}
	if l.WBits < 2 || l.WBits > maxBits {
		return fmt.Errorf("weight bits %d: must be in 2..%d", l.WBits, maxBits)
	}
	if l.N*l.WBits > maxMatDim {
		return fmt.Errorf("N·B = %d logical columns: more than %d", l.N*l.WBits, maxMatDim)
	}
	if len(l.Weights) != l.Groups {
		return fmt.Errorf("%d weight groups for %d groups", len(l.Weights), l.Groups)
	}
	lo, hi := int32(-1)<<(l.WBits-1), int32(1)<<(l.WBits-1)-1
	for g, w := range l.Weights {
		if len(w) != l.K*l.N {
			return fmt.Errorf("group %d: %d weights for K×N = %d×%d", g, len(w), l.K, l.N)
		}
		for i, v := range w {
			if v < lo || v > hi {
				return fmt.Errorf("group %d: weight [%d][%d] = %d outside %d-bit range [%d, %d]", g, i/l.N, i%l.N, v, l.WBits, lo, hi)
			}
		}
	}
	return nil
}
