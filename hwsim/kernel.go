package hwsim

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// worker simulates input vectors of one layer group bit-serially. It owns
// all its scratch memory, so the per-vector loop never allocates.
type worker struct {
	g    *group
	hw   *HW
	seed uint64

	planes []uint64 // input bit-planes of every rowset
	nz     []uint32 // per rowset: which planes are non-zero
	colacc []int64  // per physical column: Σ over steps of ±converted sums << b0
	acc    []int64  // per output column

	amask    uint32
	maxCode  int64 // 2^r - 1
	truncD   uint  // low bits dropped by a truncating ADC
	truncate bool
	analog   bool
	// aggregate: sum the exact steps of a column at once (ModeAuto).
	aggregate bool
	xs        []int64 // gathered input codes of every rowset
	// perStep keeps multi-word OUs on ouGeneric (routeSteps).
	perStep bool
	// scalar keeps ouMultiWord off its AVX-512 kernel (routeScalar).
	scalar bool
	// wordIdx and wordVal list a plane's non-zero words (ouMultiWord),
	// wordOff is the kernel's scratch for their byte offsets.
	wordIdx []int
	wordVal []uint64
	wordOff []int
	// strip16: one-word OUs of at most 16 rows take ouStrip16; pat16 and
	// sh16 are its input steps, acc32 its output.
	strip16 bool
	pat16   [8]uint16
	sh16    [8]uint64
	acc32   []int32 // per accumulator of g.s16base

	// local counters of what depends on the data (ADCClipped,
	// ADCTruncated; indexed by Counter), added to the layer's at flush. The
	// static counts are added per vector by MatMul from group.perVector.
	n tally
}

func newWorker(g *group, hw *HW, seed uint64, aggregate bool) *worker {
	return &worker{
		aggregate: aggregate,
		xs:        make([]int64, g.gathered),
		g:         g, hw: hw, seed: seed,
		planes:   make([]uint64, g.planeWords),
		nz:       make([]uint32, len(g.rowsets)),
		colacc:   make([]int64, g.physCols),
		acc:      make([]int64, g.n),
		amask:    uint32(1)<<g.a - 1,
		maxCode:  int64(1)<<hw.ADCBits - 1,
		truncD:   uint(truncShift(hw, g.h)),
		truncate: hw.ADCMode == ADCTruncate,
		analog:   g.cond != nil || hw.ADCNoiseSigmaLSB > 0,
		strip16:  strip16Of(g, hw),
		acc32:    make([]int32, strip16Acc(g, hw)),
	}
}

// flush adds the worker's counts to the layer's.
func (w *worker) flush(c *layerCounters) {
	c.add(&w.n)
}

