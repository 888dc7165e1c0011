// Package interp is rramc's float32 interpreter for the graph IR of
// package importer, exact to the ONNX operator specification.
//
// NewProgram compiles a graph once: every node is looked up in the operator
// table (ops_*.go), its attributes are parsed and checked, constant weights
// are packed for the GEMM kernel, and value names are resolved to slots.
// Unsupported operators are all collected first and reported together.
// Run then walks the nodes in order; each kernel reads its input tensors and
// returns new output tensors (inputs are never modified, so shape-only ops
// may share data). Semantics follow the ONNX operator specification,
// including the opset-dependent forms (attributes before opset 11/13,
// inputs after; Softmax's 2-D coercion before 13).
//
// Conv is lowered to matrix products: for each image and group, the im2col
// matrix of the input (K = C/group·kH·kW rows, P = outH·outW columns) is
// multiplied by the group's weights (M/group × K). Gemm and MatMul use the
// same GEMM (kernels.go): operands packed into 6-row and 16-column panels, a
// register-blocked AVX2/FMA micro-kernel (AVX-512 for pairs of row panels,
// bit-identical), a portable Go kernel elsewhere. With AVX-512, a 1×1,
// stride-1, unpadded convolution reads its input in place as B and stores
// bias + product in its first k-block (conv1x1.go), and a GEMM with one row
// of A runs one-row kernels (gemv.go), both bit-identical to the packed
// path. Work is spread over
// GOMAXPROCS goroutines: across images when the batch is large enough,
// otherwise across GEMM panels; every output element is accumulated in the
// same order either way, so results do not depend on the number of threads.
// Activation buffers are recycled across nodes and runs (interp_arena.go).
//
// InferShapes infers the shape of every value (symbolic batch kept by name)
// from the same operator table; package passes uses it.
package interp
