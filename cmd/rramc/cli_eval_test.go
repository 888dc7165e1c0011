package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rramc/rramc/hwsim"
	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/dataset"
	"github.com/rramc/rramc/importer/interp"
)

// TestEvalFloatFullTestSet compares the float32 accuracy over the whole
// MNIST test set with PyTorch's, recorded in the manifest (within one image).
func TestEvalFloatFullTestSet(t *testing.T) {
	t.Parallel()
	man := manifest(t)
	for _, name := range []string{"mlp", "lenet5"} {
		t.Run(name, func(t *testing.T) {
			md := man.Models[name]
			obj := runJSON(t, "eval", modelPath(t, name), "--json", "--batch", "500")
			if got := num(t, obj, "images"); got != float64(md.TestImages) {
				t.Fatalf("images %v, want the whole test set, %d", got, md.TestImages)
			}
			correct := num(t, obj, "accuracy") * float64(md.TestImages)
			if math.Abs(correct-float64(md.Top1Correct)) > 1.01 {
				t.Errorf("float32 top-1 %.0f/%d correct, PyTorch %d", correct, md.TestImages, md.Top1Correct)
			}
		})
	}
}

// TestEvalModes checks the JSON of --mode float, int, sim and all on the
// same 500 images and that the modes agree with each other.
func TestEvalModes(t *testing.T) {
	t.Parallel()
	const limit = 500
	lenet := modelPath(t, "lenet5")
	ev := func(mode string, extra ...string) map[string]any {
		return runJSON(t, append([]string{"eval", lenet, "--mode", mode, "--limit", strconv.Itoa(limit), "--json"}, extra...)...)
	}
	// The weight layers, from the importer: the names eval's sparsity uses.
	var layers []string
	for _, l := range importer.Summarize(loadModel(t, lenet), interp.Supported).Layers {
		layers = append(layers, l.Node)
	}

	fl := ev("float")
	for _, k := range []string{"accuracy", "accuracy_float", "images", "seconds", "stage_seconds", "model", "data"} {
		field(t, fl, k)
	}
	for _, k := range []string{"accuracy_int", "accuracy_sim", "sparsity", "layers", "sim"} {
		if _, ok := fl[k]; ok {
			t.Errorf("--mode float output has %q", k)
		}
	}
	if got := num(t, fl, "images"); got != limit {
		t.Errorf("images %v, want %d", got, limit)
	}
	accF := num(t, fl, "accuracy")
	if accF <= 0.9 || accF > 1 {
		t.Errorf("lenet5 float accuracy %v on %d images: want > 0.9 (manifest: %v)", accF, limit, manifest(t).Models["lenet5"].Top1)
	}
	if num(t, fl, "accuracy_float") != accF {
		t.Errorf("accuracy %v != accuracy_float %v", accF, num(t, fl, "accuracy_float"))
	}
	if s := num(t, fl, "seconds"); s <= 0 {
		t.Errorf("seconds %v", s)
	}

	checkSparsity := func(obj map[string]any, lo, hi float64) {
		t.Helper()
		sp := objects(t, obj, "layers")
		if len(sp) != len(layers) {
			t.Fatalf("layers has %d layers, the model %d (%v)", len(sp), len(layers), layers)
		}
		if s := num(t, obj, "sparsity"); s < lo || s > hi {
			t.Errorf("sparsity %v, want in [%v, %v]", s, lo, hi)
		}
		for i, l := range sp {
			if name := str(t, l, "name"); name != layers[i] {
				t.Errorf("layers[%d] is %q, want %q", i, name, layers[i])
			}
			if s := num(t, l, "sparsity"); s < lo || s > hi {
				t.Errorf("layer %s sparsity %v, want in [%v, %v]", layers[i], s, lo, hi)
			}
		}
	}

	in := ev("int")
	accI := num(t, in, "accuracy_int")
	if num(t, in, "accuracy") != accI {
		t.Errorf("--mode int: accuracy %v != accuracy_int %v", num(t, in, "accuracy"), accI)
	}
	if _, ok := in["accuracy_float"]; ok {
		t.Error("--mode int output has accuracy_float")
	}
	if math.Abs(accI-accF) > 0.01 {
		t.Errorf("8-bit integer accuracy %v is far from float %v", accI, accF)
	}
	checkSparsity(in, 0, 0.1) // unpruned: only weights that round to 0
	if w := num(t, in, "config", "weight_bits"); w != 8 {
		t.Errorf("config.weight_bits %v, want the default 8", w)
	}

	pr := ev("int", "--prune", "0.5", "--prune-scope", "layer", "--wbits", "6")
	checkSparsity(pr, 0.5, 0.6) // magnitude pruning to half, every layer
	if w := num(t, pr, "config", "weight_bits"); w != 6 {
		t.Errorf("config.weight_bits %v, want 6", w)
	}
	if p := num(t, pr, "config", "prune"); p != 0.5 {
		t.Errorf("config.prune %v, want 0.5", p)
	}

	all := ev("all")
	if got := num(t, all, "accuracy_float"); got != accF {
		t.Errorf("--mode all accuracy_float %v, --mode float %v", got, accF)
	}
	if got := num(t, all, "accuracy_int"); got != accI {
		t.Errorf("--mode all accuracy_int %v, --mode int %v", got, accI)
	}
	accS := num(t, all, "accuracy_sim")
	if num(t, all, "accuracy") != accS {
		t.Errorf("--mode all: accuracy %v != accuracy_sim %v", num(t, all, "accuracy"), accS)
	}
	// Ideal hardware (no noise, 8-bit ADC over 9-row OUs) is bit-exact.
	if be, ta := num(t, all, "bit_exact"), num(t, all, "top1_agreement"); be != 1 || ta != 1 || accS != accI {
		t.Errorf("ideal hardware: bit_exact %v, top1_agreement %v, simulated %v vs integer %v", be, ta, accS, accI)
	}
	if got := num(t, all, "sim", "images"); got != limit {
		t.Errorf("sim.images %v, want %d", got, limit)
	}
	checkSparsity(all, 0, 0.1)

	sim := ev("sim")
	if _, ok := sim["accuracy_float"]; ok {
		t.Error("--mode sim output has accuracy_float")
	}
	if num(t, sim, "accuracy_sim") != accS || num(t, sim, "sim", "cycles") != num(t, all, "sim", "cycles") {
		t.Errorf("--mode sim and --mode all disagree: %v/%v vs %v/%v", num(t, sim, "accuracy_sim"), num(t, sim, "sim", "cycles"), accS, num(t, all, "sim", "cycles"))
	}
}

