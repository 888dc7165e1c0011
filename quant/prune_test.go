package quant

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func randLayers(seed int64, shapes [][2]int) ([]*floatLayer, [][]float32) {
	r := rand.New(rand.NewSource(seed))
	var ls []*floatLayer
	var orig [][]float32
	for i, s := range shapes {
		w := make([]float32, s[0]*s[1])
		for j := range w {
			w[j] = float32(r.NormFloat64()) * float32(i+1) // layers of different magnitude
		}
		o := make([]float32, len(w))
		copy(o, w)
		b := make([]float32, s[0])
		for j := range b {
			b[j] = 1
		}
		ls = append(ls, &floatLayer{w: w, cout: s[0], k: s[1], kn: i%2 == 1, bias: b})
		orig = append(orig, o)
	}
	return ls, orig
}

func TestPruneUnstructured(t *testing.T) {
	shapes := [][2]int{{6, 25}, {16, 150}, {120, 400}, {84, 120}, {10, 84}}
	for _, scope := range []string{ScopeLayer, ScopeGlobal} {
		for _, ratio := range []float64{0, 0.1, 0.5, 0.7, 0.9, 0.99} {
			for _, firstLast := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%g/firstlast=%v", scope, ratio, firstLast), func(t *testing.T) {
					ls, orig := randLayers(int64(ratio*100), shapes)
					cfg := DefaultConfig()
					cfg.Prune, cfg.PruneScope, cfg.PruneFirst, cfg.PruneLast = ratio, scope, firstLast, firstLast
					prune(ls, cfg)
					total, zeros := 0, 0
					maxPruned, minKept := 0.0, math.Inf(1)
					for i, l := range ls {
						sel := firstLast || (i != 0 && i != len(ls)-1)
						z := 0
						lp, lk := 0.0, math.Inf(1)
						for j, v := range l.w {
							a := math.Abs(float64(orig[i][j]))
							if v == 0 {
								z++
								lp = math.Max(lp, a)
							} else {
								if v != orig[i][j] {
									t.Fatalf("layer %d: kept weight changed", i)
								}
								lk = math.Min(lk, a)
							}
						}
						if !sel {
							if z != 0 {
								t.Fatalf("layer %d excluded by policy but has %d zeros", i, z)
							}
							continue
						}
						if z != l.pruned {
							t.Fatalf("layer %d: reported %d pruned, counted %d", i, l.pruned, z)
						}
						total += len(l.w)
						zeros += z
						if scope == ScopeLayer {
							if want := ratio * float64(len(l.w)); math.Abs(float64(z)-want) > 1 {
								t.Fatalf("layer %d: %d zeros, want %g ±1", i, z, want)
							}
							if z > 0 && z < len(l.w) && lp > lk {
								t.Fatalf("layer %d: pruned |w| up to %g but kept %g", i, lp, lk)
							}
						}
						maxPruned = math.Max(maxPruned, lp)
						minKept = math.Min(minKept, lk)
					}
					if scope == ScopeGlobal {
						if want := ratio * float64(total); math.Abs(float64(zeros)-want) > 1 {
							t.Fatalf("%d zeros over %d weights, want %g ±1", zeros, total, want)
						}
						if zeros > 0 && maxPruned > minKept {
							t.Fatalf("global threshold violated: pruned %g > kept %g", maxPruned, minKept)
						}
					}
				})
			}
		}
	}
}

