package hwsim

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

// The table route of the bit-serial simulation.
//
// With 1-bit DACs and ideal cells, the converted value of every column of a
// strip (a rowset of h wordlines) for one input step is a function of the
// step's h-bit input pattern alone: the ideal column sum is popcount(p & lo)
// + 2·popcount(p & hi), and the ADC (saturating or truncating) is a function
// of that sum. So is the strip's contribution to every output, Σ over the
// owners of its columns of ±2^Bit times the converted value, and the number
// of conversions that lost information. For h ≤ maxTableRows the route
// tabulates both for all 2^h patterns once per MatMul call and strip, then
// feeds every vector plane by plane: output += T[pattern] << b (minus for
// the sign plane of signed inputs), lost += C[pattern]. The work per step is
// one table row of the strip's outputs instead of a popcount and a
// conversion per column plus the owner shift-and-adds, and it is exact:
// every conversion the generic route performs is performed, once per
// pattern, by the same ADC function. All-zero planes are skipped (their
// row is 0 and loses nothing).
//
// Lossless strips (no sum can exceed the ADC range) convert every sum to
// itself, so their table is linear in the pattern and is built from one row
// per wordline: T[p] = T[p without its lowest bit] + R[lowest bit].

// maxTableRows is the tallest strip the table route tabulates (2^h rows).
const maxTableRows = 12

// tableBlockBytes bounds the tables held at once when a group's tables are
// not kept between calls: a call builds them in blocks of strips of at most
// this size.
const tableBlockBytes = 8 << 20

// tableStrip is one rowset in the table route.
type tableStrip struct {
	h        int
	off      int     // position of its first wordline in the source vector
	cols     []int32 // physical columns on its wordlines, ascending
	outs     []int32 // outputs its owners feed, ascending
	out0     int32   // outs[0] when outs is contiguous (outs[i] = out0+i), else -1
	lossless bool
	// rowVal[j*len(outs)+i] is what one active wordline j adds to output
	// outs[i] when every conversion is exact (lossless strips).
	rowVal []int32
	// refs are the owner entries of its columns (lossy strips).
	refs []ownerRef
}

// ownerRef is an owner entry of a lossy strip: output outs[out] takes
// mult times the converted value of column cols[col] (for a complement
// owner, of the sum column cols[sum] minus it).
type ownerRef struct {
	col, sum, out int32
	mult          int64
	comp          bool
}

// tablePlan is the table route of one group (nil when it does not apply).
type tablePlan struct {
	strips []tableStrip
	// gather lists the input index of every source position when the
	// rowsets are not contiguous runs of the input vector (nil: the source
	// is the input vector itself).
	gather []int32
	srcLen int
	words  int // words per bit plane of the source
	n      int // outputs
	a      int
	signed bool
	cache  tableCache
	// simd: the AVX-512 kernels apply (lossless strips of at most tallest
	// rows at offsets s·tallest of the source, each feeding every output
	// in order, inputs of at most 8 bits).
	simd    bool
	tallest int
	// buildOps and stepOps estimate the work of building every table and
	// of one input step over all strips; generic that of one step on the
	// generic route (one per column).
	buildOps, stepOps, genericOps int64
}

