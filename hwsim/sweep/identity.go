package sweep

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// SchemaVersion is the version of the sweep's file formats: results.json,
// grid.json and the point files. It is part of every point's identity, so a
// change of what a point means (a new field, a renamed key) invalidates every
// stored point instead of mixing meanings.
//
// Version 2 (this one) spells every quantity in the canonical vocabulary
// (weight_bits, activation_bits, accuracy_float, accuracy_int, accuracy_sim,
// top1_agreement, bit_exact, point_id, schema_version) and holds no run
// facts: the seconds a point took and the command's output path live in the
// run log (DIR/runs), so results are a pure function of the grid. Version 1
// files (key "version", acc_float, agreement, seconds...) are refused with a
// message saying so. The hardware axis (Config.Variants) adds hw_variant to
// points and gains and hw_variants to the configuration without changing
// what a point is: its hardware is in its identity as before (by its JSON),
// so a point stored by a sweep of one hardware is the same point when that
// hardware is a variant of another sweep.
const SchemaVersion = 2

// identity is the canonical configuration of a point: everything that can
// change its result, and nothing else. Where the model file lies and what it
// is called in tables are not in it (a point computed from a copy of the same
// file elsewhere is the same point); the model's contents are, by hash.
type identity struct {
	SchemaVersion int             `json:"schema_version"`
	ModelSHA256   string          `json:"model_sha256"`
	Prune         float64         `json:"prune"`
	Finetuned     bool            `json:"finetuned,omitempty"`
	Scheme        string          `json:"scheme"`
	MaxShare      int             `json:"max_share"`
	Quant         json.RawMessage `json:"quant"`
	HW            json.RawMessage `json:"hw"`
	Data          string          `json:"data"`
	DataSHA256    string          `json:"data_sha256,omitempty"`
	Labels        string          `json:"labels,omitempty"`
	Mean          Floats          `json:"mean"`
	Std           Floats          `json:"std"`
	Resize        int             `json:"resize,omitempty"`
	CostOnly      bool            `json:"cost_only,omitempty"`
	// FirstImage and Images are the image range [FirstImage,
	// FirstImage+Images) (Images 0 = to the end of the set).
	FirstImage int    `json:"first_image"`
	Images     int    `json:"images"`
	Seed       uint64 `json:"seed"`
	// ConstSHA256 are the contents of the frozen inputs' files, by input
	// name (omitted when none, so other points keep their ids).
	ConstSHA256 map[string]string `json:"const_sha256,omitempty"`
}

func (c *PointConfig) identity() identity {
	q, hw := c.Quant, c.HW
	if len(q) == 0 {
		q = json.RawMessage("null")
	}
	if len(hw) == 0 {
		hw = json.RawMessage("null")
	}
	return identity{SchemaVersion: SchemaVersion, ModelSHA256: c.ModelHash, Prune: c.Prune, Scheme: c.Scheme,
		MaxShare: c.MaxShare, Finetuned: c.Finetuned, Quant: q, HW: hw, Data: c.Data, DataSHA256: c.DataHash, Labels: c.Labels, Mean: c.Mean, Std: c.Std, Resize: c.Resize, CostOnly: c.CostOnly,
		FirstImage: c.FirstImage, Images: c.Limit, Seed: c.Seed, ConstSHA256: constHashes(c.Consts)}
}

// constHashes is the content hash of each frozen input's file, by name
// (nil: none).
func constHashes(fs []ConstFile) map[string]string {
	if len(fs) == 0 {
		return nil
	}
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		m[f.Input] = f.SHA256
	}
	return m
}

func hashIdentity(id identity) [sha256.Size]byte {
	b, err := json.Marshal(id)
	if err != nil { // cannot happen: plain fields and raw JSON compacted by Jobs
		b = fmt.Appendf(nil, "%#v", id)
	}
	return sha256.Sum256(b)
}

// Key returns the point's id: the first 128 bits, in hex, of the SHA-256 of
// its canonical configuration (identity) in JSON. It names the stored point
// file and the point in results.json (point_id).
func (c *PointConfig) Key() string {
	h := hashIdentity(c.identity())
	return hex.EncodeToString(h[:16])
}

// SimSeed is the seed of every random draw of the point's simulation
// (stuck-at faults, conductance variation, ADC noise): a hash of the point's
// identity without its image range, so that any task on any machine draws
// the same device for the point, and the parts of a point split by image
// range (Config.ImagesPerTask) simulate one and the same device.
func (c *PointConfig) SimSeed() uint64 {
	id := c.identity()
	id.FirstImage, id.Images = 0, 0
	h := hashIdentity(id)
	return binary.LittleEndian.Uint64(h[:8])
}
