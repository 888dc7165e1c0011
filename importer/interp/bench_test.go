package interp_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
)

// benchProgram loads and optimizes a model from the testmodels folder,
// skipping when it is absent.
func benchProgram(b *testing.B, file string) *interp.Program {
	b.Helper()
	return benchProgramAt(b, filepath.Join(testmodelsDir(), file))
}

// benchProgramAt is benchProgram for a model file at path.
func benchProgramAt(b *testing.B, path string) *interp.Program {
	b.Helper()
	if _, err := os.Stat(path); err != nil {
		b.Skipf("%s not present: %v", path, err)
	}
	m, err := onnx.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	if m, err = passes.Optimize(m); err != nil {
		b.Fatal(err)
	}
	p, err := interp.NewModelProgram(m)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkLeNet5MNIST10k: float32 inference of LeNet-5 over the 10,000
// MNIST test images at batch 64 (one op = the whole test set).
func BenchmarkLeNet5MNIST10k(b *testing.B) { benchMNIST10k(b, "lenet5.onnx") }

// BenchmarkResNetSmallMNIST10k: the same for the small ResNet (residual
// blocks: Conv → Add → Relu chains).
func BenchmarkResNetSmallMNIST10k(b *testing.B) { benchMNIST10k(b, "resnet_small.onnx") }

// benchMNIST10k runs a testmodel over the 10,000 MNIST test images at
// batch 64 per op.
func benchMNIST10k(b *testing.B, file string) {
	p := benchProgram(b, file)
	set, err := dataset.MNISTTest()
	if err != nil {
		b.Fatal(err)
	}
	in := p.Inputs()[0]
	var batches []*importer.Tensor
	for start := 0; start < set.N; start += 64 {
		x, err := set.BatchFor(in, start, min(64, set.N-start), 0.1307, 0.3081)
		if err != nil {
			b.Fatal(err)
		}
		batches = append(batches, x)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		for _, x := range batches {
			if _, err := p.Run(map[string]*importer.Tensor{in.Name: x}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(set.N)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	reportCPU(b, cpu)
}

// cpuTime is the process's user+system CPU time. The benchmarks report CPU
// ms per op next to wall time: on a shared machine wall time swings with
// other load, CPU time much less (ideal wall time on 2 cores ≈ CPU/2).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkMobileNetV2Batch1: one 3×224×224 image through MobileNetV2
// (testmodels/mobilenetv2.onnx, not committed; skipped when absent).
func BenchmarkMobileNetV2Batch1(b *testing.B) {
	benchBatch1(b, benchProgram(b, "mobilenetv2.onnx"))
}

// BenchmarkMobileNetV3Batch1: one 3×224×224 image through torchvision's
// MobileNetV3-large (the opset-13 export in $RRAMC_TORCHVISION_DIR;
// skipped when unset).
func BenchmarkMobileNetV3Batch1(b *testing.B) {
	dir := os.Getenv("RRAMC_TORCHVISION_DIR")
	if dir == "" {
		b.Skip("RRAMC_TORCHVISION_DIR not set")
	}
	benchBatch1(b, benchProgramAt(b, filepath.Join(dir, "mobilenet_v3_large", "opset13.onnx")))
}

// benchBatch1 times p on the deterministic 3×224×224 probe.
func benchBatch1(b *testing.B, p *interp.Program) {
	x := resnet18Input()
	name := p.Inputs()[0].Name
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := p.Run(map[string]*importer.Tensor{name: x}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkResNet18Batch1: one 3×224×224 image through ResNet-18
// (testmodels/resnet18.onnx, not committed; skipped when absent).
func BenchmarkResNet18Batch1(b *testing.B) {
	benchBatch1(b, benchProgram(b, "resnet18.onnx"))
}