// vector computes one output row: out = x·W through the crossbars. vidx is
// the vector's global index in this layer group (ADC noise coordinate).
func (w *worker) vector(x []int32, out []int32, vidx int64) {
	g := w.g
	words := g.words
	// Input bit-planes per rowset: bit b of the code on wordline j goes to
	// plane b, word j/64, bit j%64 (two's complement for signed codes).
	if w.strip16 {
		w.vector16(x, out)
		return
	}
	for s := range g.rowsets {
		rs := &g.rowsets[s]
		p := w.planes[rs.planeOff : rs.planeOff+g.a*words]
		clear(p)
		var nz uint32
		xs := w.xs[rs.xOff : rs.xOff+len(rs.rows)]
		for j, k := range rs.rows {
			xs[j] = int64(x[k])
			u := uint32(x[k]) & w.amask
			nz |= u
			bit := uint64(1) << (j & 63)
			wj := j >> 6
			for u != 0 {
				b := bits.TrailingZeros32(u)
				p[b*words+wj] |= bit
				u &= u - 1
			}
		}
		w.nz[s] = nz
	}
	clear(w.acc)
	simple := words == 1 && w.hw.DACBits == 1 && !w.analog && g.hi == nil
	simple2 := words == 1 && w.hw.DACBits == 1 && !w.analog && g.hi != nil
	multi := words > 1 && w.hw.DACBits == 1 && !w.analog && !w.perStep
	for ri := range g.runs {
		o := &g.runs[ri]
		if w.nz[o.rs] == 0 && !w.analog {
			// All inputs zero: every ideal column sum is 0 and converts to
			// 0, and the shift-and-add below skips the run (its columns'
			// values, and any complement owner's sum column, which sits on
			// the same wordlines, are all 0).
			continue
		}
		ca := w.colacc[o.col0 : o.col0+o.ncol]
		clear(ca)
		switch {
		case simple:
			w.ouSimple(&o.cou, ca)
		case simple2:
			w.ouSimple2(&o.cou, ca)
		case multi:
			w.ouMultiWord(&o.cou, ca)
		case w.analog:
			w.ouAnalog(&o.cou, ca, vidx)
		default:
			w.ouGeneric(&o.cou, ca)
		}
	}
	// Shift and add: every owner entry takes its column's converted value,
	// or for a complement owner the OU's sum column minus it. Done after all
	// OUs since a sum column may sit in a sibling OU.
	for ri := range g.runs {
		o := &g.runs[ri]
		if w.nz[o.rs] == 0 && !w.analog {
			continue // adds 0 to every output it feeds
		}
		var sum int64
		if o.sumCol >= 0 {
			sum = w.colacc[o.sumCol]
		}
		for _, ow := range g.own[g.ownStart[o.col0]:g.ownStart[o.col0+o.ncol]] {
			v := w.colacc[ow.col]
			if ow.comp {
				v = sum - v
			}
			w.acc[ow.out] += v * int64(ow.mult)
		}
	}
	for i, v := range w.acc {
		out[i] = sat32(v)
	}
}

func sat32(v int64) int32 {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	if v < math.MinInt32 {
		return math.MinInt32
	}
	return int32(v)
}

// ouSimple handles the common case: columns of one word, 1-bit DACs (step
// b = input bit b), ideal cells. Zero input planes are skipped (their sums
// are 0); a plane with at most 2^r-1 active rows cannot saturate any column
// and takes the lossless loop.
func (w *worker) ouSimple(o *cou, ca []int64) {
	g := w.g
	p := w.planes[g.rowsets[o.rs].planeOff : g.rowsets[o.rs].planeOff+g.a]
	cols := g.cols[o.col0 : o.col0+o.ncol]
	signBit := -1
	if g.signed {
		signBit = g.a - 1
	}
	exact := o.lossless
	if !exact && !w.truncate {
		// No plane with at most 2^r-1 active rows can saturate a column.
		exact = true
		for nz := w.nz[o.rs]; nz != 0; nz &= nz - 1 {
			if int64(bits.OnesCount64(p[bits.TrailingZeros32(nz)])) > w.maxCode {
				exact = false
				break
			}
		}
	}
	if exact && w.aggregate && !hasVPOPCNT {
		// Every step of every column converts exactly, so the column's
		// value Σ_b ±2^b·popcount(P_b & c) is Σ over its '1' cells of the
		// input codes (two's complement included): add those directly.
		xs := w.xs[g.rowsets[o.rs].xOff:]
		ca = ca[:len(cols)]
		for i, c := range cols {
			var a int64
			for m := c; m != 0; m &= m - 1 {
				a += xs[bits.TrailingZeros64(m)]
			}
			ca[i] = a
		}
		return
	}
	if exact {
		var pl [32]uint64
		var sh [32]uint64
		var ps uint64
		nb := 0
		for nz := w.nz[o.rs]; nz != 0; nz &= nz - 1 {
			b := bits.TrailingZeros32(nz)
			if b == signBit {
				ps = p[b]
				continue
			}
			pl[nb], sh[nb] = p[b], uint64(b)
			nb++
		}
		exactCols(ca, cols, pl[:nb], sh[:nb], ps, uint(g.a-1))
		return
	}
	d, top, lossCounter := uint(0), w.maxCode, ADCClipped
	if w.truncate {
		d, top, lossCounter = w.truncD, w.maxCode<<w.truncD, ADCTruncated
	}
	for nz := w.nz[o.rs]; nz != 0; nz &= nz - 1 {
		b := bits.TrailingZeros32(nz)
		pb := p[b]
		neg := b == signBit
		// Whole blocks of 8 columns through the ADC with AVX-512 (exact
		// planes included: their sums never reach the clip), the rest below.
		done, lost := convertColsSIMD(ca, cols, pb, d, top, uint(b), neg)
		w.n[lossCounter] += lost
		ca, cols := ca[done:], cols[done:]
		switch {
		case o.lossless || (!w.truncate && int64(bits.OnesCount64(pb)) <= w.maxCode):
			if neg {
				subPop(ca, cols, pb, uint(b))
			} else {
				addPop(ca, cols, pb, uint(b))
			}
		case w.truncate:
			w.n[ADCTruncated] += truncPop(ca, cols, pb, uint(b), w.truncD, w.maxCode, neg)
		default:
			w.n[ADCClipped] += satPop(ca, cols, pb, uint(b), w.maxCode, neg)
		}
	}
}

