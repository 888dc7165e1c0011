//go:build !amd64 || purego

package interp

func reluVector(dst, src []float32) int { return 0 }

func clampVector(dst, src []float32, lo, hi float32) int { return 0 }