// newTablePlan returns the table route of g, or nil when g needs multi-bit
// DACs, analog effects, strips over maxTableRows, or accumulators that could
// leave int32 (the generic route handles those).
func newTablePlan(g *group, hw *HW) *tablePlan {
	if hw.DACBits != 1 || g.cond != nil || hw.ADCNoiseSigmaLSB > 0 || g.words != 1 || g.a > 16 || len(g.rowsets) == 0 {
		return nil
	}
	tp := &tablePlan{n: g.n, a: g.a, signed: g.signed}
	contiguous := true
	for _, rs := range g.rowsets {
		if len(rs.rows) > maxTableRows {
			return nil
		}
		for j, r := range rs.rows {
			if r != rs.rows[0]+int32(j) {
				contiguous = false
			}
		}
	}
	colSum := make([]int32, g.physCols)
	for _, o := range g.ous {
		for c := o.col0; c < o.col0+o.ncol; c++ {
			colSum[c] = o.sumCol
		}
	}
	if contiguous {
		tp.srcLen = g.k
	} else {
		tp.srcLen = g.gathered
		tp.gather = make([]int32, 0, g.gathered)
		for _, rs := range g.rowsets {
			tp.gather = append(tp.gather, rs.rows...)
		}
	}
	tp.words = (tp.srcLen+63)/64 + 1 // one spare word: patterns read two words
	// Columns per rowset, and whether every OU on it is lossless.
	tp.strips = make([]tableStrip, len(g.rowsets))
	for i, rs := range g.rowsets {
		st := &tp.strips[i]
		st.h = len(rs.rows)
		st.off = rs.xOff
		if contiguous && len(rs.rows) > 0 {
			st.off = int(rs.rows[0])
		}
		st.lossless = true
	}
	// Columns per strip, in one backing array sized up front (appending
	// strip by strip dominated the plan's cost on large layers).
	ncols := make([]int, len(tp.strips))
	total := 0
	for _, o := range g.ous {
		ncols[o.rs] += int(o.ncol)
		total += int(o.ncol)
	}
	backing := make([]int32, 0, total)
	for i := range tp.strips {
		tp.strips[i].cols = backing[len(backing) : len(backing) : len(backing)+ncols[i]]
		backing = backing[:len(backing)+ncols[i]]
	}
	for _, o := range g.ous {
		st := &tp.strips[o.rs]
		for c := o.col0; c < o.col0+o.ncol; c++ {
			st.cols = append(st.cols, c)
		}
		st.lossless = st.lossless && o.lossless
	}
	// Outputs, bounds and the lossless rows.
	qmax := float64(maxTableRows) * float64(g.maxLevel)
	accBound := make([]float64, g.n) // Σ over strips of max |T| per output
	outIdx := make([]int32, g.n)
	seen := make([]uint64, (g.n+63)/64) // outputs of the current strip, as a bit set
	for si := range tp.strips {
		st := &tp.strips[si]
		slices.Sort(st.cols)
		// The strip's distinct outputs in ascending order, read off a bit
		// set (sorting every owner entry dominated the plan's cost).
		for _, c := range st.cols {
			for _, ow := range g.own[g.ownStart[c]:g.ownStart[c+1]] {
				seen[ow.out>>6] |= 1 << (ow.out & 63)
			}
		}
		distinct := 0
		for _, m := range seen {
			distinct += bits.OnesCount64(m)
		}
		st.outs = make([]int32, 0, distinct)
		for w, m := range seen {
			for ; m != 0; m &= m - 1 {
				st.outs = append(st.outs, int32(w*64+bits.TrailingZeros64(m)))
			}
			seen[w] = 0
		}
		st.out0 = -1
		if len(st.outs) > 0 && int(st.outs[len(st.outs)-1]-st.outs[0]) == len(st.outs)-1 {
			st.out0 = st.outs[0]
		}
		for i, o := range st.outs {
			outIdx[o] = int32(i)
		}
		bound := make([]float64, len(st.outs))
		for _, c := range st.cols {
			for _, ow := range g.own[g.ownStart[c]:g.ownStart[c+1]] {
				bound[outIdx[ow.out]] += math.Abs(float64(ow.mult)) * qmax
			}
		}
		for i, b := range bound {
			if b >= math.MaxInt32 {
				return nil
			}
			accBound[st.outs[i]] += b
		}
		nout := int64(len(st.outs))
		tp.stepOps += nout
		tp.genericOps += int64(len(st.cols))
		if st.lossless {
			tp.buildOps += nout << st.h
			st.rowVal = make([]int32, st.h*len(st.outs))
			for _, c := range st.cols {
				for _, ow := range g.own[g.ownStart[c]:g.ownStart[c+1]] {
					i := int(outIdx[ow.out])
					if ow.comp {
						addLevels(st.rowVal, len(st.outs), i, g, colSum[c], ow.mult)
						addLevels(st.rowVal, len(st.outs), i, g, c, -ow.mult)
					} else {
						addLevels(st.rowVal, len(st.outs), i, g, c, ow.mult)
					}
				}
			}
		} else {
			local := make(map[int32]int32, len(st.cols))
			for i, c := range st.cols {
				local[c] = int32(i)
			}
			for i, c := range st.cols {
				for _, ow := range g.own[g.ownStart[c]:g.ownStart[c+1]] {
					r := ownerRef{col: int32(i), sum: -1, out: outIdx[ow.out], mult: int64(ow.mult), comp: ow.comp}
					if ow.comp {
						r.sum = local[colSum[c]] // on the same wordlines: checked by compileGroup
					}
					st.refs = append(st.refs, r)
				}
			}
			tp.buildOps += int64(len(st.cols)+len(st.refs)) << st.h
		}
	}
	for _, b := range accBound {
		// |Σ_b ±2^b T_b| ≤ (2^a - 1)·max|T| per strip.
		if b*math.Ldexp(1, g.a) >= math.MaxInt32 {
			return nil
		}
	}
	tp.simd = hasTableSIMD && g.a <= 8
	for _, st := range tp.strips {
		tp.tallest = max(tp.tallest, st.h)
	}
	for s, st := range tp.strips {
		last := s == len(tp.strips)-1 && st.off+st.h == tp.srcLen
		if !st.lossless || st.out0 != 0 || len(st.outs) != g.n || st.off != s*tp.tallest || (st.h != tp.tallest && !last) {
			tp.simd = false
		}
	}
	return tp
}

