package hwsim

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// step is one input step of the bit-serial (or digit-serial) feed: input
// bits b0 .. b0+t-1 are driven together; the converted column sum is
// shifted left by b0 and subtracted when neg (the two's complement sign bit).
type step struct {
	b0, t uint8
	neg   bool
}

// inputSteps returns the steps that feed a-bit codes through d-bit DACs.
// Unsigned codes are cut into d-bit digits from the least significant bit.
// Signed codes feed their a-1 magnitude bits in d-bit digits and the sign
// bit alone (a DAC drives non-negative levels only), subtracted.
func inputSteps(a, d int, signed bool) []step {
	var st []step
	mag := a
	if signed {
		mag = a - 1
	}
	for b := 0; b < mag; b += d {
		st = append(st, step{b0: uint8(b), t: uint8(min(d, mag-b))})
	}
	if signed {
		st = append(st, step{b0: uint8(a - 1), t: 1, neg: true})
	}
	return st
}

// rowset is a distinct list of input rows that some OUs drive.
type rowset struct {
	rows     []int32 // logical input indices in wordline order
	planeOff int     // offset of its A×words input planes in the worker scratch
	xOff     int     // offset of its gathered input codes in the worker scratch
}

// cou is a compiled OU.
type cou struct {
	rs         int32 // rowset index
	xbar       int32
	col0, ncol int32
	nrows      int32
	// lossless: no ideal conversion of this OU can lose information.
	lossless bool
	// sumCol is the physical column giving the OU's input sum to
	// complement owners (-1 = none).
	sumCol int32
	// owners is the number of owner entries of the OU's columns; idx the
	// index entries one activation reads.
	owners int32
	idx    ouIndex
}

// run is a sequence of consecutive OUs on the same wordlines with
// consecutive columns and the same conversion behaviour (typically the OUs
// of one strip): the kernel converts all its columns plane by plane in one
// loop, which changes nothing per column but saves per-OU overhead.
type run struct {
	cou
}

// cowner is a compiled owner entry.
type cowner struct {
	col  int32 // physical column
	out  int32
	mult int32 // ±2^Bit: minus when Negate
	comp bool
}

// group is one compiled GroupMap.
type group struct {
	layer, index int
	lin          *quant.Linear
	k, n, a      int
	signed       bool
	words        int
	steps        []step
	rowsets      []rowset
	planeWords   int // Σ over rowsets of a×words
	gathered     int // Σ over rowsets of their rows
	ous          []cou
	runs         []run
	cols         []uint64 // cell bits (low bit plane) after stuck-at faults, words per column
	// hi is the high bit plane of 2-bit cells after stuck-at faults, laid
	// out like cols (nil for 1-bit cells): the cell level is lo + 2·hi.
	hi       []uint64
	maxLevel int64 // top cell level: 2^cell_bits - 1
	ownStart []int32
	own      []cowner
	anyComp  bool
	// cond[c*h+j] is the conductance (in units of G_on) of the cell of
	// column c on wordline j, when variation is simulated (else nil).
	cond []float32
	h    int
	// fast is the effective weight matrix for the lossless ideal fast path
	// (nil when it does not apply).
	fast *quant.PackedWeights
	// foldsToWeights: the fast path's matrix equals the layer's weights
	// (Simulator.ComputesGolden).
	foldsToWeights bool
	// tab is the table route of the bit-serial simulation (nil when it
	// does not apply; see table.go), made on the first bit-serial call.
	tab     *tablePlan
	tabOnce sync.Once
	// cols16 and hi16 are cols and hi as 16-bit words, padded with 32
	// zero columns, for the 16-row strip kernel (ouStrip16); nil when it
	// does not apply. Made on the first use.
	cols16, hi16 []uint16
	c16Once      sync.Once
	// s16base[r] is where run r adds its column values in the strip
	// kernel's accumulators: runs whose columns have the same owners
	// (the same columns of crossbars on different strips) share theirs,
	// so the owners' shift-and-add runs once per block of s16blocks.
	s16base   []int32
	s16blocks []ownerBlock
	s16cols   int

	crossbars  int
	rounds     int64 // OU activations × their conversion rounds (HW.ouRounds)
	maxOUsXbar int64 // largest number of such rounds on one crossbar
	denseXbars int   // crossbars the dense mapping of this group occupies
	physCols   int
	// colsT is a word-major copy of cols (word k of column c at
	// colsT[k·physCols+c]) for multi-word 1-bit cells with the AVX-512
	// kernel, nil otherwise.
	colsT     []uint64
	ix        indexLayout
	indexBits int64 // index storage
	// perVector holds the counts of one input vector: every OU fires once
	// per input step whatever its inputs, so they are fixed at compile time
	// (the kernel counts only what depends on the data).
	perVector   tally
	vectorsSeen atomic.Int64 // vectors simulated since Reset (noise counter)
}

