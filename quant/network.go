package quant

// Network is a quantized network: its crossbar-mappable layers and the
// integer program around them.
type Network struct {
	Linears []*Linear
}
