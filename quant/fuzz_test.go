package quant

import (
	"testing"
)

// FuzzUnmarshalNetwork feeds corrupt encodings: decoding must return an error
// or a network that re-encodes to the same bytes, never panic.
func FuzzUnmarshalNetwork(f *testing.F) {
	cfg := DefaultConfig()
	cfg.Calib = 8
	net, err := Quantize(toyModel(1), toyInputs(8, 1), cfg)
	if err != nil {
		f.Fatal(err)
	}
	data, err := net.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("RRQN"))
	f.Add([]byte("RRQN\x01\x10\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := UnmarshalNetwork(b)
		if err != nil {
			return
		}
		if _, err := n.MarshalBinary(); err != nil {
			t.Fatalf("decoded network does not re-encode: %v", err)
		}
	})
}
