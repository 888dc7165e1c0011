package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rramc/rramc/importer"
)

// naiveConv is direct convolution from the ONNX definition, in float64,
// with explicit pads (the test computes SAME pads independently).
func naiveConv(x []float32, n, c, h, w int, wt []float32, m, kh, kw int, bias []float32,
	group, sh, sw, dh, dw, pt, pl, oh, ow int) []float32 {
	out := make([]float32, n*m*oh*ow)
	cg, mg := c/group, m/group
	for b := 0; b < n; b++ {
		for oc := 0; oc < m; oc++ {
			g := oc / mg
			for y := 0; y < oh; y++ {
				for z := 0; z < ow; z++ {
					s := 0.0
					if bias != nil {
						s = float64(bias[oc])
					}
					for ic := 0; ic < cg; ic++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy := y*sh - pt + ky*dh
								ix := z*sw - pl + kx*dw
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								xv := x[((b*c+g*cg+ic)*h+iy)*w+ix]
								wv := wt[((oc*cg+ic)*kh+ky)*kw+kx]
								s += float64(xv) * float64(wv)
							}
						}
					}
					out[((b*m+oc)*oh+y)*ow+z] = float32(s)
				}
			}
		}
	}
	return out
}

// sameOut computes output size and begin pad for SAME auto_pad from the
// definition "output = ceil(in/stride)" independently of convAxis.
func sameOut(in, k, s, d int, upper bool) (out, begin int) {
	out = int(math.Ceil(float64(in) / float64(s)))
	total := (out-1)*s + (k-1)*d + 1 - in
	if total < 0 {
		total = 0
	}
	if upper {
		return out, total / 2
	}
	return out, (total + 1) / 2
}

func TestConvAgainstDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 150; trial++ {
		group := []int{1, 1, 2, 3}[r.IntN(4)]
		cg := 1 + r.IntN(3)
		mg := 1 + r.IntN(4)
		depthwise := trial%10 == 0
		if depthwise {
			cg, mg = 1, 1
			group = 1 + r.IntN(8)
		}
		c, m := cg*group, mg*group
		n := 1 + r.IntN(3)
		kh, kw := 1+r.IntN(4), 1+r.IntN(4)
		sh, sw := 1+r.IntN(3), 1+r.IntN(3)
		dh, dw := 1+r.IntN(2), 1+r.IntN(2)
		h := (kh-1)*dh + 1 + r.IntN(9)
		w := (kw-1)*dw + 1 + r.IntN(9)
		autoPad := []string{"NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}[r.IntN(5)]
		pads := []int64{int64(r.IntN(3)), int64(r.IntN(3)), int64(r.IntN(3)), int64(r.IntN(3))} // asymmetric
		var oh, ow, pt, pl int
		switch autoPad {
		case "NOTSET":
			pt, pl = int(pads[0]), int(pads[1])
			oh = (h+int(pads[0]+pads[2])-(kh-1)*dh-1)/sh + 1
			ow = (w+int(pads[1]+pads[3])-(kw-1)*dw-1)/sw + 1
		case "VALID":
			oh = (h-(kh-1)*dh-1)/sh + 1
			ow = (w-(kw-1)*dw-1)/sw + 1
		default:
			oh, pt = sameOut(h, kh, sh, dh, autoPad == "SAME_UPPER")
			ow, pl = sameOut(w, kw, sw, dw, autoPad == "SAME_UPPER")
		}
		x := randSlice(r, n*c*h*w)
		wt := randSlice(r, m*cg*kh*kw)
		var bias []float32
		if r.IntN(2) == 0 {
			bias = randSlice(r, m)
		}
		want := naiveConv(x, n, c, h, w, wt, m, kh, kw, bias, group, sh, sw, dh, dw, pt, pl, oh, ow)
		attrs := attrMap(aInt("group", int64(group)), aInts("strides", int64(sh), int64(sw)),
			aInts("dilations", int64(dh), int64(dw)), aStr("auto_pad", autoPad), aInts("kernel_shape", int64(kh), int64(kw)))
		if autoPad == "NOTSET" {
			attrs["pads"] = aInts("pads", pads...)
		}
		ins := []*importer.Tensor{importer.NewFloat([]int{n, c, h, w}, x), importer.NewFloat([]int{m, cg, kh, kw}, wt)}
		if bias != nil {
			ins = append(ins, importer.NewFloat([]int{m}, bias))
		}
		name := fmt.Sprintf("%d/n%d_c%d_m%d_g%d_%dx%d_k%dx%d_s%dx%d_d%dx%d_%s_%v", trial, n, c, m, group, h, w, kh, kw, sh, sw, dh, dw, autoPad, pads)
		for _, constW := range []bool{false, true} {
			run := runOp
			if constW {
				run = runOpConst
			}
			got, err := run(t, 13, "Conv", attrs, ins...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := tensorsClose(got, importer.NewFloat([]int{n, m, oh, ow}, want), 1e-5); err != nil {
				t.Fatalf("%s constW=%v: %v", name, constW, err)
			}
		}
	}
}

// The batch split across goroutines must not change any bit of the result.
func TestConvDeterministicAcrossThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := importer.NewFloat([]int{5, 3, 17, 19}, randSlice(r, 5*3*17*19))
	w := importer.NewFloat([]int{20, 3, 3, 3}, randSlice(r, 20*27))
	b := importer.NewFloat([]int{20}, randSlice(r, 20))
	attrs := attrMap(aInts("pads", 1, 1, 1, 1))
	var ref *importer.Tensor
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for _, procs := range []int{1, 2, 3, 4} {
		runtime.GOMAXPROCS(procs)
		for _, batch := range []int{5, 1} {
			xb := importer.NewFloat(append([]int{batch}, x.Shape[1:]...), x.Float[:batch*3*17*19])
			got, err := runOpConst(t, 13, "Conv", attrs, xb, w, b)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = got
			}
			for i := range got.Float {
				if got.Float[i] != ref.Float[i] {
					t.Fatalf("GOMAXPROCS=%d batch=%d: element %d = %v, want %v", procs, batch, i, got.Float[i], ref.Float[i])
				}
			}
		}
	}
}

