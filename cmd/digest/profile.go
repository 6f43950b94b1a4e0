package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
)

// startProfile starts a CPU profile into the file named by
// DIGEST_CPUPROFILE in environ, and has the allocations written to the file
// named by DIGEST_MEMPROFILE at the end, for benchmarks (cmd/deliverybench).
// It returns the function that stops the profiles and closes the files;
// without the variables it does nothing. They are deliberately not
// documented settings.
func startProfile(environ []string) (stop func(), err error) {
	cpu, mem := "", ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "DIGEST_CPUPROFILE="); ok {
			cpu = v
		}
		if v, ok := strings.CutPrefix(kv, "DIGEST_MEMPROFILE="); ok {
			mem = v
		}
	}
	stopCPU := func() {}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		stopCPU = func() { pprof.StopCPUProfile(); f.Close() }
	}
	return func() {
		stopCPU()
		if mem == "" {
			return
		}
		f, err := os.Create(mem)
		if err != nil {
			fmt.Fprintf(os.Stderr, "digest: memory profile: %v\n", err)
			return
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fmt.Fprintf(os.Stderr, "digest: memory profile: %v\n", err)
		}
	}, nil
}
