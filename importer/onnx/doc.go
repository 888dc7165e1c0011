// Package onnx is rramc's ONNX codec: it decodes a ModelProto into the
// graph IR of package importer (Load, Decode) and reads and writes single
// TensorProto files (ReadTensorPB, WriteTensorPB). Its job is to accept the
// real files exporters write (PyTorch, CNTK, tf2onnx, ...), to reject bad ones
// with an error that says what is wrong and where, and never to crash or
// exhaust memory on hostile input.
//
// # Loading
//
// Load(path) and Decode(data, dir) parse the whole ModelProto with bindings
// generated from ONNX's onnx.proto (package importer/onnxpb; see its gen.sh), then
// convert it into the IR of ir.go:
//
//   - IR versions 3 to 10 and default-domain opsets 7 to 20 are read (the
//     constants MinIRVersion...MaxOpset). Fields newer than the bundled schema
//     (IR 8) are skipped by the protobuf decoder, so IR 9 and 10 files load.
//     Opsets of other domains are recorded in Model.Opsets; their nodes load
//     and are reported as unsupported by the interpreter, not silently run.
//   - Producer, model metadata, node names, and symbolic dimensions (Dim.Param,
//     e.g. "batch_size") are kept. Unnamed nodes are named OpType_i (i = the
//     node's position in the file), repeated names get a _k suffix, so every
//     node can be named in messages. The domain "ai.onnx" is stored as "".
//   - Initializers and tensor attributes (Constant's value) of float32,
//     float64, float16, bfloat16, int8, uint8, int16, uint16, int32, uint32,
//     int64, uint64 and bool are decoded from raw_data (little endian) or the
//     typed fields; floating types become Tensor.Float (float32), the others
//     Tensor.Int (int64), and Tensor.DType keeps the type the file used.
//     Other types (string, complex, float8, int4, ...) are rejected by name.
//   - External data (data_location = EXTERNAL with location/offset/length) is
//     read from files in the model's folder. The location must be a local
//     path and is opened through os.Root, so neither "..", an absolute path,
//     nor a symlink can make rramc read outside that folder.
//   - IR 3 files list weights as graph inputs too; Graph.Inputs keeps only
//     the inputs without an initializer (what the caller must feed), while
//     Graph.ValueInfo keeps every declared type.
//   - Nodes are put in topological order. Files are almost always already
//     ordered, and then their order is kept; otherwise gonum's
//     topo.SortStabilized orders them. Cycles are reported with the names of
//     the nodes in each strongly connected component; values that no node,
//     input or initializer defines, and values defined twice, are named.
//
// # Safety
//
// Every error caused by the input wraps ErrInvalidModel (a *ModelError naming
// the file, the place inside the model and the problem), so callers tell bad
// input from internal failures with errors.Is. Nothing is allocated from a
// size read from the file before that size is checked against data that is
// actually present: dims must be non-negative and their product must not
// overflow; raw_data must hold exactly count×element-size bytes; a typed
// field must hold exactly count values; an external region must lie inside
// its file and match count×element-size. On top of that one tensor and the
// whole model are capped at MaxTensorElements and MaxModelElements elements,
// because an external region may be shared by many tensors and narrow types
// widen in memory (int8 → int64 is 8×). Sparse initializers are refused for
// the same reason: their dense size is not backed by file data. FuzzDecode
// exercises all of this with a seed corpus in testdata/fuzz/FuzzDecode.
//
// # Tensor files
//
// ReadTensorPB/WriteTensorPB read and write single TensorProto files (the
// format of ONNX conformance test_data_set_N/input_0.pb), for `rramc run`.
package onnx