// TestEvalBundledDefault runs eval without a model: the bundled LeNet-5 in
// --mode all, with the gains over the baselines, which are checked against
// separate sim runs of each baseline scheme.
func TestEvalBundledDefault(t *testing.T) {
	t.Parallel()
	const limit = "200"
	obj := runJSON(t, "eval", "--limit", limit, "--json")
	if m := str(t, obj, "model"); !strings.Contains(m, "lenet5") {
		t.Errorf("model %q: want the bundled lenet5", m)
	}
	if m := str(t, obj, "mode"); m != "all" {
		t.Errorf("mode %q, want all", m)
	}
	for _, k := range []string{"accuracy_float", "accuracy_int", "accuracy_sim", "bit_exact", "top1_agreement"} {
		if a := num(t, obj, k); a <= 0.9 || a > 1 {
			t.Errorf("%s %v", k, a)
		}
	}
	if ag := num(t, obj, "bit_exact"); ag != 1 {
		t.Errorf("bit_exact %v on ideal hardware, want 1", ag)
	}
	// The bundled model is testmodels/lenet5.onnx.
	fl := runJSON(t, "eval", modelPath(t, "lenet5"), "--mode", "float", "--limit", limit, "--json")
	if a, b := num(t, obj, "accuracy_float"), num(t, fl, "accuracy"); a != b {
		t.Errorf("bundled float accuracy %v, testmodels/lenet5.onnx %v", a, b)
	}
	scheme := str(t, obj, "sim", "scheme")
	cycles, energy := num(t, obj, "sim", "cycles"), num(t, obj, "sim", "energy_pj", "total")
	gains := objects(t, obj, "gains")
	var baselinesSeen []string
	for _, g := range gains {
		b := str(t, g, "baseline")
		baselinesSeen = append(baselinesSeen, b)
		if s := str(t, g, "scheme"); s != scheme {
			t.Errorf("gain over %s: scheme %q, sim.scheme %q", b, s, scheme)
		}
		if num(t, g, "cycles") != cycles || num(t, g, "energy_pj") != energy {
			t.Errorf("gain over %s: cycles %v energy %v, sim says %v %v", b, num(t, g, "cycles"), num(t, g, "energy_pj"), cycles, energy)
		}
		bc, be := num(t, g, "baseline_cycles"), num(t, g, "baseline_energy_pj")
		if pi := num(t, g, "performance_improvement"); math.Abs(pi-(bc/cycles-1)) > 1e-12 {
			t.Errorf("gain over %s: performance_improvement %v, baseline/cycles-1 = %v", b, pi, bc/cycles-1)
		}
		if es := num(t, g, "energy_saving"); math.Abs(es-be/energy) > 1e-12 {
			t.Errorf("gain over %s: energy_saving %v, baseline/energy = %v", b, es, be/energy)
		}
		// Independent truth: simulate the baseline scheme on its own.
		ref := runJSON(t, "sim", modelPath(t, "lenet5"), "--scheme", b, "--limit", "1", "--json")
		if num(t, ref, "cycles") != bc || num(t, ref, "energy_pj", "total") != be || num(t, ref, "index_overhead", "bits") != num(t, g, "baseline_index_bits") {
			t.Errorf("gain over %s: baseline %v cycles %v pJ %v index bits, sim --scheme %s says %v %v %v", b, bc, be, num(t, g, "baseline_index_bits"),
				b, num(t, ref, "cycles"), num(t, ref, "energy_pj", "total"), num(t, ref, "index_overhead", "bits"))
		}
		if b == "dense" && num(t, g, "baseline_index_bits") != 0 {
			t.Errorf("dense baseline has %v index bits", num(t, g, "baseline_index_bits"))
		}
	}
	if fmt.Sprint(baselinesSeen) != "[dense zerocol sre]" {
		t.Errorf("gains over %v, want [dense zerocol sre]", baselinesSeen)
	}

	// The text form carries the same table.
	stdout, _ := mustRun(t, exitOK, "eval", "--limit", "50")
	for _, s := range []string{"bundled lenet5", "float32 top-1", "integer top-1", "simulated top-1", "gains of colsim", "dense", "zerocol", "sre"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("eval text output lacks %q:\n%s", s, stdout)
		}
	}
}

