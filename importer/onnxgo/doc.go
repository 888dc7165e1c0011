// Package onnxgo plugs rramc's importer into github.com/owulveryck/onnx-go:
// Backend implements onnx-go's Backend (and backend.ComputationBackend), so
// that code written against onnx-go — onnx.NewModel(b) then
// UnmarshalBinary — obtains rramc's graph IR and can run it on rramc's
// float32 interpreter.
//
// onnx-go hands a backend a graph of values, not of operators: every value
// (input, weight, intermediate) is a node; an operator is "applied" to its
// output nodes after weighted edges from each output to its inputs have
// been set, the weight being the input position. Backend records exactly
// that and rebuilds importer.Node values from it. What onnx-go does not pass
// on is recovered as follows:
//
//   - node names are not passed: nodes are named OpType_i (i = position), as
//     onnx.Load names unnamed nodes;
//   - onnx-go gives input-less operators (Constant) a fake input named
//     "<node>/input", which is dropped again;
//   - which no-producer values are graph inputs and which are weights is
//     known to onnx.Model (its Input field), not to the backend: Graph takes
//     those IDs; Run treats as inputs the values set after loading;
//   - the model header (IR version, opsets, producer) and declared shapes with
//     symbolic dimensions never reach a backend: Unmarshal reads them with
//     importer's own decoder and combines both.
//
// onnx-go itself cannot decode some files rramc's onnx.Load reads (int8,
// float16 and external-data weights, graph attributes) and panics on some
// malformed ones; Unmarshal turns those panics into errors wrapping
// importer.ErrInvalidModel.
//
// The adapter is a module of its own (github.com/rramc/rramc/importer/onnxgo,
// with a replace directive to the repository root), so that onnx-go,
// gorgonia's tensor and their dependencies are needed only by programs that
// import it, never by rramc itself. Its tests run with
// `cd importer/onnxgo && go test ./...`.
package onnxgo
