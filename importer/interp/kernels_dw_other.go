//go:build !amd64 || purego

package interp

func dwChannelAsm(g *ConvGeometry, p *dwPlan, w, x, out []float32, bias float32) bool {
	return false
}
