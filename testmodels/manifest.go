package testmodels

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

//go:embed manifest.json mlp.onnx lenet5.onnx vgg_bn.onnx resnet_small.onnx
var files embed.FS

// Manifest is the content of manifest.json.
type Manifest struct {
	Generator       string                     `json:"generator"`
	Command         string                     `json:"command"`
	Dataset         Dataset                    `json:"dataset"`
	Preprocessing   Preprocessing              `json:"preprocessing"`
	Versions        Versions                   `json:"versions"`
	Models          map[string]*Model          `json:"models"`
	BenchmarkModels map[string]*BenchmarkModel `json:"benchmark_models"`
	// SparseModels are the fine-tuned sparse versions of some Models
	// (train.py --sparse): each pruned, globally by magnitude, to a target
	// ratio starting from the previous ratio's model, then fine-tuned.
	SparseModels map[string]*SparseModel `json:"sparse_models"`

	// Dir is the directory the manifest was loaded from ("" when embedded);
	// Path resolves model files against it.
	Dir string `json:"-"`
}

// Dataset names the data the models were trained and evaluated on.
type Dataset struct {
	Name        string `json:"name"`
	Source      string `json:"source"`
	TrainImages int    `json:"train_images"`
	TestImages  int    `json:"test_images"`
}

// Preprocessing is x = (pixel/255 - Mean)/Std in the given Layout ("NCHW").
type Preprocessing struct {
	Mean    float32 `json:"mean"`
	Std     float32 `json:"std"`
	Layout  string  `json:"layout"`
	Formula string  `json:"formula,omitempty"`
}

// Versions records the tools that produced the files.
type Versions struct {
	Torch string `json:"torch"`
	ONNX  string `json:"onnx"`
	NumPy string `json:"numpy"`
	Opset int    `json:"opset"`
}

// IO names a graph input or output and its shape ("batch" or a size per
// dimension).
type IO struct {
	Name  string `json:"name"`
	Shape []any  `json:"shape"`
}

// Training records how a model was trained.
type Training struct {
	Epochs      int     `json:"epochs"`
	Batch       int     `json:"batch"`
	Optimizer   string  `json:"optimizer"`
	Schedule    string  `json:"schedule"`
	MaxLR       float64 `json:"max_lr"`
	Seed        int64   `json:"seed"`
	TrainImages int     `json:"train_images"`
	Seconds     float64 `json:"seconds"`
	Threads     int     `json:"threads"`
}

// Model is one committed MNIST model with PyTorch's reference results.
type Model struct {
	File             string         `json:"file"`
	Description      string         `json:"description"`
	SHA256           string         `json:"sha256"`
	Bytes            int64          `json:"bytes"`
	Params           int            `json:"params"`
	Input            IO             `json:"input"`
	Output           IO             `json:"output"`
	Preprocessing    Preprocessing  `json:"preprocessing"`
	Ops              map[string]int `json:"ops"`
	BatchNormInGraph bool           `json:"batchnorm_in_graph"`
	// Top1 is PyTorch's float32 top-1 accuracy on the test set, equal to
	// Top1Correct/TestImages.
	Top1        float64 `json:"top1"`
	Top1Correct int     `json:"top1_correct"`
	TestImages  int     `json:"test_images"`
	// LogitsFirst16 are PyTorch's float32 logits of test images 0..15
	// (exactly representable: JSON holds each float32 value's float64
	// expansion).
	LogitsFirst16 [][]float32 `json:"logits_first16"`
	LabelsFirst16 []int       `json:"labels_first16"`
	// The exporter's graph re-run by an independent NumPy interpreter on
	// the first NumPyImages test images: how many predictions agreed with
	// PyTorch and the largest logit difference.
	NumPyImages         int      `json:"numpy_reference_images"`
	NumPySamePrediction int      `json:"numpy_reference_same_prediction"`
	NumPyMaxAbsDiff     float64  `json:"numpy_reference_max_abs_diff"`
	Training            Training `json:"training"`
}

// BenchmarkModel is a generated, uncommitted model used by benchmarks.
type BenchmarkModel struct {
	File        string         `json:"file"`
	Committed   bool           `json:"committed"`
	Description string         `json:"description"`
	Input       IO             `json:"input"`
	Output      IO             `json:"output"`
	Ops         map[string]int `json:"ops"`
	Params      int            `json:"params"`
	// ReferenceInputFormula describes ReferenceInput; the logits are
	// PyTorch's for that input.
	ReferenceInputFormula  string    `json:"reference_input"`
	ReferenceLogitsFirst10 []float32 `json:"reference_logits_first10"`
	ReferenceArgmax        int       `json:"reference_argmax"`
	NumPyMaxAbsDiff        float64   `json:"numpy_reference_max_abs_diff"`
}

