package onnx

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnxpb"
)

// External data (ONNX "external_data"): a tensor's bytes live in another file
// named by the key "location", relative to the model's folder, optionally at
// "offset" for "length" bytes. The file is opened through an os.Root on the
// model's folder, which refuses absolute paths, ".." steps and symlinks that
// leave the folder, so a model can never make rramc read outside its own
// directory.

// externalRef is a parsed external_data entry list.
type externalRef struct {
	location string
	offset   int64
	length   int64 // -1 = to the end of the file
}

func parseExternal(tp *onnxpb.TensorProto) (externalRef, error) {
	ref := externalRef{length: -1}
	seen := map[string]bool{}
	for _, e := range tp.ExternalData {
		k, v := e.GetKey(), e.GetValue()
		if seen[k] {
			return ref, fmt.Errorf("external_data key %q appears twice", k)
		}
		seen[k] = true
		switch k {
		case "location":
			ref.location = v
		case "offset", "length":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return ref, fmt.Errorf("external_data %s %q is not a non-negative integer", k, v)
			}
			if k == "offset" {
				ref.offset = n
			} else {
				ref.length = n
			}
		}
		// "checksum" and unknown keys are ignored, as the ONNX spec allows.
	}
	if ref.location == "" {
		return ref, fmt.Errorf("external_data has no location")
	}
	return ref, nil
}

// readExternal returns the want bytes of tp's external data.
func (d *decoder) readExternal(tp *onnxpb.TensorProto, want int64, where string) ([]byte, error) {
	ref, err := parseExternal(tp)
	if err != nil {
		return nil, invalidf(d.file, where, "%v", err)
	}
	loc := filepath.FromSlash(ref.location)
	if !filepath.IsLocal(loc) {
		return nil, invalidf(d.file, where, "external data location %q is not inside the model's folder", ref.location)
	}
	loc = filepath.Clean(loc) // "a/../w.bin" names w.bin even when a does not exist
	if d.dir == "" {
		return nil, invalidf(d.file, where, "tensor uses external data file %q but no model folder was given", ref.location)
	}
	f, err := d.openExternal(loc)
	if err != nil {
		return nil, invalidErr(d.file, where, err, "cannot open external data %q", ref.location)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, invalidErr(d.file, where, err, "cannot stat external data %q", ref.location)
	}
	if !st.Mode().IsRegular() {
		return nil, invalidf(d.file, where, "external data %q is not a regular file", ref.location)
	}
	size := st.Size()
	if ref.offset > size {
		return nil, invalidf(d.file, where, "external data offset %d is past the end of %q (%d bytes)", ref.offset, ref.location, size)
	}
	length := ref.length
	if length < 0 {
		length = size - ref.offset
	}
	if length > size-ref.offset {
		return nil, invalidf(d.file, where, "external data %q has %d bytes after offset %d, length %d declared",
			ref.location, size-ref.offset, ref.offset, length)
	}
	if length != want {
		return nil, invalidf(d.file, where, "external data length is %d bytes, dims %v of %s need %d",
			length, tp.Dims, onnxTypeName(importer.DataType(tp.GetDataType())), want)
	}
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, ref.offset); err != nil && !(err == io.EOF && length == 0) {
		return nil, invalidErr(d.file, where, err, "cannot read external data %q", ref.location)
	}
	return buf, nil
}

// openExternal opens loc (already checked local) below d.dir, caching open
// files for the rest of the decode.
func (d *decoder) openExternal(loc string) (*os.File, error) {
	d.extMu.Lock()
	defer d.extMu.Unlock()
	if f, ok := d.ext[loc]; ok {
		return f, nil
	}
	if d.root == nil {
		r, err := os.OpenRoot(d.dir)
		if err != nil {
			return nil, err
		}
		d.root = r
	}
	// Stat first: opening a FIFO or device could block or have side effects.
	st, err := d.root.Stat(loc)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", loc)
	}
	f, err := d.root.Open(loc)
	if err != nil {
		return nil, err
	}
	if d.ext == nil {
		d.ext = map[string]*os.File{}
	}
	d.ext[loc] = f
	return f, nil
}

// closeExternal releases the files openExternal opened.
func (d *decoder) closeExternal() {
	d.extMu.Lock()
	defer d.extMu.Unlock()
	for _, f := range d.ext {
		f.Close()
	}
	d.ext = nil
	if d.root != nil {
		d.root.Close()
		d.root = nil
	}
}
