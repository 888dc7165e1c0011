package sweep

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/quant"
)

// ModelSpec is one network of a sweep with settings of its own: its test
// data (a CIFAR network beside MNIST ones), and its fine-tuned sparse
// versions (a model family).
type ModelSpec struct {
	// Path is the ONNX file; Name the name shown in tables (default: the
	// file name without extension).
	Path string
	Name string
	// Sparse are fine-tuned sparse versions of Path (pruned and retrained
	// elsewhere, e.g. testmodels/train.py --sparse). They form the network
	// Name+FinetunedSuffix, swept at the ratio its weights' sparsity gives
	// (SparsityOf) and never pruned further, so its accuracy stands beside
	// the one-shot pruning of Path at the same ratio.
	Sparse []string
	// Data, Labels, Mean, Std, Resize and Limit replace the Config's data
	// settings for this network when set (Data "" = the Config's data and
	// preprocessing; Limit 0 = the Config's).
	Data, Labels string
	Mean, Std    []float32
	Resize       int
	Limit        int
	// Note says where the network and its data come from, for RESULTS.md
	// (ModelInfo.Note).
	Note string
}

// FinetunedSuffix names the network of a model family's fine-tuned sparse
// versions: "lenet5" pruned one-shot at each ratio, "lenet5_ft" the
// fine-tuned file of each ratio.
const FinetunedSuffix = "_ft"

// sweptModel is one network of the grid as Jobs enumerates it.
type sweptModel struct {
	info ModelInfo
	// files holds one model file per ratio when the network is a family's
	// fine-tuned versions (ratio = measured sparsity); nil for an ordinary
	// network, pruned one-shot at every ratio of the grid.
	files  []familyMember
	data   pointData
	limit  int
	finetd bool
}

type familyMember struct {
	path, sha string
	ratio     float64
}

// pointData is the resolved test data of a network.
type pointData struct {
	data, labels string
	mean, std    Floats
	resize       int
	hash         string
}

// resolveData fills in the defaults of a data specification and checks it.
func resolveData(data, labels string, mean, std []float32, resize int) (pointData, error) {
	if data == "" {
		data = "mnist"
	}
	m, s := Floats(mean), Floats(std)
	if data == "mnist" && len(m) == 0 && len(s) == 0 {
		m, s = Floats{DefaultMean}, Floats{DefaultStd}
	}
	for _, v := range append(slices.Clone(m), s...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return pointData{}, invalidf("data %s: preprocessing mean %v std %v: values must be finite", data, m, s)
		}
	}
	for _, v := range s {
		if v == 0 {
			return pointData{}, invalidf("data %s: preprocessing std %v: must be non-zero", data, s)
		}
	}
	// The data's contents are part of a point's identity, like the
	// model's: changed data at the same path is a different point.
	hash, err := dataset.Fingerprint(dataset.Spec{Data: data, Labels: labels})
	if err != nil {
		return pointData{}, fmt.Errorf("sweep: %w: data %q: %w", ErrInvalidConfig, data, err)
	}
	return pointData{data: data, labels: labels, mean: m, std: s, resize: resize, hash: hash}, nil
}

// sweptModels lists the grid's networks: c.Models (on the Config's data),
// then c.Specs, each followed by its family's fine-tuned network.
func (c *Config) sweptModels() ([]sweptModel, error) {
	base, err := resolveData(c.Data, c.Labels, c.Mean, c.Std, c.Resize)
	if err != nil {
		return nil, err
	}
	specs := make([]ModelSpec, 0, len(c.Models)+len(c.Specs))
	for i, p := range c.Models {
		s := ModelSpec{Path: p}
		if len(c.Names) > 0 {
			s.Name = c.Names[i]
		}
		specs = append(specs, s)
	}
	specs = append(specs, c.Specs...)
	var out []sweptModel
	seen := map[string]int{}
	unique := func(name string) string {
		if n := seen[name]; n > 0 {
			name = fmt.Sprintf("%s#%d", name, n+1)
		}
		seen[name]++
		return name
	}
	for _, s := range specs {
		d, limit := base, c.Limit
		if s.Data != "" {
			if d, err = resolveData(s.Data, s.Labels, s.Mean, s.Std, s.Resize); err != nil {
				return nil, fmt.Errorf("model %s: %w", s.Path, err)
			}
		}
		if s.Limit != 0 {
			limit = s.Limit
		}
		if limit < 0 {
			return nil, invalidf("model %s: limit %d is negative", s.Path, limit)
		}
		name := s.Name
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
		}
		sum, err := fileSHA256(s.Path)
		if err != nil {
			return nil, fmt.Errorf("sweep: model %s: %w", s.Path, err)
		}
		info := ModelInfo{Name: unique(name), Path: s.Path, SHA256: sum, Note: s.Note}
		if s.Data != "" {
			info.Data = d.data
		}
		out = append(out, sweptModel{info: info, data: d, limit: limit})
		if len(s.Sparse) == 0 {
			continue
		}
		ft := sweptModel{data: d, limit: limit, finetd: true}
		for _, p := range s.Sparse {
			sha, err := fileSHA256(p)
			if err != nil {
				return nil, fmt.Errorf("sweep: model %s: %w", p, err)
			}
			r, err := SparsityOf(p)
			if err != nil {
				return nil, err
			}
			for _, o := range ft.files {
				if o.ratio == r {
					return nil, invalidf("fine-tuned models %s and %s of %s have the same sparsity %g", o.path, p, s.Path, r)
				}
			}
			ft.files = append(ft.files, familyMember{path: p, sha: sha, ratio: r})
		}
		slices.SortFunc(ft.files, func(a, b familyMember) int { return cmpFloat(a.ratio, b.ratio) })
		// The network's ModelInfo names its first file; each point names
		// its own.
		ft.info = ModelInfo{Name: unique(name + FinetunedSuffix), Path: ft.files[0].path, SHA256: ft.files[0].sha,
			Data: info.Data, Family: info.Name}
		for _, f := range ft.files {
			ft.info.Files = append(ft.info.Files, f.path)
		}
		out = append(out, ft)
	}
	for i, m := range out {
		for _, o := range out[:i] {
			if o.info.SHA256 == m.info.SHA256 {
				return nil, invalidf("models %s and %s have the same contents (a point is identified by the model's contents)", o.info.Path, m.info.Path)
			}
		}
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SparsityOf is the fraction of zero weights over a model's crossbar
// layers (Conv, Gemm, MatMul with a constant operand: quant's linear layers,
// whose weights it prunes), rounded to 0.001: the ratio a fine-tuned sparse
// model stands at on the pruning axis.
func SparsityOf(path string) (float64, error) {
	m, err := hwsim.LoadModel(path)
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	zeros, total := quant.WeightZeros(m.Graph)
	if total == 0 {
		return 0, invalidf("model %s has no crossbar layer (Conv, Gemm or MatMul with constant weights)", path)
	}
	return math.Round(1000*float64(zeros)/float64(total)) / 1000, nil
}