// compileGroup validates gm against l and the hardware and builds the
// simulator's form of it. Every index read from the mapping is checked, so a
// corrupt mapping file gives an error, never a panic. fastPath folds the
// exact fast path's matrix (ModeAuto); bit-serial mode skips that work.
func compileGroup(li, gi int, l *quant.Linear, gm *mapper.GroupMap, scheme string, geo mapper.Geometry, hw *HW, seed uint64, fastPath bool) (*group, error) {
	where := fmt.Sprintf("layer %d %q group %d", li, l.Name, gi)
	if gm == nil {
		return nil, fmt.Errorf("hwsim: %s: missing group map", where)
	}
	if l.ABits < 1 || l.ABits > hw.InputBits {
		return nil, fmt.Errorf("hwsim: %s: %d-bit inputs exceed the hardware's input_bits %d", where, l.ABits, hw.InputBits)
	}
	if l.WBits < 1 || l.WBits > 16 {
		return nil, fmt.Errorf("hwsim: %s: weight width %d out of range [1, 16]", where, l.WBits)
	}
	if hw.CellBits != 1 && hw.CellBits != 2 {
		return nil, fmt.Errorf("hwsim: %s: %d-bit cells", where, hw.CellBits)
	}
	g := &group{layer: li, index: gi, lin: l, k: l.K, n: l.N, a: l.ABits, signed: l.InputSigned,
		h: geo.OURows, crossbars: gm.Crossbars, maxLevel: 1<<hw.CellBits - 1,
		denseXbars: geo.DenseCrossbars(l.K, l.N*mapper.DigitCount(l.WBits, hw.CellBits))}
	g.steps = inputSteps(l.ABits, hw.DACBits, l.InputSigned)
	// gm.Words holds cell_bits bit planes of ceil(h/64) words each
	rowWords := (geo.OURows + 63) / 64
	if gm.Words != rowWords*hw.CellBits {
		return nil, fmt.Errorf("hwsim: %s: %d words per column, want %d for %d-row OUs of %d-bit cells", where, gm.Words, rowWords*hw.CellBits, geo.OURows, hw.CellBits)
	}
	g.words = rowWords
	if len(gm.OwnerStart) < 1 {
		return nil, fmt.Errorf("hwsim: %s: empty OwnerStart", where)
	}
	ncols := gm.Columns()
	g.physCols = ncols
	if len(gm.ColBits) != ncols*gm.Words {
		return nil, fmt.Errorf("hwsim: %s: %d column words for %d columns of %d words", where, len(gm.ColBits), ncols, gm.Words)
	}
	if gm.OwnerStart[0] != 0 || int(gm.OwnerStart[ncols]) != len(gm.Owners) {
		return nil, fmt.Errorf("hwsim: %s: OwnerStart spans [%d, %d], want [0, %d]", where, gm.OwnerStart[0], gm.OwnerStart[ncols], len(gm.Owners))
	}
	for c := 0; c < ncols; c++ {
		if gm.OwnerStart[c+1] < gm.OwnerStart[c] {
			return nil, fmt.Errorf("hwsim: %s: OwnerStart decreases at column %d", where, c)
		}
	}
	if gm.Crossbars < 0 || (len(gm.OUs) > 0 && gm.Crossbars == 0) {
		return nil, fmt.Errorf("hwsim: %s: %d crossbars for %d OUs", where, gm.Crossbars, len(gm.OUs))
	}
	for _, r := range gm.RowIdx {
		if r < 0 || int(r) >= l.K {
			return nil, fmt.Errorf("hwsim: %s: input row %d out of range [0, %d)", where, r, l.K)
		}
	}
	// Owners.
	g.own = make([]cowner, len(gm.Owners))
	g.ownStart = gm.OwnerStart
	for i, o := range gm.Owners {
		if o.Out < 0 || int(o.Out) >= l.N {
			return nil, fmt.Errorf("hwsim: %s: owner %d: output %d out of range [0, %d)", where, i, o.Out, l.N)
		}
		if int(o.Bit) >= l.WBits {
			return nil, fmt.Errorf("hwsim: %s: owner %d: bit %d out of range [0, %d)", where, i, o.Bit, l.WBits)
		}
		g.own[i] = cowner{out: o.Out, mult: 1 << o.Bit, comp: o.Complement}
		if o.Negate {
			g.own[i].mult = -g.own[i].mult
		}
	}
	for c := 0; c < ncols; c++ {
		for i := gm.OwnerStart[c]; i < gm.OwnerStart[c+1]; i++ {
			g.own[i].col = int32(c)
		}
	}
	// OUs, rowsets, column coverage.
	owner := make([]int32, ncols) // OU of each column, -1 = none
	for i := range owner {
		owner[i] = -1
	}
	rsIndex := map[string]int32{}
	perXbar := make([]int64, gm.Crossbars)
	g.ous = make([]cou, len(gm.OUs))
	maxSum := (1<<hw.ADCBits - 1)
	for oi, ou := range gm.OUs {
		if ou.Crossbar < 0 || int(ou.Crossbar) >= gm.Crossbars {
			return nil, fmt.Errorf("hwsim: %s: OU %d on crossbar %d of %d", where, oi, ou.Crossbar, gm.Crossbars)
		}
		if ou.RowCount < 0 || int(ou.RowCount) > geo.OURows || ou.RowStart < 0 || int(ou.RowStart)+int(ou.RowCount) > len(gm.RowIdx) {
			return nil, fmt.Errorf("hwsim: %s: OU %d rows [%d, +%d) invalid (%d row indices, OU height %d)", where, oi, ou.RowStart, ou.RowCount, len(gm.RowIdx), geo.OURows)
		}
		if ou.ColCount < 0 || int(ou.ColCount) > geo.OUCols || ou.ColStart < 0 || int(ou.ColStart)+int(ou.ColCount) > ncols {
			return nil, fmt.Errorf("hwsim: %s: OU %d columns [%d, +%d) invalid (%d columns, OU width %d)", where, oi, ou.ColStart, ou.ColCount, ncols, geo.OUCols)
		}
		rows := gm.RowIdx[ou.RowStart : ou.RowStart+ou.RowCount]
		rk := rowKey(rows)
		rs, ok := rsIndex[rk]
		if !ok {
			rs = int32(len(g.rowsets))
			rsIndex[rk] = rs
			g.rowsets = append(g.rowsets, rowset{rows: rows, planeOff: g.planeWords, xOff: g.gathered})
			g.planeWords += g.a * g.words
			g.gathered += len(rows)
		}
		co := cou{rs: rs, xbar: ou.Crossbar, col0: ou.ColStart, ncol: ou.ColCount, nrows: ou.RowCount, sumCol: ou.SumCol}
		co.lossless = true
		for _, s := range g.steps {
			if int64(ou.RowCount)*int64(1<<s.t-1)*g.maxLevel > int64(maxSum) {
				co.lossless = false
			}
		}
		if hw.ADCMode == ADCTruncate && truncShift(hw, geo.OURows) > 0 {
			co.lossless = false
		}
		comp := false
		for c := ou.ColStart; c < ou.ColStart+ou.ColCount; c++ {
			if owner[c] >= 0 {
				return nil, fmt.Errorf("hwsim: %s: column %d belongs to OUs %d and %d", where, c, owner[c], oi)
			}
			owner[c] = int32(oi)
			co.owners += gm.OwnerStart[c+1] - gm.OwnerStart[c]
			for _, o := range gm.Owners[gm.OwnerStart[c]:gm.OwnerStart[c+1]] {
				comp = comp || o.Complement
			}
		}
		if ou.SumCol < -1 || int(ou.SumCol) >= ncols || (comp && ou.SumCol < 0) {
			return nil, fmt.Errorf("hwsim: %s: OU %d: sum column %d invalid (%d columns, complement owners: %v)", where, oi, ou.SumCol, ncols, comp)
		}
		g.ous[oi] = co
		r := hw.ouRounds(int64(ou.ColCount))
		perXbar[ou.Crossbar] += r
		g.rounds += r
	}
	// The index model, now that the OUs are known to be valid.
	var err error
	if g.ix, err = newIndexLayout(scheme, l, gm, hw.CellBits); err != nil {
		return nil, fmt.Errorf("hwsim: %s: %w", where, err)
	}
	for oi := range g.ous {
		g.ous[oi].idx = g.ix.forOU(oi)
	}
	for c, o := range owner {
		if o < 0 {
			return nil, fmt.Errorf("hwsim: %s: column %d is on no OU", where, c)
		}
	}
	for _, v := range perXbar {
		g.maxOUsXbar = max(g.maxOUsXbar, v)
	}
	// A sum column must be an all-ones (top level) column on the OU's own
	// wordlines.
	for oi, o := range g.ous {
		if o.sumCol < 0 {
			continue
		}
		so := g.ous[owner[o.sumCol]]
		if so.rs != o.rs {
			return nil, fmt.Errorf("hwsim: %s: OU %d: sum column %d is on other wordlines", where, oi, o.sumCol)
		}
		cb := gm.ColBits[int(o.sumCol)*gm.Words : int(o.sumCol+1)*gm.Words]
		for j := 0; j < int(o.nrows); j++ {
			for p := 0; p < hw.CellBits; p++ {
				if cb[p*g.words+j>>6]>>(j&63)&1 == 0 {
					return nil, fmt.Errorf("hwsim: %s: OU %d: sum column %d is not all ones", where, oi, o.sumCol)
				}
			}
		}
	}

	// Cells: split the bit planes, keep only connected wordlines, then apply
	// stuck-at faults (stuck at 0: level 0; stuck at 1: the top level, 1
	// or 3).
	g.cols = make([]uint64, ncols*g.words)
	if hw.CellBits == 2 {
		g.hi = make([]uint64, ncols*g.words)
	}
	for c := 0; c < ncols; c++ {
		copy(g.cols[c*g.words:(c+1)*g.words], gm.ColBits[c*gm.Words:])
		if g.hi != nil {
			copy(g.hi[c*g.words:(c+1)*g.words], gm.ColBits[c*gm.Words+g.words:])
		}
	}
	for c := 0; c < ncols; c++ {
		nr := int(gm.OUs[owner[c]].RowCount)
		planes := [][]uint64{g.cols[c*g.words : (c+1)*g.words]}
		if g.hi != nil {
			planes = append(planes, g.hi[c*g.words:(c+1)*g.words])
		}
		for _, w := range planes {
			for j := range w {
				lo := j * 64
				switch {
				case nr <= lo:
					w[j] = 0
				case nr < lo+64:
					w[j] &= 1<<(nr-lo) - 1
				}
			}
		}
		if hw.StuckAt0Rate > 0 || hw.StuckAt1Rate > 0 {
			for j := 0; j < nr; j++ {
				u := unit(key(seed, streamStuck, uint64(li), uint64(gi), uint64(c), uint64(j)))
				bit := uint64(1) << (j & 63)
				for _, w := range planes {
					switch {
					case u < hw.StuckAt0Rate:
						w[j>>6] &^= bit
					case u < hw.StuckAt0Rate+hw.StuckAt1Rate:
						w[j>>6] |= bit
					}
				}
			}
		}
	}
	if hw.VariationSigma > 0 {
		g.cond = make([]float32, ncols*g.h)
		for c := 0; c < ncols; c++ {
			nr := int(gm.OUs[owner[c]].RowCount)
			for j := 0; j < nr; j++ {
				z := gauss(key(seed, streamVariation, uint64(li), uint64(gi), uint64(c), uint64(j)))
				g.cond[c*g.h+j] = float32(math.Exp(hw.VariationSigma * z))
			}
		}
	}

	// Static per-vector counts and index storage.
	ns := int64(len(g.steps))
	xr := xbarRows(gm)
	for oi, o := range g.ous {
		w := newOUWork(hw, int64(o.nrows), int64(o.ncol), xr[oi], int64(o.owners), o.idx, g.ix.bits(o.idx))
		g.perVector.addActivations(&w, ns)
		if n := len(g.runs); n > 0 {
			p := &g.runs[n-1]
			if p.rs == o.rs && p.lossless == o.lossless && p.sumCol == o.sumCol && p.col0+p.ncol == o.col0 {
				p.ncol += o.ncol
				p.owners += o.owners
				continue
			}
		}
		g.runs = append(g.runs, run{cou: o})
	}
	vw := newVectorWork(hw, l, &g.ix, gm)
	g.perVector.addVectors(&vw, 1)
	g.indexBits = g.ix.storage()

	if fastPath && hw.VariationSigma == 0 && hw.ADCNoiseSigmaLSB == 0 {
		fast, err := g.effectiveWeights()
		if err != nil {
			return nil, fmt.Errorf("hwsim: %s: %w", where, err)
		}
		g.fast = fast
	}
	if g.words > 1 && g.hi == nil && hasVPOPCNT {
		g.colsT = make([]uint64, g.words*g.physCols)
		for c := 0; c < g.physCols; c++ {
			for k := 0; k < g.words; k++ {
				g.colsT[k*g.physCols+c] = g.cols[c*g.words+k]
			}
		}
	}
	return g, nil
}

