//go:build amd64

package hwsim

import (
	"os"

	"golang.org/x/sys/cpu"
)

//go:noescape
func strip16Cols(lo *uint16, hi *uint16, n int, pats *uint16, shifts *uint64, np int, neg int, keep uint64, top uint64, out *int32) int

// hasStrip16 reports AVX-512BW and BITALG (16-bit popcounts) with the OS
// saving ZMM state, for strip16Cols. RRAMC_NOAVX512=1 turns it off like
// the other AVX-512 kernels.
var hasStrip16 = os.Getenv("RRAMC_NOAVX512") == "" && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512BITALG
