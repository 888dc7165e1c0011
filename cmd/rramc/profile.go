package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole invocation to the file
// named by RRAMC_CPUPROFILE (for performance work: `go tool pprof` reads
// it); the returned function stops it. Unset, it does nothing.
func startProfile(stderr *os.File) func() {
	path := os.Getenv("RRAMC_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "rramc: RRAMC_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "rramc: RRAMC_CPUPROFILE %s: %v\n", path, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "rramc: RRAMC_CPUPROFILE %s: %v\n", path, err)
		}
	}
}
