package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// tuneForDelivery sets the Go runtime for the delivery stage and returns
// the function that puts it back. GOGC and GOMAXPROCS in environ, when set,
// win.
//
//   - Garbage is collected at 5× the live heap instead of 2×: delivery makes
//     garbage fast (every message is tens of KB of text) and keeps little,
//     so a larger heap buys fewer collections.
//   - One processor runs Go code per 4 connections (at most one per CPU).
//     Delivery waits on the server's replies; with a processor per CPU, the
//     scheduler keeps waking and spinning threads between replies. System
//     calls still run beside it. Signing each message (DKIM, signing true)
//     costs more CPU than the waits: then every CPU is used.
//
// The measurements behind both are in docs/performance.md.
func tuneForDelivery(environ []string, connections int, signing bool) (restore func()) {
	set := func(name string) bool {
		for _, kv := range environ {
			if strings.HasPrefix(kv, name+"=") {
				return true
			}
		}
		return false
	}
	var undo []func()
	if !set("GOGC") {
		old := debug.SetGCPercent(400)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if !set("GOMAXPROCS") && !signing {
		procs := min(runtime.NumCPU(), max(1, (connections+3)/4))
		old := runtime.GOMAXPROCS(procs)
		undo = append(undo, func() { runtime.GOMAXPROCS(old) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}
