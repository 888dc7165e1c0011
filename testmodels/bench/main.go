package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/importer/passes"
)

// workload is one row of the comparison: a model and the inputs both
// runtimes see.
type workload struct {
	name string // model file is <name>.onnx in the models directory
	// torchvision, when set, names the model's directory among the
	// torchvision exports (testmodels/torchvision_export.py, -tv-dir): the
	// file is <tv-dir>/<torchvision>/opset13.onnx.
	torchvision string
	batch       int // images per Run call
	iters       int // sweeps over the inputs per timed pass
	// inputs builds the whole input set (first axis = images).
	inputs func(in importer.ValueInfo) (*importer.Tensor, error)
}

// mnistTest is the 10,000-image MNIST test set, normalized as the models
// were trained (mean 0.1307, std 0.3081).
func mnistTest(in importer.ValueInfo) (*importer.Tensor, error) {
	set, err := dataset.MNISTTest()
	if err != nil {
		return nil, err
	}
	return set.BatchFor(in, 0, set.N, 0.1307, 0.3081)
}

// imagenetProbe is the deterministic 1×3×224×224 input the manifest
// documents for the ResNet-18 reference logits: x[i] = ((i mod 251)/250 -
// 0.5)·2.
func imagenetProbe(importer.ValueInfo) (*importer.Tensor, error) {
	x := importer.NewFloat([]int{1, 3, 224, 224}, nil)
	for i := range x.Float {
		x.Float[i] = (float32(i%251)/250 - 0.5) * 2
	}
	return x, nil
}

var workloads = []workload{
	{"lenet5", "", 64, 1, mnistTest},
	{"resnet_small", "", 64, 1, mnistTest},
	{"vgg_bn", "", 64, 1, mnistTest},
	{"mlp", "", 64, 1, mnistTest},
	{"resnet18", "", 1, 10, imagenetProbe},
	{"mobilenetv2", "", 1, 20, imagenetProbe},
	{"resnet50", "resnet50", 1, 5, imagenetProbe},
	{"mobilenetv3", "mobilenet_v3_large", 1, 20, imagenetProbe},
}