// truncShift returns D, the number of low bits a truncating ADC drops: the
// full-scale column sum of an h-row OU of cell_bits-bit cells driven by
// dac_bits DACs has bitlen(h·(2^dac_bits-1)·(2^cell_bits-1)) bits, of which
// the ADC keeps the top adc_bits.
func truncShift(hw *HW, h int) int {
	full := bits.Len(uint(h * (1<<hw.DACBits - 1) * (1<<max(hw.CellBits, 1) - 1)))
	return max(0, full-hw.ADCBits)
}

func rowKey(rows []int32) string {
	b := make([]byte, 0, 4*len(rows))
	for _, r := range rows {
		b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
	}
	return string(b)
}

// effectiveWeights folds the mapping into the K×N integer matrix it
// computes when every conversion is exact:
//
//	W_eff[k][n] = Σ over OUs, columns c, owners o of c with Out = n, wordlines
//	              j with RowIdx[j] = k:  ±2^Bit · (o.Complement ? s_j-c_j : c_j)
//
// where c_j is the level of the cell (its bit with 1-bit cells, lo + 2·hi
// with 2-bit cells), s is the OU's sum column (the top level everywhere
// unless a cell is stuck) (sign - when Negate), using the cells after
// stuck-at faults. It
// returns nil when some OU is lossy or the matrix could overflow int32
// accumulation; the simulator then runs bit-serially.
func (g *group) effectiveWeights() (*quant.PackedWeights, error) {
	for _, o := range g.ous {
		if !o.lossless {
			return nil, nil
		}
	}
	if g.k == 0 || g.n == 0 {
		return nil, nil
	}
	w := make([]int64, g.k*g.n)
	for _, o := range g.ous {
		rows := g.rowsets[o.rs].rows
		for c := o.col0; c < o.col0+o.ncol; c++ {
			for _, ow := range g.own[g.ownStart[c]:g.ownStart[c+1]] {
				v := int64(ow.mult)
				for j, k := range rows {
					lv := g.level(int(c), j)
					if ow.comp {
						// sum column cell minus this cell (both after faults)
						lv = g.level(int(o.sumCol), j) - lv
					}
					w[int(k)*g.n+int(ow.out)] += lv * v
				}
			}
		}
	}
	// |Σ_k x_k·w_kn| ≤ K·max|w|·2^A must stay below 2^31 for the int32 GEMM
	// to equal the bit-serial int64 accumulation.
	var maxAbs int64
	w32 := make([]int32, len(w))
	for _, v := range w {
		if v < 0 {
			v = -v
		}
		maxAbs = max(maxAbs, v)
	}
	if maxAbs > 0 && (maxAbs > math.MaxInt32 || float64(maxAbs)*float64(g.k)*math.Ldexp(1, g.a) >= math.Ldexp(1, 31)) {
		return nil, nil
	}
	for i, v := range w {
		w32[i] = int32(v)
	}
	g.foldsToWeights = slices.Equal(w32, g.lin.Weights[g.index])
	return quant.PackWeights(w32, g.k, g.n)
}

// level is the level of the cell of column c on wordline j (after faults).
func (g *group) level(c, j int) int64 {
	i := c*g.words + j>>6
	l := int64(g.cols[i] >> (j & 63) & 1)
	if g.hi != nil {
		l += int64(g.hi[i]>>(j&63)&1) << 1
	}
	return l
}