// ouSimple2 is ouSimple for 2-bit cells (one-word bit planes lo and hi,
// 1-bit DACs, ideal cells): the sum of column i for input plane p is
// popcount(p & lo_i) + 2·popcount(p & hi_i) in [0, 3h]. A plane with at
// most (2^r-1)/3 active rows cannot saturate; when every plane converts
// exactly (and in ModeAuto) the column's value is summed directly as
// Σ_j level_j·x_j.
func (w *worker) ouSimple2(o *cou, ca []int64) {
	g := w.g
	rs := &g.rowsets[o.rs]
	p := w.planes[rs.planeOff : rs.planeOff+g.a]
	lo := g.cols[o.col0 : o.col0+o.ncol]
	hi := g.hi[o.col0 : o.col0+o.ncol]
	ca = ca[:len(lo)]
	hi = hi[:len(lo)]
	signBit := -1
	if g.signed {
		signBit = g.a - 1
	}
	fits := func(pb uint64) bool { return 3*int64(bits.OnesCount64(pb)) <= w.maxCode }
	exact := o.lossless
	if !exact && !w.truncate {
		exact = true
		for nz := w.nz[o.rs]; nz != 0; nz &= nz - 1 {
			if !fits(p[bits.TrailingZeros32(nz)]) {
				exact = false
				break
			}
		}
	}
	if exact && w.aggregate {
		xs := w.xs[rs.xOff:]
		for i, c := range lo {
			var a int64
			for m := c; m != 0; m &= m - 1 {
				a += xs[bits.TrailingZeros64(m)]
			}
			for m := hi[i]; m != 0; m &= m - 1 {
				a += 2 * xs[bits.TrailingZeros64(m)]
			}
			ca[i] = a
		}
		return
	}
	for nz := w.nz[o.rs]; nz != 0; nz &= nz - 1 {
		b := bits.TrailingZeros32(nz)
		pb := p[b]
		sgn := int64(1)
		if b == signBit {
			sgn = -1
		}
		if exact || (!w.truncate && fits(pb)) {
			for i, c := range lo {
				s := int64(bits.OnesCount64(pb&c) + 2*bits.OnesCount64(pb&hi[i]))
				ca[i] += sgn * (s << b)
			}
			continue
		}
		for i, c := range lo {
			s := int64(bits.OnesCount64(pb&c) + 2*bits.OnesCount64(pb&hi[i]))
			ca[i] += sgn * (w.convert(s) << b)
		}
	}
}

// useStrip16 lets tests turn ouStrip16 off (routePerColumn does per call).
var useStrip16 = hasStrip16

