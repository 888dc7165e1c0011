package quant

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/rramc/rramc/importer"
)

func TestToyIntegerTracksFloat(t *testing.T) {
	m := toyModel(1)
	calib := toyInputs(128, 2)
	x := toyInputs(200, 3)
	ref := floatRun(t, m, x)
	for _, tc := range []struct {
		name     string
		cfg      func(*Config)
		maxErr   float64 // max |p_int - p_float| over all probabilities
		minAgree float64
	}{
		{"w8a8", func(c *Config) {}, 0.03, 0.97},
		{"w8a8-perchannel", func(c *Config) { c.PerChannel = true }, 0.03, 0.97},
		{"w8a8-percentile", func(c *Config) { c.CalibMethod = CalibPercentile; c.Percentile = 99.99 }, 0.05, 0.95},
		{"w6a8", func(c *Config) { c.WBits = 6 }, 0.08, 0.9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Calib = 128
			tc.cfg(&cfg)
			net, err := Quantize(m, calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := net.Run(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape, ref.Shape) {
				t.Fatalf("shape %v, float %v", got.Shape, ref.Shape)
			}
			maxErr, agree := 0.0, 0
			for i := 0; i < x.Shape[0]; i++ {
				g, f := got.Float[i*10:(i+1)*10], ref.Float[i*10:(i+1)*10]
				for j := range g {
					maxErr = math.Max(maxErr, math.Abs(float64(g[j]-f[j])))
				}
				if argmax(g) == argmax(f) {
					agree++
				}
			}
			t.Logf("max |Δp| %.4f, top-1 agreement %d/%d", maxErr, agree, x.Shape[0])
			if maxErr > tc.maxErr || float64(agree) < tc.minAgree*float64(x.Shape[0]) {
				t.Errorf("integer model strays from float: max |Δp| %.4f (limit %.3f), agreement %d/%d", maxErr, tc.maxErr, agree, x.Shape[0])
			}
		})
	}
}

