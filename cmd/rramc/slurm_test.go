package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slurmUp skips the test unless a Slurm controller answers (CI starts one
// with .ci/slurm-start).
func slurmUp(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the Slurm test runs a real array job")
	}
	for _, c := range []string{"sbatch", "squeue", "scontrol", "scancel"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("Slurm absent (%s not found); .ci/slurm-start starts a one-node Slurm", c)
		}
	}
	out, err := exec.Command("scontrol", "ping").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is UP") {
		t.Skipf("no Slurm controller answers (scontrol ping: %v %s); .ci/slurm-start starts one", err, bytes.TrimSpace(out))
	}
}

// buildRRAMC builds the CLI into dir for the batch jobs to run.
func buildRRAMC(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "rramc")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitJob waits until job id has no pending or running task.
func waitJob(t *testing.T, id string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		out, err := exec.Command("squeue", "-h", "-j", id, "-o", "%i %T").Output()
		if err == nil && len(bytes.TrimSpace(out)) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("job %s still queued after %v", id, limit)
}

// task1Done counts the stored points of shard 1/4 (grid indices ≡ 1 mod 4).
func task1Done(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "grid.json"))
	if err != nil {
		return 0
	}
	var g struct {
		Points []struct {
			ID string `json:"point_id"`
		} `json:"points"`
	}
	if json.Unmarshal(b, &g) != nil {
		return 0
	}
	n := 0
	for i := 1; i < len(g.Points); i += 4 {
		if _, err := os.Stat(filepath.Join(dir, "points", g.Points[i].ID+".json")); err == nil {
			n++
		}
	}
	return n
}

// TestSlurmArray submits a sweep as `sbatch --array=0-3`, kills one array
// task's rramc with SIGKILL in the middle of a point, requeues it, merges,
// and compares results.json, the CSVs, report.html and RESULTS.md byte for
// byte with a single-process run of the same grid into another directory.
// The run logs must show that no point was computed twice: the requeued
// task recomputed only what its killed run had not finished.
func TestSlurmArray(t *testing.T) {
	slurmUp(t)
	dir := t.TempDir()
	bin := buildRRAMC(t, dir)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	grid := []string{modelPath(t, "mlp"), modelPath(t, "lenet5"), "--prune", "0,0.5", "--schemes", "dense,zerocol,sre,colsim",
		"--max-share", "2,0", "--limit", "200", "--calib", "64"}
	single := filepath.Join(dir, "single")
	if out, err := exec.Command(bin, append([]string{"sweep", "-o", single}, grid...)...).CombinedOutput(); err != nil {
		t.Fatalf("single run: %v\n%s", err, out)
	}

	shared := filepath.Join(dir, "shared")
	args := append([]string{"--parsable", "--array=0-3", "--chdir=" + wd, "--output=" + filepath.Join(dir, "task-%A_%a.log"),
		"--export=ALL,RRAMC=" + bin, filepath.Join(wd, "jobs", "sweep.sbatch"), shared}, grid...)
	out, err := exec.Command("sbatch", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sbatch: %v\n%s", err, out)
	}
	job := strings.TrimSpace(strings.Split(string(out), ";")[0])
	t.Logf("array job %s", job)
	t.Cleanup(func() { exec.Command("scancel", job).Run() })

	// SIGKILL task 1's rramc while it holds a claim (in the middle of a
	// point), once it has stored at least one of its points.
	killed := false
	deadline := time.Now().Add(3 * time.Minute)
	for !killed && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if task1Done(shared) == 0 {
			continue
		}
		claims, _ := filepath.Glob(filepath.Join(shared, "running", "*"))
		for _, c := range claims {
			b, err := os.ReadFile(c)
			if err != nil {
				continue
			}
			var cl struct {
				PID   int    `json:"pid"`
				Shard string `json:"shard"`
			}
			if json.Unmarshal(b, &cl) != nil || cl.Shard != "1/4" {
				continue
			}
			if err := syscall.Kill(cl.PID, syscall.SIGKILL); err == nil {
				killed = true
				t.Logf("killed task 1 (pid %d) while computing %s", cl.PID, filepath.Base(c))
				break
			}
		}
	}
	if !killed {
		t.Fatal("never saw task 1 in the middle of a point")
	}
	waitJob(t, job, 5*time.Minute)

	// Task 1 is unfinished: the merge names its missing points.
	code, _, stderr := run(t, "sweep", "merge", shared)
	if code != exitBadInput || !strings.Contains(stderr, "missing") {
		t.Fatalf("merge after the kill: exit %d, %s", code, stderr)
	}
	status, _ := mustRun(t, exitOK, "sweep", "status", shared)
	t.Logf("after the kill:\n%s", status)

	if out, err := exec.Command("scontrol", "requeue", job+"_1").CombinedOutput(); err != nil {
		t.Fatalf("scontrol requeue %s_1: %v\n%s", job, err, out)
	}
	time.Sleep(time.Second)
	waitJob(t, job, 5*time.Minute)

	merged := filepath.Join(dir, "merged")
	mustRun(t, exitOK, "sweep", "merge", shared, "-o", merged)
	sameOutputs(t, single, merged)

	// No unit computed twice over every task's runs; task 1 ran twice and
	// its second run found the first run's points stored.
	logs, _ := filepath.Glob(filepath.Join(shared, "runs", "*.jsonl"))
	units := map[string]int{}
	var task1 []map[string]any
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		var start map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			switch ev["event"] {
			case "start":
				start = ev
			case "unit":
				units[ev["unit"].(string)]++
			case "end":
				if start["shard"] == "1/4" {
					task1 = append(task1, ev)
				}
			}
		}
	}
	if len(logs) != 5 {
		t.Errorf("%d run logs, want 5 (4 tasks and the requeued one)", len(logs))
	}
	if len(units) != 20 {
		t.Errorf("%d units computed, want the 20 points of the grid", len(units))
	}
	for u, n := range units {
		if n != 1 {
			t.Errorf("unit %s computed %d times", u, n)
		}
	}
	// The killed run never logged its end; the requeued one did.
	if len(task1) != 1 {
		t.Fatalf("task 1 ended %d times, want once (the killed run has no end)", len(task1))
	}
	stored, _ := task1[0]["stored"].(float64)
	computed, _ := task1[0]["computed"].(float64)
	t.Logf("requeued task 1: %v points already stored, %v recomputed", stored, computed)
	if computed+stored != 5 || computed < 1 || stored < 1 {
		t.Errorf("requeued task 1: %v stored + %v computed, want 5, the points finished before the kill stored", stored, computed)
	}
	if n, _ := strconv.Atoi(job); n <= 0 {
		t.Errorf("job id %q", job)
	}
}
