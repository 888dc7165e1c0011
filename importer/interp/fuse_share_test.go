package interp

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rramc/rramc/importer"
)

// retainedBytes is the live heap NewProgram(g) leaves behind: the heap after
// a collection with the program alive, less the heap before compiling.
func retainedBytes(t *testing.T, g *importer.Graph) (int64, *Program) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := NewProgram(g)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc), p
}

// TestFusedPlanSharesPackedWeights: compiling a graph whose Convs fuse (one
// with an activation, one with a residual Add and activation) retains no
// more memory than compiling the same graph where fusion cannot happen
// (each Conv's output is also a graph output), although the fused plan
// compiles each Conv a second time: the fused and the unfused kernels share
// one packed copy of each weight. A second copy would add the whole packed
// size (about 4.7 MB here); the test allows a quarter of it for the
// programs' other state and collector noise. Run on both plans, the fused
// Conv gives the unfused bits.
func TestFusedPlanSharesPackedWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const c = 256 // 256×256×3×3 weights: 2.4 MB per Conv
	consts := map[string]*importer.Tensor{"W1": randTensor(r, c, c, 3, 3), "W2": randTensor(r, c, c, 3, 3), "B": randTensor(r, c)}
	pad1 := aInts("pads", 1, 1, 1, 1)
	nodes := func() []*importer.Node {
		return []*importer.Node{
			node("Conv", []string{"x", "W1", "B"}, "h1", pad1),
			node("Relu", []string{"h1"}, "a1"),
			node("Conv", []string{"a1", "W2", "B"}, "h2", pad1),
			node("Add", []string{"h2", "x"}, "s"),
			node("Relu", []string{"s"}, "y"),
		}
	}
	packedBytes := int64(0)
	for _, w := range []string{"W1", "W2"} {
		packedBytes += int64(len(packConvWeights(consts[w], 1).groups[0].data)) * 4
	}

	unfusable := fuseGraph(nil, consts, nodes(), "h1", "h2")
	base, pu := retainedBytes(t, unfusable)
	if pu.fused != nil {
		t.Fatalf("graph with every Conv output kept fused %d steps, want no fusion", len(pu.fused))
	}
	fusable := fuseGraph(nil, consts, nodes())
	got, pf := retainedBytes(t, fusable)
	if runSteps(pf) != 2 {
		t.Fatalf("fused plan runs %d steps, want 2 (both Convs fused)", runSteps(pf))
	}
	t.Logf("packed weights %d B; retained by compile: unfusable %d B, fused %d B", packedBytes, base, got)
	if extra := got - base; extra > packedBytes/4 {
		t.Errorf("compiling with fusion retains %d B more than without (packed weights %d B): packed weights held twice", extra, packedBytes)
	}

	x := randTensor(r, 1, c, 6, 6)
	fused, err := pf.Run(map[string]*importer.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := pf.RunVisited(map[string]*importer.Tensor{"x": x}, func(*importer.Node, []*importer.Tensor) {})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range plain["y"].Float {
		if fused["y"].Float[i] != v {
			t.Fatalf("y[%d]: fused %v, unfused %v", i, fused["y"].Float[i], v)
		}
	}
	runtime.KeepAlive(pu)
}
