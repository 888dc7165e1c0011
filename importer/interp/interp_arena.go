package interp

import (
	"math/bits"
	"sync"

	"github.com/rramc/rramc/importer"
)

// arena recycles activation buffers within and across runs. Kernels take
// output buffers from it (contents undefined: they overwrite every
// element); Run returns a buffer to the shared pool as soon as no live value
// slot refers to it any more. Views (Reshape, Flatten, Identity...) share
// their input's buffer, hence the reference count per buffer. Buffers the
// arena did not hand out (inputs, initializers, Constant values, anything
// made with NewFloat) are never recycled, and neither are graph outputs,
// which are never released. RunObserved with an observer uses no arena
// (nil), because the observer may keep the tensors it sees.
type arena struct {
	refs map[*float32]int // buffers handed out in this run -> live slots holding them
}

// floatPools holds free buffers by capacity class (powers of two).
var floatPools [40]sync.Pool

func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// floats returns a buffer of length n with undefined contents.
func (a *arena) floats(n int) []float32 {
	if a == nil || n < 256 {
		return make([]float32, n)
	}
	c := sizeClass(n)
	var buf []float32
	if v := floatPools[c].Get(); v != nil {
		buf = (*v.(*[]float32))[:n]
	} else {
		buf = make([]float32, n, 1<<c)
	}
	if a.refs == nil {
		a.refs = map[*float32]int{}
	}
	a.refs[&buf[0]] = 0
	return buf
}

// newFloat returns a float32 tensor with undefined contents.
func (a *arena) newFloat(shape []int) *importer.Tensor {
	return &importer.Tensor{DType: importer.Float, Shape: append([]int(nil), shape...), Float: a.floats(importer.NumElements(shape))}
}

// zeroFloat returns a float32 tensor of zeros.
func (a *arena) zeroFloat(shape []int) *importer.Tensor {
	t := a.newFloat(shape)
	clear(t.Float)
	return t
}

// hold records that a slot now refers to t.
func (a *arena) hold(t *importer.Tensor) {
	if a == nil || t == nil || len(t.Float) == 0 {
		return
	}
	p := &t.Float[0]
	if n, ok := a.refs[p]; ok {
		a.refs[p] = n + 1
	}
}

// release records that a slot no longer refers to t, recycling the buffer
// when it was the last.
func (a *arena) release(t *importer.Tensor) {
	if a == nil || t == nil || len(t.Float) == 0 {
		return
	}
	p := &t.Float[0]
	n, ok := a.refs[p]
	if !ok {
		return
	}
	if n > 1 {
		a.refs[p] = n - 1
		return
	}
	delete(a.refs, p)
	buf := t.Float[:cap(t.Float)]
	if c := sizeClass(len(buf)); 1<<c == len(buf) {
		floatPools[c].Put(&buf)
	}
}

// discard recycles t, a value the arena handed out that no slot holds
// (the intermediate of a fused step).
func (a *arena) discard(t *importer.Tensor) {
	a.hold(t)
	a.release(t)
}