// addLevels adds mult times the cell level of column c on every wordline
// j to rowVal[j*nout+i] (one-word columns).
func addLevels(rowVal []int32, nout, i int, g *group, c int32, mult int32) {
	for m := g.cols[c]; m != 0; m &= m - 1 {
		rowVal[bits.TrailingZeros64(m)*nout+i] += mult
	}
	if g.hi != nil {
		for m := g.hi[c]; m != 0; m &= m - 1 {
			rowVal[bits.TrailingZeros64(m)*nout+i] += 2 * mult
		}
	}
}

// tablePlanOf returns the table route of g (nil when it does not apply),
// made on the first call: groups the fast path covers never pay for it.
func tablePlanOf(g *group, hw *HW) *tablePlan {
	g.tabOnce.Do(func() { g.tab = newTablePlan(g, hw) })
	return g.tab
}

// stripBytes is the size of one strip's table in the AVX-512 layout: 2^tallest
// rows of every output.
func (tp *tablePlan) stripBytes() int { return tp.n << tp.tallest * 4 }

// simdPlanes writes the 8 bit planes of the source of vector x into bp
// (plane b at words b*tp.words..), with the sign plane of signed inputs
// moved to plane 7, for lookup16.
func (tp *tablePlan) simdPlanes(x []int32, src []int32, tail *[64]int32, bp []uint64) {
	if tp.gather != nil {
		for i, k := range tp.gather {
			src[i] = x[k]
		}
		x = src
	}
	stride := tp.words * 8
	full := len(x) / 64
	if full > 0 {
		planes8x64(&x[0], full, &bp[0], stride)
	}
	if r := len(x) - full*64; r > 0 {
		copy(tail[:], x[full*64:])
		clear(tail[r:])
		planes8x64(&tail[0], 1, &bp[full], stride)
	}
	if tp.signed && tp.a < 8 {
		w := tp.words
		copy(bp[7*w:8*w], bp[(tp.a-1)*w:tp.a*w])
		clear(bp[(tp.a-1)*w : 7*w])
	}
}

// simdLookup is lookup with lookup16 over the output tile [t0, t1) (t0 a
// multiple of 16) for strips [s0, s1) whose tables start at tab (AVX-512
// layout).
func (tp *tablePlan) simdLookup(accv []int32, bp []uint64, tab []int32, s0, s1, t0, t1 int) {
	shift7, neg7 := 7, 0
	if tp.signed {
		shift7, neg7 = tp.a-1, 1
	}
	for t := t0; t < t1; t += 16 {
		lanes := min(16, tp.n-t)
		lookup16(&accv[t], uint16(1)<<lanes-1, &bp[0], tp.words*8, s1-s0, tp.tallest, &tab[t],
			tp.stripBytes(), tp.n*4, shift7, neg7, s0*tp.tallest)
	}
}

// worthIt reports whether tabulating pays off for m vectors: building the
// tables must cost less than the generic route's per-column work it saves.
func (tp *tablePlan) worthIt(m int) bool {
	steps := int64(m) * int64(tp.a)
	return tp.buildOps+steps*tp.stepOps < steps*tp.genericOps*2
}

// table is the tabulated strip: vals[p*len(outs)+i] is the contribution of
// pattern p to outs[i]; lost[p] the conversions of p that lost information
// (empty when none can).
type table struct {
	vals []int32
	lost []int32
}

