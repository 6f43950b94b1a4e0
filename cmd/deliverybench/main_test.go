package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestOptionsCheck(t *testing.T) {
	ok := options{n: 10, conns: 4, runs: 3, state: "sqlite", procs: 1}
	tests := []struct {
		name string
		edit func(*options)
		want string // "" = accepted
	}{
		{"sqlite, one process", func(*options) {}, ""},
		{"postgres, three processes", func(o *options) { o.state, o.procs = "postgres", 3 }, ""},
		{"sqlite, three processes", func(o *options) { o.procs = 3 }, "-procs above 1 needs -state postgres"},
		{"no processes", func(o *options) { o.state, o.procs = "postgres", 0 }, "must be at least 1"},
		{"unknown state", func(o *options) { o.state = "mysql" }, `-state "mysql": want sqlite or postgres`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			err := o.check()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("check() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("check() = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestSinkCount feeds the counters as smtp-sink -c writes them, cut at
// arbitrary places, and reads the last complete record's message count.
func TestSinkCount(t *testing.T) {
	out := "sess=1 quit=0 mesg=1\rsess=1 quit=0 mesg=2\rsess=2 quit=1 mesg=11\rsess=2 quit=2 mesg=12\rsess=3 quit=2 mesg=1"
	for cut := range len(out) {
		var c sinkCount
		c.Write([]byte(out[:cut]))
		c.Write([]byte(out[cut:]))
		if got := c.messages(); got != 12 {
			t.Fatalf("cut at %d: messages() = %d, want 12 (the last record has no carriage return yet)", cut, got)
		}
		c.Write([]byte("3\r"))
		if got := c.messages(); got != 13 {
			t.Fatalf("cut at %d: after the record ends, messages() = %d, want 13", cut, got)
		}
	}
}

// TestProcCPUReaped runs a child that spends CPU and checks that it counts
// in this process's reaped CPU only, as the server's backends count in
// the postmaster's.
func TestProcCPUReaped(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	self, reaped := procCPU(os.Getpid(), false), procCPU(os.Getpid(), true)
	if reaped < self {
		t.Fatalf("with reaped children %v, less than alone %v", reaped, self)
	}
	burn := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	if err := burn.Run(); err != nil {
		t.Fatal(err)
	}
	child := burn.ProcessState.UserTime() + burn.ProcessState.SystemTime()
	gained := (procCPU(os.Getpid(), true) - reaped) - (procCPU(os.Getpid(), false) - self)
	if child < 50*time.Millisecond {
		t.Skipf("the child spent only %v", child)
	}
	if gained < child/2 {
		t.Errorf("reaped CPU grew by %v, the child spent %v", gained, child)
	}
}
