//go:build amd64

package hwsim

import (
	"os"

	"golang.org/x/sys/cpu"
)

//go:noescape
func planes8x64(src *int32, chunks int, dst *uint64, stride int)

//go:noescape
func lookup16(acc *int32, mask uint16, planes *uint64, stride int, strips int, h int, tab *int32, stripBytes int, rowBytes int, shift7 int, neg7 int, first int)

//go:noescape
func addRow32(dst, a, b *int32, n int)

// hasTableSIMD reports AVX-512F and AVX-512BW with the OS saving ZMM state,
// for the table route's kernels. RRAMC_NOAVX512=1 turns them off like the
// other AVX-512 kernels.
var hasTableSIMD = os.Getenv("RRAMC_NOAVX512") == "" && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
