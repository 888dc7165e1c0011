package hwsim

import (
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// layerShape for benchmarks: K, N, groups and vectors per image.
type benchLayer struct {
	k, n, m int
}

// LeNet-5 (conv1 5×5 pad 2 on 28×28, conv2 5×5 on 14×14, three FC layers).
var lenet5 = []benchLayer{{25, 6, 784}, {150, 16, 100}, {400, 120, 1}, {120, 84, 1}, {84, 10, 1}}

// ResNet-18 on 224×224 (ImageNet): the stem, 16 3×3 convs, 3 downsample
// 1×1 convs and the classifier.
var resnet18 = func() []benchLayer {
	ls := []benchLayer{{147, 64, 112 * 112}}
	for i := 0; i < 4; i++ {
		ls = append(ls, benchLayer{576, 64, 56 * 56})
	}
	for _, st := range []struct{ cin, c, hw int }{{64, 128, 28}, {128, 256, 14}, {256, 512, 7}} {
		ls = append(ls, benchLayer{9 * st.cin, st.c, st.hw * st.hw}, benchLayer{st.cin, st.c, st.hw * st.hw})
		for i := 0; i < 3; i++ {
			ls = append(ls, benchLayer{9 * st.c, st.c, st.hw * st.hw})
		}
	}
	return append(ls, benchLayer{512, 1000, 1})
}()

// benchNet builds a network of the shapes with random 8-bit weights (a
// share zero of them 0) and random post-ReLU-like 8-bit inputs: half zero,
// the rest uniform in 1..255 (a pessimistic case for plane skipping).
func benchNet(shapes []benchLayer, zero float64) (*quant.Network, [][]int32) {
	rng := rand.New(rand.NewPCG(77, 77))
	net := &quant.Network{}
	var xs [][]int32
	for i, s := range shapes {
		net.Linears = append(net.Linears, randLinear(rng, i, s.k, s.n, 1, 8, 8, false, zero))
		xs = append(xs, randInputs(rng, s.m, s.k, 8, false, 0.5))
	}
	return net, xs
}

func benchSim(b *testing.B, shapes []benchLayer, scheme string, zero float64, mode string) {
	benchSimHW(b, shapes, scheme, zero, mode, Defaults())
}

func benchSimHW(b *testing.B, shapes []benchLayer, scheme string, zero float64, mode string, hw HW) {
	s, _, cpu := runBenchLayers(b, shapes, zero, scheme, hw, Options{Mode: mode})
	// CPU time is reported besides wall time: on a shared, loaded machine
	// the wall time overstates the cost; cpu-s/op ÷ 2 is the wall time on
	// two idle cores when both are kept busy.
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
	var cells, conv int64
	for _, c := range s.Counted() {
		cells += c.CellReads
		conv += c.ADCConversions
	}
	b.ReportMetric(float64(cells)/cpu/1e9, "Gcell-ops/cpu-s")
	b.ReportMetric(float64(conv)/cpu/1e9, "Gconv/cpu-s")
}

// One LeNet-5 image, bit-serial; ×10,000 gives the MNIST test set.
func BenchmarkLeNet5ImageBitSerialDense(b *testing.B) {
	benchSim(b, lenet5, "dense", 0.5, ModeBitSerial)
}

func BenchmarkLeNet5ImageBitSerialColsim(b *testing.B) {
	benchSim(b, lenet5, "colsim", 0.5, ModeBitSerial)
}

// The lossy configuration (16×16 OUs, 4-bit ADC): no GEMM fast path.
func lossyHW() HW {
	hw := Defaults()
	hw.OURows, hw.OUCols, hw.ADCBits = 16, 16, 4
	return hw
}

func BenchmarkLeNet5ImageLossyBitSerialColsim(b *testing.B) {
	benchSimHW(b, lenet5, "colsim", 0.5, ModeBitSerial, lossyHW())
}

func BenchmarkLeNet5ImageLossyAutoColsim(b *testing.B) {
	benchSimHW(b, lenet5, "colsim", 0.5, ModeAuto, lossyHW())
}

func BenchmarkLeNet5ImageFastDense(b *testing.B) {
	benchSim(b, lenet5, "dense", 0.5, ModeAuto)
}

// One ResNet-18-size image, bit-serial.
func BenchmarkResNet18ImageBitSerialDense(b *testing.B) {
	benchSim(b, resnet18, "dense", 0.5, ModeBitSerial)
}

func BenchmarkResNet18ImageBitSerialColsim(b *testing.B) {
	benchSim(b, resnet18, "colsim", 0.5, ModeBitSerial)
}

func BenchmarkResNet18ImageFastColsim(b *testing.B) {
	benchSim(b, resnet18, "colsim", 0.5, ModeAuto)
}

// MNSIM 2.0's two smallest networks on 3×32×32 inputs, per image: LeNet
// (convs 3→6, 6→16, 16→120 of 5×5 without padding, FC 120→84→10; 651,720
// MACs) and VGG-8 (3×3 convs 3→128→128, 128→256→256, 256→512→512, 512→1024
// unpadded, FC 1024→10; 626.4 M MACs). hwsim/bench/mnsim.sh runs the same
// networks through the whole rramc sim command.
var (
	mnsimLeNet = []benchLayer{{75, 6, 784}, {150, 16, 100}, {400, 120, 1}, {120, 84, 1}, {84, 10, 1}}
	mnsimVGG8  = []benchLayer{{27, 128, 1024}, {1152, 128, 1024}, {1152, 256, 256}, {2304, 256, 256},
		{2304, 512, 64}, {4608, 512, 64}, {4608, 1024, 4}, {1024, 10, 1}}
)

// mnsimHW are the hardware points of the MNSIM comparison: 9×8 OUs with a
// lossless 8- and 4-bit ADC, 16×16 OUs with a lossy 3-bit ADC, and a whole
// 128×128 crossbar as one OU with a 6-bit ADC (MNSIM's read granularity).
var mnsimHW = []struct {
	name            string
	xbar, h, w, adc int
}{
	{"ou9x8_adc8", 128, 9, 8, 8}, {"ou9x8_adc4", 128, 9, 8, 4}, {"ou16x16_adc3", 128, 16, 16, 3}, {"xbar128_adc6", 128, 128, 128, 6},
}

// The bit-serial simulator on MNSIM's networks (dense mapping, 8-bit
// weights and inputs, half the inputs zero), the per-column route (the
// generic route before the 16-row strip kernel) and the generic route (the
// simulator before the table route) against the route each call chooses,
// interleaved when run with -count: MAC/s of the MatMuls alone.
// images per op: 64 for LeNet, 1 for VGG-8.
func BenchmarkMNSIM(b *testing.B) {
	for _, nw := range []struct {
		name   string
		shapes []benchLayer
		images int
	}{{"lenet", mnsimLeNet, 64}, {"vgg8", mnsimVGG8, 1}} {
		shapes := make([]benchLayer, len(nw.shapes))
		var macs int64
		for i, s := range nw.shapes {
			shapes[i] = benchLayer{s.k, s.n, s.m * nw.images}
			macs += int64(s.k) * int64(s.n) * int64(shapes[i].m)
		}
		for _, p := range mnsimHW {
			hw := hwFor(p.xbar, p.xbar, p.h, p.w, p.adc, ADCSaturate)
			for _, route := range []string{routePerColumn, routeGeneric, ""} {
				name := "chosen"
				if route != "" {
					name = route
				}
				b.Run(nw.name+"/"+p.name+"/"+name, func(b *testing.B) {
					benchRoute(b, shapes, hw, route, macs)
				})
			}
		}
	}
}

// One ResNet-18-size image (224×224), bit-serial, default hardware: the
// generic route against the chosen one, interleaved with -count.
func BenchmarkResNet18ImageRoutes(b *testing.B) {
	var macs int64
	for _, s := range resnet18 {
		macs += int64(s.k) * int64(s.n) * int64(s.m)
	}
	for _, route := range []string{routeGeneric, ""} {
		name := "chosen"
		if route != "" {
			name = route
		}
		b.Run(name, func(b *testing.B) { benchRoute(b, resnet18, Defaults(), route, macs) })
	}
}

// benchRoute runs the layers of shapes bit-serially on hw by the given
// route and reports MAC/s of wall and of CPU time.
func benchRoute(b *testing.B, shapes []benchLayer, hw HW, route string, macs int64) {
	_, wall, cpu := runBenchLayers(b, shapes, 0.5, "dense", hw, Options{Mode: ModeBitSerial, route: route})
	b.ReportMetric(float64(macs)*float64(b.N)/wall, "MAC/s")
	b.ReportMetric(float64(macs)*float64(b.N)/cpu, "MAC/cpu-s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// runBenchLayers maps the layers of shapes (weights zero with probability
// zero) with scheme, simulates them b.N times on hw and returns the
// simulator with the wall and CPU seconds of the timed loop.
func runBenchLayers(b *testing.B, shapes []benchLayer, zero float64, scheme string, hw HW, opts Options) (s *Simulator, wall, cpu float64) {
	net, xs := benchNet(shapes, zero)
	mp, err := mapper.Map(net, geoOf(hw), mapper.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	if s, err = Simulate(net, mp, hw, opts); err != nil {
		b.Fatal(err)
	}
	outs := make([][]int32, len(shapes))
	for i, sh := range shapes {
		outs[i] = make([]int32, sh.m*sh.n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for li, l := range net.Linears {
			if err := s.MatMul(l, 0, xs[li], shapes[li].m, outs[li]); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s, time.Since(start).Seconds(), cpuSeconds() - cpu0
}

// cpuSeconds returns the user+system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// The whole MNIST test set through the quantized LeNet-5 (testmodels), with
// golden model and simulator (Evaluate); run with -benchtime 1x.
func benchMNIST(b *testing.B, mode string, hw HW, scheme string) {
	benchMNISTModel(b, "lenet5", mode, hw, scheme)
}

func benchMNISTModel(b *testing.B, model, mode string, hw HW, scheme string) {
	path := testmodelsDir + "/" + model + ".onnx"
	if _, err := os.Stat(path); err != nil {
		b.Skip(model + ".onnx not present")
	}
	net, src := quantizedModel(b, path, 0.5)
	mp, err := mapper.Map(net, geoOf(hw), mapper.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	s, err := Simulate(net, mp, hw, Options{Mode: mode})
	if err != nil {
		b.Fatal(err)
	}
	// The golden model's share of the time is measured separately.
	x, err := src.Batch(NetInputs(net)[0], 0, src.Len())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		s.Reset()
		if _, _, err := net.RunCodes(x, s.MatMul, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	var cells int64
	for _, c := range s.Counted() {
		cells += c.CellReads
	}
	b.ReportMetric(float64(cells)/(cpuSeconds()-cpu0)/1e9, "Gcell-ops/cpu-s")
}

func BenchmarkLeNet5MNIST10kBitSerialDense(b *testing.B) {
	benchMNIST(b, ModeBitSerial, Defaults(), "dense")
}

func BenchmarkLeNet5MNIST10kBitSerialColsim(b *testing.B) {
	benchMNIST(b, ModeBitSerial, Defaults(), "colsim")
}

func BenchmarkLeNet5MNIST10kAutoColsim(b *testing.B) {
	benchMNIST(b, ModeAuto, Defaults(), "colsim")
}

func BenchmarkLeNet5MNIST10kLossyAutoColsim(b *testing.B) {
	benchMNIST(b, ModeAuto, lossyHW(), "colsim")
}

func BenchmarkMLPMNIST10kBitSerialDense(b *testing.B) {
	benchMNISTModel(b, "mlp", ModeBitSerial, Defaults(), "dense")
}
