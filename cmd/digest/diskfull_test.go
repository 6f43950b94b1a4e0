package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/digest-newsletter/digest/digest/store"
)

// runWith runs digest run in this process with the flight log's options.
func (f *crashFixture) runWith(fo store.FlightOptions, args ...string) (int, string) {
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ(), flight: fo}
	code := Main(context.Background(), e, append([]string{"run"}, args...))
	return code, out.String()
}

// noRoom is a flight log Reserve that finds the file system full from its
// call number from on (counting from 1).
func noRoom(from int) func(f *os.File, size int64) error {
	n := 0
	return func(f *os.File, size int64) error {
		n++
		if n >= from {
			return syscall.ENOSPC
		}
		return nil
	}
}

// No room for the flight log: the run stops before any message with exit 1
// (an error, to retry; not 2, bad settings) and a message naming the file
// system. The next run, with room, mails everybody once.
func TestDiskFullBeforeSending(t *testing.T) {
	f := newCrashFixture(t, 20, nil)
	code, log := f.runWith(store.FlightOptions{Reserve: noRoom(1)})
	if code != exitError || !strings.Contains(log, "no space left on device") || !strings.Contains(log, "file system of") {
		t.Errorf("exit %d, want %d with the file system's error:\n%s", code, exitError, log)
	}
	if n := f.srv.Count(); n != 0 {
		t.Errorf("%d messages sent, want none", n)
	}
	if code, log := f.run(); code != exitOK || f.srv.Count() != f.n {
		t.Errorf("run with room: exit %d, %d messages; want 0 and %d:\n%s", code, f.srv.Count(), f.n, log)
	}
	if unknown := f.check(t); unknown != 0 {
		t.Errorf("%d unknown", unknown)
	}
}

// No room for a later segment of the flight log, mid-run: the run stops
// sending new messages, records what it sent, and exits non-zero saying
// why; the next run mails the rest. Nobody is mailed twice or lost.
func TestDiskFullMidRun(t *testing.T) {
	f := newCrashFixture(t, 300, nil)
	// 64 KiB segments hold about 380 entries: the claims of the first 256
	// and some results. The second segment finds no room.
	code, log := f.runWith(store.FlightOptions{Segment: 64 << 10, Reserve: noRoom(2)})
	sent := f.srv.Count()
	if code == exitOK || code == exitUsage || !strings.Contains(log, "no space left on device") {
		t.Errorf("exit %d, want 1 or 3 (not 0, not 2) with the file system's error:\n%s", code, log)
	}
	if sent == 0 || sent >= f.n {
		t.Errorf("%d of %d sent before the disk filled up; the test wants it to fill mid-run", sent, f.n)
	}
	got := map[string]int{}
	for _, m := range f.srv.Messages() {
		if got[m.To[0]]++; got[m.To[0]] > 1 {
			t.Errorf("%s received two messages", m.To[0])
		}
	}
	st, err := store.OpenReadOnly(context.Background(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	unknown, _ := st.Unknown(context.Background(), "2026-11-29", "smtp")
	st.Close()
	if len(unknown) != 0 {
		t.Errorf("%d deliveries left unknown by a run that stopped cleanly", len(unknown))
	}
	code, log = f.run()
	if code != exitOK || f.srv.Count() != f.n {
		t.Errorf("run with room: exit %d, %d messages in all; want 0 and %d:\n%s", code, f.srv.Count(), f.n, log)
	}
	if unknown := f.check(t); unknown != 0 {
		t.Errorf("%d unknown", unknown)
	}
	t.Logf("disk full mid-run: %d of %d sent, then the rerun sent the rest", sent, f.n)
}
