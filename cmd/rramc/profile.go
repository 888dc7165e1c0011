package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole invocation to the file
// named by RRAMC_CPUPROFILE, and a heap profile (allocations by site) at
// exit to the file named by RRAMC_MEMPROFILE, for performance work (`go
// tool pprof` reads them); the returned function stops them. Unset, they
// do nothing.
func startProfile(stderr *os.File) func() {
	stopCPU := startCPUProfile(stderr)
	return func() {
		stopCPU()
		path := os.Getenv("RRAMC_MEMPROFILE")
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "rramc: RRAMC_MEMPROFILE %s: %v\n", path, err)
		}
	}
}

func startCPUProfile(stderr *os.File) func() {
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
