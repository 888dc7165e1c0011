package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decodeStrict converts one YAML document to JSON and decodes it into v,
// refusing any field v's type does not have.
//
// Why this check: `kubectl apply --dry-run=client` still needs an API
// server for the schema, and `--validate` is done by the server. Decoding
// into the Go types the API server itself decodes into (k8s.io/api) with
// unknown fields refused catches what a schema check would (misspelled or
// misplaced fields, wrong types, bad quantities) with no cluster and no
// network; the semantic rules below add what the schema cannot say (an
// Indexed Job's completions must match the --shards it passes rramc).
func decodeStrict(doc []byte, v any) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

type manifest struct {
	pvcs []corev1.PersistentVolumeClaim
	jobs map[string]batchv1.Job
}

func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := manifest{jobs: map[string]batchv1.Job{}}
	for i, doc := range strings.Split(string(data), "\n---\n") {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s document %d: %v", path, i, err)
		}
		switch head.APIVersion + " " + head.Kind {
		case "batch/v1 Job":
			var j batchv1.Job
			if err := decodeStrict([]byte(doc), &j); err != nil {
				t.Fatalf("%s document %d (Job): %v", path, i, err)
			}
			m.jobs[j.Name] = j
		case "v1 PersistentVolumeClaim":
			var p corev1.PersistentVolumeClaim
			if err := decodeStrict([]byte(doc), &p); err != nil {
				t.Fatalf("%s document %d (PersistentVolumeClaim): %v", path, i, err)
			}
			m.pvcs = append(m.pvcs, p)
		default:
			t.Fatalf("%s document %d: unexpected %q %q", path, i, head.APIVersion, head.Kind)
		}
	}
	return m
}

// flagValue returns the value after flag in a command line.
func flagValue(cmd []string, flag string) string {
	if i := slices.Index(cmd, flag); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}

// TestKubernetesManifest decodes every document of kubernetes.yaml strictly
// into its k8s.io/api type and checks what makes the sweep correct: an
// Indexed Job whose completions equal the shards it gives rramc, all pods
// writing to one ReadWriteMany claim, and a merge Job that waits for the
// same output directory and merges it.
func TestKubernetesManifest(t *testing.T) {
	m := readManifest(t, "kubernetes.yaml")
	if len(m.pvcs) != 1 || !slices.Contains(m.pvcs[0].Spec.AccessModes, corev1.ReadWriteMany) {
		t.Fatalf("want one ReadWriteMany claim, got %+v", m.pvcs)
	}
	claim := m.pvcs[0].Name
	sweep, ok := m.jobs["rramc-sweep"]
	if !ok {
		t.Fatal("no rramc-sweep Job")
	}
	spec := sweep.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("rramc-sweep is not an Indexed Job: pods would get no JOB_COMPLETION_INDEX")
	}
	if spec.Completions == nil || spec.Parallelism == nil {
		t.Fatal("completions and parallelism must be set")
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyOnFailure && pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: a Job needs OnFailure or Never", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) < 2 || c.Command[0] != "rramc" || c.Command[1] != "sweep" {
		t.Fatalf("command %q is not rramc sweep", c.Command)
	}
	if got, want := flagValue(c.Command, "--shards"), fmt.Sprint(*spec.Completions); got != want {
		t.Errorf("--shards %q but completions %s: shards would be lost or doubled", got, want)
	}
	out := flagValue(c.Command, "--output")
	if out == "" {
		t.Fatal("no --output")
	}
	mounted := func(ps corev1.PodSpec, ct corev1.Container) {
		t.Helper()
		for _, vm := range ct.VolumeMounts {
			if !strings.HasPrefix(out, vm.MountPath+"/") {
				continue
			}
			for _, v := range ps.Volumes {
				if v.Name == vm.Name && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
					return
				}
			}
		}
		t.Errorf("container %s does not mount claim %s at a parent of %s", ct.Name, claim, out)
	}
	mounted(pod, c)

	merge, ok := m.jobs["rramc-sweep-merge"]
	if !ok {
		t.Fatal("no rramc-sweep-merge Job")
	}
	mp := merge.Spec.Template.Spec
	if len(mp.InitContainers) != 1 || len(mp.Containers) != 1 {
		t.Fatalf("merge Job: %d init containers, %d containers", len(mp.InitContainers), len(mp.Containers))
	}
	wait, mc := mp.InitContainers[0], mp.Containers[0]
	if !slices.Equal(wait.Command, []string{"rramc", "sweep", "status", "--wait", "30s", out}) {
		t.Errorf("merge Job waits with %q", wait.Command)
	}
	if !slices.Equal(mc.Command, []string{"rramc", "sweep", "merge", out}) {
		t.Errorf("merge Job runs %q", mc.Command)
	}
	mounted(mp, wait)
	mounted(mp, mc)
	for _, ct := range []corev1.Container{c, wait, mc} {
		if ct.Image != c.Image {
			t.Errorf("container %s runs %s, the sweep %s", ct.Name, ct.Image, c.Image)
		}
	}
}

// TestStrictDecodingCatchesMistakes: the check must fail on what it claims
// to catch.
func TestStrictDecodingCatchesMistakes(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelled field": "apiVersion: batch/v1\nkind: Job\nspec:\n  completionsMode: Indexed\n",
		"misplaced field":  "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    restartPolicy: Never\n",
		"wrong type":       "apiVersion: batch/v1\nkind: Job\nspec:\n  completions: four\n",
		"bad quantity":     "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          resources: {limits: {cpu: lots}}\n",
	} {
		var j batchv1.Job
		if err := decodeStrict([]byte(doc), &j); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSlurmScripts checks the batch scripts' shell syntax and that the
// sweep script passes the output directory and the rest of its arguments on.
func TestSlurmScripts(t *testing.T) {
	for _, f := range []string{"sweep.sbatch", "merge.sbatch"} {
		if out, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
	// Run the sweep script with a stand-in for rramc that prints its
	// arguments and the GOMAXPROCS it gets.
	dir := t.TempDir()
	fake := dir + "/rramc"
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"GOMAXPROCS=$GOMAXPROCS $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "sweep.sbatch", "/shared/out", "--limit", "100", "m.onnx")
	cmd.Env = append(os.Environ(), "RRAMC="+fake, "SLURM_CPUS_PER_TASK=3")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "GOMAXPROCS=3 sweep --output /shared/out --limit 100 m.onnx" {
		t.Errorf("sweep.sbatch ran %q (%v)", out, err)
	}
	cmd = exec.Command("bash", "merge.sbatch", "/shared/out")
	cmd.Env = append(os.Environ(), "RRAMC="+fake)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "sweep merge /shared/out") {
		t.Errorf("merge.sbatch ran %q (%v)", out, err)
	}
}
