package hwsim

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
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
		digitalPJ: get("Pooling energy", nJ) + get("Other digital part energy", nJ)}
}

// mnsimCost maps an MNSIM network densely onto the mnsim preset and prices
// one image (counts from the mapping, not a simulation: a dense mapping's
// costs do not depend on the weights).
func mnsimCost(t *testing.T, path string) *Cost {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
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
	checkMNSIM(t, "LeNet", mnsimCost(t, path), want)
}

// MNSIM 2.0 on its VGG-8, the network held out from the calibration: the
// ONNX file is written by MNSIM's network script (PyTorch). Every figure
// must hold the bars.
func TestMNSIMVGG8(t *testing.T) {
	if testing.Short() {
		t.Skip("VGG-8 takes a minute")
	}
	want := readMNSIMBreakdown(t, filepath.Join(mnsimAnchors, "mnsim_vgg8_breakdown.txt"))
	script := filepath.Join(mnsimAnchors, "make_nets.py")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("MNSIM anchors not available: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("/usr/bin/python3", script, dir).CombinedOutput(); err != nil {
		t.Skipf("cannot write VGG-8 (needs python3-torch): %v\n%s", err, out)
	}
	checkMNSIM(t, "VGG-8", mnsimCost(t, filepath.Join(dir, "vgg8.onnx")), want)
}
