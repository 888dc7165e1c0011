package dataset

import (
	"image"
	"image/color"
	_ "image/jpeg" // JPEG decoder for image folders
	_ "image/png"  // PNG decoder for image folders
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// folderFormat: an ImageNet-style directory, one subdirectory per class
// (classes numbered in sorted name order), PNG and JPEG images in them (at
// any depth), as torchvision's ImageFolder reads it. Each image is converted
// to RGB, its shorter side resized to Spec.Resize with PIL's antialiased
// bilinear filter, center-cropped to the model's input size and normalized:
// torchvision's Resize, CenterCrop, ToTensor and Normalize on PIL images.
var folderFormat = format{
	name:      "folder",
	detect:    func(path string, head []byte, isDir bool) bool { return isDir },
	open:      openFolder,
	ownLabels: true,
}

// folderExts are the files ImageFolder takes (torchvision's
// IMG_EXTENSIONS) and whether Go's image packages decode them here; a file
// rramc cannot decode is refused, never skipped, so the samples are the
// ones torchvision sees.
var folderExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true,
	".ppm": false, ".bmp": false, ".pgm": false, ".tif": false, ".tiff": false, ".webp": false}

// maxFolderImages bounds the files listed, so a wrong directory (a home
// directory) fails fast instead of listing the disk.
const maxFolderImages = 10_000_000

