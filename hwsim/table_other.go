//go:build !amd64

package hwsim

var hasTableSIMD = false

func planes8x64(src *int32, chunks int, dst *uint64, stride int) {
	panic("hwsim: planes8x64 without AVX-512")
}

func lookup16(acc *int32, mask uint16, planes *uint64, stride int, strips int, h int, tab *int32, stripBytes int, rowBytes int, shift7 int, neg7 int, first int) {
	panic("hwsim: lookup16 without AVX-512")
}

func addRow32(dst, a, b *int32, n int) {
	panic("hwsim: addRow32 without AVX-512")
}
