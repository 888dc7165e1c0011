package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var mergedNames = []string{"results.json", "results.csv", "gains.csv", "report.html", "RESULTS.md"}

func sameOutputs(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range mergedNames {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
}

// TestSweepKubernetesIndex runs a sweep as the pods of a Kubernetes Indexed
// Job would (JOB_COMPLETION_INDEX set, --shards 3, flags in another order),
// checks status and merge, and compares with a single-process run byte for
// byte; a merge of an incomplete sweep names what is missing (exit 2).
func TestSweepKubernetesIndex(t *testing.T) {
	dir := t.TempDir()
	mlp := modelPath(t, "mlp")
	single := filepath.Join(dir, "single")
	mustRun(t, exitOK, "sweep", mlp, "--prune", "0,0.5", "--schemes", "dense,colsim", "--max-share", "2,0",
		"--limit", "40", "--calib", "32", "-o", single, "--results-md", filepath.Join(dir, "R.md"))

	shared := filepath.Join(dir, "shared")
	env := map[string]string{}
	getenv = func(k string) string { return env[k] }
	defer func() { getenv = os.Getenv }()
	env["JOB_COMPLETION_INDEX"] = "1"
	_, stderr := mustRun(t, exitBadInput, "sweep", mlp, "-o", shared)
	if !strings.Contains(stderr, "give --shards N") {
		t.Errorf("index without --shards: %s", stderr)
	}
	for i, idx := range []string{"0", "2"} {
		env["JOB_COMPLETION_INDEX"] = idx
		out, _ := mustRun(t, exitOK, "sweep", "--calib=32", "--limit", "40", "--schemes", "dense,colsim", "--shards", "3",
			"--output", shared, "--max-share=2,0", "--prune", "0,0.5", mlp)
		if !strings.Contains(out, "shard "+idx+"/3") {
			t.Errorf("pod %d: %s", i, out)
		}
	}
	status, _ := mustRun(t, exitOK, "sweep", "status", shared)
	if !strings.Contains(status, "6 points, 6 work units: 4 done, 0 running") || !strings.Contains(status, "1/3") {
		t.Errorf("status:\n%s", status)
	}
	_, stderr = mustRun(t, exitBadInput, "sweep", "merge", shared)
	if !strings.Contains(stderr, "2 missing") || !strings.Contains(stderr, "mlp prune 0.5 colsim/2") {
		t.Errorf("incomplete merge: %s", stderr)
	}
	env["JOB_COMPLETION_INDEX"] = "1"
	mustRun(t, exitOK, "sweep", "--calib=32", "--limit", "40", "--schemes", "dense,colsim", "--shards", "3",
		"--output", shared, "--max-share=2,0", "--prune", "0,0.5", mlp)
	merged := filepath.Join(dir, "merged")
	out, _ := mustRun(t, exitOK, "sweep", "merge", shared, "-o", merged)
	if !strings.Contains(out, "merged 6 points") {
		t.Errorf("merge: %s", out)
	}
	sameOutputs(t, single, merged)
	md, _ := os.ReadFile(filepath.Join(dir, "R.md"))
	if got, _ := os.ReadFile(filepath.Join(merged, "RESULTS.md")); !bytes.Equal(md, got) {
		t.Error("--results-md differs from the merged RESULTS.md")
	}
	if !strings.Contains(string(md), "rramc sweep --calib=32 --limit=40 --max-share=2,0 --prune=0,0.5 --schemes=dense,colsim "+mlp) {
		t.Errorf("RESULTS.md does not give the canonical command:\n%.600s", md)
	}
	// Run facts are in the run log, not in the results.
	logs, _ := filepath.Glob(filepath.Join(shared, "runs", "*.jsonl"))
	if len(logs) != 3 {
		t.Errorf("%d run logs, want 3", len(logs))
	}
	if b, _ := os.ReadFile(filepath.Join(merged, "results.json")); bytes.Contains(b, []byte("seconds")) || bytes.Contains(b, []byte(shared)) {
		t.Error("results.json holds run facts")
	}
}

func TestCanonicalCommand(t *testing.T) {
	fs := pflag.NewFlagSet("sweep", pflag.ContinueOnError)
	fs.StringP("output", "o", "", "")
	fs.Float64Slice("prune", nil, "")
	fs.Int("limit", 0, "")
	fs.Bool("per-channel", false, "")
	fs.String("shard", "", "")
	fs.String("hw", "", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"m.onnx", "--prune", "0,0.5", "-o", "x", "--limit=10"}, "rramc sweep --limit=10 --prune=0,0.5 m.onnx"},
		{[]string{"--limit", "10", "-ox", "--shard", "1/4", "--prune=0,0.5", "m.onnx"}, "rramc sweep --limit=10 --prune=0,0.5 m.onnx"},
		{[]string{"--per-channel", "a.onnx", "b c.onnx", "--hw", "h w.json"}, "rramc sweep '--hw=h w.json' --per-channel a.onnx 'b c.onnx'"},
		{[]string{"--prune", "0", "--prune", "0.5", "--", "-odd.onnx"}, "rramc sweep --prune=0 --prune=0.5 -odd.onnx"},
	} {
		if got := canonicalCommand(fs, tc.args); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

// TestSweepStatusWaits: --wait polls until the first task has written the
// grid and every unit is stored (the Kubernetes merge Job's init container).
func TestSweepStatusWaits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mlp := modelPath(t, "mlp")
	mustRun(t, exitBadInput, "sweep", "status", dir)
	done := make(chan struct{})
	var out string
	go func() {
		defer close(done)
		_, out, _ = run(t, "sweep", "status", "--wait", "20ms", dir)
	}()
	for i := range 2 {
		mustRun(t, exitOK, "sweep", mlp, "--prune", "0", "--schemes", "dense,sre", "--limit", "20", "--calib", "16",
			"--shard", fmt.Sprintf("%d/2", i), "-o", dir)
	}
	<-done
	if !strings.Contains(out, "2 work units: 2 done") {
		t.Errorf("status --wait printed %q", out)
	}
}