// writeMNISTNPY writes the first n MNIST test images (NCHW, the manifest's
// preprocessing) and their labels as .npy files.
func writeMNISTNPY(t *testing.T, dir string, n int) (images, labels string, x *importer.Tensor) {
	t.Helper()
	set, err := dataset.MNISTTest()
	if err != nil {
		t.Fatal(err)
	}
	pp := manifest(t).Preprocessing
	x, err = set.Batch(0, n, dataset.NCHW, pp.Mean, pp.Std)
	if err != nil {
		t.Fatal(err)
	}
	images = writeNPY(t, dir, "images.npy", x)
	ls, err := set.LabelInts(0, n)
	if err != nil {
		t.Fatal(err)
	}
	lt := &importer.Tensor{DType: importer.Int64, Shape: []int{n}}
	for _, l := range ls {
		lt.Int = append(lt.Int, int64(l))
	}
	labels = writeNPY(t, dir, "labels.npy", lt)
	return images, labels, x
}

// TestEvalNPYData evaluates on user .npy data: the first 16 test images,
// whose PyTorch logits the manifest records.
func TestEvalNPYData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	images, labels, _ := writeMNISTNPY(t, dir, 16)
	for _, name := range manifest(t).Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			md := manifest(t).Models[name]
			ok := 0
			for i, row := range md.LogitsFirst16 {
				best := 0
				for j, v := range row {
					if v > row[best] {
						best = j
					}
				}
				if best == md.LabelsFirst16[i] {
					ok++
				}
			}
			obj := runJSON(t, "eval", modelPath(t, name), "--data", images, "--labels", labels, "--json")
			if n := num(t, obj, "images"); n != 16 {
				t.Errorf("images %v, want 16", n)
			}
			if got, want := num(t, obj, "accuracy"), float64(ok)/16; got != want {
				t.Errorf("accuracy on the first 16 images %v, PyTorch's logits give %v", got, want)
			}
		})
	}
	t.Run("labels mismatch", func(t *testing.T) {
		t.Parallel()
		sub := t.TempDir()
		_, short, _ := writeMNISTNPY(t, sub, 8)
		_, stderr := mustRun(t, exitBadInput, "eval", modelPath(t, "lenet5"), "--data", images, "--labels", short)
		if !strings.Contains(stderr, "labels") {
			t.Errorf("error: %s", stderr)
		}
	})
	t.Run("calib beyond data", func(t *testing.T) {
		// All 16 inputs calibrate, with a note: the same network as --calib 16.
		t.Parallel()
		args := []string{"eval", modelPath(t, "lenet5"), "--mode", "int", "--data", images, "--labels", labels, "--json", "--calib"}
		stdout, stderr := mustRun(t, exitOK, append(args, "17")...)
		if !strings.Contains(stderr, "note: --calib 17") || !strings.Contains(stderr, "16 samples") {
			t.Errorf("no note about --calib 17: %s", stderr)
		}
		all, _ := mustRun(t, exitOK, append(args, "16")...)
		if a, b := num(t, parseObject(t, stdout, nil), "accuracy_int"), num(t, parseObject(t, all, nil), "accuracy_int"); a != b {
			t.Errorf("--calib 17 of 16: accuracy %v, --calib 16: %v", a, b)
		}
	})
	t.Run("labels file is not labels", func(t *testing.T) {
		t.Parallel()
		mustRun(t, exitBadInput, "eval", modelPath(t, "lenet5"), "--data", images, "--labels", images)
	})
}

