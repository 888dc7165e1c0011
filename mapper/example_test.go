package mapper_test

import (
	"fmt"
	"log"

	"github.com/rramc/rramc/mapper"
	"github.com/rramc/rramc/quant"
)

// ExampleMap lays one small 4-bit layer (K = 6 inputs, N = 4 outputs, half
// of the weights pruned, outputs 0 and 2 equal) onto 8×8 crossbars with
// 3×4 OUs with the dense layout, SRE row compression and the paper's
// column similarity (pairs), checks that each layout rebuilds the weights
// exactly, and prints what it costs. mapper.Schemes lists every scheme.
func ExampleMap() {
	w := []int32{ // row-major K×N
		3, 0, 3, -2,
		0, 5, 0, 0,
		-8, 0, -8, 1,
		0, 0, 0, 7,
		1, -1, 1, 0,
		0, 4, 0, 0,
	}
	net := &quant.Network{Linears: []*quant.Linear{{Name: "fc", Op: "Gemm", K: 6, N: 4, Groups: 1,
		WBits: 4, ABits: 8, Weights: [][]int32{w}}}}
	geo := mapper.Geometry{XbarRows: 8, XbarCols: 8, OURows: 3, OUCols: 4, CellBits: 1}
	for _, scheme := range []string{"dense", "sre", "colsim"} {
		mp, err := mapper.Map(net, geo, mapper.Options{Scheme: scheme, MaxShare: 2})
		if err != nil {
			log.Fatal(err)
		}
		if err := mp.Verify(); err != nil { // exact reconstruction
			log.Fatal(err)
		}
		_, tot, err := mp.Stats()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-6s %d OU activations/bit, %2d cells, %3d index bits\n", scheme, tot.OUActivations, tot.Cells, tot.IndexBits)
	}
	// Output:
	// dense  8 OU activations/bit, 96 cells,   0 index bits
	// sre    4 OU activations/bit, 48 cells,  36 index bits
	// colsim 4 OU activations/bit, 39 cells, 126 index bits
}
