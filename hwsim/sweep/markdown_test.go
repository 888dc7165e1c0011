package sweep

import (
	"strings"
	"testing"
)

func TestWriteResultsMarkdown(t *testing.T) {
	r := handResults()
	r.Info.Command = "rramc sweep net.onnx --prune 0.5,0.9 -o out"
	r.Info.HW = []byte(`{"ou_rows":9,"adc_bits":4}`)
	r.Info.HWFile = "hw/lossy.json"
	md, err := WriteResultsMarkdown(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{
		"```sh\nrramc sweep net.onnx --prune 0.5,0.9 -o out\n```",
		"| OU | 9 rows × 8 columns |",
		"| ADC | 4 bits |",
		"`hw/lossy.json`",
		"\"adc_bits\": 4",
		// colsim/2 vs sre: perf 0.5 and 1.5 -> mean 100 %, energy 1.4x..3x.
		"| rramc | colsim/2 vs sre | 2 | 100.00 % | 50.00 %–150.00 % | 2.20x | 1.40x–3.00x |",
		"| paper | column similarity vs state of the art | – | 61.24 % |",
		// Network table row: colsim/2 at 0.5 against dense, zerocol, sre.
		"| 0.5 | colsim/2 | 400 | 0.25 |",
		"| 150.00 % | 2.00x | 100.00 % | 1.60x | 50.00 % | 1.40x |",
		"higher", "overlapping the paper's range",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
}
