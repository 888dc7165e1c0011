// Package atomicfile writes output files so that no reader, and no resumed
// run, ever sees a half-written one: the bytes go to a temporary file in the
// same folder, which is synced and then renamed over the destination. Every
// file rramc writes (models, tensors, mappings, hardware descriptions, sweep
// results) goes through it. It depends on the standard library only, so
// writing a file does not pull in the ONNX decoder.
package atomicfile
