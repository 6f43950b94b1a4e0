package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
)

// startProfile starts a CPU profile into the file named by
// DIGEST_CPUPROFILE in environ, for benchmarks (cmd/deliverybench). It
// returns the function that stops the profile and closes the file; without
// the variable it does nothing. It is deliberately not a documented
// setting.
func startProfile(environ []string) (stop func(), err error) {
	path := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "DIGEST_CPUPROFILE="); ok {
			path = v
		}
	}
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