// strip16Of reports whether ouStrip16 applies to g: one-word columns of at
// most 16 rows, 1-bit DACs, ideal cells, inputs of at most 8 bits (so that
// Σ_b 2^b·q ≤ 255·48 fits the kernel's int16 accumulators). It makes the
// 16-bit copy of the cells on the first call.
func strip16Of(g *group, hw *HW) bool {
	if !useStrip16 || g.words != 1 || hw.DACBits != 1 || g.cond != nil || hw.ADCNoiseSigmaLSB > 0 || g.a > 8 || g.maxLevel > 3 {
		return false
	}
	g.c16Once.Do(func() {
		to16 := func(ws []uint64) []uint16 {
			out := make([]uint16, len(ws)+32)
			for c, v := range ws {
				if v>>16 != 0 {
					return nil // a cell below the 16th row
				}
				out[c] = uint16(v)
			}
			return out
		}
		cols := to16(g.cols)
		if cols == nil {
			return
		}
		var hi []uint16
		if g.hi != nil {
			if hi = to16(g.hi); hi == nil {
				return
			}
		}
		g.cols16, g.hi16 = cols, hi
		g.mergeRuns16()
	})
	return g.cols16 != nil
}

// strip16Acc is the size of a worker's acc32 (0 when ouStrip16 does not
// apply).
func strip16Acc(g *group, hw *HW) int {
	if !strip16Of(g, hw) {
		return 0
	}
	return g.s16cols
}

// ownerBlock is a block of the strip kernel's accumulators with the owner
// entries of its columns (col: accumulator index).
type ownerBlock struct {
	sumCol int32 // accumulator of the complement owners' sum column, or -1
	own    []cowner
}

// maxMergedRuns bounds the runs sharing accumulators: each adds at most
// 255·48 in magnitude per vector, so the int32 sums cannot overflow.
const maxMergedRuns = 100000

// mergeRuns16 lays out the strip kernel's accumulators (s16base,
// s16blocks, s16cols). The owners' shift-and-add is linear in the column
// values, so runs whose columns feed the same owners (same count of
// columns, same outputs and multipliers column by column) can add their
// values into one block and have it shifted and added once. Runs with
// complement owners, or holding a sum column, keep blocks of their own.
func (g *group) mergeRuns16() {
	isSum := make(map[int32]bool)
	for _, o := range g.runs {
		if o.sumCol >= 0 {
			isSum[o.sumCol] = true
		}
	}
	g.s16base = make([]int32, len(g.runs))
	blockOf := make(map[string]int32)
	merged := make(map[string]int)
	at := make(map[int32]int32) // physical sum column -> accumulator
	var sums []int              // blocks with complement owners
	var key []byte
	for ri, o := range g.runs {
		own := g.own[g.ownStart[o.col0]:g.ownStart[o.col0+o.ncol]]
		alone := o.sumCol >= 0
		for c := o.col0; c < o.col0+o.ncol && !alone; c++ {
			alone = isSum[c]
		}
		for _, ow := range own {
			alone = alone || ow.comp
		}
		key = key[:0]
		if !alone {
			for c := o.col0; c < o.col0+o.ncol; c++ {
				key = binary.LittleEndian.AppendUint32(key, uint32(g.ownStart[c+1]-g.ownStart[c]))
				for _, ow := range g.own[g.ownStart[c]:g.ownStart[c+1]] {
					key = binary.LittleEndian.AppendUint32(key, uint32(ow.out))
					key = binary.LittleEndian.AppendUint32(key, uint32(ow.mult))
				}
			}
			if b, ok := blockOf[string(key)]; ok && merged[string(key)] < maxMergedRuns {
				merged[string(key)]++
				g.s16base[ri] = b
				continue
			}
		}
		base := int32(g.s16cols)
		g.s16base[ri] = base
		blk := ownerBlock{sumCol: o.sumCol, own: make([]cowner, len(own))}
		for i, ow := range own {
			ow.col = base + ow.col - o.col0
			blk.own[i] = ow
		}
		if o.sumCol >= 0 {
			sums = append(sums, len(g.s16blocks))
		}
		for c := o.col0; c < o.col0+o.ncol; c++ {
			if isSum[c] {
				at[c] = base + c - o.col0
			}
		}
		g.s16blocks = append(g.s16blocks, blk)
		g.s16cols += int(o.ncol)
		if !alone {
			blockOf[string(key)] = base
			merged[string(key)] = 1
		}
	}
	for _, bi := range sums {
		g.s16blocks[bi].sumCol = at[g.s16blocks[bi].sumCol]
	}
}

