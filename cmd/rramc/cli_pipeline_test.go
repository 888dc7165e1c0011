package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/interp"
	"github.com/rramc/rramc/importer/onnx"
	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// TestQuantize writes QDQ models and checks that running them in float32
// reproduces the integer model eval computes from the original.
func TestQuantize(t *testing.T) {
	t.Parallel()
	const limit = "500"
	tests := []struct {
		model string
		flags []string
	}{
		{"lenet5", []string{"--wbits", "8"}},
		{"lenet5", []string{"--wbits", "4", "--prune", "0.5", "--per-channel"}},
		{"mlp", []string{"--wbits", "8"}},
	}
	for _, tc := range tests {
		t.Run(tc.model+strings.Join(tc.flags, ""), func(t *testing.T) {
			t.Parallel()
			src := modelPath(t, tc.model)
			out := filepath.Join(t.TempDir(), "q.onnx")
			stdout, _ := mustRun(t, exitOK, append([]string{"quantize", src, "-o", out}, tc.flags...)...)
			if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "total") {
				t.Errorf("quantize output: %s", stdout)
			}
			m, err := onnx.Load(out)
			if err != nil {
				t.Fatalf("onnx.Load(quantized model): %v", err)
			}
			if !quant.IsQDQ(m) {
				t.Error("quantized model is not QDQ")
			}
			if quant.IsQDQ(loadModel(t, src)) {
				t.Error("quant.IsQDQ is true for the float original: the check above proves nothing")
			}
			if len(m.Graph.Inputs) != 1 {
				t.Errorf("quantized model has %d inputs", len(m.Graph.Inputs))
			}
			// The QDQ file in float32 computes what the integer model computes.
			q := runJSON(t, "eval", out, "--mode", "float", "--limit", limit, "--json")
			i := runJSON(t, append([]string{"eval", src, "--mode", "int", "--limit", limit, "--json"}, tc.flags...)...)
			aq, ai := num(t, q, "accuracy"), num(t, i, "accuracy_int")
			if math.Abs(aq-ai) > 1.0/500+1e-9 {
				t.Errorf("QDQ model in float32: %v, integer model of the original: %v (more than one image apart)", aq, ai)
			}
			// Re-quantizing the QDQ file keeps its scales: the same integer model.
			qi := runJSON(t, "eval", out, "--mode", "int", "--limit", limit, "--json")
			if a := num(t, qi, "accuracy_int"); a != ai {
				t.Errorf("QDQ model --mode int %v, original %v", a, ai)
			}
			if ai < 0.9 {
				t.Errorf("integer accuracy %v", ai)
			}
		})
	}

	t.Run("failure leaves no file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		lenet := modelPath(t, "lenet5")
		out := filepath.Join(dir, "q.onnx")
		mustRun(t, exitBadInput, "quantize", lenet, "-o", out, "--wbits", "9")
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("failed quantize created %s (stat: %v)", out, err)
		}
		// An existing file is replaced only by a complete new one.
		old := writeFile(t, dir, "old.onnx", []byte("old"))
		mustRun(t, exitBadInput, "quantize", lenet, "-o", old, "--prune", "1.5")
		if b, _ := os.ReadFile(old); string(b) != "old" {
			t.Errorf("failed quantize changed %s", old)
		}
		// Writing over a directory fails without damage or temporary files.
		sub := filepath.Join(dir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := run(t, "quantize", lenet, "-o", sub); code == exitOK {
			t.Error("quantize onto a directory succeeded")
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "old.onnx" && e.Name() != "sub" {
				t.Errorf("unexpected file %s left in the output directory", e.Name())
			}
		}
	})
}

// weightElements is Σ K×N over the weight layers, from the importer.
func weightElements(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for _, l := range importer.Summarize(loadModel(t, path), interp.Supported).Layers {
		p := int64(1)
		for _, d := range l.WeightShape {
			p *= int64(d)
		}
		n += p
	}
	return n
}