func TestPruneChannels(t *testing.T) {
	shapes := [][2]int{{6, 25}, {16, 150}, {120, 400}, {84, 120}, {10, 84}}
	for _, scope := range []string{ScopeLayer, ScopeGlobal} {
		for _, norm := range []string{"l1", "l2"} {
			for _, ratio := range []float64{0.25, 0.5, 0.9} {
				t.Run(fmt.Sprintf("%s/%s/%g", scope, norm, ratio), func(t *testing.T) {
					ls, orig := randLayers(3, shapes)
					cfg := DefaultConfig()
					cfg.Prune, cfg.PruneScope, cfg.PruneStructure, cfg.PruneNorm = ratio, scope, StructChannel, norm
					cfg.PruneFirst, cfg.PruneLast = true, true
					prune(ls, cfg)
					totalCh, removed := 0, 0
					for i, l := range ls {
						nz := 0
						for c := 0; c < l.cout; c++ {
							all, none := true, true
							for kk := 0; kk < l.k; kk++ {
								if l.w[l.index(c, kk)] == 0 {
									none = false
								} else {
									all = false
								}
							}
							if all {
								nz++
								if l.bias[c] != 0 {
									t.Fatalf("layer %d channel %d removed but bias kept", i, c)
								}
							} else if !none {
								t.Fatalf("layer %d channel %d partly zeroed", i, c)
							}
						}
						if nz != l.prunedCh {
							t.Fatalf("layer %d: reported %d channels, counted %d", i, l.prunedCh, nz)
						}
						if scope == ScopeLayer && math.Abs(float64(nz)-ratio*float64(l.cout)) > 1 {
							t.Fatalf("layer %d: %d of %d channels removed, want %g", i, nz, l.cout, ratio*float64(l.cout))
						}
						if nz == l.cout {
							t.Fatalf("layer %d lost every channel", i)
						}
						// removed channels have the smallest norms of the layer (layer scope)
						if scope == ScopeLayer {
							nrm := func(c int) float64 {
								s := 0.0
								for kk := 0; kk < l.k; kk++ {
									v := float64(orig[i][l.index(c, kk)])
									if norm == "l1" {
										s += math.Abs(v)
									} else {
										s += v * v
									}
								}
								return s
							}
							maxR, minK := 0.0, math.Inf(1)
							for c := 0; c < l.cout; c++ {
								if l.w[l.index(c, 0)] == 0 {
									maxR = math.Max(maxR, nrm(c))
								} else {
									minK = math.Min(minK, nrm(c))
								}
							}
							if maxR > minK {
								t.Fatalf("layer %d: removed channel norm %g > kept %g", i, maxR, minK)
							}
						}
						totalCh += l.cout
						removed += nz
					}
					if scope == ScopeGlobal && math.Abs(float64(removed)-ratio*float64(totalCh)) > 1 {
						t.Fatalf("%d of %d channels removed, want %g", removed, totalCh, ratio*float64(totalCh))
					}
				})
			}
		}
	}
}

// TestPruneThroughQuantize checks the pruned weights reach the integer codes
// as exact zeros and that the reported per-layer statistics are right.
func TestPruneThroughQuantize(t *testing.T) {
	m := toyModel(12)
	for _, ratio := range []float64{0.3, 0.7, 0.9} {
		cfg := DefaultConfig()
		cfg.Calib, cfg.Prune, cfg.PruneScope = 16, ratio, ScopeLayer
		cfg.PruneFirst, cfg.PruneLast = false, false
		net, err := Quantize(m, toyInputs(16, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		sp := net.Sparsity()
		for i, st := range net.Layers {
			first, last := i == 0, i == len(net.Layers)-1
			if first || last {
				if st.Pruned != 0 {
					t.Fatalf("ratio %g: layer %s pruned although first/last are excluded", ratio, st.Name)
				}
				continue
			}
			if math.Abs(float64(st.Pruned)-ratio*float64(st.Weights)) > 1 {
				t.Fatalf("ratio %g layer %s: %d of %d pruned", ratio, st.Name, st.Pruned, st.Weights)
			}
			if st.Zeros < st.Pruned || sp[i] < float64(st.Pruned)/float64(st.Weights) {
				t.Fatalf("ratio %g layer %s: %d zero codes (sparsity %g) < %d pruned", ratio, st.Name, st.Zeros, sp[i], st.Pruned)
			}
		}
		// with first and last pruned too, every layer reaches the ratio
		cfg.PruneFirst, cfg.PruneLast = true, true
		all, err := Quantize(m, toyInputs(16, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range all.Layers {
			if math.Abs(float64(st.Pruned)-ratio*float64(st.Weights)) > 1 {
				t.Fatalf("default policy, ratio %g layer %s: %d of %d pruned", ratio, st.Name, st.Pruned, st.Weights)
			}
		}
		// the caller's model is untouched
		for _, v := range m.Graph.Initializers["w2"].Float {
			if v == 0 {
				t.Fatal("Quantize modified the caller's weights")
			}
		}
	}
}
