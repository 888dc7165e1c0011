//go:build !amd64 || purego

package interp

// useDWQuads exists for tests; there are no four-channel kernels here.
var useDWQuads = hasDWQuads

// hasDWQuads reports whether there are four-channel kernels.
const hasDWQuads = false

func dwChannelsAsm(g *ConvGeometry, p *dwPlan, w, bias, x, out []float32, c0, c1 int) bool {
	return false
}