// TestMapAndSim maps LeNet-5 to a file, checks the statistics against the
// file read back and the model's weight count, then simulates the file.
func TestMapAndSim(t *testing.T) {
	t.Parallel()
	const limit = "300"
	lenet := modelPath(t, "lenet5")
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "m.map")

	mj := runJSON(t, "map", lenet, "-o", mapFile, "--scheme", "colsim", "--json")
	if got := str(t, mj, "output"); got != mapFile {
		t.Errorf("output %q, want %q", got, mapFile)
	}
	if s := str(t, mj, "scheme"); s != "colsim" {
		t.Errorf("scheme %q", s)
	}
	for _, k := range []string{"ou_activations", "crossbars", "cells", "index_bits"} {
		if v := num(t, mj, "total", k); v <= 0 {
			t.Errorf("total.%s = %v", k, v)
		}
	}
	// Every weight bit is in the logical bit matrix: 8 bits per weight.
	if bits, want := num(t, mj, "total", "bits"), float64(8*weightElements(t, lenet)); bits != want {
		t.Errorf("total.bits %v, want 8 bits x %v weights = %v", bits, want/8, want)
	}
	layers := objects(t, mj, "layers")
	var sumXbars float64
	for _, l := range layers {
		sumXbars += num(t, l, "crossbars")
	}
	if sumXbars != num(t, mj, "total", "crossbars") {
		t.Errorf("layers' crossbars sum to %v, total says %v", sumXbars, num(t, mj, "total", "crossbars"))
	}
	// The file holds the mapping the statistics describe.
	mp, err := mapper.ReadFile(mapFile)
	if err != nil {
		t.Fatalf("mapper.ReadFile: %v", err)
	}
	_, total, err := mp.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]int64{"crossbars": total.Crossbars, "cells": total.Cells, "ou_activations": total.OUActivations, "index_bits": total.IndexBits} {
		if num(t, mj, "total", k) != float64(v) {
			t.Errorf("total.%s %v, the written file's Stats %d", k, num(t, mj, "total", k), v)
		}
	}

	// The dense scheme is the reference the colsim statistics quote.
	dj := runJSON(t, "map", lenet, "--scheme", "dense", "--json")
	if a, b := num(t, dj, "total", "crossbars"), num(t, mj, "total", "dense_crossbars"); a != b {
		t.Errorf("dense mapping uses %v crossbars, colsim's dense_crossbars says %v", a, b)
	}
	if a, b := num(t, dj, "total", "ou_activations"), num(t, mj, "total", "dense_ou_activations"); a != b {
		t.Errorf("dense mapping %v OU activations, colsim's dense_ou_activations says %v", a, b)
	}
	if ib := num(t, dj, "total", "index_bits"); ib != 0 {
		t.Errorf("dense mapping has %v index bits", ib)
	}
	if num(t, mj, "total", "cells") > num(t, dj, "total", "cells") || num(t, mj, "total", "crossbars") > num(t, dj, "total", "crossbars") {
		t.Errorf("colsim uses more cells or crossbars than dense: %v/%v vs %v/%v", num(t, mj, "total", "cells"), num(t, mj, "total", "crossbars"),
			num(t, dj, "total", "cells"), num(t, dj, "total", "crossbars"))
	}
	// Fewer weight bits, fewer bits.
	w4 := runJSON(t, "map", lenet, "--wbits", "4", "--json")
	if got, want := num(t, w4, "total", "bits"), float64(4*weightElements(t, lenet)); got != want {
		t.Errorf("--wbits 4: total.bits %v, want %v", got, want)
	}

	// --stats prints the same numbers as a table.
	stdout, _ := mustRun(t, exitOK, "map", lenet, "--stats")
	for _, l := range layers {
		if !strings.Contains(stdout, str(t, l, "name")) {
			t.Errorf("--stats lacks layer %s", str(t, l, "name"))
		}
	}
	var totalLine string
	for line := range strings.Lines(stdout) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "total" {
			totalLine = line
		}
	}
	f := strings.Fields(totalLine)
	if len(f) < 4 || f[1] != fmt.Sprint(total.Crossbars) || f[2] != fmt.Sprint(total.Cells) || f[3] != fmt.Sprint(total.OUActivations) {
		t.Errorf("--stats total line %q, want %d crossbars %d cells %d OU activations", totalLine, total.Crossbars, total.Cells, total.OUActivations)
	}

	// Simulating the file equals simulating the model.
	sf := runJSON(t, "sim", mapFile, "--data", "mnist", "--limit", limit, "--json")
	for _, k := range []string{"accuracy_sim", "accuracy_int", "bit_exact", "top1_agreement", "cycles", "energy_pj", "area_um2", "seconds"} {
		field(t, sf, k)
	}
	if _, ok := sf["accuracy_float"]; ok {
		t.Error("sim of a mapping file reports accuracy_float: the float model is not in the file")
	}
	if ag := num(t, sf, "bit_exact"); ag != 1 {
		t.Errorf("agreement %v on ideal hardware, want 1", ag)
	}
	if a, b := num(t, sf, "accuracy_sim"), num(t, sf, "accuracy_int"); a != b || a < 0.9 {
		t.Errorf("accuracy_sim %v accuracy_int %v", a, b)
	}
	if num(t, sf, "cycles") <= 0 || num(t, sf, "energy_pj", "total") <= 0 || num(t, sf, "area_um2", "total") <= 0 {
		t.Errorf("cycles %v energy %v area %v", num(t, sf, "cycles"), num(t, sf, "energy_pj", "total"), num(t, sf, "area_um2", "total"))
	}
	if a, b := num(t, sf, "crossbars"), num(t, mj, "total", "crossbars"); a != b {
		t.Errorf("sim uses %v crossbars, the mapping %v", a, b)
	}
	sm := runJSON(t, "sim", lenet, "--limit", limit, "--json")
	if _, ok := sm["accuracy_float"]; !ok {
		t.Error("sim of a model lacks accuracy_float")
	}
	st, ok := sm["stage_seconds"].(map[string]any)
	if !ok {
		t.Fatalf("sim of a model lacks stage_seconds: %v", sm["stage_seconds"])
	}
	var stageSum float64
	for _, k := range []string{"load", "quantize", "map", "compile", "float", "int", "sim"} {
		v := num(t, st, k)
		if v < 0 {
			t.Errorf("stage_seconds.%s = %v", k, v)
		}
		stageSum += v
	}
	if total := num(t, sm, "seconds"); stageSum > total {
		t.Errorf("stage_seconds add up to %v s, more than the run's %v s", stageSum, total)
	}
	num(t, sf, "stage_seconds", "read") // a mapping file is read, not loaded and mapped
	drop := []string{"model", "seconds", "stage_seconds", "accuracy_float"}
	if a, b := without(sf, drop...), without(sm, drop...); !reflect.DeepEqual(a, b) {
		t.Errorf("sim of the mapping file and sim of the model differ:\nfile  %v\nmodel %v", a, b)
	}
	// The text form.
	stdout, _ = mustRun(t, exitOK, "sim", mapFile, "--limit", "50")
	for _, s := range []string{"scheme colsim", "integer (golden)", "simulated", "per inference", "total", "area", "index overhead"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("sim text output lacks %q:\n%s", s, stdout)
		}
	}
	// The mapping's geometry is fixed: asking for another is an error.
	mustRun(t, exitBadInput, "sim", mapFile, "--limit", "10", "--ou", "4x4")

	good, err := os.ReadFile(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"magic only", good[:8]},
		{"header", good[:30]},
		{"truncated half", good[:len(good)/2]},
		{"truncated by one byte", good[:len(good)-1]},
		{"one byte flipped", corrupt},
		{"trailing garbage", append(bytes.Clone(good), 1, 2, 3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, t.TempDir(), "bad.map", c.data)
			_, stderr := mustRun(t, exitBadInput, "sim", p, "--limit", "10")
			if !strings.Contains(stderr, p) {
				t.Errorf("error does not name the file: %s", stderr)
			}
		})
	}
}

