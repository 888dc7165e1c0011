package main

import (
	"fmt"
	"io"
	"os"
	"time"

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
	path  string
	model *hwsim.Model // nil when started from a mapping file
	ins   []importer.ValueInfo
	net   *quant.Network
	hw    hwsim.HW
	mp    *mapper.Mapping
	// seconds is the wall time of each stage run so far (load, quantize,
	// map or read), for sim's stage_seconds.
	seconds map[string]float64
}

// timed runs f and adds its wall time to st.seconds[name].
func (st *stages) timed(name string, f func() error) error {
	t0 := time.Now()
	err := f()
	if st.seconds == nil {
		st.seconds = map[string]float64{}
	}
	st.seconds[name] += time.Since(t0).Seconds()
	return err
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

// quantizeModel calibrates and quantizes m on the calibration data of df,
// printing a note when --calib asks for more samples than there are.
func quantizeModel(e *env, m *hwsim.Model, df *dataFlags, qf *quantFlags) (*quant.Network, error) {
	return quantizeModelFrom(e, m, df, qf, nil)
}

// quantizeModelFrom is quantizeModel for a caller that already opened the
// evaluation data (evalData, nil when not): when the calibration data is
// that same data, it is not read a second time.
func quantizeModelFrom(e *env, m *hwsim.Model, df *dataFlags, qf *quantFlags, evalData *hwsim.Feed) (*quant.Network, error) {
	if err := qf.cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	calib, err := df.calibration(m.Inputs, evalData)
	if err != nil {
		return nil, err
	}
	net, note, err := m.Quantize(calib, qf.cfg)
	if err != nil {
		return nil, err
	}
	if note != "" {
		fmt.Fprintf(e.stderr, "rramc: note: --%s\n", note)
	}
	return net, nil
}

// buildNetwork loads a model and quantizes it.
func buildNetwork(e *env, path string, df *dataFlags, qf *quantFlags) (*stages, error) {
	st := &stages{path: path}
	var m *hwsim.Model
	if err := st.timed("load", func() (err error) { m, err = openModel(path, &df.consts); return err }); err != nil {
		return nil, err
	}
	var net *quant.Network
	if err := st.timed("quantize", func() (err error) { net, err = quantizeModel(e, m, df, qf); return err }); err != nil {
		return nil, err
	}
	st.model, st.ins, st.net = m, m.Inputs, net
	return st, nil
}

// buildMapping runs the pipeline up to the mapping: from a model (quantize
// and map) or from a mapping file (read; the geometry is the file's).
func buildMapping(e *env, path string, df *dataFlags, qf *quantFlags, hf *hwFlags) (*stages, error) {
	hw, err := hf.hardware()
	if err != nil {
		return nil, err
	}
	if isMappingFile(path) {
		if len(df.consts.vals) > 0 {
			return nil, usagef("--const %s: %s is a mapping file, whose inputs were fixed when it was mapped: --const applies to an ONNX model", df.consts.vals[0], path)
		}
		st := &stages{path: path}
		var mp *mapper.Mapping
		if err := st.timed("read", func() (err error) { mp, err = mapper.ReadFile(path); return err }); err != nil {
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
		st.ins, st.net, st.hw, st.mp = hwsim.NetInputs(mp.Net), mp.Net, hw, mp
		return st, nil
	}
	st, err := buildNetwork(e, path, df, qf)
	if err != nil {
		return nil, err
	}
	opts, err := hf.mapOptions()
	if err != nil {
		return nil, err
	}
	st.hw = hw
	if err := st.timed("map", func() (err error) { st.mp, err = mapperMap(st, opts); return err }); err != nil {
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

// checkOutputPath refuses an output path that is a directory, before any
// work is done.
func checkOutputPath(flag, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef("%s %s is a directory: give a file path", flag, path)
	}
	return nil
}

// checkInputFile checks a tensor read from path against the model input's
// declared rank and fixed dimensions, so that a mismatch is reported as a
// problem of the file (a batch of 3 for a model exported with a static
// batch of 2), not of the model.
func checkInputFile(path string, in importer.ValueInfo, x *importer.Tensor) error {
	if len(in.Shape) == 0 {
		return nil // rank unknown: the interpreter checks what it can
	}
	if len(x.Shape) != len(in.Shape) {
		return usagef("--input %s has shape %v; the model's input %q takes rank %d", path, x.Shape, in.Name, len(in.Shape))
	}
	for i, d := range in.Shape {
		if d.Value <= 0 || int64(x.Shape[i]) == d.Value {
			continue
		}
		if i == 0 {
			return usagef("--input %s holds a batch of %d; the model's input %q has a static batch and takes exactly %d per run: split the file",
				path, x.Shape[0], in.Name, d.Value)
		}
		return usagef("--input %s has shape %v; the model's input %q needs dimension %d = %d", path, x.Shape, in.Name, i, d.Value)
	}
	return nil
}

// openEvalData opens the labelled evaluation data for the stages' inputs
// and checks that the inputs take it.
func openEvalData(df *dataFlags, ins []importer.ValueInfo) (hwsim.Feed, error) {
	feed, err := df.openLabelled(ins)
	if err != nil {
		return hwsim.Feed{}, err
	}
	if err := feed.Fit(); err != nil {
		return hwsim.Feed{}, err
	}
	if err := df.shard.apply(df, feed); err != nil {
		return hwsim.Feed{}, err
	}
	return feed, nil
}
