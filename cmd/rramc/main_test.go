package main

// In-process tests of the rramc command line: every test calls runMain with
// buffers for stdout and stderr and checks the exit code and the output
// against independent truth (testmodels/manifest.json, the library
// packages). The other files are cli_*_test.go, one per area.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/testmodels"
)

// run runs one rramc invocation in-process. A panic fails the test with the
// command line instead of crashing the whole test binary.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("rramc %s panicked: %v\n%s", strings.Join(args, " "), r, debug.Stack())
			}
		}()
		code = runMain(t.Context(), &env{stdout: &out, stderr: &errb}, args)
	}()
	return code, out.String(), errb.String()
}

// mustRun runs rramc and fails the test unless it exits with want.
func mustRun(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := run(t, args...)
	if code != want {
		t.Fatalf("rramc %s: exit %d, want %d\nstderr: %s\nstdout: %.2000s", strings.Join(args, " "), code, want, stderr, stdout)
	}
	return stdout, stderr
}

// runJSON runs rramc, wants exit 0 and returns stdout as a JSON object.
func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	stdout, _ := mustRun(t, exitOK, args...)
	return parseObject(t, stdout, args)
}

func parseObject(t *testing.T, s string, args []string) map[string]any {
	t.Helper()
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("rramc %s: stdout is not one JSON object: %v\n%.2000s", strings.Join(args, " "), err, s)
	}
	if dec.More() {
		t.Fatalf("rramc %s: stdout holds more than one JSON value", strings.Join(args, " "))
	}
	return obj
}

// field returns obj[path[0]][path[1]]..., failing the test when a key is
// missing.
func field(t *testing.T, obj map[string]any, path ...string) any {
	t.Helper()
	var v any = obj
	for i, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("JSON %s is %T, not an object", strings.Join(path[:i], "."), v)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("JSON has no key %q (have %v)", strings.Join(path[:i+1], "."), keys(m))
		}
	}
	return v
}

// num returns a numeric field.
func num(t *testing.T, obj map[string]any, path ...string) float64 {
	t.Helper()
	n, ok := field(t, obj, path...).(json.Number)
	if !ok {
		t.Fatalf("JSON %s = %v is not a number", strings.Join(path, "."), field(t, obj, path...))
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatalf("JSON %s = %v: %v", strings.Join(path, "."), n, err)
	}
	return f
}

// str returns a string field.
func str(t *testing.T, obj map[string]any, path ...string) string {
	t.Helper()
	s, ok := field(t, obj, path...).(string)
	if !ok {
		t.Fatalf("JSON %s = %v is not a string", strings.Join(path, "."), field(t, obj, path...))
	}
	return s
}

// objects returns an array of objects.
func objects(t *testing.T, obj map[string]any, path ...string) []map[string]any {
	t.Helper()
	arr, ok := field(t, obj, path...).([]any)
	if !ok {
		t.Fatalf("JSON %s is not an array", strings.Join(path, "."))
	}
	out := make([]map[string]any, len(arr))
	for i, v := range arr {
		if out[i], ok = v.(map[string]any); !ok {
			t.Fatalf("JSON %s[%d] is not an object", strings.Join(path, "."), i)
		}
	}
	return out
}

func keys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// without returns a copy of obj without the given top-level keys.
func without(obj map[string]any, drop ...string) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		if !slices.Contains(drop, k) {
			out[k] = v
		}
	}
	return out
}

var manifestOnce = sync.OnceValues(func() (*testmodels.Manifest, error) {
	return testmodels.LoadManifest("../../testmodels")
})