func openFolder(root string, spec Spec) (Source, error) {
	if spec.Resize < 0 {
		return nil, invalidf("resize %d: must be >= 0", spec.Resize)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range ents {
		if e.IsDir() {
			classes = append(classes, e.Name())
		}
	}
	slices.Sort(classes) // byte order of UTF-8 = Python's code-point order
	if len(classes) == 0 {
		return nil, invalidf("%s: no class subdirectories", root)
	}
	var files []string
	var labels []int
	for ci, cls := range classes {
		// ImageFolder walks each class with sorted(os.walk(...)): files
		// grouped by directory, directories in path-string order, files
		// sorted within each.
		byDir := map[string][]string{}
		err := filepath.WalkDir(filepath.Join(root, cls), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			ext := strings.ToLower(filepath.Ext(p))
			decodable, isImage := folderExts[ext]
			if !isImage {
				return nil
			}
			if !decodable {
				return invalidf("%s: %s images are not supported (PNG and JPEG are)", p, ext)
			}
			dir := filepath.Dir(p)
			byDir[dir] = append(byDir[dir], filepath.Base(p))
			if len(files)+len(byDir) > maxFolderImages {
				return invalidf("%s: more than %d images", root, maxFolderImages)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		dirs := make([]string, 0, len(byDir))
		for d := range byDir {
			dirs = append(dirs, d)
		}
		slices.Sort(dirs)
		for _, d := range dirs {
			names := byDir[d]
			slices.Sort(names)
			for _, n := range names {
				files = append(files, filepath.Join(d, n))
				labels = append(labels, ci)
			}
		}
	}
	if len(files) == 0 {
		return nil, invalidf("%s: no PNG or JPEG images in its class subdirectories", root)
	}
	resize := spec.Resize
	return &imageSource{name: root, n: len(files), labels: labels, norm: spec.Norm.orDefault(DefaultNorm), c: 3,
		pixels: func(start, n, h, w int) ([]uint8, error) {
			out := make([]uint8, n*3*h*w)
			errs := make([]error, n)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 4)
			for i := range n {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					errs[i] = loadFolderImage(files[start+i], resize, h, w, out[i*3*h*w:(i+1)*3*h*w])
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return nil, err
				}
			}
			return out, nil
		}}, nil
}

// loadFolderImage decodes path, resizes and crops it to h×w and writes its
// RGB planes to dst.
func loadFolderImage(path string, resize, h, w int, dst []uint8) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return invalidf("%s: %v", path, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 1<<15 || cfg.Height > 1<<15 || cfg.Width*cfg.Height > 1<<28 {
		return invalidf("%s: image size %d×%d out of range", path, cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return invalidf("%s: %v", path, err)
	}
	if resize == 0 {
		resize = int(math.Round(float64(min(h, w)) / 0.875))
	}
	planes, ok := [3][]uint8{}, false
	if yc, isYCbCr := img.(*image.YCbCr); isYCbCr {
		planes, ok = ycbcrPlanes(yc) // JPEG: libjpeg's chroma upsampling and colors
	}
	if !ok {
		planes = rgbPlanes(img)
	}
	iw, ih := img.Bounds().Dx(), img.Bounds().Dy()
	ow, oh := resizedSize(iw, ih, resize)
	for c := range 3 {
		p := resizePlane(planes[c], iw, ih, ow, oh)
		centerCrop(p, ow, oh, w, h, dst[c*h*w:(c+1)*h*w])
	}
	return nil
}

// rgbPlanes converts img to three 8-bit planes as PIL's convert("RGB")
// does: alpha is dropped (not composited), gray is replicated, 16-bit
// samples keep their high byte.
func rgbPlanes(img image.Image) [3][]uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var p [3][]uint8
	for c := range p {
		p[c] = make([]uint8, w*h)
	}
	for y := range h {
		for x := range w {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			i := y*w + x
			p[0][i], p[1][i], p[2][i] = c.R, c.G, c.B
		}
	}
	return p
}

// resizedSize is torchvision's Resize(size) output for an int size: the
// shorter side becomes size, the longer int(size*long/short).
func resizedSize(w, h, size int) (int, int) {
	if w <= h {
		return size, int(float64(size) * float64(h) / float64(w))
	}
	return int(float64(size) * float64(w) / float64(h)), size
}

// PIL's 8-bit resampling (Resample.c): coefficients in fixed point with
// precisionBits fraction bits, a horizontal then a vertical pass, each
// rounded and clipped to 8 bits. Reproduced exactly so that images equal
// torchvision's on PIL bit for bit.
const precisionBits = 32 - 8 - 2

// resampleCoeffs computes PIL's bilinear (triangle) filter taps for
// resizing inSize to outSize: bounds (first tap, tap count) per output and
// fixed-point weights, ksize per output.
func resampleCoeffs(inSize, outSize int) (bounds []int, kk []int32, ksize int) {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1.0)
	support := 1.0 * filterscale // bilinear support is 1
	ksize = int(math.Ceil(support))*2 + 1
	bounds = make([]int, 2*outSize)
	kk = make([]int32, outSize*ksize)
	k := make([]float64, ksize)
	for xx := range outSize {
		center := (float64(xx) + 0.5) * scale
		ww := 0.0
		ss := 1.0 / filterscale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		for x := range xmax {
			t := math.Abs((float64(x+xmin) - center + 0.5) * ss)
			wgt := 0.0
			if t < 1 {
				wgt = 1 - t
			}
			k[x] = wgt
			ww += wgt
		}
		for x := range xmax {
			if ww != 0 {
				k[x] /= ww
			}
			v := k[x] * (1 << precisionBits)
			if v < 0 {
				kk[xx*ksize+x] = int32(-0.5 + v)
			} else {
				kk[xx*ksize+x] = int32(0.5 + v)
			}
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	return bounds, kk, ksize
}

func clip8(v int32) uint8 {
	if v >= 1<<precisionBits<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> precisionBits)
}

// resizePlane resizes one w×h plane to ow×oh as PIL's Image.resize with
// BILINEAR does for 8-bit images.
func resizePlane(src []uint8, w, h, ow, oh int) []uint8 {
	if w == ow && h == oh {
		return src
	}
	cur, cw, ch := src, w, h
	if ow != w {
		bounds, kk, ks := resampleCoeffs(w, ow)
		out := make([]uint8, ow*h)
		for y := range h {
			row := cur[y*cw : (y+1)*cw]
			for xx := range ow {
				xmin, xmax := bounds[2*xx], bounds[2*xx+1]
				k := kk[xx*ks:]
				ss := int32(1) << (precisionBits - 1)
				for x := range xmax {
					ss += int32(row[x+xmin]) * k[x]
				}
				out[y*ow+xx] = clip8(ss)
			}
		}
		cur, cw = out, ow
	}
	if oh != ch {
		bounds, kk, ks := resampleCoeffs(ch, oh)
		out := make([]uint8, cw*oh)
		for yy := range oh {
			ymin, ymax := bounds[2*yy], bounds[2*yy+1]
			k := kk[yy*ks:]
			for x := range cw {
				ss := int32(1) << (precisionBits - 1)
				for y := range ymax {
					ss += int32(cur[(y+ymin)*cw+x]) * k[y]
				}
				out[yy*cw+x] = clip8(ss)
			}
		}
		cur = out
	}
	return cur
}

// centerCrop writes the cw×ch center of a w×h plane to dst as torchvision's
// CenterCrop does: offsets round half to even (Python's round), and an
// image smaller than the crop is first padded with zeros.
func centerCrop(src []uint8, w, h, cw, ch int, dst []uint8) {
	// Padding (left, top) of a smaller image, as CenterCrop computes it.
	padL, padT := 0, 0
	if cw > w {
		padL = (cw - w) / 2
	}
	if ch > h {
		padT = (ch - h) / 2
	}
	pw, ph := max(w, cw), max(h, ch)
	top := int(math.RoundToEven(float64(ph-ch) / 2))
	left := int(math.RoundToEven(float64(pw-cw) / 2))
	for y := range ch {
		for x := range cw {
			sy, sx := y+top-padT, x+left-padL
			var v uint8
			if sy >= 0 && sy < h && sx >= 0 && sx < w {
				v = src[sy*w+sx]
			}
			dst[y*cw+x] = v
		}
	}
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