// TestSimMaxAccuracyDrop checks the exit code 3 contract.
func TestSimMaxAccuracyDrop(t *testing.T) {
	t.Parallel()
	lenet := modelPath(t, "lenet5")
	mapFile := filepath.Join(t.TempDir(), "m.map")
	mustRun(t, exitOK, "map", lenet, "-o", mapFile)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"ideal, zero tolerance", []string{lenet, "--max-accuracy-drop", "0"}, exitOK},
		{"generous", []string{lenet, "--max-accuracy-drop", "99", "--adc-bits", "1"}, exitOK},
		{"1-bit ADC", []string{lenet, "--max-accuracy-drop", "5", "--adc-bits", "1"}, exitAccuracy},
		{"2-bit weights", []string{lenet, "--max-accuracy-drop", "5", "--wbits", "2"}, exitAccuracy},
		{"95% pruning", []string{lenet, "--max-accuracy-drop", "5", "--prune", "0.95"}, exitAccuracy},
		{"no threshold", []string{lenet, "--adc-bits", "1"}, exitOK},
		{"negative threshold refused", []string{lenet, "--max-accuracy-drop", "-1", "--adc-bits", "1"}, exitBadInput},
		{"mapping file, ideal", []string{mapFile, "--max-accuracy-drop", "0"}, exitOK},
		{"mapping file, 1-bit ADC", []string{mapFile, "--max-accuracy-drop", "5", "--adc-bits", "1"}, exitAccuracy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"sim", "--limit", "100", "--json"}, tc.args...)
			code, stdout, stderr := run(t, args...)
			if code != tc.want {
				t.Fatalf("rramc %s: exit %d, want %d\nstderr: %s", strings.Join(args, " "), code, tc.want, stderr)
			}
			if tc.want == exitBadInput {
				return
			}
			// The report is printed either way; the exit code must follow from it.
			obj := parseObject(t, stdout, args)
			ref, what := num(t, obj, "accuracy_int"), "integer"
			if _, ok := obj["accuracy_float"]; ok {
				ref, what = num(t, obj, "accuracy_float"), "float"
			}
			drop := 100 * (ref - num(t, obj, "accuracy_sim"))
			if tc.want == exitAccuracy {
				if drop <= 5 {
					t.Errorf("exit 3 but the drop from %s is only %.2f points", what, drop)
				}
				if !strings.Contains(stderr, what) || !strings.Contains(stderr, fmt.Sprintf("%.2f points", drop)) {
					t.Errorf("message should quote the %.2f point drop from %s: %s", drop, what, stderr)
				}
			} else if stderr != "" {
				t.Errorf("exit 0 with stderr %s", stderr)
			}
		})
	}
}