func TestRunDeterministicAcrossBatchAndWorkers(t *testing.T) {
	m := toyModel(4)
	cfg := DefaultConfig()
	cfg.Calib = 64
	net, err := Quantize(m, toyInputs(64, 5), cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := toyInputs(64, 6)
	ref, _, err := net.RunCodes(x, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	per := len(ref) / 64
	for _, workers := range []int{1, 2, 3} {
		got, _, err := net.RunCodes(x, nil, workers)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, ref) {
			t.Fatalf("workers=%d differs from workers=1", workers)
		}
	}
	prev := runtime.GOMAXPROCS(1)
	got1, _, err := net.RunCodes(x, nil, 0)
	runtime.GOMAXPROCS(2)
	got2, _, err2 := net.RunCodes(x, nil, 0)
	runtime.GOMAXPROCS(prev)
	if err != nil || err2 != nil || !slices.Equal(got1, ref) || !slices.Equal(got2, ref) {
		t.Fatalf("GOMAXPROCS 1 vs 2: results differ (%v %v)", err, err2)
	}
	for i := 0; i < 64; i++ {
		one := &importer.Tensor{DType: importer.Float, Shape: []int{1, 1, 8, 8}, Float: x.Float[i*64 : (i+1)*64]}
		got, _, err := net.RunCodes(one, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, ref[i*per:(i+1)*per]) {
			t.Fatalf("sample %d: batch 1 %v, batch 64 %v", i, got, ref[i*per:(i+1)*per])
		}
	}
}

// TestDequantizedWeightsWithinHalfScale compares every integer weight with
// the float weight it came from, read independently from the model.
func TestDequantizedWeightsWithinHalfScale(t *testing.T) {
	m := toyModel(7)
	for _, wb := range []int{2, 4, 6, 8} {
		for _, pc := range []bool{false, true} {
			cfg := DefaultConfig()
			cfg.WBits, cfg.PerChannel, cfg.Calib = wb, pc, 16
			net, err := Quantize(m, toyInputs(16, 8), cfg)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{"conv1": "w1", "conv2": "w2", "conv3": "w3", "fc": "w4"}
			for _, l := range net.Linears {
				w := m.Graph.Initializers[names[l.Name]]
				cout := w.Shape[0]
				k := w.Len() / cout
				for c := 0; c < cout; c++ {
					s := l.WScale[min(c, len(l.WScale)-1)]
					g, n := c/l.N, c%l.N
					for kk := 0; kk < k; kk++ {
						q := l.Weights[g][kk*l.N+n]
						f := float64(w.Float[c*k+kk])
						if d := math.Abs(float64(q)*s - f); d > s/2*(1+1e-9) {
							t.Fatalf("w%d perchannel=%v %s channel %d k %d: code %d·%g vs %g (|Δ| %g > s/2)", wb, pc, l.Name, c, kk, q, s, f, d)
						}
					}
				}
			}
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	m := toyModel(9)
	cfg := DefaultConfig()
	cfg.Calib = 32
	cfg.Prune, cfg.PruneFirst, cfg.PruneLast = 0.5, true, true
	net, err := Quantize(m, toyInputs(32, 10), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalNetwork(data)
	if err != nil {
		t.Fatal(err)
	}
	data2, err := back.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(data, data2) {
		t.Fatal("re-encoding differs")
	}
	x := toyInputs(40, 11)
	a, _, err := net.RunCodes(x, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := back.RunCodes(x, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Fatal("decoded network computes differently")
	}
	// every truncation and a few corruptions fail cleanly
	for i := 0; i < len(data); i++ {
		if _, err := UnmarshalNetwork(data[:i]); err == nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: err %v", i, err)
		}
	}
}

func TestBadConfigs(t *testing.T) {
	m := toyModel(1)
	calib := toyInputs(8, 1)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"wbits 0", func(c *Config) { c.WBits = 0 }},
		{"wbits 9", func(c *Config) { c.WBits = 9 }},
		{"wbits 1", func(c *Config) { c.WBits = 1 }},
		{"abits 0", func(c *Config) { c.ABits = 0 }},
		{"abits 9", func(c *Config) { c.ABits = 9 }},
		{"prune 1.5", func(c *Config) { c.Prune = 1.5 }},
		{"prune 1", func(c *Config) { c.Prune = 1 }},
		{"prune -0.1", func(c *Config) { c.Prune = -0.1 }},
		{"prune NaN", func(c *Config) { c.Prune = math.NaN() }},
		{"calib 0", func(c *Config) { c.Calib = 0 }},
		{"calib larger than data", func(c *Config) { c.Calib = 9 }},
		{"method", func(c *Config) { c.CalibMethod = "entropy" }},
		{"percentile", func(c *Config) { c.CalibMethod = CalibPercentile; c.Percentile = 101 }},
		{"scope", func(c *Config) { c.PruneScope = "network" }},
		{"structure", func(c *Config) { c.PruneStructure = "block" }},
		{"norm", func(c *Config) { c.PruneNorm = "linf" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Calib = 8
			tc.mod(&cfg)
			_, err := Quantize(m, calib, cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Calib = 8
	if _, err := Quantize(m, calib, cfg); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

// TestGoldenEqualsNaiveMatMul runs the network with the golden GEMM (fused
// byte path for Conv) and with a naive triple-loop MatMulFunc fed the int32
// im2col matrices: every output code must agree.
func TestGoldenEqualsNaiveMatMul(t *testing.T) {
	naive := func(l *Linear, g int, x []int32, m int, out []int32) error {
		ref := naiveGEMM(x, m, l.K, l.Weights[g], l.N)
		for i, v := range ref {
			out[i] = int32(v)
		}
		return nil
	}
	for _, wb := range []int{8, 4} {
		for _, ab := range []int{8, 5} {
			cfg := DefaultConfig()
			cfg.Calib, cfg.WBits, cfg.ABits, cfg.PerChannel = 32, wb, ab, true
			// signed inputs exercise the +128 offset path of the first Conv
			calib, x := toyInputs(32, 32), toyInputs(50, 33)
			for _, t := range []*importer.Tensor{calib, x} {
				for i := range t.Float {
					t.Float[i] -= 0.5
				}
			}
			net, err := Quantize(toyModel(31), calib, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !net.Linears[0].InputSigned {
				t.Fatal("first layer input should be signed")
			}
			a, _, err := net.RunCodes(x, nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := net.RunCodes(x, naive, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Fatalf("w%d a%d: golden and naive MatMulFunc disagree", wb, ab)
			}
		}
	}
}
