package mapper

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/rramc/rramc/quant"
)

// resnet18Shapes are the (K, N) of ResNet-18's 21 Conv/Gemm layers
// (ImageNet, 11.69 M weights).
var resnet18Shapes = [][2]int{
	{3 * 49, 64},
	{576, 64}, {576, 64}, {576, 64}, {576, 64},
	{576, 128}, {1152, 128}, {64, 128}, {1152, 128}, {1152, 128},
	{1152, 256}, {2304, 256}, {128, 256}, {2304, 256}, {2304, 256},
	{2304, 512}, {4608, 512}, {256, 512}, {4608, 512}, {4608, 512},
	{512, 1000},
}

var (
	resnetOnce sync.Once
	resnetNet  *quant.Network
)

// resnet18Net is a network with ResNet-18's layer shapes, 8-bit weights and
// 50 % zero weights.
func resnet18Net() *quant.Network {
	resnetOnce.Do(func() {
		r := rand.New(rand.NewPCG(18, 18))
		var ls []*quant.Linear
		for i, s := range resnet18Shapes {
			ls = append(ls, randLinear(r, fmt.Sprintf("l%d", i), s[0], s[1], 1, 8, 0.5))
		}
		resnetNet = validNet(ls...)
	})
	return resnetNet
}

func BenchmarkMapResNet18(b *testing.B) {
	net := resnet18Net()
	weights := 0
	for _, l := range net.Linears {
		weights += l.K * l.N
	}
	for _, name := range SchemeNames() {
		for _, share := range []int{0, 2} {
			if share > 0 && !UsesMaxShare(name) {
				continue
			}
			b.Run(fmt.Sprintf("%s/share%d", name, share), func(b *testing.B) {
				var m *Mapping
				cpu0 := cpuTime()
				for b.Loop() {
					var err error
					m, err = Map(net, DefaultGeometry(), Options{Scheme: name, MaxShare: share})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				// CPU seconds (user+sys) per op: comparable on a loaded machine
				b.ReportMetric((cpuTime()-cpu0)/float64(b.N), "cpu-s/op")
				data, err := Encode(m)
				if err != nil {
					b.Fatal(err)
				}
				_, tot, err := m.Stats()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(weights)/1e6, "Mweights")
				blob, err := net.MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				// whole file, and the layout alone (without the network blob),
				// against the raw int8 weights (1 byte each)
				b.ReportMetric(float64(len(data))/float64(weights), "file/int8")
				b.ReportMetric(float64(len(data)-len(blob))/float64(weights), "layout/int8")
				b.ReportMetric(float64(tot.OUActivations), "OUact")
				b.ReportMetric(tot.CompressionRatio(), "cellratio")
			})
		}
	}
}

// BenchmarkEncodeDecode measures the mapping file of the colsim ResNet-18
// mapping.
func BenchmarkEncodeDecode(b *testing.B) {
	m, err := Map(resnet18Net(), DefaultGeometry(), Options{Scheme: "colsim", MaxShare: 2})
	if err != nil {
		b.Fatal(err)
	}
	data, err := Encode(m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := Encode(m); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(data)))
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(data); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(data)))
	})
}

// BenchmarkStatsResNet18 times Mapping.Stats (index models and the
// activation bound included) on the ResNet-18 shapes.
func BenchmarkStatsResNet18(b *testing.B) {
	net := resnet18Net()
	for _, name := range []string{"dense", "colsim"} {
		m, err := Map(net, DefaultGeometry(), Options{Scheme: name, MaxShare: 2})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := m.Stats(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
