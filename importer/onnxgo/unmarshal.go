package onnxgo

import (
	"fmt"

	gonnx "github.com/owulveryck/onnx-go"

	"github.com/rramc/rramc/importer"
	"github.com/rramc/rramc/importer/onnx"
)

// Unmarshal decodes an ONNX model through onnx-go into rramc's IR.
//
// The file is first checked with onnx.Decode, so that a malformed or
// hostile file is rejected with importer's error (wrapping ErrInvalidModel)
// before onnx-go, which trusts declared sizes, sees it; that decode also
// supplies what onnx-go does not pass to a backend: the model header (IR
// version, opsets, producer) and the declared input/output/value types with
// symbolic dimensions. Nodes, attributes and initializers come from onnx-go
// through Backend. Models with external data are refused (onnx-go cannot
// read it, and there is no folder to resolve it in).
func Unmarshal(data []byte) (*importer.Model, error) {
	ref, err := onnx.Decode(data, "")
	if err != nil {
		return nil, err
	}
	b := New()
	b.Opset = ref.Opset()
	om := gonnx.NewModel(b)
	if err := unmarshalRecover(om, data); err != nil {
		return nil, err
	}
	g, err := b.Graph(om.Input, om.Output)
	if err != nil {
		return nil, err
	}
	g.Name = ref.Graph.Name
	g.Inputs = ref.Graph.Inputs
	g.Outputs = ref.Graph.Outputs
	g.ValueInfo = ref.Graph.ValueInfo
	m := *ref
	m.Graph = g
	return &m, nil
}

// unmarshalRecover runs onnx-go's decoder, turning its panics into errors.
func unmarshalRecover(om *gonnx.Model, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("onnxgo: onnx-go panicked decoding the model: %v: %w", r, importer.ErrInvalidModel)
		}
	}()
	if err := om.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("onnxgo: onnx-go cannot decode the model: %v: %w", err, importer.ErrInvalidModel)
	}
	return nil
}
