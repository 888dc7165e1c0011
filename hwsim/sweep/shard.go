package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard selects the share of a sweep one task computes: the work units whose
// index in the canonical order (Config.Units) is ≡ Index mod Count. Count 1
// (or the zero Shard) is the whole grid. Round-robin rather than contiguous
// blocks, so every task gets a mix of cheap and expensive points (networks,
// ratios and schemes vary fastest at different depths of the order).
type Shard struct {
	Index, Count int
}

// whole reports whether s is the whole grid.
func (s Shard) whole() bool { return s.Count <= 1 }

// Owns reports whether unit i belongs to s.
func (s Shard) Owns(i int) bool { return s.whole() || i%s.Count == s.Index }

// String is "I/N".
func (s Shard) String() string {
	if s.Count == 0 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// maxShards bounds N: more tasks than this is a typo, not a cluster.
const maxShards = 1 << 20

// NewShard checks 0 ≤ index < count ≤ maxShards.
func NewShard(index, count int) (Shard, error) {
	if count < 1 || count > maxShards {
		return Shard{}, invalidf("shard count %d: must be 1..%d", count, maxShards)
	}
	if index < 0 || index >= count {
		return Shard{}, invalidf("shard index %d: must be 0..%d for %d shards", index, count-1, count)
	}
	return Shard{Index: index, Count: count}, nil
}

// ParseShard parses "I/N".
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, invalidf("shard %q: want I/N, e.g. 0/4", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return Shard{}, invalidf("shard %q: want I/N with integers, e.g. 0/4", s)
	}
	return NewShard(i, n)
}

// The environment variables the schedulers set for a task of an array.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmTaskMax   = "SLURM_ARRAY_TASK_MAX"
	EnvSlurmTaskStep  = "SLURM_ARRAY_TASK_STEP"
	EnvJobIndex       = "JOB_COMPLETION_INDEX" // Kubernetes Indexed Job
)

// ShardFromEnv returns the shard a scheduler assigned to this task, and
// whether one did:
//   - a Slurm array task (SLURM_ARRAY_TASK_ID set): index = task id −
//     SLURM_ARRAY_TASK_MIN, count = SLURM_ARRAY_TASK_COUNT; the array must be
//     a contiguous range (--array=0-3 or 1-4, not 0-6:2 or 1,5,9), since the
//     task ids then number the shards;
//   - a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX set): index = that,
//     count = shards, which must be given (a pod does not see the Job's
//     completions).
//
// shards > 0 overrides Slurm's count (and is checked against it).
func ShardFromEnv(getenv func(string) string, shards int) (Shard, bool, error) {
	num := func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, invalidf("environment %s=%q: not an integer", name, v)
		}
		return n, true, nil
	}
	if id, ok, err := num(EnvSlurmTaskID); ok || err != nil {
		if err != nil {
			return Shard{}, false, err
		}
		count, okc, err := num(EnvSlurmTaskCount)
		if err != nil {
			return Shard{}, false, err
		}
		lo, _, err := num(EnvSlurmTaskMin)
		if err != nil {
			return Shard{}, false, err
		}
		hi, okh, err := num(EnvSlurmTaskMax)
		if err != nil {
			return Shard{}, false, err
		}
		if step, oks, err := num(EnvSlurmTaskStep); err != nil {
			return Shard{}, false, err
		} else if oks && step != 1 {
			return Shard{}, false, invalidf("%s=%d: the sweep needs a contiguous array (e.g. --array=0-3), or --shard I/N", EnvSlurmTaskStep, step)
		}
		if !okc {
			if shards <= 0 {
				return Shard{}, false, invalidf("%s is set but %s is not: give --shards N", EnvSlurmTaskID, EnvSlurmTaskCount)
			}
			count = shards
		}
		if okh && hi-lo+1 != count {
			return Shard{}, false, invalidf("Slurm array %d-%d has %d tasks: the sweep needs a contiguous array (e.g. --array=0-3), or --shard I/N", lo, hi, count)
		}
		if shards > 0 && shards != count {
			return Shard{}, false, invalidf("--shards %d, but the Slurm array has %d tasks", shards, count)
		}
		s, err := NewShard(id-lo, count)
		return s, err == nil, err
	}
	if idx, ok, err := num(EnvJobIndex); ok || err != nil {
		if err != nil {
			return Shard{}, false, err
		}
		if shards <= 0 {
			return Shard{}, false, invalidf("%s=%d is set: give --shards N (the Indexed Job's completions)", EnvJobIndex, idx)
		}
		s, err := NewShard(idx, shards)
		return s, err == nil, err
	}
	return Shard{}, false, nil
}
