package hwsim

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/graphtest"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// mnsimAnchors is where MNSIM 2.0's printouts and networks are kept, beside
// the repository.
const mnsimAnchors = "../../shared/anchors/mnsim"

// mnsimFigure is what MNSIM 2.0 printed for one network (per image):
// latency (ns), area (µm²) and energy (pJ) by component.
type mnsimFigure struct {
	latencyNs, energyPJ, areaUM2          float64
	adc, buffer, crossbar, dac, digitalPJ float64
	pooling, joint                        float64 // parts of digitalPJ
}

// readMNSIMBreakdown reads the totals and component energies of one of
// MNSIM 2.0's printed breakdowns (lines "Entire latency: X ns", the first
// "Hardware area: X um^2" and "Hardware energy: X nJ", then "crossbar
// energy: X nJ" and the like); digital is its pooling plus other digital
// energy. It skips the test when the file is absent.
func readMNSIMBreakdown(t *testing.T, path string) mnsimFigure {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("MNSIM anchors not available: %v", err)
	}
	first := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		if _, seen := first[name]; !seen {
			first[name] = v
		}
	}
	get := func(name string, scale float64) float64 {
		v, ok := first[name]
		if !ok {
			t.Fatalf("%s: no %q line", path, name)
		}
		return v * scale
	}
	const nJ = 1000 // pJ
	return mnsimFigure{latencyNs: get("Entire latency", 1), areaUM2: get("Hardware area", 1),
		energyPJ: get("Hardware energy", nJ), adc: get("ADC energy", nJ), buffer: get("Buffer energy", nJ),
		crossbar: get("crossbar energy", nJ), dac: get("DAC energy", nJ),
		digitalPJ: get("Pooling energy", nJ) + get("Other digital part energy", nJ), pooling: get("Pooling energy", nJ),
		joint: get("|---joint_module energy", nJ)}
}

// mnsimVGG8Model is MNSIM 2.0's VGG-8 (its network script's 'vgg8'): 3×3
// convolutions 3-128-128-pool-256-256-pool-512-512-pool-1024 (no padding)
// -pool, then a 1024→10 fully connected layer; no bias, ReLU after each
// convolution, 2×2 max pooling of stride 2, 3×32×32 inputs. Weights are
// He-normal like the script's kaiming_normal_, drawn from a seeded Go
// generator: a dense mapping's cost depends on the layer shapes, not on
// the weights' exact draw.
func mnsimVGG8Model() *importer.Model {
	g := graphtest.New(8)
	x, cin := "x", 3
	for i, l := range []struct{ cout, pad int }{{128, 1}, {128, 1}, {0, 0}, {256, 1}, {256, 1}, {0, 0}, {512, 1}, {512, 1}, {0, 0}, {1024, 0}, {0, 0}} {
		name := "f" + strconv.Itoa(i)
		if l.cout == 0 {
			x = g.Node("MaxPool", []string{x}, name, graphtest.AInts("kernel_shape", 2, 2), graphtest.AInts("strides", 2, 2))
			continue
		}
		x = g.Node("Relu", []string{g.KaimingConv(x, name, cin, l.cout, 3, l.pad)}, name+"_relu")
		cin = l.cout
	}
	x = g.Node("Flatten", []string{x}, "flat", graphtest.AInt("axis", 1))
	return g.Model([]int{3, 32, 32}, g.KaimingLinear(x, "fc", 1024, 10))
}

