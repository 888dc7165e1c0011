//go:build !amd64

package hwsim

var hasVPOPCNT = false

func exactColsSIMD(ca []int64, cols []uint64, pl []uint64, sh []uint64, ps uint64, sb uint) int {
	return 0
}

func convertColsSIMD(ca []int64, cols []uint64, p uint64, d uint, top int64, sh uint, neg bool) (done int, lost int64) {
	return 0, 0
}

func convertColsWSIMD(ca []int64, colsT []uint64, stride int, kidx []int, kval []uint64, koff []int, d uint, top int64, sh uint, neg bool) (done int, lost int64) {
	return 0, 0
}
