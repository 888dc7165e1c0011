package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rramc/rramc/hwsim/sweep"
	"github.com/spf13/pflag"
)

func init() {
	badInputErrors = append(badInputErrors, sweep.ErrIncomplete)
}

// getenv reads the scheduler's variables (a variable so tests can stand in
// for a scheduler without touching the process environment).
var getenv = os.Getenv

// shardFlags are the flags that spread a sweep over the tasks of a cluster
// job.
type shardFlags struct {
	shard         string
	shards        int
	imagesPerTask int
}

// runOnlyFlags change where and how a sweep runs, never its results: they
// are left out of the command recorded in results.json and RESULTS.md, so
// that every task of a sharded sweep and a single-process run record the
// same command.
var runOnlyFlags = []string{"output", "shard", "shards", "workers", "results-md", "json", "images-per-task"}

func (f *shardFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.shard, "shard", "", "compute only shard `I/N` of the grid: the work units with index ≡ I mod N (default: from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shards); then: rramc sweep merge DIR")
	fs.IntVar(&f.shards, "shards", 0, "number of shards N when the index comes from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's completions)")
	fs.IntVar(&f.imagesPerTask, "images-per-task", 0, "split every point of more images into work units of this many images (needs --limit); merging adds their counts exactly")
}

// resolve returns the shard this process computes: --shard, else the
// scheduler's, else the whole grid.
func (f *shardFlags) resolve() (sweep.Shard, error) {
	if f.shard != "" {
		s, err := sweep.ParseShard(f.shard)
		if err != nil {
			return s, usagef("--shard: %v", err)
		}
		if f.shards > 0 && f.shards != s.Count {
			return s, usagef("--shard %s and --shards %d disagree", f.shard, f.shards)
		}
		return s, nil
	}
	s, ok, err := sweep.ShardFromEnv(getenv, f.shards)
	if err != nil {
		return s, err
	}
	if !ok {
		if f.shards > 1 {
			return s, usagef("--shards %d without a shard index: give --shard I/N, or run as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)", f.shards)
		}
		return sweep.Shard{Index: 0, Count: 1}, nil
	}
	return s, nil
}

// canonicalCommand is the command line of the grid: "rramc sweep", the
// flags that determine results in long form (--name=value), sorted by
// name (repeated flags keep their order), then the models, so that the
// order the user typed them in, a short flag name, or an output directory
// do not change it. Each token is quoted for a POSIX shell.
func canonicalCommand(fs *pflag.FlagSet, args []string) string {
	type flag struct{ name, tok string }
	var flags []flag
	var models []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			models = append(models, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			models = append(models, a)
			continue
		}
		var f *pflag.Flag
		name, val, hasVal := strings.TrimLeft(a, "-"), "", false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = n, v, true
		}
		if strings.HasPrefix(a, "--") {
			f = fs.Lookup(name)
		} else if len(name) == 1 {
			f = fs.ShorthandLookup(name)
		} else { // -oDIR
			f = fs.ShorthandLookup(name[:1])
			val, hasVal = name[1:], true
		}
		if f == nil {
			flags = append(flags, flag{a, a})
			continue
		}
		if !hasVal && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			val, hasVal = args[i], true
		}
		if slices.Contains(runOnlyFlags, f.Name) {
			continue
		}
		tok := "--" + f.Name
		if hasVal {
			tok += "=" + val
		}
		flags = append(flags, flag{f.Name, tok})
	}
	slices.SortStableFunc(flags, func(a, b flag) int { return strings.Compare(a.name, b.name) })
	toks := []string{}
	for _, f := range flags {
		toks = append(toks, f.tok)
	}
	return strings.TrimSpace("rramc sweep " + shellJoin(append(toks, models...)))
}

// runSweepMerge is `rramc sweep merge DIR...`.
func runSweepMerge(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sweep merge", "DIR...  (the output directories of the shards, or one shared directory)")
	out := fs.StringP("output", "o", "", "where to write results.json, results.csv, gains.csv, report.html, RESULTS.md (default: the first DIR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		return usagef("sweep merge: give the sweep's output directory (or the shards' directories)")
	}
	if *out == "" {
		*out = dirs[0]
	}
	res, err := sweep.Merge(dirs, *out, sweep.DefaultReportOptions())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "merged %d points from %s\nwrote %s\n", len(res.Points), strings.Join(dirs, ", "),
		strings.Join(mergedFiles(*out), ", "))
	return nil
}

func mergedFiles(dir string) []string {
	var out []string
	for _, f := range []string{"results.json", "results.csv", "gains.csv", "report.html", "RESULTS.md"} {
		out = append(out, filepath.Join(dir, f))
	}
	return out
}

// runSweepStatus is `rramc sweep status DIR`.
func runSweepStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sweep status", "DIR")
	shards := fs.Int("shards", 0, "count the work units per shard of N (default: the shard count of the latest run in DIR)")
	wait := fs.Duration("wait", 0, "poll every this long (e.g. 30s) until every unit is done (waiting for the first task too), then print the status")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("sweep status: give one output directory")
	}
	if *wait < 0 {
		return usagef("sweep status: --wait %v is negative", *wait)
	}
	for {
		st, err := sweep.ReadStatus(fs.Arg(0), *shards)
		switch {
		case err != nil && (*wait == 0 || !errors.Is(err, os.ErrNotExist)):
			return err
		case err == nil && (*wait == 0 || st.Complete()):
			fmt.Fprint(e.stdout, st)
			return nil
		}
		// Waiting: for the first task to write grid.json, or for the rest.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(*wait):
		}
	}
}
