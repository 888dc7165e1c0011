package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

func init() {
	badInputErrors = append(badInputErrors, mapper.ErrCorruptFile, quant.ErrCorrupt)
}

// stages is what the pipeline built for one model: each later command uses
// the prefix it needs.
type stages struct {
	path string
	prog *importer.Program // nil when started from a mapping file
	src  *source
	net  *quant.Network
	hw   hwsim.HW
	mp   *mapper.Mapping
}

// isMappingFile tells a mapping file from an ONNX model by its magic, not
// its name.
func isMappingFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false // Load reports the error with its own context
	}
	defer f.Close()
	var magic [8]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "RRAMCMAP" // mapper's file magic (mapper/doc.go)
}

// buildNetwork loads a model, opens the data for it and quantizes it.
func buildNetwork(path string, df *dataFlags, qf *quantFlags) (*stages, error) {
	m, prog, err := loadProgram(path)
	if err != nil {
		return nil, err
	}
	in := prog.Inputs()[0]
	src, err := df.open(in)
	if err != nil {
		return nil, err
	}
	net, err := qf.quantize(m, df, src, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &stages{path: path, prog: prog, src: src, net: net}, nil
}

// buildMapping runs the pipeline up to the mapping: from a model (quantize
// and map) or from a mapping file (read; the geometry is the file's).
func buildMapping(path string, df *dataFlags, qf *quantFlags, hf *hwFlags) (*stages, error) {
	hw, err := hf.hardware()
	if err != nil {
		return nil, err
	}
	if isMappingFile(path) {
		mp, err := mapper.ReadFile(path)
		if err != nil {
			return nil, err
		}
		g := mp.Geometry
		if (hf.xbar != "" || hf.ou != "") && g != hw.Geometry {
			return nil, usagef("%s was mapped for %s; --xbar/--ou ask for %s: map the model again", path, g, hw.Geometry)
		}
		hw.XbarRows, hw.XbarCols, hw.OURows, hw.OUCols, hw.CellBits = g.XbarRows, g.XbarCols, g.OURows, g.OUCols, g.CellBits
		if err := hw.Validate(); err != nil {
			return nil, err
		}
		in := mp.Net.Values[mp.Net.Input]
		dims := []importer.Dim{{Param: "batch"}}
		for _, d := range in.Shape {
			dims = append(dims, importer.Dim{Value: int64(d)})
		}
		src, err := df.open(importer.ValueInfo{Name: mp.Net.InputName, DType: importer.Float, Shape: dims})
		if err != nil {
			return nil, err
		}
		return &stages{path: path, src: src, net: mp.Net, hw: hw, mp: mp}, nil
	}
	st, err := buildNetwork(path, df, qf)
	if err != nil {
		return nil, err
	}
	opts, err := hf.mapOptions()
	if err != nil {
		return nil, err
	}
	st.hw = hw
	if st.mp, err = mapperMap(st, opts); err != nil {
		return nil, err
	}
	return st, nil
}

// mapperMap maps the stages' network with the stages' hardware geometry.
func mapperMap(st *stages, o mapper.Options) (*mapper.Mapping, error) {
	mp, err := mapper.Map(st.net, st.hw.Geometry, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.path, err)
	}
	return mp, nil
}