// build tabulates strip st of group g; q is scratch for lossy strips.
func (tp *tablePlan) build(g *group, hw *HW, st *tableStrip, t *table, q *[]int64) {
	nout := len(st.outs)
	np := 1 << st.h
	t.vals = slices.Grow(t.vals[:0], np*nout)[:np*nout]
	t.lost = t.lost[:0]
	clear(t.vals[:nout])
	if st.lossless {
		if tp.simd && nout > 0 {
			for p := 1; p < np; p++ {
				addRow32(&t.vals[p*nout], &t.vals[(p&(p-1))*nout], &st.rowVal[bits.TrailingZeros(uint(p))*nout], nout)
			}
			return
		}
		for p := 1; p < np; p++ {
			dst := t.vals[p*nout : (p+1)*nout]
			src := t.vals[(p&(p-1))*nout : (p&(p-1))*nout+nout]
			row := st.rowVal[bits.TrailingZeros(uint(p))*nout:]
			row = row[:nout]
			for i := range dst {
				dst[i] = src[i] + row[i]
			}
		}
		return
	}
	t.lost = slices.Grow(t.lost, np)[:np]
	adc := newADC(hw, g.h)
	acc := make([]int64, nout)
	qs := slices.Grow((*q)[:0], len(st.cols))[:len(st.cols)] // by position in st.cols
	*q = qs

	for p := 0; p < np; p++ {
		pu := uint64(p)
		var lost int32
		for i, c := range st.cols {
			s := int64(bits.OnesCount64(pu & g.cols[c]))
			if g.hi != nil {
				s += 2 * int64(bits.OnesCount64(pu&g.hi[c]))
			}
			v, l := adc.convert(s)
			qs[i] = v
			if l {
				lost++
			}
		}
		clear(acc)
		for _, r := range st.refs {
			v := qs[r.col]
			if r.comp {
				v = qs[r.sum] - v
			}
			acc[r.out] += v * r.mult
		}
		row := t.vals[p*nout : (p+1)*nout]
		for i, v := range acc {
			row[i] = int32(v) // within the bound checked by newTablePlan
		}
		t.lost[p] = lost
	}
}

// bitPlanes writes the a bit planes of the codes src (two's complement, low
// a bits) into bp: bit i of plane b is bit b of src[i], plane b at words
// b*words.. .
func bitPlanes(bp []uint64, src []int32, a, words int) {
	clear(bp[:a*words])
	for i := 0; i < len(src); i += 8 {
		var lo, hi uint64
		chunk := src[i:min(i+8, len(src))]
		for j, v := range chunk {
			lo |= uint64(uint8(v)) << (8 * j)
			hi |= uint64(uint8(uint32(v)>>8)) << (8 * j)
		}
		w, sh := i>>6, uint(i&63)
		t := transpose8(lo)
		for b := 0; b < min(a, 8); b++ {
			bp[b*words+w] |= (t >> (8 * b) & 0xff) << sh
		}
		if a > 8 {
			t = transpose8(hi)
			for b := 8; b < a; b++ {
				bp[b*words+w] |= (t >> (8 * (b - 8)) & 0xff) << sh
			}
		}
	}
}

// transpose8 transposes the 8×8 bit matrix whose row r is byte r of x (bit
// c of the byte is column c): bit c of byte r becomes bit r of byte c.
func transpose8(x uint64) uint64 {
	t := (x ^ (x >> 7)) & 0x00AA00AA00AA00AA
	x = x ^ t ^ (t << 7)
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC
	x = x ^ t ^ (t << 14)
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0
	return x ^ t ^ (t << 28)
}

// patterns fills pat[s*a+b] with the h-bit input pattern of strip s on plane
// b for the vector x, using the scratch src and bp.
func (tp *tablePlan) patterns(x []int32, src []int32, bp []uint64, pat []uint16) {
	if tp.gather != nil {
		for i, k := range tp.gather {
			src[i] = x[k]
		}
		x = src
	}
	bitPlanes(bp, x, tp.a, tp.words)
	for s := range tp.strips {
		st := &tp.strips[s]
		w, sh := st.off>>6, uint(st.off&63)
		mask := uint64(1)<<st.h - 1
		ps := pat[s*tp.a : s*tp.a+tp.a]
		for b := range ps {
			pl := bp[b*tp.words+w:]
			v := pl[0] >> sh
			if sh != 0 {
				v |= pl[1] << (64 - sh)
			}
			ps[b] = uint16(v & mask)
		}
	}
}