// TestBadFlags checks that invalid quantization, mode and geometry flags are
// usage errors (exit 2) naming the flag, and that nothing is written.
func TestBadFlags(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"wbits 0", []string{"--wbits", "0"}, "wbits 0"},
		{"wbits 9", []string{"--wbits", "9"}, "wbits 9"},
		{"wbits 1", []string{"--wbits", "1"}, "wbits 1"},
		{"abits 1", []string{"--abits", "1"}, "abits 1"},
		{"abits 9", []string{"--abits", "9"}, "abits 9"},
		{"prune 1.5", []string{"--prune", "1.5"}, "prune 1.5"},
		{"prune 1", []string{"--prune", "1"}, "prune 1"},
		{"prune negative", []string{"--prune", "-0.1"}, "prune -0.1"},
		{"prune NaN", []string{"--prune", "NaN"}, "prune NaN"},
		{"calib 0", []string{"--calib", "0"}, "calib 0"},
		{"calib negative", []string{"--calib", "-5"}, "calib -5"},
		{"prune-scope bogus", []string{"--prune-scope", "bogus"}, "bogus"},
		{"prune-structure bogus", []string{"--prune-structure", "bogus"}, "bogus"},
		{"calib-method bogus", []string{"--calib-method", "bogus"}, "bogus"},
		{"percentile 101", []string{"--calib-method", "percentile", "--percentile", "101"}, "percentile 101"},
		{"percentile 0", []string{"--calib-method", "percentile", "--percentile", "0"}, "percentile 0"},
	}
	for _, tc := range tests {
		t.Run("quantize/"+tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".onnx")
			_, stderr := mustRun(t, exitBadInput, append([]string{"quantize", lenet, "-o", out}, tc.args...)...)
			if !strings.Contains(stderr, tc.wantMsg) {
				t.Errorf("error lacks %q: %s", tc.wantMsg, stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("failed quantize left %s (stat: %v)", out, err)
			}
		})
		// The same flags are shared by eval, map and sim.
		for _, cmd := range [][]string{{"eval", lenet, "--mode", "int", "--limit", "10"}, {"map", lenet, "--json"}, {"sim", lenet, "--limit", "10"}} {
			t.Run(cmd[0]+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				mustRun(t, exitBadInput, append(cmd, tc.args...)...)
			})
		}
	}
	t.Run("calib beyond the calibration set", func(t *testing.T) {
		// The whole embedded set calibrates, with a note: the same network
		// as --calib at its size.
		t.Parallel()
		args := []string{"eval", lenet, "--mode", "int", "--limit", "10", "--json", "--calib"}
		over, stderr := mustRun(t, exitOK, append(args, strconv.Itoa(dataset.CalibImages+1))...)
		if !strings.Contains(stderr, "note: --calib "+strconv.Itoa(dataset.CalibImages+1)) {
			t.Errorf("no note: %s", stderr)
		}
		at, _ := mustRun(t, exitOK, append(args, strconv.Itoa(dataset.CalibImages))...)
		if a, b := num(t, parseObject(t, over, nil), "accuracy_int"), num(t, parseObject(t, at, nil), "accuracy_int"); a != b {
			t.Errorf("accuracy %v with --calib beyond the set, %v at its size", a, b)
		}
	})

	hwTests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"ou without x", []string{"--ou", "9"}, "--ou"},
		{"ou zero rows", []string{"--ou", "0x8"}, "--ou"},
		{"ou letters", []string{"--ou", "axb"}, "--ou"},
		{"ou negative", []string{"--ou", "-1x8"}, "--ou"},
		{"ou missing cols", []string{"--ou", "9x"}, "--ou"},
		{"ou empty", []string{"--ou", "x"}, "--ou"},
		{"ou three dims", []string{"--ou", "9x8x2"}, "--ou"},
		{"ou larger than crossbar", []string{"--ou", "200x8"}, "ou_rows"},
		{"xbar without x", []string{"--xbar", "128"}, "--xbar"},
		{"xbar zero", []string{"--xbar", "0x128"}, "--xbar"},
		{"xbar spaces", []string{"--xbar", "128 x 128"}, "--xbar"},
		{"xbar smaller than OU", []string{"--xbar", "4x4"}, "ou_rows"},
		{"scheme bogus", []string{"--scheme", "bogus"}, "bogus"},
		{"max-share negative", []string{"--max-share", "-1"}, "--max-share"},
		{"adc-bits 99", []string{"--adc-bits", "99"}, "adc_bits"},
		{"adc-bits 0", []string{"--adc-bits", "0"}, "adc_bits"},
		{"adc-mode bogus", []string{"--adc-mode", "bogus"}, "adc_mode"},
		{"variation negative", []string{"--variation", "-1"}, "variation"},
		{"variation NaN", []string{"--variation", "NaN"}, "variation"},
		{"stuck-at0 2", []string{"--stuck-at0", "2"}, "stuck_at0"},
		{"stuck-at1 negative", []string{"--stuck-at1", "-0.5"}, "stuck_at1"},
		{"adc-noise negative", []string{"--adc-noise", "-1"}, "adc_noise"},
		{"sim-mode bogus", []string{"--sim-mode", "bogus"}, "bogus"},
		{"missing hw file", []string{"--hw", filepath.Join(dir, "nope.json")}, "nope.json"},
	}
	for _, tc := range hwTests {
		for _, cmd := range [][]string{{"sim", lenet, "--limit", "10"}, {"eval", lenet, "--mode", "sim", "--limit", "10"}} {
			t.Run(cmd[0]+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				_, stderr := mustRun(t, exitBadInput, append(cmd, tc.args...)...)
				if !strings.Contains(stderr, tc.wantMsg) {
					t.Errorf("error lacks %q: %s", tc.wantMsg, stderr)
				}
			})
		}
	}
	t.Run("map/ou letters", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(dir, "bad.rmap")
		mustRun(t, exitBadInput, "map", lenet, "-o", out, "--ou", "axb")
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("failed map left %s (stat: %v)", out, err)
		}
	})

	for _, args := range [][]string{
		{"eval", lenet, "--mode", "bogus"},
		{"eval", "--mode", "bogus"}, // bundled model
		{"eval", lenet, "--mode", "FLOAT"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			_, stderr := mustRun(t, exitBadInput, args...)
			if !strings.Contains(stderr, "--mode") {
				t.Errorf("error lacks --mode: %s", stderr)
			}
		})
	}
}

