// Command rramc converts an ONNX model into what it becomes on an RRAM
// compute-in-memory accelerator: float, integer and simulated accuracy,
// cycles, energy and area.
//
// Usage:
//
//	rramc COMMAND [flags] [args]
//
// The commands:
//
//	inspect   describe an ONNX model: inputs, opset, ops, layers, unsupported ops
//	run       run a model in float32 on an input tensor (.pb or .npy; one per model input)
//	eval      top-1 accuracy on a dataset: float, int (golden) and simulated;
//	          with no model, the bundled LeNet-5 (the README's first command)
//	quantize  quantize and prune a model, write it as QDQ ONNX
//	map       quantize a model and map it onto crossbars; mapping file, statistics
//	sim       simulate a model or mapping file: accuracy, cycles, energy, area
//	sweep     quantize, map and simulate over pruning ratios × schemes; results
//	          files, report.html, RESULTS.md
//	hw        print ('hw defaults') or validate ('hw check FILE') a hardware description
//
// A model with several inputs takes its data by input name, once per input:
// --data NAME=FILE (eval, sim, quantize, map), --input NAME=FILE (run).
// --const NAME=FILE (eval, sim, quantize, map, sweep, run, inspect) freezes an input that
// carries a parameter (Resize scales, Reshape shape) to a constant.
//
// Exit codes are a contract for scripts and CI: 0 ok, 1 runtime failure,
// 2 bad input or usage (the message names the file, node or field), 3 the
// simulated accuracy dropped more than sim's --max-accuracy-drop.
//
// Every command is a thin layer over the libraries (importer, quant, mapper,
// hwsim, hwsim/sweep): it parses flags, reads inputs, calls them and prints.
// Commands write only through their env's streams, so tests run them
// in-process.
package main
