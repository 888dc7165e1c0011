package interp

import (
	"fmt"

	"github.com/rramc/rramc/importer"
)

// Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual) and
// logic (And, Or, Xor on bool tensors; Not) with numpy broadcasting. Their
// outputs are bool tensors (held as 0/1 in Tensor.Int). Operands of a
// comparison must both be float or both integer (bool counts as integer).
func init() {
	for name := range comparisons {
		register(name, 2, 2, compileCompare, shapeBoolBroadcast)
	}
	for name := range logicOps {
		register(name, 2, 2, compileLogic, shapeBoolBroadcast)
	}
	register("Not", 1, 1, compileNot, shapeSame)
}

var comparisons = map[string]func(x, y float64) bool{
	"Equal":          func(x, y float64) bool { return x == y },
	"Less":           func(x, y float64) bool { return x < y },
	"Greater":        func(x, y float64) bool { return x > y },
	"LessOrEqual":    func(x, y float64) bool { return x <= y },
	"GreaterOrEqual": func(x, y float64) bool { return x >= y },
}

var logicOps = map[string]func(x, y bool) bool{
	"And": func(x, y bool) bool { return x && y },
	"Or":  func(x, y bool) bool { return x || y },
	"Xor": func(x, y bool) bool { return x != y },
}

func b2i64(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func compileCompare(c *compileCtx, n *importer.Node) (kernel, error) {
	cmp := comparisons[n.OpType]
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		a, b := ins[0], ins[1]
		if a.IsFloat() != b.IsFloat() {
			return nil, fmt.Errorf("operands have different element types %s and %s", a, b)
		}
		shape, st, err := broadcastOperands(a.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		out := &importer.Tensor{DType: importer.Bool, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
		if a.IsFloat() {
			forEachBroadcast(shape, st, func(o int, offs []int) {
				out.Int[o] = b2i64(cmp(float64(a.Float[offs[0]]), float64(b.Float[offs[1]])))
			})
		} else {
			// int64 compared exactly (float64 would round beyond 2^53).
			forEachBroadcast(shape, st, func(o int, offs []int) {
				x, y := a.Int[offs[0]], b.Int[offs[1]]
				r := 0.0
				switch {
				case x < y:
					r = -1
				case x > y:
					r = 1
				}
				out.Int[o] = b2i64(cmp(r, 0))
			})
		}
		return one(out), nil
	}, nil
}

func needBool(t *importer.Tensor, what string) error {
	if t == nil || t.DType != importer.Bool {
		return fmt.Errorf("%s must be a bool tensor, have %s", what, t)
	}
	return nil
}

func compileLogic(c *compileCtx, n *importer.Node) (kernel, error) {
	f := logicOps[n.OpType]
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		a, b := ins[0], ins[1]
		if err := needBool(a, "input A"); err != nil {
			return nil, err
		}
		if err := needBool(b, "input B"); err != nil {
			return nil, err
		}
		shape, st, err := broadcastOperands(a.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		out := &importer.Tensor{DType: importer.Bool, Shape: shape, Int: make([]int64, importer.NumElements(shape))}
		forEachBroadcast(shape, st, func(o int, offs []int) {
			out.Int[o] = b2i64(f(a.Int[offs[0]] != 0, b.Int[offs[1]] != 0))
		})
		return one(out), nil
	}, nil
}

func compileNot(c *compileCtx, n *importer.Node) (kernel, error) {
	return func(ar *arena, ins []*importer.Tensor) ([]*importer.Tensor, error) {
		x := ins[0]
		if err := needBool(x, "input X"); err != nil {
			return nil, err
		}
		out := &importer.Tensor{DType: importer.Bool, Shape: append([]int(nil), x.Shape...), Int: make([]int64, len(x.Int))}
		for i, v := range x.Int {
			out.Int[i] = b2i64(v == 0)
		}
		return one(out), nil
	}, nil
}

// shapeBoolBroadcast is the shape rule of comparisons and logic ops.
func shapeBoolBroadcast(sc *shapeCtx) ([]*ValueShape, error) {
	return []*ValueShape{broadcastShapeOf(sc, 0, 2, importer.Bool)}, nil
}
