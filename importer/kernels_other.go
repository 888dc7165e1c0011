//go:build !amd64 || purego

package importer

var useAsmKernel = false

func microKernel(kc int, a, b, c []float32, ldc int) { microKernelGo(kc, a, b, c, ldc) }
