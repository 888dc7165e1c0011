package interp

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForCoversEachIndexOnce checks that parallelFor hands out
// every index of [0,n) exactly once, in non-empty contiguous chunks, no
// more chunks than chunksPerWorker per goroutine, whatever goroutine
// claims them.
func TestParallelForCoversEachIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{
		{0, 2}, {1, 2}, {2, 2}, {3, 2}, {7, 2}, {8, 2}, {9, 2}, {27, 2}, {784, 2},
		{5, 3}, {100, 3}, {1, 8}, {31, 8}, {1000, 8}, {10, 1},
	} {
		t.Run(fmt.Sprintf("n%d_w%d", tc.n, tc.workers), func(t *testing.T) {
			var mu sync.Mutex
			seen := make([]int, tc.n)
			calls := 0
			parallelFor(tc.n, tc.workers, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if lo < 0 || hi > tc.n || (lo >= hi && tc.n > 0) {
					t.Errorf("chunk [%d,%d) out of [0,%d) or empty", lo, hi, tc.n)
					return
				}
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Errorf("index %d visited %d times", i, c)
				}
			}
			if most := max(1, min(tc.n, tc.workers*chunksPerWorker)); calls > most {
				t.Errorf("%d chunks, want at most %d", calls, most)
			}
		})
	}
}

// TestConvBitsAcrossWorkers runs batch-1 MobileNetV2 layer shapes (a
// strided stem, depthwise 3×3 split by channel, 1×1 convolutions whose
// GEMM splits by column panels at 56×56, with and without bias, which
// directConvColumns computes in one fork-join, and by row panels at 7×7) many
// times with 2, 3 and 8 workers: since parallelFor's chunks go to
// whichever goroutine is free, each run may split the work differently,
// and every one must match the single-threaded bits.
func TestConvBitsAcrossWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		name                  string
		c, h, w, m, groups, k int
		stride, pad           int
	}{
		{"stem_3x3s2", 3, 64, 64, 32, 1, 3, 2, 1},
		{"depthwise_3x3", 96, 28, 28, 96, 96, 3, 1, 1},
		{"depthwise_3x3s2", 144, 28, 28, 144, 144, 3, 2, 1},
		{"expand_1x1_56", 24, 56, 56, 144, 1, 1, 1, 0},
		{"project_1x1_7", 960, 7, 7, 160, 1, 1, 1, 0},
		{"expand_1x1_56_no_bias", 24, 56, 56, 144, 1, 1, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewConvGeometry(tc.c, tc.h, tc.w, tc.groups, ConvParams{KernelH: tc.k, KernelW: tc.k, StrideH: tc.stride, StrideW: tc.stride, DilationH: 1, DilationW: 1, Pads: [4]int{tc.pad, tc.pad, tc.pad, tc.pad}})
			if err != nil {
				t.Fatal(err)
			}
			wt := randTensor(r, tc.m, tc.c/tc.groups, tc.k, tc.k)
			b := randTensor(r, tc.m)
			if strings.HasSuffix(tc.name, "no_bias") {
				b = nil
			}
			cw := packConvWeights(wt, tc.groups)
			x := randSlice(r, tc.c*tc.h*tc.w)
			want := convForwardChecked(&g, &cw, x, b, 1, tc.m, 1)
			for _, workers := range []int{2, 3, 8} {
				for run := 0; run < 10; run++ {
					got := convForwardChecked(&g, &cw, x, b, 1, tc.m, workers)
					if !slices.Equal(got, want) {
						t.Fatalf("workers=%d run %d differs from one worker by up to %g", workers, run, maxAbsDiff(got, want))
					}
				}
			}
		})
	}
}

// TestParallelForNestedAndConcurrent checks the persistent helpers: calls
// nested inside a chunk and calls from several goroutines at once (more
// jobs than helpers, so some are offered to busy helpers and taken only
// after their caller finished) must each cover every index exactly once
// and return, never waiting on a helper that is busy elsewhere.
func TestParallelForNestedAndConcurrent(t *testing.T) {
	const outer, inner, callers = 16, 50, 4
	var wg sync.WaitGroup
	counts := make([][]int32, callers)
	for c := range callers {
		counts[c] = make([]int32, outer*inner)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				parallelFor(outer, 3, func(lo, hi int) {
					for o := lo; o < hi; o++ {
						parallelFor(inner, 2, func(ilo, ihi int) {
							for i := ilo; i < ihi; i++ {
								atomic.AddInt32(&counts[c][o*inner+i], 1)
							}
						})
					}
				})
			}
		}()
	}
	wg.Wait()
	for c, cs := range counts {
		for i, n := range cs {
			if n != 20 {
				t.Fatalf("caller %d index %d visited %d times, want 20", c, i, n)
			}
		}
	}
}

// TestParallelForOwnership checks the affinity parallelFor promises: with
// two goroutines the caller starts on the first chunk and works forward
// through its own half, whatever the helper does, and chunks that keep
// the helper busy past finish's polling (so the caller parks) still leave
// every index covered exactly once.
func TestParallelForOwnership(t *testing.T) {
	for run := 0; run < 20; run++ {
		const n = 64
		var mu sync.Mutex
		var callerOrder []int
		seen := make([]int, n)
		caller := goroutineID()
		parallelFor(n, 2, func(lo, hi int) {
			if lo >= n/2 {
				time.Sleep(200 * time.Microsecond) // past finishSpin
			}
			mu.Lock()
			defer mu.Unlock()
			if goroutineID() == caller {
				callerOrder = append(callerOrder, lo)
			}
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("run %d: index %d visited %d times", run, i, c)
			}
		}
		// The caller's own chunks come first, in order, from index 0.
		for i, lo := range callerOrder {
			if lo >= n/2 {
				break
			}
			if want := i * n / (2 * chunksPerWorker); lo != want {
				t.Fatalf("run %d: caller's chunk %d starts at %d, want %d (order %v)", run, i, lo, want, callerOrder)
			}
		}
		if len(callerOrder) == 0 || callerOrder[0] != 0 {
			t.Fatalf("run %d: caller did not start at index 0: %v", run, callerOrder)
		}
	}
}

// goroutineID is the current goroutine's id from its stack header (test
// only: it tells the caller's chunks from the helpers').
func goroutineID() int {
	var buf [64]byte
	s := strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	id, _ := strconv.Atoi(s[:strings.IndexByte(s, ' ')])
	return id
}
