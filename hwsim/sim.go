package hwsim

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// Execution modes of the simulator.
const (
	// ModeAuto uses the fast path for every layer group whose conversions
	// are all exact (lossless ADC, no variation, no ADC noise; stuck-at
	// faults are folded in) and the bit-serial path elsewhere, where the
	// columns of an OU activation sequence whose input steps provably all
	// convert exactly are summed at once (see doc.go).
	ModeAuto = "auto"
	// ModeBitSerial simulates every OU activation, input bit and conversion.
	ModeBitSerial = "bitserial"
)

// Options are the run settings of a Simulator (the hardware is in HW).
type Options struct {
	// Seed selects the random cell faults, conductances and ADC noise.
	Seed uint64
	// Workers is the number of goroutines per MatMul call (0 = GOMAXPROCS).
	Workers int
	// Mode is ModeAuto ("" = auto) or ModeBitSerial.
	Mode string
	// route forces a bit-serial route (tests compare them); "" lets each
	// call choose the cheaper one.
	route string
}

// Bit-serial routes (Options.route).
const (
	routeTable   = "table"   // per-strip pattern tables (table.go)
	routeGeneric = "generic" // per-column popcounts (kernel.go)
	// routeSteps is the generic route with every multi-word OU on the
	// per-step loop (ouGeneric), the reference for ouMultiWord.
	routeSteps = "steps"
	// routeScalar is the generic route without ouMultiWord's AVX-512
	// kernel.
	routeScalar = "scalar"
	// routePerColumn is the generic route without the 16-row strip
	// kernel (ouStrip16): ouSimple and ouSimple2, its reference.
	routePerColumn = "percolumn"
)

// Simulator runs the linear layers of a quantized network on the simulated
// accelerator. Its MatMul method is a quant.MatMulFunc. It is safe for
// concurrent use; with ADC noise, reproducibility needs the calls of each
// layer group to arrive in the same order (quant.Network.Run is serial).
type Simulator struct {
	hw     HW
	opts   Options
	mp     *mapper.Mapping
	net    *quant.Network
	groups [][]*group // [layer][group]
	byLin  map[*quant.Linear]int
	counts []layerCounters
	work   []imageWork // per layer: the golden program's work per image
	// tableBudget is what is left of tableCacheBytes for the table route's
	// tables kept between calls.
	tableBudget atomic.Int64
	tableBlock  int64 // tableBlockBytes (tests lower it)
}

// layerCounters accumulate what the simulation did, per layer.
type layerCounters struct {
	vectors, bitSerialVectors atomic.Int64
	n                         [numCounters]atomic.Int64 // indexed by Counter
}

// add adds a worker's tally.
func (c *layerCounters) add(t *tally) {
	for i, v := range t {
		if v != 0 {
			c.n[i].Add(v)
		}
	}
}

// addScaled adds m times a tally.
func (c *layerCounters) addScaled(t *tally, m int64) {
	for i, v := range t {
		if v != 0 {
			c.n[i].Add(m * v)
		}
	}
}

// reset clears every counter.
func (c *layerCounters) reset() {
	c.vectors.Store(0)
	c.bitSerialVectors.Store(0)
	for i := range c.n {
		c.n[i].Store(0)
	}
}

// load returns the counts so far (per-image counters from w, derived
// counters filled).
func (c *layerCounters) load(hw *HW, w *imageWork) Counts {
	var t tally
	for i := range c.n {
		t[i] = c.n[i].Load()
	}
	return t.counts(c.vectors.Load(), hw, w)
}

// Simulate is New with the network given explicitly: it checks that mp maps
// net (the mapping's own network is used when net is nil).
func Simulate(net *quant.Network, mp *mapper.Mapping, hw HW, opts Options) (*Simulator, error) {
	if mp == nil {
		return nil, fmt.Errorf("hwsim: nil mapping")
	}
	if net != nil && mp.Net != nil && net != mp.Net {
		if len(net.Linears) != len(mp.Net.Linears) {
			return nil, fmt.Errorf("hwsim: the mapping covers %d linear layers, the network has %d", len(mp.Net.Linears), len(net.Linears))
		}
	}
	if net == nil {
		net = mp.Net
	}
	return newSimulator(net, mp, hw, opts)
}