// manifest returns testmodels/manifest.json, the independent truth.
func manifest(t *testing.T) *testmodels.Manifest {
	t.Helper()
	m, err := manifestOnce()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// modelPath returns the path of a committed test model.
func modelPath(t *testing.T, name string) string {
	t.Helper()
	p, err := manifest(t).Path(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsage(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	unlabelled := writeNPY(t, t.TempDir(), "x.npy", &importer.Tensor{DType: importer.Float, Shape: []int{2, 1, 28, 28}, Float: make([]float32, 2*28*28)})
	ours := []string{"eval", "hw", "inspect", "map", "quantize", "run", "sim"}
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout []string // substrings of stdout
		wantStderr []string // substrings of stderr
	}{
		{"no args", nil, exitBadInput, append([]string{"Usage: rramc COMMAND", "Exit codes"}, ours...), nil},
		{"help", []string{"help"}, exitOK, append([]string{"Usage: rramc COMMAND"}, ours...), nil},
		{"-h", []string{"-h"}, exitOK, []string{"Usage: rramc COMMAND"}, nil},
		{"--help", []string{"--help"}, exitOK, []string{"Usage: rramc COMMAND"}, nil},
		{"unknown command", []string{"frobnicate"}, exitBadInput, nil, []string{`unknown command "frobnicate"`, "Usage: rramc COMMAND"}},
		{"help eval", []string{"help", "eval"}, exitOK, []string{"Usage: rramc eval", "--mode", "--limit", "--wbits", "--scheme", "--json"}, nil},
		{"eval --help", []string{"eval", "--help"}, exitOK, []string{"Usage: rramc eval", "--mode"}, nil},
		{"help sim", []string{"help", "sim"}, exitOK, []string{"Usage: rramc sim", "--max-accuracy-drop", "--variation", "--seed"}, nil},
		{"help map", []string{"help", "map"}, exitOK, []string{"Usage: rramc map", "--stats", "--output"}, nil},
		{"help quantize", []string{"help", "quantize"}, exitOK, []string{"Usage: rramc quantize", "--output", "--prune"}, nil},
		{"help run", []string{"help", "run"}, exitOK, []string{"Usage: rramc run", "--input", "--output"}, nil},
		{"help inspect", []string{"help", "inspect"}, exitOK, []string{"Usage: rramc inspect", "--json"}, nil},
		{"help hw", []string{"help", "hw"}, exitOK, []string{"Usage: rramc hw", "defaults", "check"}, nil},
		{"unknown flag", []string{"eval", "--bogus"}, exitBadInput, nil, []string{"unknown flag: --bogus"}},
		{"unknown short flag", []string{"inspect", "-z", lenet}, exitBadInput, nil, []string{"unknown shorthand flag"}},
		{"flag without value", []string{"eval", "--limit"}, exitBadInput, nil, []string{"--limit"}},
		{"non-integer flag", []string{"eval", lenet, "--wbits", "x"}, exitBadInput, nil, []string{`invalid argument "x" for "--wbits"`}},
		{"inspect no model", []string{"inspect"}, exitBadInput, nil, []string{"inspect: want exactly one MODEL"}},
		{"inspect two models", []string{"inspect", lenet, lenet}, exitBadInput, nil, []string{"inspect: want exactly one MODEL"}},
		{"eval two models", []string{"eval", lenet, lenet}, exitBadInput, nil, []string{"eval: want at most one MODEL"}},
		{"run without input", []string{"run", lenet}, exitBadInput, nil, []string{"run: want MODEL and --input"}},
		{"quantize without output", []string{"quantize", lenet}, exitBadInput, nil, []string{"quantize: want MODEL and -o"}},
		{"map with nothing to do", []string{"map", lenet}, exitBadInput, nil, []string{"map: nothing to do"}},
		{"sim without model", []string{"sim"}, exitBadInput, nil, []string{"sim: want one MODEL"}},
		{"hw without subcommand", []string{"hw"}, exitBadInput, nil, []string{"hw: want 'defaults' or 'check FILE.json'"}},
		{"hw check without file", []string{"hw", "check"}, exitBadInput, nil, []string{"hw: want"}},
		{"hw bogus", []string{"hw", "bogus"}, exitBadInput, nil, []string{"hw: want"}},
		{"hw defaults extra", []string{"hw", "defaults", "extra"}, exitBadInput, nil, []string{"hw: want"}},
		{"negative limit", []string{"eval", lenet, "--limit", "-1"}, exitBadInput, nil, []string{"--limit -1"}},
		{"zero batch", []string{"eval", lenet, "--batch", "0"}, exitBadInput, nil, []string{"--batch 0"}},
		{"npy data without labels", []string{"eval", lenet, "--data", unlabelled}, exitBadInput, nil, []string{"needs --labels"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, tc.args...)
			if code != tc.want {
				t.Fatalf("rramc %s: exit %d, want %d\nstderr: %s", strings.Join(tc.args, " "), code, tc.want, stderr)
			}
			for _, s := range tc.wantStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.wantStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if code == exitOK && stderr != "" {
				t.Errorf("exit 0 but stderr is not empty: %s", stderr)
			}
			if code != exitOK && tc.args != nil {
				// Errors go to stderr only, prefixed with the program name.
				if stdout != "" {
					t.Errorf("failing command wrote to stdout: %s", stdout)
				}
				if !strings.HasPrefix(stderr, "rramc") {
					t.Errorf("stderr does not start with \"rramc\": %s", stderr)
				}
			}
		})
	}
}

// TestInspect checks inspect against the manifest: opset, parameter count
// and op histogram of every committed model.
func TestInspect(t *testing.T) {
	t.Parallel()
	man := manifest(t)
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		stdout, _ := mustRun(t, exitOK, "inspect", modelPath(t, "lenet5"))
		md := man.Models["lenet5"]
		for _, s := range []string{"opset", fmt.Sprint(man.Versions.Opset), "Conv", "Gemm", "parameters", fmt.Sprintf("(%d)", md.Params), "unsupported  none",
			"/net/net.0/Conv         Conv         crossbar", "/net/net.2/AveragePool  AveragePool  digital   kind AvgPool",
			"\nverdict: runs end to end: 5 crossbar layers, 2 digital nodes\n"} {
			if !strings.Contains(stdout, s) {
				t.Errorf("inspect output lacks %q:\n%s", s, stdout)
			}
		}
	})
	for _, name := range man.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			md := man.Models[name]
			obj := runJSON(t, "inspect", "--json", modelPath(t, name))
			if got := num(t, obj, "opset"); got != float64(man.Versions.Opset) {
				t.Errorf("opset %v, manifest says %d", got, man.Versions.Opset)
			}
			// The manifest counts PyTorch's parameters. A graph with BatchNorm
			// also holds its running mean and variance (2 per channel); one
			// whose BatchNorm was folded into bias-free Convs holds a Conv bias
			// (1 per channel) instead of BatchNorm's scale and shift (2).
			got, want := num(t, obj, "params"), float64(md.Params)
			g := loadModel(t, modelPath(t, name)).Graph
			var bnChannels, convBias int64
			for _, n := range g.Nodes {
				switch {
				case n.OpType == "BatchNormalization" && len(n.Inputs) == 5:
					bnChannels += int64(g.Initializers[n.Inputs[3]].Len())
				case n.OpType == "Conv" && len(n.Inputs) == 3:
					convBias += int64(g.Initializers[n.Inputs[2]].Len())
				}
			}
			switch {
			case md.BatchNormInGraph:
				if bnChannels == 0 {
					t.Fatal("manifest says BatchNorm is in the graph, the importer finds none")
				}
				want += float64(2 * bnChannels)
			case strings.Contains(md.Description, "BatchNormalization folded"):
				want -= float64(convBias)
			}
			if got != want {
				t.Errorf("params %v, manifest says %v", got, want)
			}
			ops := map[string]int{}
			for _, o := range objects(t, obj, "ops") {
				ops[str(t, o, "op")] = int(num(t, o, "count"))
			}
			if fmt.Sprint(ops) != fmt.Sprint(md.Ops) {
				t.Errorf("ops %v, manifest says %v", ops, md.Ops)
			}
			if u, _ := field(t, obj, "unsupported").([]any); len(u) != 0 {
				t.Errorf("unsupported ops %v in a committed model", u)
			}
			// Every layer with a constant weight goes to crossbars, and the
			// model runs end to end.
			if field(t, obj, "runs_end_to_end") != true || !strings.HasPrefix(str(t, obj, "verdict"), "runs end to end") {
				t.Errorf("verdict %q", str(t, obj, "verdict"))
			}
			placement, _ := field(t, obj, "placement").(map[string]any)
			if got, want := num(t, placement, "crossbar_layers"), float64(len(objects(t, obj, "layers"))); got != want {
				t.Errorf("%v crossbar layers, %v layers with constant weights", got, want)
			}
			if got := len(objects(t, placement, "nodes")); got != int(num(t, obj, "nodes")) {
				t.Errorf("%d placements for %v nodes", got, num(t, obj, "nodes"))
			}
			in := objects(t, obj, "inputs")
			if len(in) != 1 || str(t, in[0], "name") != md.Input.Name {
				t.Errorf("inputs %v, manifest input is %q", in, md.Input.Name)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(t.TempDir(), "nope.onnx")
		_, stderr := mustRun(t, exitBadInput, "inspect", missing)
		if !strings.Contains(stderr, missing) {
			t.Errorf("error does not name the file: %s", stderr)
		}
	})
}

