package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneForDelivery(t *testing.T) {
	procs, gc := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	debug.SetGCPercent(gc)

	restore := tuneForDelivery(nil, 4, false)
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS for 4 connections = %d, want 1", got)
	}
	if got := debug.SetGCPercent(400); got != 400 {
		t.Errorf("GC percent = %d, want 400", got)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after = %d, want %d", got, procs)
	}
	if got := debug.SetGCPercent(gc); got != gc {
		t.Errorf("GC percent after = %d, want %d", got, gc)
	}

	restore = tuneForDelivery([]string{"GOGC=50", "GOMAXPROCS=3"}, 64, false)
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS with GOMAXPROCS set = %d, want %d (untouched)", got, procs)
	}
	if got := debug.SetGCPercent(gc); got != gc {
		t.Errorf("GC percent with GOGC set = %d, want %d (untouched)", got, gc)
	}
	restore()

	restore = tuneForDelivery(nil, 4, true)
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS when signing = %d, want %d (every CPU)", got, procs)
	}
	restore()

	restore = tuneForDelivery(nil, 64, false)
	if got, want := runtime.GOMAXPROCS(0), min(runtime.NumCPU(), 16); got != want {
		t.Errorf("GOMAXPROCS for 64 connections = %d, want %d", got, want)
	}
	restore()
}
