//go:build !amd64

package hwsim

var hasVPOPCNT = false

func exactColsSIMD(ca []int64, cols []uint64, pl []uint64, sh []uint64, ps uint64, sb uint) int {
	return 0
}