// TestMalformedModels feeds broken model files to every command that reads
// a model: each must exit 2 with a message naming the file, never panic.
func TestMalformedModels(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(modelPath(t, "lenet5"))
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 4096)
	var x uint64 = 0x9e3779b97f4a7c15
	for i := range random {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		random[i] = byte(x)
	}
	npy := append([]byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"), make([]byte, 64)...)
	dir := t.TempDir()
	files := []struct{ name, file string }{
		{"empty", writeFile(t, dir, "empty.onnx", nil)},
		{"one byte", writeFile(t, dir, "one.onnx", good[:1])},
		{"two bytes", writeFile(t, dir, "two.onnx", good[:2])},
		{"header only", writeFile(t, dir, "head.onnx", good[:100])},
		{"truncated half", writeFile(t, dir, "half.onnx", good[:len(good)/2])},
		{"truncated by one byte", writeFile(t, dir, "minus1.onnx", good[:len(good)-1])},
		{"random bytes", writeFile(t, dir, "random.onnx", random)},
		{"text", writeFile(t, dir, "text.onnx", []byte("this is not an ONNX model\n"))},
		{"npy file", writeFile(t, dir, "data.onnx", npy)},
		{"directory", dir},
	}
	input := filepath.Join(dir, "in.npy")
	cmds := [][]string{
		{"inspect"},
		{"eval", "--limit", "10"},
		{"run", "--input", input},
		{"quantize", "-o", filepath.Join(dir, "out.onnx")},
		{"map", "--json"},
		{"sim", "--limit", "10"},
	}
	for _, f := range files {
		for _, c := range cmds {
			t.Run(f.name+"/"+c[0], func(t *testing.T) {
				args := append([]string{c[0], f.file}, c[1:]...)
				_, stderr := mustRun(t, exitBadInput, args...)
				if !strings.Contains(stderr, f.file) {
					t.Errorf("error does not name %s: %s", f.file, stderr)
				}
			})
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.onnx")); !os.IsNotExist(err) {
		t.Errorf("quantize of a malformed model left out.onnx behind (stat: %v)", err)
	}
}

// TestHW checks hw defaults and hw check against hwsim.
func TestHW(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stdout, _ := mustRun(t, exitOK, "hw", "defaults")
	defaults := writeFile(t, dir, "defaults.json", []byte(stdout))
	got, err := hwsim.LoadHW(defaults)
	if err != nil {
		t.Fatalf("hwsim.LoadHW(hw defaults output): %v", err)
	}
	if want := hwsim.Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("hw defaults output loads as\n%+v\nwant hwsim.Defaults()\n%+v", got, want)
	}
	out, _ := mustRun(t, exitOK, "hw", "check", defaults)
	if !strings.Contains(out, "valid") || !strings.Contains(out, "128x128") {
		t.Errorf("hw check output: %s", out)
	}

	var base map[string]any
	if err := json.Unmarshal([]byte(stdout), &base); err != nil {
		t.Fatal(err)
	}
	variant := func(name string, edit func(m map[string]any)) string {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		edit(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name, b)
	}
	adc4 := variant("adc4.json", func(m map[string]any) { m["adc_bits"] = 4 })
	mustRun(t, exitOK, "hw", "check", adc4)

	bad := []struct {
		name, file, wantMsg string
	}{
		{"unknown field", variant("unknown.json", func(m map[string]any) { m["bogus_field"] = 1 }), "bogus_field"},
		{"negative energy", variant("negative.json", func(m map[string]any) { m["dac_energy_pj"] = -1 }), "dac_energy_pj"},
		{"negative table energy", variant("negtable.json", func(m map[string]any) { m["adc_energy_pj"] = map[string]any{"8": -0.5} }), "adc_energy_pj"},
		{"adc_bits 99", variant("adc99.json", func(m map[string]any) { m["adc_bits"] = 99 }), "adc_bits"},
		{"zero crossbar", variant("xbar0.json", func(m map[string]any) { m["xbar_rows"] = 0 }), "xbar_rows"},
		{"OU larger than crossbar", variant("ou.json", func(m map[string]any) { m["ou_rows"] = 256 }), "ou_rows"},
		{"wrong type", variant("type.json", func(m map[string]any) { m["adc_bits"] = "eight" }), "adc_bits"},
		{"broken JSON", writeFile(t, dir, "broken.json", []byte(stdout[:len(stdout)/2])), "JSON"},
		{"empty", writeFile(t, dir, "empty.json", nil), ""},
		{"missing", filepath.Join(dir, "missing.json"), "missing.json"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr := mustRun(t, exitBadInput, "hw", "check", tc.file)
			if !strings.Contains(stderr, filepath.Base(tc.file)) || !strings.Contains(stderr, tc.wantMsg) {
				t.Errorf("error should name %s and %q: %s", filepath.Base(tc.file), tc.wantMsg, stderr)
			}
			// The same file given to the simulator is bad input too.
			_, stderr = mustRun(t, exitBadInput, "sim", modelPath(t, "lenet5"), "--limit", "1", "--hw", tc.file)
			if !strings.Contains(stderr, filepath.Base(tc.file)) {
				t.Errorf("sim --hw error does not name %s: %s", filepath.Base(tc.file), stderr)
			}
		})
	}

	// Presets: hw defaults --preset prints the shipped file, hw check and
	// --hw take the name, sim reports the whole chip's pipeline.
	t.Run("presets", func(t *testing.T) {
		t.Parallel()
		for _, name := range hwsim.PresetNames() {
			out, _ := mustRun(t, exitOK, "hw", "defaults", "--preset", name)
			want, err := hwsim.Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := hwsim.ParseHW([]byte(out))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("hw defaults --preset %s: %v\n%+v\nwant\n%+v", name, err, got, want)
			}
			mustRun(t, exitOK, "hw", "check", name)
		}
		_, stderr := mustRun(t, exitBadInput, "hw", "defaults", "--preset", "nope")
		if !strings.Contains(stderr, "nope") || !strings.Contains(stderr, "isaac") {
			t.Errorf("unknown preset: %s", stderr)
		}
		obj := runJSON(t, "sim", modelPath(t, "lenet5"), "--limit", "2", "--json", "--hw", "isaac", "--ou", "9x8")
		if num(t, obj, "period_ns") <= 0 || num(t, obj, "throughput_ips") <= 0 || num(t, obj, "energy_pj", "register") <= 0 {
			t.Errorf("sim --hw isaac: no pipeline or whole-chip components in %v", obj["energy_pj"])
		}
		if got := num(t, obj, "hw", "chip", "pes_per_tile"); got != 12 {
			t.Errorf("sim --hw isaac: hw.chip.pes_per_tile %v, want 12", got)
		}
	})

	// A hardware file is honoured by sim and a geometry flag overrides it.
	t.Run("sim --hw", func(t *testing.T) {
		t.Parallel()
		lenet := modelPath(t, "lenet5")
		obj := runJSON(t, "sim", lenet, "--limit", "20", "--json", "--hw", adc4)
		if got := num(t, obj, "hw", "adc_bits"); got != 4 {
			t.Errorf("sim --hw adc4.json: hw.adc_bits %v, want 4", got)
		}
		obj = runJSON(t, "sim", lenet, "--limit", "20", "--json", "--hw", adc4, "--adc-bits", "6", "--ou", "16x16")
		if got := num(t, obj, "hw", "adc_bits"); got != 6 {
			t.Errorf("--adc-bits 6 over adc4.json: hw.adc_bits %v, want 6", got)
		}
		if r, c := num(t, obj, "hw", "ou_rows"), num(t, obj, "hw", "ou_cols"); r != 16 || c != 16 {
			t.Errorf("--ou 16x16: hw OU %vx%v", r, c)
		}
	})
}