// TestSimNonIdealities checks that the random non-idealities are a function
// of the seed alone.
func TestSimNonIdealities(t *testing.T) {
	t.Parallel()
	mlp := modelPath(t, "mlp")
	sim := func(extra ...string) map[string]any {
		obj := runJSON(t, append([]string{"sim", mlp, "--limit", "30", "--json"}, extra...)...)
		return without(obj, "seconds", "stage_seconds")
	}
	// At sigma 0.1 the accuracies happen not to depend on the seed over few
	// images; 0.3 moves them.
	a := sim("--variation", "0.3", "--seed", "1")
	b := sim("--variation", "0.3", "--seed", "1")
	c := sim("--variation", "0.3", "--seed", "2")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two runs with --seed 1 differ:\n%v\n%v", a, b)
	}
	if got := num(t, a, "hw", "variation_sigma"); got != 0.3 {
		t.Errorf("hw.variation_sigma %v, want 0.3", got)
	}
	if num(t, a, "seed") != 1 || num(t, c, "seed") != 2 {
		t.Errorf("seeds reported %v and %v, want 1 and 2", num(t, a, "seed"), num(t, c, "seed"))
	}
	if reflect.DeepEqual(without(a, "seed"), without(c, "seed")) {
		t.Error("--seed 1 and --seed 2 give the same results")
	}
	// Variation makes the outputs differ from the golden model's.
	if ag := num(t, a, "bit_exact"); ag == 1 {
		t.Error("agreement 1 under 30 % conductance variation")
	}
	if a, b := num(t, a, "accuracy_int"), num(t, c, "accuracy_int"); a != b {
		t.Errorf("the golden model depends on the seed: %v vs %v", a, b)
	}

	// Stuck-at faults, on the fast path, follow the same rule.
	s1 := sim("--stuck-at1", "0.05", "--seed", "1")
	s1b := sim("--stuck-at1", "0.05", "--seed", "1")
	if !reflect.DeepEqual(s1, s1b) {
		t.Errorf("two stuck-at runs with --seed 1 differ")
	}

	// Without non-idealities the seed is irrelevant and the two simulator
	// modes agree bit for bit.
	lenet := modelPath(t, "lenet5")
	i1 := without(runJSON(t, "sim", lenet, "--limit", "50", "--json", "--seed", "1"), "seconds", "stage_seconds", "seed")
	i2 := without(runJSON(t, "sim", lenet, "--limit", "50", "--json", "--seed", "7"), "seconds", "stage_seconds", "seed")
	bs := without(runJSON(t, "sim", lenet, "--limit", "50", "--json", "--sim-mode", "bitserial"), "seconds", "stage_seconds", "seed")
	if !reflect.DeepEqual(i1, i2) {
		t.Error("ideal hardware: the seed changes the results")
	}
	if !reflect.DeepEqual(without(i1, "mode"), without(bs, "mode")) {
		t.Errorf("--sim-mode auto and bitserial differ on ideal hardware:\n%v\n%v", i1, bs)
	}
}

// --cell-bits 2 maps base-4 digit columns: exact on lossless hardware, and
// fewer OU activations than 1-bit cells for the paper's pairs on LeNet-5.
func TestCellBitsFlag(t *testing.T) {
	lenet := modelPath(t, "lenet5")
	one := runJSON(t, "sim", lenet, "--limit", "100", "--json", "--adc-bits", "5")
	two := runJSON(t, "sim", lenet, "--limit", "100", "--json", "--adc-bits", "5", "--cell-bits", "2")
	if num(t, two, "bit_exact") != 1 || num(t, two, "hw", "cell_bits") != 2 {
		t.Fatalf("2-bit cells: bit_exact %v cell_bits %v", num(t, two, "bit_exact"), num(t, two, "hw", "cell_bits"))
	}
	a1, a2 := num(t, one, "counts", "ou_activations"), num(t, two, "counts", "ou_activations")
	if !(a2 < a1) {
		t.Errorf("OU activations: 2-bit %v, 1-bit %v", a2, a1)
	}
	if code, _, stderr := run(t, "sim", lenet, "--limit", "10", "--cell-bits", "3"); code != exitBadInput || !strings.Contains(stderr, "cell_bits") {
		t.Errorf("--cell-bits 3: exit %d, %s", code, stderr)
	}
}
