package dataset

import "image"

// JPEG color the way libjpeg (PIL's decoder, hence torchvision's) produces
// it: Go's image/jpeg returns the Y, Cb and Cr planes as stored, and
// image.YCbCr's own conversion replicates subsampled chroma and rounds
// differently. libjpeg interpolates subsampled chroma by default ("fancy
// upsampling", a triangle filter) and converts with fixed-point tables
// (jdsample.c, jdcolor.c); both are reproduced here. What remains is the
// inverse DCT, which differs between the two decoders by at most a unit or
// two per sample.

// ycbcrPlanes converts a decoded JPEG to RGB planes as libjpeg does, for
// 4:4:4, 4:2:2 and 4:2:0 chroma; ok is false for other subsamplings (the
// caller falls back to Go's conversion).
func ycbcrPlanes(m *image.YCbCr) (p [3][]uint8, ok bool) {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	var hs, vs int // chroma subsampling factors
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio422:
		hs, vs = 2, 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	default:
		return p, false
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	plane := func(src []uint8, stride, x0, y0 int) []uint8 {
		out := make([]uint8, cw*ch)
		for y := range ch {
			copy(out[y*cw:(y+1)*cw], src[(y0+y)*stride+x0:])
		}
		return out
	}
	// Chroma planes start at the rectangle's origin scaled down.
	cx0, cy0 := b.Min.X/hs-m.Rect.Min.X/hs, b.Min.Y/vs-m.Rect.Min.Y/vs
	cb := upsample(plane(m.Cb, m.CStride, cx0, cy0), cw, ch, w, h, hs, vs)
	cr := upsample(plane(m.Cr, m.CStride, cx0, cy0), cw, ch, w, h, hs, vs)
	var crR, cbB, crG, cbG [256]int32
	const scale = 16
	fix := func(x float64) int32 { return int32(x*(1<<scale) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + 1<<(scale-1)) >> scale
		cbB[i] = (fix(1.77200)*x + 1<<(scale-1)) >> scale
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + 1<<(scale-1)
	}
	clamp := func(v int32) uint8 { return uint8(min(max(v, 0), 255)) }
	for c := range p {
		p[c] = make([]uint8, w*h)
	}
	for y := range h {
		yrow := m.Y[y*m.YStride:]
		for x := range w {
			i := y*w + x
			yy, u, v := int32(yrow[x]), cb[i], cr[i]
			p[0][i] = clamp(yy + crR[v])
			p[1][i] = clamp(yy + (cbG[u]+crG[v])>>scale)
			p[2][i] = clamp(yy + cbB[u])
		}
	}
	return p, true
}

// upsample expands a cw×ch chroma plane to w×h by libjpeg's fancy
// upsampling: h2v1 (hs 2, vs 1) and h2v2 (hs 2, vs 2) triangle filters
// with its rounding biases, identity for 4:4:4.
func upsample(c []uint8, cw, ch, w, h, hs, vs int) []uint8 {
	if hs == 1 && vs == 1 {
		return c
	}
	at := func(x, y int) int32 { // edge rows and columns replicated
		return int32(c[min(max(y, 0), ch-1)*cw+min(max(x, 0), cw-1)])
	}
	// Full output rows are 2*cw wide; the image keeps its first w.
	out := make([]uint8, w*h)
	row := make([]int32, 2*cw)
	for oy := range h {
		if vs == 1 {
			for x := range cw {
				v := at(x, oy) * 3
				if x == 0 {
					row[0] = at(0, oy)
				} else {
					row[2*x] = (v + at(x-1, oy) + 1) >> 2
				}
				if x == cw-1 {
					row[2*x+1] = at(x, oy)
				} else {
					row[2*x+1] = (v + at(x+1, oy) + 2) >> 2
				}
			}
		} else {
			// Nearest chroma row and the next nearest (above for even
			// output rows, below for odd ones).
			cy := oy / 2
			ny := cy - 1
			if oy%2 == 1 {
				ny = cy + 1
			}
			sum := func(x int) int32 { return at(x, cy)*3 + at(x, ny) }
			for x := range cw {
				this := sum(x)
				if x == 0 {
					row[0] = (this*4 + 8) >> 4
				} else {
					row[2*x] = (this*3 + sum(x-1) + 8) >> 4
				}
				if x == cw-1 {
					row[2*x+1] = (this*4 + 7) >> 4
				} else {
					row[2*x+1] = (this*3 + sum(x+1) + 7) >> 4
				}
			}
		}
		for x := range w {
			out[oy*w+x] = uint8(row[x])
		}
	}
	return out
}