func newSimulator(net *quant.Network, mp *mapper.Mapping, hw HW, opts Options) (*Simulator, error) {
	if net == nil {
		return nil, fmt.Errorf("hwsim: mapping %q has no network", mp.Scheme)
	}
	hw = hw.Clone()
	if err := hw.Validate(); err != nil {
		return nil, err
	}
	switch opts.Mode {
	case "":
		opts.Mode = ModeAuto
	case ModeAuto, ModeBitSerial:
	default:
		return nil, fmt.Errorf("hwsim: mode %q: want %q or %q", opts.Mode, ModeAuto, ModeBitSerial)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	geo := mp.Geometry
	if geo != hw.Geometry {
		return nil, fmt.Errorf("%w: mapping geometry %dx%d crossbars, %dx%d OUs, %d-bit cells differs from the hardware's %dx%d, %dx%d, %d-bit",
			ErrInvalidHW, geo.XbarRows, geo.XbarCols, geo.OURows, geo.OUCols, geo.CellBits,
			hw.XbarRows, hw.XbarCols, hw.OURows, hw.OUCols, hw.CellBits)
	}
	if len(mp.Layers) != len(net.Linears) {
		return nil, fmt.Errorf("hwsim: mapping has %d layers, network %d linear layers", len(mp.Layers), len(net.Linears))
	}
	work, err := imageWorkOf(net, &hw)
	if err != nil {
		return nil, err
	}
	s := &Simulator{hw: hw, opts: opts, mp: mp, net: net, byLin: map[*quant.Linear]int{}, work: work,
		groups: make([][]*group, len(net.Linears)), counts: make([]layerCounters, len(net.Linears))}
	s.tableBudget.Store(tableCacheBytes)
	s.tableBlock = tableBlockBytes
	type job struct{ li, gi int }
	var jobs []job
	for li, l := range net.Linears {
		lm := mp.Layers[li]
		if l == nil || lm == nil {
			return nil, fmt.Errorf("hwsim: layer %d: missing layer or layer map", li)
		}
		if len(lm.Groups) != l.Groups || len(l.Weights) != l.Groups {
			return nil, fmt.Errorf("hwsim: layer %d %q: %d group maps for %d groups", li, l.Name, len(lm.Groups), l.Groups)
		}
		s.byLin[l] = li
		if mp.Net != nil && li < len(mp.Net.Linears) {
			s.byLin[mp.Net.Linears[li]] = li
		}
		s.groups[li] = make([]*group, l.Groups)
		for gi := range lm.Groups {
			jobs = append(jobs, job{li, gi})
		}
	}
	// Compiling is independent per group: spread it over the workers.
	errs := make([]error, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(opts.Workers, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				l := net.Linears[j.li]
				// Bit-serial mode never takes the fast path: its matrix is
				// not folded at all.
				g, err := compileGroup(j.li, j.gi, l, mp.Layers[j.li].Groups[j.gi], mp.Scheme, geo, &s.hw, opts.Seed, opts.Mode != ModeBitSerial)
				if err != nil {
					errs[i] = err
					continue
				}
				if opts.Mode == ModeBitSerial {
					// Every group runs bit-serially: plan its table route
					// here, on all workers, rather than on first use one
					// layer at a time.
					tablePlanOf(g, &s.hw)
				}
				s.groups[j.li][j.gi] = g
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// HW returns the simulator's hardware description.
func (s *Simulator) HW() HW { return s.hw.Clone() }

// Reset clears the counters and restarts the ADC-noise vector counters, so
// that a rerun over the same inputs reproduces the same noise.
func (s *Simulator) Reset() {
	for i := range s.counts {
		s.counts[i].reset()
	}
	for _, gs := range s.groups {
		for _, g := range gs {
			g.vectorsSeen.Store(0)
		}
	}
}

// layerOf finds the layer index of l.
func (s *Simulator) layerOf(l *quant.Linear) (int, error) {
	if li, ok := s.byLin[l]; ok {
		return li, nil
	}
	if l != nil && l.Index >= 0 && l.Index < len(s.groups) {
		g := s.groups[l.Index]
		if len(g) > 0 && g[0].k == l.K && g[0].n == l.N && len(g) == l.Groups && s.net.Linears[l.Index].Name == l.Name {
			return l.Index, nil
		}
	}
	if l == nil {
		return 0, fmt.Errorf("hwsim: nil layer")
	}
	return 0, fmt.Errorf("hwsim: layer %d %q is not in the mapped network", l.Index, l.Name)
}

// MatMul computes out = x·W for group gi of layer l on the simulated
// crossbars (a quant.MatMulFunc): x is m×K input codes, out m×N.
func (s *Simulator) MatMul(l *quant.Linear, gi int, x []int32, m int, out []int32) error {
	li, err := s.layerOf(l)
	if err != nil {
		return err
	}
	if gi < 0 || gi >= len(s.groups[li]) {
		return fmt.Errorf("hwsim: layer %d %q: group %d of %d", li, l.Name, gi, len(s.groups[li]))
	}
	g := s.groups[li][gi]
	if m < 0 || len(x) != m*g.k || len(out) != m*g.n {
		return fmt.Errorf("hwsim: layer %d %q group %d: x has %d values, out %d, for M=%d K=%d N=%d", li, l.Name, gi, len(x), len(out), m, g.k, g.n)
	}
	if m == 0 {
		return nil
	}
	lo, hi := int32(0), int32(1)<<g.a-1
	if g.signed {
		lo, hi = -(1 << (g.a - 1)), 1<<(g.a-1)-1
	}
	for i, v := range x {
		if v < lo || v > hi {
			return fmt.Errorf("hwsim: layer %d %q group %d: input code %d at row %d outside the %d-bit range [%d, %d]", li, l.Name, gi, v, i/g.k, g.a, lo, hi)
		}
	}
	base := g.vectorsSeen.Add(int64(m)) - int64(m)
	c := &s.counts[li]
	c.vectors.Add(int64(m))
	if g.fast != nil {
		if err := g.fast.MulParallel(x, m, out, s.opts.Workers); err != nil {
			return fmt.Errorf("hwsim: layer %d %q group %d: %w", li, l.Name, gi, err)
		}
		c.addScaled(&g.perVector, int64(m))
		return nil
	}
	if tab := tablePlanOf(g, &s.hw); tab != nil && s.opts.route != routeGeneric && s.opts.route != routeSteps && s.opts.route != routeScalar && s.opts.route != routePerColumn && (s.opts.route == routeTable || tab.worthIt(m)) {
		lost := tab.matMul(g, &s.hw, x, m, out, s.opts.Workers, &s.tableBudget, s.tableBlock)
		c.addScaled(&g.perVector, int64(m))
		if s.hw.ADCMode == ADCTruncate {
			c.n[ADCTruncated].Add(lost)
		} else {
			c.n[ADCClipped].Add(lost)
		}
		c.bitSerialVectors.Add(int64(m))
		return nil
	}
	workers := min(s.opts.Workers, m)
	// Below a few thousand conversions a goroutine costs more than it saves.
	if int64(m)*g.perVector[ADCConversions] < 4096 {
		workers = 1
	}
	var wg sync.WaitGroup
	step := (m + workers - 1) / workers
	for w := 0; w < workers; w++ {
		r0, r1 := w*step, min((w+1)*step, m)
		if r0 >= r1 {
			break
		}
		run := func() {
			wk := newWorker(g, &s.hw, s.opts.Seed, s.opts.Mode == ModeAuto)
			wk.perStep = s.opts.route == routeSteps
			wk.scalar = s.opts.route == routeScalar
			wk.strip16 = wk.strip16 && s.opts.route != routePerColumn
			for r := r0; r < r1; r++ {
				wk.vector(x[r*g.k:(r+1)*g.k], out[r*g.n:(r+1)*g.n], base+int64(r))
			}
			wk.flush(c)
		}
		if w == workers-1 || r1 == m {
			run()
		} else {
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		}
	}
	wg.Wait()
	c.addScaled(&g.perVector, int64(m))
	c.bitSerialVectors.Add(int64(m))
	return nil
}
