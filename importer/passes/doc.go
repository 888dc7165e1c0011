// Package passes holds graph passes over rramc's IR. Each takes a Model and
// returns a new, equivalent one, leaving its argument unchanged (the model
// as written stays available, e.g. a QDQ file's scales for the quantizer).
// Optimize is the pass every stage runs before compiling a model; its rules
// are documented on it.
package passes