// loadModel loads a model with the importer, as independent truth.
func loadModel(t *testing.T, path string) *importer.Model {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatalf("onnx.Load(%s): %v", path, err)
	}
	return m
}

// Flags a mapping file cannot honour are refused, not silently ignored;
// help for an unknown command is a usage error; a negative or NaN
// --max-accuracy-drop is refused rather than turning the check off.
func TestRefusedFlags(t *testing.T) {
	dir := t.TempDir()
	mp := filepath.Join(dir, "m.rmap")
	mustRun(t, exitOK, "map", modelPath(t, "mlp"), "-o", mp, "--scheme", "colsim")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", mp, "--wbits", "4", "--limit", "10"}, "--wbits"},
		{[]string{"sim", mp, "--scheme", "dense", "--prune", "0.5", "--limit", "10"}, "--prune"},
		{[]string{"sim", modelPath(t, "mlp"), "--max-accuracy-drop", "-1", "--limit", "10"}, "max-accuracy-drop"},
		{[]string{"sim", modelPath(t, "mlp"), "--max-accuracy-drop", "NaN", "--limit", "10"}, "max-accuracy-drop"},
		{[]string{"help", "nosuch"}, "nosuch"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %s", c.args, code, stderr, exitBadInput, c.want)
		}
	}
}