// naivePool is max/average pooling from the definition with explicit pads.
func naivePool(x []float32, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow int, isMax, includePad bool) []float32 {
	out := make([]float32, oh*ow)
	for y := 0; y < oh; y++ {
		for z := 0; z < ow; z++ {
			m := math.Inf(-1)
			s, cnt := 0.0, 0
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					iy, ix := y*sh-pt+ky*dh, z*sw-pl+kx*dw
					if iy >= 0 && iy < h && ix >= 0 && ix < w {
						v := float64(x[iy*w+ix])
						m = math.Max(m, v)
						s += v
						cnt++
					} else if includePad && iy >= -pt && iy < h+pb && ix >= -pl && ix < w+pr {
						cnt++
					}
				}
			}
			if isMax {
				out[y*ow+z] = float32(m)
			} else {
				out[y*ow+z] = float32(s / float64(cnt))
			}
		}
	}
	return out
}

func TestPoolAgainstDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 200; trial++ {
		isMax := trial%2 == 0
		includePad := r.IntN(2) == 0
		ceil := r.IntN(2) == 0
		kh, kw := 1+r.IntN(3), 1+r.IntN(3)
		sh, sw := 1+r.IntN(3), 1+r.IntN(3)
		dh, dw := 1, 1
		if isMax {
			dh, dw = 1+r.IntN(2), 1+r.IntN(2)
		}
		// Pads smaller than the kernel, as ONNX requires.
		pt, pl, pb, pr := r.IntN(kh), r.IntN(kw), r.IntN(kh), r.IntN(kw)
		h := (kh-1)*dh + 1 + r.IntN(7)
		w := (kw-1)*dw + 1 + r.IntN(7)
		size := func(in, k, s, d, p0, p1 int) int {
			span := float64(in+p0+p1-(k-1)*d-1) / float64(s)
			if !ceil {
				return int(math.Floor(span)) + 1
			}
			o := int(math.Ceil(span)) + 1
			if (o-1)*s >= in+p0 {
				o--
			}
			return o
		}
		oh, ow := size(h, kh, sh, dh, pt, pb), size(w, kw, sw, dw, pl, pr)
		x := randSlice(r, 2*h*w)
		want := append(naivePool(x[:h*w], h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow, isMax, includePad),
			naivePool(x[h*w:], h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow, isMax, includePad)...)
		op := "AveragePool"
		attrs := attrMap(aInts("kernel_shape", int64(kh), int64(kw)), aInts("strides", int64(sh), int64(sw)),
			aInts("pads", int64(pt), int64(pl), int64(pb), int64(pr)), aInt("ceil_mode", b2i(ceil)))
		if isMax {
			op = "MaxPool"
			attrs["dilations"] = aInts("dilations", int64(dh), int64(dw))
		} else {
			attrs["count_include_pad"] = aInt("count_include_pad", b2i(includePad))
		}
		got, err := runOp(t, 13, op, attrs, importer.NewFloat([]int{1, 2, h, w}, x))
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if err := tensorsClose(got, importer.NewFloat([]int{1, 2, oh, ow}, want), 1e-6); err != nil {
			t.Fatalf("trial %d %s %+v: %v", trial, op, attrs, err)
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Im2col over int32 codes with a non-zero pad value (the quantizer's use).
func TestIm2colGenericPad(t *testing.T) {
	g, err := NewConvGeometry(1, 2, 2, 1, ConvParams{KernelH: 2, KernelW: 2, Pads: [4]int{1, 1, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if g.OutH != 2 || g.OutW != 2 || g.K() != 4 || g.P() != 4 {
		t.Fatalf("geometry %+v", g)
	}
	src := []int32{1, 2, 3, 4}
	dst := make([]int32, g.K()*g.P())
	Im2col(&g, src, dst, -7)
	want := []int32{
		-7, -7, -7, 1, // kh0 kw0
		-7, -7, 1, 2, // kh0 kw1
		-7, 1, -7, 3, // kh1 kw0
		1, 2, 3, 4, // kh1 kw1
	}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("im2col = %v, want %v", dst, want)
		}
	}
}

// Kernels that reach past a small input on both sides (issue 10's crash:
// im2colRow formed a slice with a negative start): 1×1 map with a 5×5
// kernel and pads 2, 1-D Conv of length 1, strided and dilated variants,
// checked against the direct convolution.
func TestConvKernelLargerThanInput(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		name                 string
		oneD                 bool
		h, w, kh, kw         int
		sh, sw, dh, dw       int
		pt, pl, pb, pr, c, m int
	}{
		{"1x1 k5x5 p2", false, 1, 1, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 3, 4},
		{"1-D len1 k5 p2", true, 1, 1, 1, 5, 1, 1, 1, 1, 0, 2, 0, 2, 2, 3},
		{"1-D len1 k3 p1", true, 1, 1, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1},
		{"2x2 k5x5 p2 s2", false, 2, 2, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 2, 2},
		{"1x3 k3x7 p1,3 d1,2", false, 1, 3, 3, 7, 1, 1, 1, 2, 1, 6, 1, 6, 1, 2},
		{"3x1 k7x7 p3 s3", false, 3, 1, 7, 7, 3, 3, 1, 1, 3, 3, 3, 3, 2, 1},
		{"1x1 k5x5 p4,0,0,4", false, 1, 1, 5, 5, 1, 1, 1, 1, 4, 0, 0, 4, 1, 1},
	}
	for _, tc := range cases {
		oh := (tc.h+tc.pt+tc.pb-(tc.kh-1)*tc.dh-1)/tc.sh + 1
		ow := (tc.w+tc.pl+tc.pr-(tc.kw-1)*tc.dw-1)/tc.sw + 1
		x := randSlice(r, tc.c*tc.h*tc.w)
		wt := randSlice(r, tc.m*tc.c*tc.kh*tc.kw)
		want := naiveConv(x, 1, tc.c, tc.h, tc.w, wt, tc.m, tc.kh, tc.kw, nil, 1, tc.sh, tc.sw, tc.dh, tc.dw, tc.pt, tc.pl, oh, ow)
		xs, ws, os := []int{1, tc.c, tc.h, tc.w}, []int{tc.m, tc.c, tc.kh, tc.kw}, []int{1, tc.m, oh, ow}
		attrs := attrMap(aInts("strides", int64(tc.sh), int64(tc.sw)), aInts("dilations", int64(tc.dh), int64(tc.dw)),
			aInts("pads", int64(tc.pt), int64(tc.pl), int64(tc.pb), int64(tc.pr)))
		if tc.oneD {
			xs, ws, os = []int{1, tc.c, tc.w}, []int{tc.m, tc.c, tc.kw}, []int{1, tc.m, ow}
			attrs = attrMap(aInts("strides", int64(tc.sw)), aInts("dilations", int64(tc.dw)), aInts("pads", int64(tc.pl), int64(tc.pr)))
		}
		for _, constW := range []bool{false, true} {
			run := runOp
			if constW {
				run = runOpConst
			}
			got, err := run(t, 13, "Conv", attrs, importer.NewFloat(xs, x), importer.NewFloat(ws, wt))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if err := tensorsClose(got, importer.NewFloat(os, want), 1e-5); err != nil {
				t.Fatalf("%s constW=%v: %v", tc.name, constW, err)
			}
		}
	}
}
