package hwsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rramc/rramc/mapper"
)

// indexGoldenFile holds the index storage and reads of every scheme on the
// test models, recorded before the index models moved into the mapper's
// schemes; regenerate it (only for an intended change) with
// RRAMC_UPDATE_INDEX=1 go test -run TestIndexGolden ./hwsim.
const indexGoldenFile = "testdata/index_golden.json"

// indexFigures are the index figures of one mapping: storage (the mapper's
// Stats and the simulator's compiled groups) and what one input vector per
// layer reads.
type indexFigures struct {
	StorageBits     int64 `json:"storage_bits"`
	SimStorageBits  int64 `json:"sim_storage_bits"`
	OwnerIndexReads int64 `json:"owner_index_reads"`
	InputIndexReads int64 `json:"input_index_reads"`
	IndexReadBits   int64 `json:"index_read_bits"`
}

// TestIndexGolden: the index storage and reads of every scheme, both cell
// widths, on the test models at prune 0, 0.5 and 0.9 are the recorded
// numbers.
func TestIndexGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("maps every test model with every scheme")
	}
	got := map[string]indexFigures{}
	for _, path := range testModels(t) {
		for _, prune := range []float64{0, 0.5, 0.9} {
			net, _ := quantizedModel(t, path, prune)
			for _, o := range mapperSchemes {
				for _, cellBits := range []int{1, 2} {
					hw := Defaults()
					hw.CellBits = cellBits
					mp, err := mapper.Map(net, geoOf2(hw), o)
					if err != nil {
						t.Fatal(err)
					}
					_, tot, err := mp.Stats()
					if err != nil {
						t.Fatal(err)
					}
					f := indexFigures{StorageBits: tot.IndexBits}
					vectors := make([]int64, len(net.Linears))
					for i := range vectors {
						vectors[i] = 1
					}
					counts, err := AnalyticCounts(mp, hw, vectors)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range counts {
						f.OwnerIndexReads += c.OwnerIndexReads
						f.InputIndexReads += c.InputIndexReads
						f.IndexReadBits += c.IndexReadBits
					}
					s, err := Simulate(net, mp, hw, Options{})
					if err != nil {
						t.Fatal(err)
					}
					for _, gs := range s.groups {
						for _, g := range gs {
							f.SimStorageBits += g.indexBits
						}
					}
					got[fmt.Sprintf("%s prune %.1f %s/%d cell %db", filepath.Base(path), prune, o.Scheme, o.MaxShare, cellBits)] = f
				}
			}
		}
	}
	if os.Getenv("RRAMC_UPDATE_INDEX") == "1" {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(indexGoldenFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(indexGoldenFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]indexFigures
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", indexGoldenFile, err)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: not in %s", k, indexGoldenFile)
			continue
		}
		if got[k] != w {
			t.Errorf("%s: got %+v, recorded %+v", k, got[k], w)
		}
	}
}

// A mapping whose scheme is not registered has no index model: the
// simulator and the analytic counts refuse it instead of guessing.
func TestUnregisteredSchemeRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net := testNet(rng, false)
	hw := Defaults()
	mp, err := mapper.Map(net, geoOf(hw), mapper.Options{Scheme: "colsim", MaxShare: 2})
	if err != nil {
		t.Fatal(err)
	}
	mp.Scheme = "mystery"
	if _, err := Simulate(net, mp, hw, Options{}); err == nil || !strings.Contains(err.Error(), `unknown scheme "mystery"`) {
		t.Errorf("Simulate: %v, want an unknown-scheme error", err)
	}
	if _, err := AnalyticCounts(mp, hw, make([]int64, len(net.Linears))); err == nil || !strings.Contains(err.Error(), `unknown scheme "mystery"`) {
		t.Errorf("AnalyticCounts: %v, want an unknown-scheme error", err)
	}
}