// tableCacheBytes bounds the tables a Simulator keeps between calls (over
// all its groups): a group whose tables fit is tabulated once, on its first
// call; the others rebuild theirs per call.
const tableCacheBytes = 64 << 20

// tableCache holds a group's tables between calls.
type tableCache struct {
	mu     sync.Mutex
	done   bool
	tables []table // nil when they did not fit the budget
	flat   []int32 // the tables' storage in the AVX-512 layout (tp.simd)
}

// bytes is the size of the tables of strips [s0, s1).
func (tp *tablePlan) bytes(s0, s1 int) int64 {
	var n int64
	for _, st := range tp.strips[s0:s1] {
		n += int64(len(st.outs)+1) << st.h * 4
	}
	return n
}

// buildAll tabulates strips [s0, s1) into tables over workers goroutines.
func (tp *tablePlan) buildAll(g *group, hw *HW, s0, s1 int, tables []table, workers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < max(1, min(workers, s1-s0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var q []int64
			for {
				i := int(next.Add(1) - 1)
				if i >= s1-s0 {
					return
				}
				tp.build(g, hw, &tp.strips[s0+i], &tables[i], &q)
			}
		}()
	}
	wg.Wait()
}

// flatTables gives every table its storage in one buffer, strip by strip in
// the AVX-512 layout, and returns the buffer.
func (tp *tablePlan) flatTables(tables []table) []int32 {
	n := tp.stripBytes() / 4
	flat := make([]int32, len(tables)*n)
	for i := range tables {
		tables[i].vals = flat[i*n : (i+1)*n : (i+1)*n]
	}
	return flat
}

// cached returns every table of the group, built on the first call, or nil
// when they do not fit what is left of budget.
func (tp *tablePlan) cached(g *group, hw *HW, workers int, budget *atomic.Int64) []table {
	c := &tp.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		c.done = true
		size := tp.bytes(0, len(tp.strips))
		if budget.Add(-size) >= 0 {
			c.tables = make([]table, len(tp.strips))
			if tp.simd {
				c.flat = tp.flatTables(c.tables)
			}
			tp.buildAll(g, hw, 0, len(tp.strips), c.tables, workers)
		} else {
			budget.Add(size)
		}
	}
	return c.tables
}

// matMul computes out = x·W for m vectors on the table route with the given
// number of workers and returns the conversions that lost information.
func (tp *tablePlan) matMul(g *group, hw *HW, x []int32, m int, out []int32, workers int, budget *atomic.Int64, blockBytes int64) int64 {
	a, ns := tp.a, len(tp.strips)
	// int32 accumulators: newTablePlan proved they cannot overflow.
	clear(out[:m*g.n])
	var lost atomic.Int64
	if tables := tp.cached(g, hw, workers, budget); tables != nil && tp.simd {
		flat := tp.cache.flat
		parallel(m, workers, func(v0, v1 int) {
			src := make([]int32, len(tp.gather))
			bp := make([]uint64, 8*tp.words)
			var tail [64]int32
			for v := v0; v < v1; v++ {
				tp.simdPlanes(x[v*g.k:(v+1)*g.k], src, &tail, bp)
				tp.simdLookup(out[v*g.n:(v+1)*g.n], bp, flat, 0, ns, 0, g.n)
			}
		})
		return 0
	} else if tables != nil {
		parallel(m, workers, func(v0, v1 int) {
			src := make([]int32, len(tp.gather))
			bp := make([]uint64, a*tp.words)
			pat := make([]uint16, ns*a)
			var l int64
			for v := v0; v < v1; v++ {
				tp.patterns(x[v*g.k:(v+1)*g.k], src, bp, pat)
				l += tp.lookup(out[v*g.n:(v+1)*g.n], pat, tables, 0, ns)
			}
			lost.Add(l)
		})
		return lost.Load()
	}
	// Too many tables to keep: patterns first, then blocks of strips whose
	// tables fit blockBytes, each built once and applied to every
	// vector.
	if tp.simd {
		tp.simdBlocks(g, hw, x, m, out, workers, blockBytes)
		return 0
	}
	pat := make([]uint16, m*ns*a)
	parallel(m, workers, func(v0, v1 int) {
		src := make([]int32, len(tp.gather))
		bp := make([]uint64, a*tp.words)
		for v := v0; v < v1; v++ {
			tp.patterns(x[v*g.k:(v+1)*g.k], src, bp, pat[v*ns*a:(v+1)*ns*a])
		}
	})
	var tables []table
	for s0 := 0; s0 < ns; {
		s1 := s0 + 1
		for s1 < ns && tp.bytes(s0, s1+1) <= blockBytes {
			s1++
		}
		if cap(tables) < s1-s0 {
			tables = append(tables[:cap(tables)], make([]table, s1-s0-cap(tables))...)
		}
		tables = tables[:s1-s0]
		tp.buildAll(g, hw, s0, s1, tables, workers)
		parallel(m, workers, func(v0, v1 int) {
			var l int64
			for v := v0; v < v1; v++ {
				l += tp.lookup(out[v*g.n:(v+1)*g.n], pat[v*ns*a:(v+1)*ns*a], tables, s0, s1)
			}
			lost.Add(l)
		})
		s0 = s1
	}
	return lost.Load()
}

