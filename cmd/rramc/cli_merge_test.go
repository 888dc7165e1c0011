package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withoutRunFacts re-encodes a JSON output without its seconds.
func withoutRunFacts(t *testing.T, path string) []byte {
	t.Helper()
	o, err := readJSONObject(path)
	if err != nil {
		t.Fatal(err)
	}
	o.del("seconds")
	o.del("stage_seconds")
	b, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMergeImageShards runs eval and sim whole and as 3 image shards, and
// checks that rramc merge gives the whole run's output exactly (but for the
// seconds, which are summed): accuracies, agreements, and with a lossy ADC
// the saturations, which must not be 0 for the check to mean something.
func TestMergeImageShards(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"eval all", []string{"eval", modelPath(t, "mlp"), "--mode", "all", "--limit", "301", "--calib", "32"}},
		{"sim lossy", []string{"sim", modelPath(t, "lenet5"), "--limit", "61", "--calib", "32", "--ou", "16x16", "--adc-bits", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := filepath.Join(dir, tc.name+"-whole.json")
			out, _ := mustRun(t, exitOK, append(tc.args, "--json")...)
			if err := os.WriteFile(whole, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.name == "sim lossy" && (!strings.Contains(out, `"adc_saturations"`) || strings.Contains(out, `"adc_saturations": 0,`)) {
				t.Fatalf("no ADC saturations: the check of their sum would be empty\n%.400s", out)
			}
			var parts []string
			for i := range 3 {
				p := filepath.Join(dir, fmt.Sprintf("%s-%d.json", tc.name, i))
				out, _ := mustRun(t, exitOK, append(tc.args, "--json", "--shard", fmt.Sprintf("%d/3", i))...)
				if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				parts = append(parts, p)
			}
			merged := filepath.Join(dir, tc.name+"-merged.json")
			// Any order of the files.
			mustRun(t, exitOK, "merge", parts[2], parts[0], parts[1], "-o", merged)
			if a, b := withoutRunFacts(t, whole), withoutRunFacts(t, merged); !bytes.Equal(a, b) {
				t.Errorf("merged differs from the whole run:\nwhole  %.1500s\nmerged %.1500s", a, b)
			}

			_, stderr := mustRun(t, exitBadInput, "merge", parts[0], parts[1])
			if !strings.Contains(stderr, "2 files for 3 shards") {
				t.Errorf("missing shard: %s", stderr)
			}
			_, stderr = mustRun(t, exitBadInput, "merge", parts[0], parts[1], parts[1])
			if !strings.Contains(stderr, "shard 1/3 twice") {
				t.Errorf("duplicate shard: %s", stderr)
			}
			_, stderr = mustRun(t, exitBadInput, "merge", whole)
			if !strings.Contains(stderr, `no "shard" object`) {
				t.Errorf("unsharded input: %s", stderr)
			}
		})
	}
	// Shards of different runs (other weight bits) are refused by key.
	mlp := modelPath(t, "mlp")
	var parts []string
	for i, wb := range []string{"8", "6"} {
		p := filepath.Join(dir, fmt.Sprintf("mixed-%d.json", i))
		out, _ := mustRun(t, exitOK, "sim", mlp, "--limit", "20", "--calib", "16", "--wbits", wb, "--json", "--shard", fmt.Sprintf("%d/2", i))
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	_, stderr := mustRun(t, exitBadInput, append([]string{"merge"}, parts...)...)
	if !strings.Contains(stderr, "the shards are not of one run") {
		t.Errorf("mixed runs: %s", stderr)
	}
	mustRun(t, exitBadInput, "sim", mlp, "--limit", "2", "--shard", "0/3")
}