// SparseModel is one fine-tuned sparse member of a model family.
type SparseModel struct {
	File        string `json:"file"`
	Family      string `json:"family"` // the dense model it was pruned from (a key of Models)
	Description string `json:"description"`
	SHA256      string `json:"sha256"`
	Bytes       int64  `json:"bytes"`
	// TargetSparsity is the pruning ratio asked for; WeightSparsity the
	// fraction of zeros measured over the exported Conv/Gemm/MatMul weights.
	TargetSparsity float64 `json:"target_sparsity"`
	WeightSparsity float64 `json:"weight_sparsity"`
	// Top1 is PyTorch's top-1 on the MNIST test set after fine-tuning;
	// Top1AfterPruning the top-1 right after pruning, before fine-tuning
	// (what one-shot pruning from the previous ratio would give).
	Top1             float64  `json:"top1"`
	Top1Correct      int      `json:"top1_correct"`
	Top1AfterPruning float64  `json:"top1_after_pruning_before_finetuning"`
	TestImages       int      `json:"test_images"`
	FineTuning       Training `json:"finetuning"`
}

// Family returns the dense model name followed by its sparse versions in
// increasing target sparsity: the accuracy axis of a trained-sparse study.
func (m *Manifest) Family(dense string) ([]string, error) {
	if _, ok := m.Models[dense]; !ok {
		return nil, fmt.Errorf("testmodels: no model %q in manifest (have %v)", dense, m.Names())
	}
	var sparse []string
	for n, sm := range m.SparseModels {
		if sm.Family == dense {
			sparse = append(sparse, n)
		}
	}
	slices.SortFunc(sparse, func(a, b string) int {
		return cmp.Compare(m.SparseModels[a].TargetSparsity, m.SparseModels[b].TargetSparsity)
	})
	return append([]string{dense}, sparse...), nil
}

// ReferenceInput returns the deterministic input whose PyTorch logits the
// manifest records for a benchmark model: x[i] = ((i mod 251)/250 - 0.5)*2
// in float32 over the flat index i of n elements (the same float32 steps
// as train.py's NumPy code).
func ReferenceInput(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = (float32(i%251)/250 - 0.5) * 2
	}
	return x
}

// Embedded returns the manifest compiled into the package. Its Dir is
// empty: read its models with ReadModel.
func Embedded() (*Manifest, error) {
	b, err := files.ReadFile("manifest.json")
	if err != nil {
		return nil, fmt.Errorf("testmodels: embedded manifest: %w", err)
	}
	return parse(b, "embedded manifest.json")
}

// LoadManifest reads dir/manifest.json; Path then resolves files in dir.
// Tests in other packages pass a path relative to their own directory,
// such as "../testmodels" or "../../testmodels".
func LoadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("testmodels: %w", err)
	}
	m, err := parse(b, p)
	if err != nil {
		return nil, err
	}
	m.Dir = dir
	return m, nil
}

func parse(b []byte, name string) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("testmodels: %s: %w", name, err)
	}
	for n, sm := range m.SparseModels {
		if _, ok := m.Models[sm.Family]; !ok {
			return nil, fmt.Errorf("testmodels: %s: sparse model %s: family %q is not a model of the manifest", name, n, sm.Family)
		}
	}
	for n, md := range m.Models {
		if len(md.LogitsFirst16) != len(md.LabelsFirst16) {
			return nil, fmt.Errorf("testmodels: %s: model %s has %d logit rows for %d labels", name, n, len(md.LogitsFirst16), len(md.LabelsFirst16))
		}
	}
	return &m, nil
}

// Names returns the committed models' names in sorted order.
func (m *Manifest) Names() []string {
	names := make([]string, 0, len(m.Models))
	for n := range m.Models {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Path returns the file path of a model or benchmark model by name. The
// file may be absent (benchmark models are not committed): callers stat it
// and skip.
func (m *Manifest) Path(name string) (string, error) {
	if m.Dir == "" {
		return "", fmt.Errorf("testmodels: manifest has no directory (embedded): use LoadManifest or ReadModel")
	}
	if md, ok := m.Models[name]; ok {
		return filepath.Join(m.Dir, md.File), nil
	}
	if bm, ok := m.BenchmarkModels[name]; ok {
		return filepath.Join(m.Dir, bm.File), nil
	}
	if sm, ok := m.SparseModels[name]; ok {
		return filepath.Join(m.Dir, sm.File), nil
	}
	return "", fmt.Errorf("testmodels: no model %q in manifest (have %v)", name, m.Names())
}

// ReadModel returns the bytes of a committed model compiled into the
// package, so a binary can run it without the source tree.
func ReadModel(name string) ([]byte, error) {
	m, err := Embedded()
	if err != nil {
		return nil, err
	}
	md, ok := m.Models[name]
	if !ok {
		return nil, fmt.Errorf("testmodels: no embedded model %q (have %v)", name, m.Names())
	}
	return files.ReadFile(md.File)
}