// vector16 is vector for strip16 workers: planes by planes8, every run by
// ouStrip16 into acc32, then the owners' shift-and-add of every block.
func (w *worker) vector16(x []int32, out []int32) {
	g := w.g
	w.planes8(x)
	clear(w.acc)
	clear(w.acc32)
	for ri := range g.runs {
		o := &g.runs[ri]
		if w.nz[o.rs] == 0 {
			continue // all inputs zero: see vector
		}
		w.ouStrip16(&o.cou, g.s16base[ri])
	}
	// A skipped run added nothing: its block's values stay 0 (those of a
	// complement owner's sum column too, on the same wordlines).
	for bi := range g.s16blocks {
		blk := &g.s16blocks[bi]
		if blk.sumCol < 0 {
			for _, ow := range blk.own {
				w.acc[ow.out] += int64(w.acc32[ow.col]) * int64(ow.mult)
			}
			continue
		}
		sum := int64(w.acc32[blk.sumCol])
		for _, ow := range blk.own {
			v := int64(w.acc32[ow.col])
			if ow.comp {
				v = sum - v
			}
			w.acc[ow.out] += v * int64(ow.mult)
		}
	}
	for i, v := range w.acc {
		out[i] = sat32(v)
	}
}

// planes8 is the input bit-planes of vector x for one-word rowsets and
// inputs of at most 8 bits (strip16 workers): 8 wordlines at a time, their
// codes' bytes transposed into 8 plane bytes. It leaves xs unset (only
// ouSimple and ouSimple2 read it).
func (w *worker) planes8(x []int32) {
	g := w.g
	for s := range g.rowsets {
		rs := &g.rowsets[s]
		p := w.planes[rs.planeOff : rs.planeOff+g.a]
		var pl [8]uint64
		for j0 := 0; j0 < len(rs.rows); j0 += 8 {
			var bytes uint64
			for i, k := range rs.rows[j0:min(j0+8, len(rs.rows))] {
				bytes |= uint64(uint8(uint32(x[k])&w.amask)) << (8 * i)
			}
			if bytes == 0 {
				continue
			}
			t := transpose8(bytes)
			for b := range pl {
				pl[b] |= (t >> (8 * b) & 0xff) << j0
			}
		}
		var nz uint32
		for b := range p {
			p[b] = pl[b]
			if pl[b] != 0 {
				nz |= 1 << b
			}
		}
		w.nz[s] = nz
	}
}

// ouStrip16 is ouSimple and ouSimple2 for OUs of at most 16 rows, 32
// columns per instruction (strip16Cols): the same sums, the same ADC
// function (min(s >> D << D, top)), the same count of lossy conversions,
// the per-column values accumulated over the steps in 16 bits, then added
// to acc32 at the run's accumulators (base).
func (w *worker) ouStrip16(o *cou, base int32) {
	g := w.g
	p := w.planes[g.rowsets[o.rs].planeOff : g.rowsets[o.rs].planeOff+g.a]
	neg, np := -1, 0
	for nz := w.nz[o.rs]; nz != 0; nz &= nz - 1 {
		b := bits.TrailingZeros32(nz)
		if g.signed && b == g.a-1 {
			neg = np
		}
		w.pat16[np], w.sh16[np] = uint16(p[b]), uint64(b)
		np++
	}
	keep, top := uint64(0xFFFF), uint64(0xFFFF)
	if !o.lossless {
		top = uint64(w.maxCode)
		if w.truncate {
			keep = 0xFFFF &^ (1<<w.truncD - 1)
			top <<= w.truncD
		}
		top = min(top, 0xFFFF)
	}
	n := int(o.ncol)
	if n == 0 {
		return
	}
	lo := g.cols16[o.col0 : int(o.col0)+(n+31)&^31]
	var hi *uint16
	if g.hi16 != nil {
		hi = &g.hi16[o.col0 : int(o.col0)+(n+31)&^31][0]
	}
	acc := w.acc32[base : int(base)+n]
	lost := strip16Cols(&lo[0], hi, n, &w.pat16[0], &w.sh16[0], np, neg, keep, top, &acc[0])
	if w.truncate {
		w.n[ADCTruncated] += int64(lost)
	} else {
		w.n[ADCClipped] += int64(lost)
	}
}

