package onnx

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"google.golang.org/protobuf/proto"

	"github.com/rramc/rramc/importer/onnxpb"
)

// TestExternalData builds a model folder on disk for each case: the model
// (W external), its data file and, for the escape cases, a secret file in
// the parent folder that must never be read.
func TestExternalData(t *testing.T) {
	w := ltSmall().Graph.Initializer[0].RawData // 48 bytes
	type setup struct {
		loc      string
		off, len int64
		noLength bool
		files    map[string][]byte // relative to the model folder
		links    map[string]string // link name -> target (relative to folder)
	}
	tests := []struct {
		name string
		s    setup
		want string // "" = loads, W equals the inline data
	}{
		{"plain", setup{loc: "w.bin", len: 48, files: map[string][]byte{"w.bin": w}}, ""},
		{"offset", setup{loc: "w.bin", off: 5, len: 48, files: map[string][]byte{"w.bin": append([]byte("12345"), w...)}}, ""},
		{"no_length", setup{loc: "w.bin", off: 2, noLength: true, files: map[string][]byte{"w.bin": append([]byte("ab"), w...)}}, ""},
		{"subdir", setup{loc: "data/w.bin", len: 48, files: map[string][]byte{"data/w.bin": w}}, ""},
		{"dotdot_inside", setup{loc: "data/../w.bin", len: 48, files: map[string][]byte{"w.bin": w}}, ""},
		{"symlink_inside", setup{loc: "link.bin", len: 48, files: map[string][]byte{"w.bin": w}, links: map[string]string{"link.bin": "w.bin"}}, ""},
		{"dotdot_escape", setup{loc: "../secret.bin", len: 48}, "is not inside the model's folder"},
		{"dotdot_deep_escape", setup{loc: "data/../../secret.bin", len: 48}, "is not inside the model's folder"},
		{"absolute", setup{loc: "/etc/hostname", len: 48}, "is not inside the model's folder"},
		{"symlink_escape", setup{loc: "link.bin", len: 48, links: map[string]string{"link.bin": "../secret.bin"}}, "cannot open external data"},
		{"symlink_dir_escape", setup{loc: "d/secret.bin", len: 48, links: map[string]string{"d": ".."}}, "cannot open external data"},
		{"missing_file", setup{loc: "nothere.bin", len: 48}, "cannot open external data \"nothere.bin\""},
		{"directory", setup{loc: "data", len: 48, files: map[string][]byte{"data/x": w}}, "not a regular file"},
		{"length_mismatch", setup{loc: "w.bin", len: 44, files: map[string][]byte{"w.bin": w}}, "external data length is 44 bytes, dims [4 3] of FLOAT need 48"},
		{"file_too_short", setup{loc: "w.bin", len: 48, files: map[string][]byte{"w.bin": w[:40]}}, "has 40 bytes after offset 0, length 48 declared"},
		{"offset_past_end", setup{loc: "w.bin", off: 100, len: 48, files: map[string][]byte{"w.bin": w}}, "offset 100 is past the end"},
		{"huge_length", setup{loc: "w.bin", len: 1 << 40, files: map[string][]byte{"w.bin": w}}, "length 1099511627776 declared"},
		{"no_location", setup{loc: "", len: 48}, "external_data has no location"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			if err := os.WriteFile(filepath.Join(parent, "secret.bin"), w, 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(parent, "model")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range tc.s.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, target := range tc.s.links {
				if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
					t.Skipf("symlinks unavailable: %v", err)
				}
			}
			m := ltSmall()
			ltMakeExternal(m.Graph.Initializer[0], tc.s.loc, tc.s.off, tc.s.len)
			if tc.s.noLength {
				m.Graph.Initializer[0].ExternalData = m.Graph.Initializer[0].ExternalData[:2]
			}
			if tc.s.loc == "" {
				m.Graph.Initializer[0].ExternalData = m.Graph.Initializer[0].ExternalData[1:]
			}
			path := filepath.Join(dir, "model.onnx")
			if err := os.WriteFile(path, ltMarshal(t, m), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if tc.want != "" {
				if err == nil {
					t.Fatalf("loaded; W = %v", got.Graph.Initializers["W"].Float)
				}
				if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v\nwant ErrInvalidModel containing %q", err, tc.want)
				}
				if !strings.Contains(err.Error(), `initializer "W"`) || !strings.Contains(err.Error(), path) {
					t.Errorf("error does not name the file and tensor: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ltSmall().Graph.Initializer[0]
			gotW := got.Graph.Initializers["W"].Float
			for i := range 12 {
				if gotW[i] != float32(i)-5.5 {
					t.Fatalf("W = %v (from %v)", gotW, want.Dims)
				}
			}
		})
	}
}

// TestExternalNeedsDir: Decode from memory without a folder refuses
// external data instead of resolving it against the working directory.
func TestExternalNeedsDir(t *testing.T) {
	m := ltSmall()
	ltMakeExternal(m.Graph.Initializer[0], "w.bin", 0, 48)
	_, err := Decode(ltMarshal(t, m), "")
	if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), "no model folder was given") {
		t.Fatalf("got %v", err)
	}
}

// TestExternalBadKeys covers malformed external_data entries.
func TestExternalBadKeys(t *testing.T) {
	kv := func(k, v string) *onnxpb.StringStringEntryProto {
		return &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(v)}
	}
	for _, tc := range []struct {
		name    string
		entries []*onnxpb.StringStringEntryProto
		inline  bool
		want    string
	}{
		{"negative_offset", []*onnxpb.StringStringEntryProto{kv("location", "w.bin"), kv("offset", "-1")}, false, `offset "-1" is not a non-negative integer`},
		{"text_length", []*onnxpb.StringStringEntryProto{kv("location", "w.bin"), kv("length", "many")}, false, `length "many"`},
		{"repeated_key", []*onnxpb.StringStringEntryProto{kv("location", "w.bin"), kv("location", "v.bin")}, false, `key "location" appears twice`},
		{"inline_too", []*onnxpb.StringStringEntryProto{kv("location", "w.bin")}, true, "also holds data inline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ltSmall()
			w := m.Graph.Initializer[0]
			if !tc.inline {
				w.RawData = nil
			}
			w.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			w.ExternalData = tc.entries
			_, err := Decode(ltMarshal(t, m), t.TempDir())
			if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLoadErrors: problems with the model file itself.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "none.onnx"))
	if !errors.Is(err, importer.ErrInvalidModel) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	_, err = Load(dir)
	if !errors.Is(err, importer.ErrInvalidModel) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}
