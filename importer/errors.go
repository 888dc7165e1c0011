package importer

import (
	"errors"
	"fmt"
)

// ErrInvalidModel is wrapped by every error caused by bad input: a file that is
// not ONNX, is truncated or inconsistent, declares sizes its data cannot back,
// has a cycle or a dangling value, or points outside its folder. Callers test
// it with errors.Is (the CLI maps it to exit code 2).
var ErrInvalidModel = errors.New("invalid ONNX model")

// ModelError describes one problem with an input model. It wraps
// ErrInvalidModel and, when the problem came from the operating system or the
// protobuf decoder, the underlying error too.
type ModelError struct {
	File  string // model file, "" when decoded from memory
	Where string // location inside the model, e.g. `initializer "w"` or `node "Conv_3" (Conv)`
	Msg   string // what is wrong
	Err   error  // underlying cause, may be nil
}

func (e *ModelError) Error() string {
	s := ErrInvalidModel.Error()
	if e.File != "" {
		s += " " + e.File
	}
	if e.Where != "" {
		s += ": " + e.Where
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap makes errors.Is(err, ErrInvalidModel) and errors.Is(err, cause)
// both hold.
func (e *ModelError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidModel, e.Err}
	}
	return []error{ErrInvalidModel}
}

// NodeError wraps err with the node's name and op type, marking it as an
// invalid-model error (a kernel fails only on shapes or values the model
// or its input got wrong).
func NodeError(n *Node, err error) error {
	var me *ModelError
	if errors.As(err, &me) && me.Where == "" {
		c := *me
		c.Where = NodeWhere(n)
		return &c
	}
	return &ModelError{Where: NodeWhere(n), Msg: err.Error()}
}

// NodeWhere names a node for error messages: node "name" (OpType).
func NodeWhere(n *Node) string { return fmt.Sprintf("node %q (%s)", n.Name, n.OpType) }

// NodeErrorf builds an error about node n from a format; it wraps
// ErrInvalidModel.
func NodeErrorf(n *Node, format string, args ...any) error {
	return &ModelError{Where: NodeWhere(n), Msg: fmt.Sprintf(format, args...)}
}