// exactCols sets ca[i] to the exactly converted value of column cols[i]
// summed over the input planes pl (shifted by sh) minus the sign plane ps
// (shifted by sb): the column-outer order keeps the sum in a register.
func exactCols(ca []int64, cols []uint64, pl []uint64, sh []uint64, ps uint64, sb uint) {
	ca = ca[:len(cols)]
	sh = sh[:len(pl)]
	i := exactColsSIMD(ca, cols, pl, sh, ps, sb)
	// Two columns per pass share the plane loads and the loop overhead.
	for ; i+1 < len(cols); i += 2 {
		c0, c1 := cols[i], cols[i+1]
		var a0, a1 int64
		for t, p := range pl {
			s := sh[t] & 63
			a0 += int64(bits.OnesCount64(p&c0)) << s
			a1 += int64(bits.OnesCount64(p&c1)) << s
		}
		if ps != 0 {
			a0 -= int64(bits.OnesCount64(ps&c0)) << (sb & 63)
			a1 -= int64(bits.OnesCount64(ps&c1)) << (sb & 63)
		}
		ca[i], ca[i+1] = a0, a1
	}
	for ; i < len(cols); i++ {
		c := cols[i]
		var a int64
		for t, p := range pl {
			a += int64(bits.OnesCount64(p&c)) << (sh[t] & 63)
		}
		if ps != 0 {
			a -= int64(bits.OnesCount64(ps&c)) << (sb & 63)
		}
		ca[i] = a
	}
}

// addPop adds popcount(p & c) << b to ca for every column word c.
func addPop(ca []int64, cols []uint64, p uint64, b uint) {
	ca = ca[:len(cols)]
	for i, c := range cols {
		ca[i] += int64(bits.OnesCount64(p&c)) << b
	}
}

// subPop subtracts popcount(p & c) << b (the sign bit of signed inputs).
func subPop(ca []int64, cols []uint64, p uint64, b uint) {
	ca = ca[:len(cols)]
	for i, c := range cols {
		ca[i] -= int64(bits.OnesCount64(p&c)) << b
	}
}

// satPop converts with a saturating ADC: min(s, maxCode). It returns the
// number of clipped conversions.
func satPop(ca []int64, cols []uint64, p uint64, b uint, maxCode int64, neg bool) int64 {
	ca = ca[:len(cols)]
	var clipped int64
	sgn := int64(1)
	if neg {
		sgn = -1
	}
	for i, c := range cols {
		s := int64(bits.OnesCount64(p & c))
		if s > maxCode {
			s = maxCode
			clipped++
		}
		ca[i] += sgn * (s << b)
	}
	return clipped
}

// truncPop converts with a truncating ADC: the low d bits of s are dropped
// (and s is clipped to the top code (2^r-1)<<d, which a full-scale design
// never reaches). It returns the number of conversions that lost bits.
func truncPop(ca []int64, cols []uint64, p uint64, b, d uint, maxCode int64, neg bool) int64 {
	ca = ca[:len(cols)]
	var lossy int64
	sgn := int64(1)
	if neg {
		sgn = -1
	}
	top := maxCode << d
	for i, c := range cols {
		s := int64(bits.OnesCount64(p & c))
		q := min(s>>d<<d, top)
		if q != s {
			lossy++
		}
		ca[i] += sgn * (q << b)
	}
	return lossy
}

// adc is the converter of one layer group: r bits, saturating or
// truncating (the low truncD bits of the full-scale range dropped).
type adc struct {
	maxCode  int64 // 2^r - 1
	truncD   uint
	truncate bool
}

