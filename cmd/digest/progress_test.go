package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestProgressOffTerminal checks that, when stderr is not a terminal (a
// bytes.Buffer, as under cron), progress is plain log lines at most one per
// interval, with no carriage return or escape sequence.
func TestProgressOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)}
	cfg := &Config{Ops: OpsConfig{LogFormat: "text"}}
	p := newProgress(&env{stderr: &buf}, cfg, clock.now)
	p.log, p.total = newLogger(p.writer(&buf), cfg), 1000
	if p.term != nil {
		t.Fatal("a bytes.Buffer was taken for a terminal")
	}
	stop := p.collecting()
	clock.advance(2 * time.Second)
	stop()
	r := &digest.Report{Started: clock.t}
	for range 100 { // 100 batches of 10, one every 500ms: 50s in all
		clock.advance(500 * time.Millisecond)
		r.Sent += 9
		r.Deferred++
		p.update(r)
	}
	p.done()
	out := buf.String()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("control characters in non-terminal output:\n%q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// "preparing the edition", then one line at the first batch and one per
	// 10s of the 50s.
	if len(lines) < 5 || len(lines) > 7 {
		t.Errorf("%d lines, want 1 for collecting and about 6 for 50s of delivery:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], "preparing the edition") {
		t.Errorf("first line = %q, want preparing the edition", lines[0])
	}
	last := lines[len(lines)-1]
	for _, want := range []string{"msg=delivering", "done=", "total_at_most=1000", "rate_per_s=20.0", "eta="} {
		if !strings.Contains(last, want) {
			t.Errorf("last progress line lacks %q: %s", want, last)
		}
	}
}

// TestProgressQuietIsSilent: --quiet keeps progress lines out of cron mail.
func TestProgressQuietIsSilent(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Now()}
	cfg := &Config{Ops: OpsConfig{LogFormat: "text", Quiet: true}}
	p := newProgress(&env{stderr: &buf}, cfg, clock.now)
	p.log, p.total = newLogger(&buf, cfg), 10
	p.collecting()()
	clock.advance(time.Minute)
	p.update(&digest.Report{Sent: 5})
	p.done()
	if buf.Len() > 0 {
		t.Errorf("quiet progress wrote:\n%s", buf.String())
	}
}

// TestProgressLiveLine draws on a "terminal" (any writer set as term): one
// line redrawn in place, cleared at the end.
func TestProgressLiveLine(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)}
	p := &progress{term: &buf, log: slog.New(slog.DiscardHandler), now: clock.now, interval: progressInterval, total: 100}
	r := &digest.Report{Started: clock.t}
	clock.advance(2 * time.Second)
	r.Sent, r.Failed = 38, 2
	p.update(r)
	p.log = newLogger(p.writer(&buf), &Config{Ops: OpsConfig{LogFormat: "text"}})
	p.log.Warn("subscriber skipped")
	p.update(r) // the log line cleared it: redrawn at once
	p.update(r) // within 100ms of the last: not redrawn
	clock.advance(time.Second)
	p.update(r)
	p.done()
	line := "\r\x1b[Kdelivering: 40 of at most 100 (40%), 2 failed or deferred, 20.0/s, ETA 3s"
	line2 := "\r\x1b[Kdelivering: 40 of at most 100 (40%), 2 failed or deferred, 13.3/s, ETA 5s"
	want := line + "\r\x1b[K" + "time=X level=WARN msg=\"subscriber skipped\"\n" + line + line2 + "\r\x1b[K"
	got := regexp.MustCompile(`time=\S+`).ReplaceAllString(buf.String(), "time=X")
	if got != want {
		t.Errorf("terminal output\n got %q\nwant %q", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Error("a regular file or a buffer was taken for a terminal")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !isTerminal(tty) {
			t.Error("/dev/tty was not taken for a terminal")
		}
	}
}

func TestCountRows(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    int
	}{
		{name: "header only", content: "email\n", want: 0},
		{name: "empty", content: "", want: 0},
		{name: "two rows", content: "email\na@x.org\nb@x.org\n", want: 2},
		{name: "no final newline", content: "email\na@x.org\nb@x.org", want: 2},
		{name: "CRLF", content: "email\r\na@x.org\r\n", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "list.csv")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := countRows(p); got != tt.want {
				t.Errorf("countRows = %d, want %d", got, tt.want)
			}
		})
	}
	if got := countRows(filepath.Join(t.TempDir(), "missing.csv")); got != 0 {
		t.Errorf("countRows of a missing file = %d, want 0", got)
	}
}
