package quant

import (
	"github.com/rramc/rramc/importer"
)

// A final Softmax or LogSoftmax is not an integer op: the network records
// it (Network.Post) and applies it in float to the dequantized output.
func init() {
	registerBuilder("Softmax", (*builder).softmax)
	registerBuilder("LogSoftmax", (*builder).softmax)
}

// softmax becomes the float post-op when it produces the graph output.
func (b *builder) softmax(n *importer.Node) error {
	x, ok := b.input(n, 0)
	if !ok || n.Outputs[0] != b.g.Outputs[0].Name || b.net.Post != "" {
		b.unsupported(n, "only a final Softmax/LogSoftmax producing the graph output is supported")
		return nil
	}
	def := int64(-1)
	if b.p.opset < 13 {
		def = 1
	}
	axis := int(attrInt(n, "axis", def))
	r := len(b.net.Values[x].Shape) + 1
	if axis < 0 {
		axis += r
	}
	if b.p.opset < 13 && axis != r-1 {
		b.unsupported(n, "softmax over flattened trailing axes")
		return nil
	}
	b.net.Post, b.net.PostAxis = n.OpType, axis
	b.vals[n.Outputs[0]] = x
	return nil
}
