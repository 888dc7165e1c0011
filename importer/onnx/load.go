package onnx

import (
	"io"
	"os"
	"path/filepath"

	"github.com/rramc/rramc/importer"
)

// maxModelFileSize is protobuf's own limit on one message (2 GiB); ONNX
// models larger than that must use external data anyway.
const maxModelFileSize = 1<<31 - 1

// Load reads and decodes the ONNX model file at path. External data files
// are resolved in the model's folder and may not leave it. Errors caused by
// the file's content (and a missing or unreadable file) wrap ErrInvalidModel.
func Load(path string) (*importer.Model, error) {
	data, err := readProtoFile(path, "model")
	if err != nil {
		return nil, err
	}
	m, err := decodeModel(data, filepath.Dir(path), path)
	if err != nil {
		return nil, err
	}
	m.Path = path
	return m, nil
}

// readProtoFile reads a whole protobuf file (what names it in errors),
// refusing what is not a regular file or exceeds protobuf's 2 GiB limit
// before allocating for it.
func readProtoFile(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, invalidErr(path, "", err, "cannot open %s", what)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, invalidErr(path, "", err, "cannot stat %s", what)
	}
	if !st.Mode().IsRegular() {
		return nil, invalidf(path, "", "not a regular file")
	}
	if st.Size() > maxModelFileSize {
		return nil, invalidf(path, "", "file has %d bytes, more than protobuf's 2 GiB limit", st.Size())
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, invalidErr(path, "", err, "cannot read %s", what)
	}
	return data, nil
}

// Decode decodes an ONNX model from data. dir is the folder external data
// files are resolved in ("" refuses models with external data). Bad input
// gives an error wrapping ErrInvalidModel.
func Decode(data []byte, dir string) (*importer.Model, error) {
	return decodeModel(data, dir, "")
}
