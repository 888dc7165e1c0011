package testmodels_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// benchTorchvision are the torchvision exports the benchmarks time: the
// large residual network and the depthwise/HardSwish one.
var benchTorchvision = []string{"resnet50", "mobilenet_v3_large"}

// loadBenchTorchvision loads the opset-13 export of name and its input
// (1×3×224×224) from $RRAMC_TORCHVISION_DIR, skipping when absent.
func loadBenchTorchvision(b *testing.B, name string) (*importer.Model, *importer.Tensor) {
	dir := os.Getenv("RRAMC_TORCHVISION_DIR")
	if dir == "" {
		dir = "torchvision"
	}
	path := filepath.Join(dir, name, "opset13.onnx")
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no torchvision export %s (set RRAMC_TORCHVISION_DIR; testmodels/torchvision_export.py writes them)", path)
	}
	m, err := onnx.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	x, err := dataset.ReadNPY(filepath.Join(dir, name, "input.npy"))
	if err != nil {
		b.Fatal(err)
	}
	return m, x
}

// BenchmarkTorchvisionFloat times the float32 interpreter on one image
// (batch 1) of ResNet-50 and MobileNetV3-large; the same workloads as
// testmodels/bench's resnet50 and mobilenetv3, which compares them with
// onnxruntime.
func BenchmarkTorchvisionFloat(b *testing.B) {
	for _, name := range benchTorchvision {
		b.Run(name, func(b *testing.B) {
			m, x := loadBenchTorchvision(b, name)
			opt, err := passes.Optimize(m)
			if err != nil {
				b.Fatal(err)
			}
			p, err := interp.NewModelProgram(opt)
			if err != nil {
				b.Fatal(err)
			}
			in := map[string]*importer.Tensor{p.Inputs()[0].Name: x}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTorchvisionMap times mapping ResNet-50 and MobileNetV3-large
// (8-bit weights per channel) onto the default crossbars with colsim
// (max-share 2), and with dense as the reference the ratio is read against.
func BenchmarkTorchvisionMap(b *testing.B) {
	for _, name := range benchTorchvision {
		b.Run(name, func(b *testing.B) {
			m, x := loadBenchTorchvision(b, name)
			opt, err := passes.Optimize(m)
			if err != nil {
				b.Fatal(err)
			}
			cfg := quant.DefaultConfig()
			cfg.WBits, cfg.ABits, cfg.PerChannel, cfg.Calib = 8, 8, true, 1
			net, err := quant.Quantize(opt, x, cfg)
			if err != nil {
				b.Fatal(err)
			}
			weights := 0
			for _, l := range net.Linears {
				weights += l.K * l.N
			}
			for _, opts := range []mapper.Options{{Scheme: "dense"}, {Scheme: "colsim", MaxShare: 2}} {
				b.Run(opts.Scheme, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := mapper.Map(net, mapper.DefaultGeometry(), opts); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(weights)/1e6, "Mweights")
				})
			}
		})
	}
}
