package mapper

import (
	"runtime"
	"sync"
)

// emitter adds the physical columns of one strip to b, given the patterns
// of the strip's N·D logical (digit) columns (pat[c*words:(c+1)*words]; D =
// B with 1-bit cells).
type emitter func(b *builder, pat []uint64, ncol int)

// stripsPerChunk is the number of strips one goroutine maps at a time.
const stripsPerChunk = 32

// mapStrips runs a strip-based scheme: the rows, in the order perm (nil =
// 0..K-1), are cut into strips of OURows, and each strip's columns come from
// an emitter. Strips are mapped in chunks by up to Opts.Workers goroutines
// (each with its own emitter from newEmit and its own reusable scratch
// builder) and the chunks are concatenated in order, so the result does not
// depend on scheduling and the final arrays are allocated once at their
// exact size.
func mapStrips(in *GroupInput, perm []int32, newEmit func() emitter) *GroupMap {
	h := in.Geo.OURows
	nstrips := (in.K + h - 1) / h
	nchunks := (nstrips + stripsPerChunk - 1) / stripsPerChunk
	parts := make([]*part, nchunks)
	workers := in.Opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, nchunks))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dig := in.digits()
			ncol := in.N * len(dig)
			b := newBuilder(in.Geo, 0, 0)
			pat := make([]uint64, ncol*b.words)
			rows := make([]int32, 0, h)
			emit := newEmit()
			for {
				mu.Lock()
				ci := next
				next++
				mu.Unlock()
				if ci >= nchunks {
					return
				}
				s0 := ci * stripsPerChunk
				b.fresh(s0)
				for s := s0; s < min(s0+stripsPerChunk, nstrips); s++ {
					lo, hi := s*h, min(s*h+h, in.K)
					if perm != nil {
						rows = append(rows[:0], perm[lo:hi]...)
					} else {
						rows = contiguous(rows, lo, hi)
					}
					if in.Geo.CellBits == 2 {
						stripDigits(in.W, in.N, dig, rows, in.Geo.rowWords(), pat)
					} else {
						stripPatterns(in.W, in.N, in.Bits, rows, b.words, pat)
					}
					b.beginStrip(rows)
					emit(b, pat, ncol)
					b.endStrip()
				}
				parts[ci] = b.take()
			}
		}()
	}
	wg.Wait()
	return mergeParts(in.Geo, parts)
}

// part is the layout of a run of strips with indices local to the run.
type part struct {
	ous        []OU
	rt, ct     []int32
	rowIdx     []int32
	colBits    []uint64
	ownerStart []int32 // local, starts at 0, len columns+1
	owners     []Owner
}

// take hands the builder's content over as a part (no copy).
func (b *builder) take() *part {
	return &part{ous: b.g.OUs, rt: b.rt, ct: b.ct, rowIdx: b.g.RowIdx,
		colBits: b.g.ColBits, ownerStart: b.g.OwnerStart, owners: b.g.Owners}
}

// fresh gives the builder new buffers for a run of strips that starts at
// strip firstStrip, sized like the previous run's so that appends rarely
// grow them.
func (b *builder) fresh(firstStrip int) {
	g := b.g
	est := func(n int) int { return n + n/8 + 16 }
	b.g = &GroupMap{
		Words:      g.Words,
		OUs:        make([]OU, 0, est(len(g.OUs))),
		RowIdx:     make([]int32, 0, est(len(g.RowIdx))),
		ColBits:    make([]uint64, 0, est(len(g.ColBits))),
		OwnerStart: append(make([]int32, 0, est(len(g.OwnerStart))), 0),
		Owners:     make([]Owner, 0, est(len(g.Owners))),
	}
	b.rt = make([]int32, 0, est(len(b.rt)))
	b.ct = make([]int32, 0, est(len(b.ct)))
	b.strip = firstStrip
}

// mergeParts concatenates parts into one group layout and numbers its
// crossbars.
func mergeParts(geo Geometry, parts []*part) *GroupMap {
	var nou, nrow, ncolw, ncol, nown int
	for _, p := range parts {
		nou += len(p.ous)
		nrow += len(p.rowIdx)
		ncolw += len(p.colBits)
		ncol += len(p.ownerStart) - 1
		nown += len(p.owners)
	}
	b := &builder{geo: geo, words: geo.words(), g: &GroupMap{
		Words:      geo.words(),
		OUs:        make([]OU, 0, nou),
		RowIdx:     make([]int32, 0, nrow),
		ColBits:    make([]uint64, 0, ncolw),
		OwnerStart: make([]int32, 1, ncol+1),
		Owners:     make([]Owner, 0, nown),
	}, rt: make([]int32, 0, nou), ct: make([]int32, 0, nou)}
	g := b.g
	for _, p := range parts {
		rowOff, colOff, ownOff := int32(len(g.RowIdx)), int32(g.Columns()), int32(len(g.Owners))
		for _, ou := range p.ous {
			ou.RowStart += rowOff
			ou.ColStart += colOff
			if ou.SumCol >= 0 {
				ou.SumCol += colOff
			}
			g.OUs = append(g.OUs, ou)
		}
		b.rt = append(b.rt, p.rt...)
		b.ct = append(b.ct, p.ct...)
		g.RowIdx = append(g.RowIdx, p.rowIdx...)
		g.ColBits = append(g.ColBits, p.colBits...)
		for _, s := range p.ownerStart[1:] {
			g.OwnerStart = append(g.OwnerStart, s+ownOff)
		}
		g.Owners = append(g.Owners, p.owners...)
	}
	return b.finish()
}
