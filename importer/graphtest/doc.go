// Package graphtest builds small ONNX-shaped graphs in memory for tests: the
// one place the repository's tests assemble an importer.Model node by node
// (seeded random initializers, Conv layers, attributes), so a network a test
// needs is written once in Go instead of being exported from another
// language or hand-wired in each package.
package graphtest
