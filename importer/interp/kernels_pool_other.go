//go:build !amd64 || purego

package interp

func maxPool2x2Vector(dst, r0, r1 []float32) int { return 0 }

func avgPool2x2Vector(dst, r0, r1 []float32, div float32) int { return 0 }

func deinterleave2Vector(even, odd, src []float32) int { return 0 }