func newADC(hw *HW, ouRows int) adc {
	return adc{maxCode: int64(1)<<hw.ADCBits - 1, truncD: uint(truncShift(hw, ouRows)), truncate: hw.ADCMode == ADCTruncate}
}

// convert applies the ADC to an ideal integer column sum; lost reports a
// conversion that clipped (saturating) or dropped bits (truncating).
func (a adc) convert(s int64) (q int64, lost bool) {
	if a.truncate {
		q = min(s>>a.truncD<<a.truncD, a.maxCode<<a.truncD)
		return q, q != s
	}
	if s > a.maxCode {
		return a.maxCode, true
	}
	return s, false
}

// convert applies the ADC to an ideal integer column sum, counting losses.
func (w *worker) convert(s int64) int64 {
	q, lost := adc{maxCode: w.maxCode, truncD: w.truncD, truncate: w.truncate}.convert(s)
	if lost {
		if w.truncate {
			w.n[ADCTruncated]++
		} else {
			w.n[ADCClipped]++
		}
	}
	return q
}

// ouGeneric handles multi-word columns, multi-bit DACs and 2-bit cells with
// ideal cells: the analog sum of a step driving bits b0..b0+t-1 is
// Σ_u 2^u·(popcount(plane_u & lo) + 2·popcount(plane_u & hi)), hi = 0 for
// 1-bit cells.
func (w *worker) ouGeneric(o *cou, ca []int64) {
	g := w.g
	words := g.words
	p := w.planes[g.rowsets[o.rs].planeOff : g.rowsets[o.rs].planeOff+g.a*words]
	nz := w.nz[o.rs]
	for _, st := range g.steps {
		if nz>>st.b0&(1<<st.t-1) == 0 {
			continue // all step planes zero: every sum is 0
		}
		for i := range ca {
			c := int(o.col0) + i
			cb := g.cols[c*words : (c+1)*words]
			var hb []uint64
			if g.hi != nil {
				hb = g.hi[c*words : (c+1)*words]
			}
			var s int64
			for u := 0; u < int(st.t); u++ {
				pl := p[(int(st.b0)+u)*words : (int(st.b0)+u+1)*words]
				var cnt int
				for k, cw := range cb {
					cnt += bits.OnesCount64(pl[k] & cw)
				}
				for k, hv := range hb {
					cnt += 2 * bits.OnesCount64(pl[k]&hv)
				}
				s += int64(cnt) << u
			}
			q := s
			if !o.lossless {
				q = w.convert(s)
			}
			if st.neg {
				ca[i] -= q << st.b0
			} else {
				ca[i] += q << st.b0
			}
		}
	}
}

// ouMultiWord is ouGeneric for OUs taller than 64 rows with 1-bit DACs
// and ideal cells (1- or 2-bit): every step is one input plane, and only
// the plane's non-zero words are visited (an OU taller than the layer's
// rows, or a sparse plane after ReLU, leaves whole words empty). Same sums,
// same conversions as ouGeneric.
func (w *worker) ouMultiWord(o *cou, ca []int64) {
	g := w.g
	words := g.words
	p := w.planes[g.rowsets[o.rs].planeOff : g.rowsets[o.rs].planeOff+g.a*words]
	nz := w.nz[o.rs]
	if cap(w.wordIdx) < words {
		w.wordIdx = make([]int, words)
		w.wordVal = make([]uint64, words)
		w.wordOff = make([]int, words)
	}
	kidx, kval := w.wordIdx[:words], w.wordVal[:words]
	lo := g.cols[int(o.col0)*words : (int(o.col0)+len(ca))*words]
	var hi []uint64
	if g.hi != nil {
		hi = g.hi[int(o.col0)*words : (int(o.col0)+len(ca))*words]
	}
	for _, st := range g.steps {
		b := uint(st.b0)
		if nz>>b&1 == 0 {
			continue // the plane is zero: every sum is 0
		}
		nk := 0
		for k, v := range p[int(b)*words : (int(b)+1)*words] {
			if v != 0 {
				kidx[nk], kval[nk] = k, v
				nk++
			}
		}
		ki, kv := kidx[:nk], kval[:nk]
		first := 0
		if g.colsT != nil && hi == nil && !w.scalar {
			// Whole blocks of 8 columns with AVX-512 (word-major copy of
			// the cells), through the same ADC; the rest below.
			d, top, counter := uint(0), int64(math.MaxInt64), ADCClipped
			if !o.lossless {
				top = w.maxCode
				if w.truncate {
					d, top, counter = w.truncD, w.maxCode<<w.truncD, ADCTruncated
				}
			}
			var lost int64
			first, lost = convertColsWSIMD(ca, g.colsT[o.col0:], g.physCols, ki, kv, w.wordOff[:words], d, top, b, st.neg)
			w.n[counter] += lost
		}
		for i := first; i < len(ca); i++ {
			cb := lo[i*words : (i+1)*words]
			var cnt int
			for j, k := range ki {
				cnt += bits.OnesCount64(kv[j] & cb[k])
			}
			if hi != nil {
				hb := hi[i*words : (i+1)*words]
				for j, k := range ki {
					cnt += 2 * bits.OnesCount64(kv[j]&hb[k])
				}
			}
			q := int64(cnt)
			if !o.lossless {
				q = w.convert(q)
			}
			if st.neg {
				ca[i] -= q << b
			} else {
				ca[i] += q << b
			}
		}
	}
}