// TestSimComponentBreakdown: `sim` reports energy and area by cost
// component, in the JSON (energy_pj and area_um2 keyed by component, the
// parts adding up to the total) and in the text (one table column per
// component, and the area by component), here on the mnsim whole-chip
// preset.
func TestSimComponentBreakdown(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	args := []string{"sim", lenet, "--hw", "mnsim", "--scheme", "colsim", "--limit", "20"}
	obj := runJSON(t, append(args, "--json")...)
	names := hwsim.ComponentNames()
	for _, key := range []string{"energy_pj", "area_um2"} {
		sum := 0.0
		for _, c := range names {
			sum += num(t, obj, key, c)
		}
		if total := num(t, obj, key, "total"); total <= 0 || math.Abs(sum/total-1) > 1e-9 {
			t.Errorf("%s: components add up to %v, total %v", key, sum, total)
		}
	}
	for _, c := range []string{"crossbar", "dac", "adc", "buffer", "pooling"} {
		if num(t, obj, "energy_pj", c) <= 0 {
			t.Errorf("energy_pj.%s is not positive on the mnsim chip", c)
		}
	}
	out, _ := mustRun(t, 0, args...)
	labels := hwsim.ComponentLabels()
	var header []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "layer" {
			header = f
		}
	}
	for _, l := range labels {
		if !strings.Contains(strings.Join(header, " "), l) {
			t.Errorf("text table header %q lacks component %q", header, l)
		}
	}
	if !strings.Contains(out, "area ") || !strings.Contains(out, "buffer ") {
		t.Errorf("text output lacks the area breakdown:\n%s", out)
	}
}
