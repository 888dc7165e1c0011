package testmodels

import _ "embed"

// DefaultModel is the model `rramc eval` runs when given none. It is
// embedded so that an installed binary needs no repository checkout.
const DefaultModel = "mlp.onnx"

//go:embed mlp.onnx
var defaultONNX []byte

// DefaultONNX returns the bytes of DefaultModel.
func DefaultONNX() []byte { return defaultONNX }