func main() {
	here, _ := os.Getwd()
	models := flag.String("models", "lenet5,resnet_small,vgg_bn,mlp,resnet18,mobilenetv2,resnet50,mobilenetv3", "comma-separated workloads")
	dir := flag.String("dir", filepath.Join(here, "testmodels"), "directory holding the .onnx files")
	nodeModules := flag.String("node-modules", os.Getenv("ORT_NODE_MODULES"), "node_modules directory with onnxruntime-node 1.30.0 (default $ORT_NODE_MODULES)")
	reps := flag.Int("reps", 5, "interleaved timed passes per runtime")
	profile := flag.String("cpuprofile", "", "write a CPU profile of rramc's passes to PREFIX-<model>.prof")
	threads := flag.Int("threads", 2, "threads for both runtimes (GOMAXPROCS and onnxruntime intra-op threads)")
	tvDir := flag.String("tv-dir", os.Getenv("RRAMC_TORCHVISION_DIR"), "directory of the torchvision exports, for resnet50 and mobilenetv3 (default $RRAMC_TORCHVISION_DIR)")
	flag.Parse()
	if *threads < 1 {
		fail(fmt.Errorf("-threads %d: want at least 1", *threads))
	}
	runtime.GOMAXPROCS(*threads)
	if *nodeModules == "" {
		fail(fmt.Errorf("-node-modules (or ORT_NODE_MODULES) must name the node_modules directory holding onnxruntime-node"))
	}
	script, err := scriptPath()
	if err != nil {
		fail(err)
	}
	tmp, err := os.MkdirTemp("", "rramc-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)

	fmt.Printf("%d threads each, %d interleaved passes each; times are medians, ratio = rramc/onnxruntime\n", *threads, *reps)
	fmt.Printf("%-13s %5s %7s %12s %12s %8s %10s\n", "model", "batch", "images", "rramc_ms", "ort_ms", "ratio", "max_diff")
	for _, name := range strings.Split(*models, ",") {
		i := slices.IndexFunc(workloads, func(w workload) bool { return w.name == name })
		if i < 0 {
			fail(fmt.Errorf("unknown workload %q", name))
		}
		w := workloads[i]
		path := filepath.Join(*dir, w.name+".onnx")
		if w.torchvision != "" {
			path = filepath.Join(*tvDir, w.torchvision, "opset13.onnx")
		}
		if _, err := os.Stat(path); err != nil {
			fmt.Printf("%-13s skipped: %v\n", w.name, err)
			continue
		}
		prefix := ""
		if *profile != "" {
			prefix = *profile + "-" + w.name + ".prof"
		}
		if err := compare(w, path, script, *nodeModules, tmp, *reps, *threads, prefix); err != nil {
			fail(fmt.Errorf("%s: %w", w.name, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// scriptPath finds ort.js next to this file (run from the repository root
// or from testmodels/bench).
func scriptPath() (string, error) {
	for _, p := range []string{"testmodels/bench/ort.js", "ort.js"} {
		if _, err := os.Stat(p); err == nil {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("ort.js not found: run from the repository root")
}

func compare(w workload, path, script, nodeModules, tmp string, reps, threads int, profile string) error {
	m, err := onnx.Load(path)
	if err != nil {
		return err
	}
	if m, err = passes.Optimize(m); err != nil {
		return err
	}
	prog, err := interp.NewModelProgram(m)
	if err != nil {
		return err
	}
	in := prog.Inputs()[0]
	x, err := w.inputs(in)
	if err != nil {
		return err
	}
	npy := filepath.Join(tmp, w.name+".npy")
	if err := dataset.WriteNPY(npy, x); err != nil {
		return err
	}
	batches := split(x, w.batch)
	outName := prog.Graph().Outputs[0].Name
	pass := func() (time.Duration, error) {
		t0 := time.Now()
		for it := 0; it < w.iters; it++ {
			for _, b := range batches {
				if _, err := prog.Run(map[string]*importer.Tensor{in.Name: b}); err != nil {
					return 0, err
				}
			}
		}
		return time.Since(t0), nil
	}

	cmd := exec.Command("node", script, path, npy, strconv.Itoa(w.batch), strconv.Itoa(w.iters), strconv.Itoa(threads))
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		io.WriteString(stdin, "quit\n")
		stdin.Close()
		cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<26)
	ask := func(req string) (string, error) {
		if req != "" {
			if _, err := io.WriteString(stdin, req+"\n"); err != nil {
				return "", err
			}
		}
		if !lines.Scan() {
			return "", fmt.Errorf("onnxruntime exited (%v)", lines.Err())
		}
		return lines.Text(), nil
	}
	if r, err := ask(""); err != nil || r != "ready" {
		return fmt.Errorf("onnxruntime did not start: %q %v", r, err)
	}

	// Same answer first: the first batch through both runtimes.
	res, err := prog.Run(map[string]*importer.Tensor{in.Name: batches[0]})
	if err != nil {
		return err
	}
	r, err := ask("check")
	if err != nil {
		return err
	}
	var ref struct {
		Shape []int
		Data  []float32
	}
	if err := json.Unmarshal([]byte(r), &ref); err != nil {
		return fmt.Errorf("onnxruntime check output: %w", err)
	}
	y := res[outName]
	if len(ref.Data) != len(y.Float) {
		return fmt.Errorf("output sizes differ: rramc %v, onnxruntime %v", y.Shape, ref.Shape)
	}
	diff := 0.0
	for i, v := range y.Float {
		diff = math.Max(diff, math.Abs(float64(v-ref.Data[i])))
	}

	// Warm up both, then interleave, alternating which goes first.
	if _, err := pass(); err != nil {
		return err
	}
	if _, err := ask("run"); err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Each timed pass follows an untimed lead-in pass of the same runtime,
	// so it never runs in the other's tail: onnxruntime's thread pool keeps
	// spinning after a run, and a rramc pass started right after one took
	// 15 % longer (MobileNetV2 at 2 threads: 208-231 ms after onnxruntime,
	// 178-184 ms after rramc). Pausing instead lets the VM slow both down
	// (an idle 300 ms before each pass cost both 1.5x).
	var ours, theirs, ratios []float64
	for rep := 0; rep < reps; rep++ {
		var a, b float64
		runOurs := func() error {
			if _, err := pass(); err != nil {
				return err
			}
			d, err := pass()
			a = float64(d) / float64(time.Millisecond)
			return err
		}
		runTheirs := func() error {
			if _, err := ask("run"); err != nil {
				return err
			}
			r, err := ask("run")
			if err != nil {
				return err
			}
			b, err = strconv.ParseFloat(r, 64)
			return err
		}
		first, second := runOurs, runTheirs
		if rep%2 == 1 {
			first, second = runTheirs, runOurs
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		ours, theirs, ratios = append(ours, a), append(theirs, b), append(ratios, a/b)
	}
	images := len(batches) * w.batch * w.iters
	if w.batch > 1 {
		images = x.Shape[0] * w.iters
	}
	fmt.Printf("%-13s %5d %7d %12.1f %12.1f %7.2fx %10.2g\n", w.name, w.batch, images, median(ours), median(theirs), median(ratios), diff)
	return nil
}

// split cuts x along its first axis into batches of up to n samples
// (views, no copy).
func split(x *importer.Tensor, n int) []*importer.Tensor {
	total := x.Shape[0]
	per := len(x.Float) / total
	var out []*importer.Tensor
	for s := 0; s < total; s += n {
		b := min(n, total-s)
		shape := append([]int{b}, x.Shape[1:]...)
		out = append(out, &importer.Tensor{DType: importer.Float, Shape: shape, Float: x.Float[s*per : (s+b)*per]})
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
