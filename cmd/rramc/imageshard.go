package main

import (
	"fmt"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/hwsim/sweep"
	"github.com/spf13/pflag"
)

// imageShard is `--shard I/N` of eval and sim: the run covers the I-th of N
// contiguous, near-equal image ranges of the data (after --limit), and the
// JSON output says which, so that `rramc merge` can check that the shards
// cover the data exactly once and add their counts.
type imageShard struct {
	spec  string
	shard sweep.Shard
	info  *shardInfo
}

// shardInfo is the "shard" object of a sharded eval or sim JSON output.
type shardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// FirstImage and Images are the shard's range; OfImages the number of
	// images of all shards together.
	FirstImage int `json:"first_image"`
	Images     int `json:"images"`
	OfImages   int `json:"of_images"`
}

func (s *imageShard) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.spec, "shard", "", "evaluate only the I-th of N contiguous image ranges (`I/N`, e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT); with --json, rramc merge adds the shards' counts exactly")
}

// shardRange is the I-th of N near-equal contiguous ranges of total images.
func shardRange(s sweep.Shard, total int) (first, n int) {
	lo := int(int64(total) * int64(s.Index) / int64(s.Count))
	hi := int(int64(total) * int64(s.Index+1) / int64(s.Count))
	return lo, hi - lo
}

// apply narrows df to the shard's image range of src.
func (s *imageShard) apply(df *dataFlags, src hwsim.Feed) error {
	if s.spec == "" {
		return nil
	}
	sh, err := sweep.ParseShard(s.spec)
	if err != nil {
		return usagef("--shard: %v", err)
	}
	total := df.runOptions(0, nil).Samples(src)
	first, n := shardRange(sh, total)
	if n == 0 {
		return usagef("--shard %s: %d images leave shard %d empty; use at most %d shards", s.spec, total, sh.Index, total)
	}
	df.first, df.limit = df.first+first, n
	s.shard, s.info = sh, &shardInfo{Index: sh.Index, Count: sh.Count, FirstImage: df.first, Images: n, OfImages: total}
	return nil
}

// String is the text-output line of a sharded run ("" when not sharded).
func (i *shardInfo) String() string {
	if i == nil {
		return ""
	}
	return fmt.Sprintf("shard %d/%d: images %d-%d of %d (merge the --json outputs of all shards with rramc merge)\n",
		i.Index, i.Count, i.FirstImage, i.FirstImage+i.Images, i.OfImages)
}
