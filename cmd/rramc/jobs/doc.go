// Package jobs holds the files that run rramc on a cluster, and the tests
// that check them without one:
//
//   - sweep.sbatch and merge.sbatch: a Slurm array job computing the shards
//     of a sweep, and its merge step (cmd/rramc's TestSlurmArray runs them on
//     a real Slurm);
//   - kubernetes.yaml: a Kubernetes Indexed Job, its shared volume and a
//     merge Job; Dockerfile: the image they run.
//
// It is a module of its own so that k8s.io/api, which the manifest test
// decodes into, is not a dependency of rramc.
package jobs
