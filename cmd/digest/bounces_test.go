package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

// bounceFixture is a state in which edition 2026-11-29 went to n
// subscribers, and a Maildir holding a hard bounce for each.
type bounceFixture struct {
	state, box string
	environ    []string
}

func newBounceFixture(t *testing.T, n int) *bounceFixture {
	t.Helper()
	dir := t.TempDir()
	f := &bounceFixture{state: filepath.Join(dir, "digest.db"), box: filepath.Join(dir, "box")}
	f.environ = []string{"DIGEST_STATE=" + f.state, "DIGEST_FROM=digest@example.org"}
	st, err := store.Open(t.Context(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	if err := st.Freeze(t.Context(), &digest.Edition{ID: "2026-11-29", Cadence: digest.CadenceDaily, Created: at}); err != nil {
		t.Fatal(err)
	}
	var ds []digest.Delivery
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(f.box, sub), 0o700)
	}
	for i := range n {
		email := fmt.Sprintf("reader%d@example.net", i)
		ds = append(ds, digest.Delivery{Edition: "2026-11-29", Channel: "smtp", Email: email, Status: digest.Sent, Attempts: 1, Updated: at})
		dsn := fmt.Sprintf("From: MAILER-DAEMON@mx.example.net\nTo: digest@example.org\nSubject: Undelivered Mail\n"+
			"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"+
			"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"+
			"Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n\n--x--\n", email)
		if err := os.WriteFile(filepath.Join(f.box, "new", fmt.Sprintf("%d.eml", i)), []byte(dsn), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Record(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *bounceFixture) run(args ...string) (int, string) {
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ},
		append([]string{"bounces", f.box}, args...))
	return code, out.String()
}

// TestBouncesLocked checks that digest bounces does not read while
// another one holds its lock: exit 4, the mailbox untouched.
func TestBouncesLocked(t *testing.T) {
	f := newBounceFixture(t, 2)
	unlock, err := store.Lock(bouncesLockPath(f.state))
	if err != nil {
		t.Fatal(err)
	}
	code, out := f.run()
	unlock()
	if code != exitLocked || !strings.Contains(out, "another digest bounces is reading") {
		t.Fatalf("exit %d, output %q; want %d and the reason", code, out, exitLocked)
	}
	if left, _ := filepath.Glob(filepath.Join(f.box, "new", "*")); len(left) != 2 {
		t.Fatalf("%d messages left in new, want 2 untouched", len(left))
	}
	if code, out := f.run(); code != exitOK || !strings.Contains(out, "2 suppressed") {
		t.Fatalf("after unlock: exit %d, %q", code, out)
	}
}

// TestBouncesTwiceAtOnce starts digest bounces twice at once on one
// mailbox: each ends with exit 0 or 4, every report is recorded once and
// every address suppressed once.
func TestBouncesTwiceAtOnce(t *testing.T) {
	const n = 40
	f := newBounceFixture(t, n)
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = f.run()
		}()
	}
	wg.Wait()
	for _, c := range codes {
		if c != exitOK && c != exitLocked {
			t.Fatalf("exit codes %v, want only 0 or 4", codes)
		}
	}
	code, out := f.run()
	if code != exitOK || !strings.Contains(out, "bounces: 0 messages") && !strings.Contains(out, fmt.Sprintf("%d suppressed", n)) {
		t.Fatalf("last run: exit %d, %q", code, out)
	}
	st, err := store.OpenReadOnly(t.Context(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	totals, err := st.BounceTotals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sup, err := st.Suppressions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if totals[digest.HardBounce] != n || len(sup) != n {
		t.Fatalf("%d hard bounces recorded, %d suppressed; want %d each", totals[digest.HardBounce], len(sup), n)
	}
	if done, _ := filepath.Glob(filepath.Join(f.box, ".Processed", "cur", "*")); len(done) != n {
		t.Fatalf("%d in .Processed, want %d", len(done), n)
	}
}