// ouAnalog handles conductance variation and ADC noise: the column current
// is Σ over active cells of level·conductance factor (in units of the
// level-1 conductance, times 2^u for DAC level u), plus Gaussian noise in
// LSBs; the ADC rounds it to the nearest level, then saturates or
// truncates.
func (w *worker) ouAnalog(o *cou, ca []int64, vidx int64) {
	g := w.g
	words := g.words
	p := w.planes[g.rowsets[o.rs].planeOff : g.rowsets[o.rs].planeOff+g.a*words]
	nz := w.nz[o.rs]
	sigma := w.hw.ADCNoiseSigmaLSB
	for si, st := range g.steps {
		if sigma == 0 && nz>>st.b0&(1<<st.t-1) == 0 {
			continue
		}
		for i := range ca {
			c := int(o.col0) + i
			cb := g.cols[c*words : (c+1)*words]
			var a float64
			for u := 0; u < int(st.t); u++ {
				pl := p[(int(st.b0)+u)*words : (int(st.b0)+u+1)*words]
				var cur float64
				for k, cw := range cb {
					cur += w.current(pl[k]&cw, c, k)
				}
				if g.hi != nil {
					for k, hv := range g.hi[c*words : (c+1)*words] {
						cur += 2 * w.current(pl[k]&hv, c, k)
					}
				}
				a += math.Ldexp(cur, u)
			}
			if sigma > 0 {
				a += sigma * gauss(key(w.seed, streamADCNoise, uint64(g.layer), uint64(g.index), uint64(vidx), uint64(c), uint64(si)))
			}
			q := w.convertAnalog(a)
			if st.neg {
				ca[i] -= q << st.b0
			} else {
				ca[i] += q << st.b0
			}
		}
	}
}

// current is the current of the cells m (active rows of one bit plane,
// word k of column c) in units of the level-1 cell: their count, or with
// variation the sum of their conductance factors (one factor per cell,
// shared by its bit planes).
func (w *worker) current(m uint64, c, k int) float64 {
	g := w.g
	if g.cond == nil {
		return float64(bits.OnesCount64(m))
	}
	cond := g.cond[c*g.h+k*64:]
	var cur float64
	for ; m != 0; m &= m - 1 {
		cur += float64(cond[bits.TrailingZeros64(m)])
	}
	return cur
}

// convertAnalog rounds an analog column sum to the nearest ADC level, then
// saturates or truncates like convert.
func (w *worker) convertAnalog(a float64) int64 {
	if !(a > 0) { // negative or NaN
		return 0
	}
	top := float64(w.maxCode << w.truncD)
	if a > top+1 {
		a = top + 1 // keeps the conversion to int64 exact; still clips below
	}
	return w.convert(int64(math.Round(a)))
}
