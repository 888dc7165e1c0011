//go:build !unix

package quant

import "time"

// cpuTime is unavailable here: benchmarks report 0 CPU seconds.
func cpuTime() time.Duration { return 0 }