// simdBlocks is the block loop of matMul with the AVX-512 kernels (lossless
// strips only). The blocks are small enough that one output tile of a
// block's tables stays in a core's L2 while every vector passes.
func (tp *tablePlan) simdBlocks(g *group, hw *HW, x []int32, m int, out []int32, workers int, blockBytes int64) {
	ns := len(tp.strips)
	pw := 8 * tp.words
	planes := make([]uint64, m*pw)
	parallel(m, workers, func(v0, v1 int) {
		src := make([]int32, len(tp.gather))
		var tail [64]int32
		for v := v0; v < v1; v++ {
			tp.simdPlanes(x[v*g.k:(v+1)*g.k], src, &tail, planes[v*pw:(v+1)*pw])
		}
	})
	tiles := int64((g.n + 15) / 16)
	perStrip := int64(tp.stripBytes())
	per := max(1, min(blockBytes, tiles*512<<10)/perStrip)
	tables := make([]table, min(int64(ns), per))
	flat := tp.flatTables(tables)
	for s0 := 0; s0 < ns; s0 += int(per) {
		s1 := min(ns, s0+int(per))
		tp.buildAll(g, hw, s0, s1, tables[:s1-s0], workers)
		parallel(m, workers, func(v0, v1 int) {
			for t := 0; t < g.n; t += 16 {
				for v := v0; v < v1; v++ {
					tp.simdLookup(out[v*g.n:(v+1)*g.n], planes[v*pw:(v+1)*pw], flat, s0, s1, t, t+16)
				}
			}
		})
	}
}

// lookup adds the table rows of strips [s0, s1) for one vector's patterns
// pat (all strips) into its outputs accv; tables[s-s0] is strip s's table.
// It returns the conversions that lost information.
func (tp *tablePlan) lookup(accv []int32, pat []uint16, tables []table, s0, s1 int) int64 {
	a := tp.a
	signBit := -1
	if tp.signed {
		signBit = a - 1
	}
	var lost int64
	for s := s0; s < s1; s++ {
		st := &tp.strips[s]
		t := &tables[s-s0]
		nout := len(st.outs)
		for b, p := range pat[s*a : s*a+a] {
			if p == 0 {
				continue // an all-zero plane: every sum is 0
			}
			row := t.vals[int(p)*nout : int(p)*nout+nout]
			if len(t.lost) != 0 {
				lost += int64(t.lost[p])
			}
			sh := uint(b)
			if st.out0 >= 0 {
				dst := accv[st.out0 : int(st.out0)+nout]
				if b == signBit {
					for i, r := range row {
						dst[i] -= r << sh
					}
				} else {
					for i, r := range row {
						dst[i] += r << sh
					}
				}
				continue
			}
			for i, r := range row {
				if b == signBit {
					accv[st.outs[i]] -= r << sh
				} else {
					accv[st.outs[i]] += r << sh
				}
			}
		}
	}
	return lost
}

// parallel runs f over [0, m) split into one contiguous range per worker.
func parallel(m, workers int, f func(v0, v1 int)) {
	workers = max(1, min(workers, m))
	step := (m + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		v0, v1 := w*step, min((w+1)*step, m)
		if v0 >= v1 {
			break
		}
		wg.Add(1)
		go func() { defer wg.Done(); f(v0, v1) }()
	}
	f(0, min(step, m))
	wg.Wait()
}