// loadModel reads an ONNX file, failing the test on error.
func loadModel(t *testing.T, path string) *importer.Model {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mnsimCost maps an MNSIM network densely onto the mnsim preset and prices
// one image (counts from the mapping, not a simulation: a dense mapping's
// costs do not depend on the weights).
func mnsimCost(t *testing.T, m *importer.Model) *Cost {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 8*3*32*32)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	cfg := quant.DefaultConfig()
	cfg.Calib = 8
	net, err := quant.Quantize(m, importer.NewFloat([]int{8, 3, 32, 32}, x), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hw, err := Preset("mnsim")
	if err != nil {
		t.Fatal(err)
	}
	mp, err := mapper.Map(net, hw.Geometry, mapper.Options{Scheme: "dense"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Simulate(net, mp, hw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	work, err := imageWorkOf(net, &hw)
	if err != nil {
		t.Fatal(err)
	}
	vectors := make([]int64, len(work))
	for i, w := range work {
		vectors[i] = w.vectors / int64(net.Linears[i].Groups)
	}
	counts, err := AnalyticCounts(mp, hw, vectors)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := s.Cost(counts)
	if err != nil {
		t.Fatal(err)
	}
	return cost
}

// The bars: totals within ±25 %, main components within 1.5×.
const mnsimTotalTol, mnsimPartTol = 0.25, 1.5

func checkMNSIM(t *testing.T, name string, cost *Cost, want mnsimFigure) {
	e := cost.EnergyPJ
	digital := e.Get("shift_add") + e.Get("register") + e.Get("pooling") + e.Get("activation") + e.Get("adder") + e.Get("index")
	for _, c := range []struct {
		what      string
		got, want float64
		total     bool
	}{
		{"latency", cost.LatencyNs, want.latencyNs, true},
		{"energy", e.Total, want.energyPJ, true},
		{"area", cost.AreaUM2.Total, want.areaUM2, true},
		{"ADC energy", e.Get("adc"), want.adc, false},
		{"buffer energy", e.Get("buffer"), want.buffer, false},
		{"crossbar energy", e.Get("crossbar"), want.crossbar, false},
		{"DAC energy", e.Get("dac"), want.dac, false},
		{"digital energy", digital, want.digitalPJ, false},
	} {
		r := c.got / c.want
		t.Logf("%s %s: rramc %.4g, MNSIM %.4g, ratio %.3f", name, c.what, c.got, c.want, r)
		ok := r >= 1/mnsimPartTol && r <= mnsimPartTol
		if c.total {
			ok = math.Abs(r-1) <= mnsimTotalTol
		}
		if !ok {
			t.Errorf("%s %s: rramc %.4g vs MNSIM %.4g (ratio %.3f) outside the bar", name, c.what, c.got, c.want, r)
		}
	}
}

// MNSIM 2.0 on its LeNet, against the mnsim preset. The crossbar, DAC and
// ADC energies, latency and area come from MNSIM's device and circuit
// figures and the read-round charge; the buffer's busy power and
// bandwidth and the other digital energy per converted column are
// calibrated on this network (HARDWARE.md), so those agree by
// construction here. Every figure must hold the bars.
func TestMNSIMLeNet(t *testing.T) {
	want := readMNSIMBreakdown(t, filepath.Join(mnsimAnchors, "mnsim_lenet_breakdown.txt"))
	path := filepath.Join(mnsimAnchors, "mnsim_lenet.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("MNSIM anchors not available: %v", err)
	}
	checkMNSIM(t, "LeNet", mnsimCost(t, loadModel(t, path)), want)
}

// MNSIM 2.0 on its VGG-8, the network held out from the calibration,
// built in Go (mnsimVGG8Model). Every figure must hold the bars.
func TestMNSIMVGG8(t *testing.T) {
	if testing.Short() {
		t.Skip("VGG-8 takes seconds")
	}
	want := readMNSIMBreakdown(t, filepath.Join(mnsimAnchors, "mnsim_vgg8_breakdown.txt"))
	checkMNSIM(t, "VGG-8", mnsimCost(t, mnsimVGG8Model()), want)
}

// MNSIM 2.0's own accounting of the crossbar periphery, the source of the
// mnsim preset's read-round model (chip.dac_demux, chip.adc_mux),
// recomputed from its networks' layer shapes and checked against what it
// printed. Every weight bit slice (8 per layer) has an array of its own;
// a layer's rows are split into blocks of whole kernels of up to 256 rows
// (fully connected layers: 256) and its outputs into blocks of 256, one
// tile of 8 arrays per pair of blocks. An array with R used rows and c used
// columns is read in ceil(R/128)·ceil(c/128) rounds for each of 9 input
// bits and output position, and each round charges ceil(R/2) DACs (3.9 µW
// for 3 ns), ceil(c/2) ADCs (1.26 mW for 8 ns) and R·c/4 cells (V²/R_cell
// for 3.16 ns, V² = 0.1·(0.15 V)², R_cell = R_on·R_off/(0.67·R_off +
// 0.33·R_on) with 10 kΩ and 1 MΩ). Pooling: 3.082 mW for 100 ns per output
// position and 64 channels. Joint module (the adders merging a tile's 4
// PEs' partial sums): 3·ceil(c/2) units of 0.2531 mW per tile for 4 ns per
// output position.
func TestMNSIMAccounting(t *testing.T) {
	type layer struct{ k, n, positions, kernel int } // kernel area, 0 for fc
	type pool struct{ channels, positions int }
	nets := []struct {
		name   string
		file   string
		layers []layer
		pools  []pool
	}{
		{"LeNet", "mnsim_lenet_breakdown.txt",
			[]layer{{75, 6, 784, 25}, {150, 16, 100, 25}, {400, 120, 1, 25}, {120, 84, 1, 0}, {84, 10, 1, 0}},
			[]pool{{6, 196}, {16, 25}}},
		{"VGG-8", "mnsim_vgg8_breakdown.txt",
			[]layer{{27, 128, 1024, 9}, {1152, 128, 1024, 9}, {1152, 256, 256, 9}, {2304, 256, 256, 9},
				{2304, 512, 64, 9}, {4608, 512, 64, 9}, {4608, 1024, 4, 9}, {1024, 10, 1, 0}},
			[]pool{{128, 256}, {256, 64}, {512, 16}, {1024, 1}}},
	}
	const (
		dacPJ  = 3.9e-3 * 3 // mW × ns
		adcPJ  = 1.26 * 8
		cycles = 9
	)
	rCell := 1e4 * 1e6 / (0.67*1e6 + 0.33*1e4)
	cellPJ := 0.1 * 0.15 * 0.15 / rCell * 3.16 * 1e3 // W × ns = nJ; ×1e3 pJ
	ceil := func(a, b int) int { return (a + b - 1) / b }
	for _, net := range nets {
		want := readMNSIMBreakdown(t, filepath.Join(mnsimAnchors, net.file))
		var dac, adc, cell, pooling, joint float64
		for _, l := range net.layers {
			block := 256
			if l.kernel > 0 {
				block = 256 / l.kernel * l.kernel
			}
			tiles := ceil(l.k, block) * ceil(l.n, 256)
			r, c := min(l.k, block), min(l.n, 256)
			rounds := float64(tiles * 8 * cycles * l.positions * ceil(r, 128) * ceil(c, 128))
			dac += rounds * float64(ceil(r, 2)) * dacPJ
			adc += rounds * float64(ceil(c, 2)) * adcPJ
			cell += rounds * float64(r*c) / 4 * cellPJ
			joint += float64(tiles*3*ceil(c, 2)*l.positions) * 0.2531 * 4
		}
		for _, p := range net.pools {
			pooling += float64(p.positions*ceil(p.channels, 64)) * 3.082 * 100
		}
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"DAC", dac, want.dac}, {"ADC", adc, want.adc}, {"crossbar", cell, want.crossbar}, {"pooling", pooling, want.pooling}, {"joint module", joint, want.joint}} {
			t.Logf("%s %s: recomputed %.6g pJ, printed %.6g pJ", net.name, c.what, c.got, c.want)
			if math.Abs(c.got/c.want-1) > 0.001 {
				t.Errorf("%s %s: recomputed %.6g pJ, MNSIM printed %.6g pJ", net.name, c.what, c.got, c.want)
			}
		}
	}
}
