// Package importer holds rramc's graph IR: a trained network as a Model of
// a Graph of Nodes over Tensors, the form every later stage (quant, mapper,
// hwsim) starts from. It is split by concept:
//
//   - importer (this package): the IR types (ir.go) with their attribute
//     accessors (attrs.go), tensors (tensor.go), the errors that mark bad
//     input (ErrInvalidModel, ModelError) and Summarize, what `rramc inspect`
//     prints;
//   - importer/onnx: decoding ONNX files into the IR (Load, Decode) and
//     reading/writing TensorProto files;
//   - importer/passes: graph passes that return a new, equivalent Model
//     (Optimize: constant folding, shape-chain resolution, BatchNorm and
//     bias folding, dead-code removal);
//   - importer/interp: the float32 interpreter, one file per operator with
//     its kernel and its shape rule registered together;
//   - importer/atomicfile: writing output files atomically;
//   - importer/dataset: input data files (MNIST IDX, .npy).
//
// Every error caused by the input wraps ErrInvalidModel (a *ModelError naming
// the file, the place inside the model and the problem), so callers tell bad
// input from internal failures with errors.Is.
//
// Summarize gives what `rramc inspect` prints: inputs and outputs with
// symbolic shapes, IR and opset, producer, an op histogram, the Conv/Gemm/
// MatMul layers whose weights are constants with their shapes and parameter
// counts, and the nodes the interpreter cannot run.
package importer
