//go:build !amd64 || purego

package interp

func dwChannelsAsm(g *ConvGeometry, p *dwPlan, w, bias, x, out []float32, c0, c1 int) bool {
	return false
}
