package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// progress tells how far a run has come. On a terminal it redraws one live
// line (done / total, rate, ETA); elsewhere, as under cron, it logs a plain
// line at most every interval and writes no control characters. It is safe
// for concurrent use.
type progress struct {
	term     io.Writer // the terminal, or nil
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration // between log lines when not on a terminal
	// total is how many subscribers the run may deliver to at most: the
	// list's rows, counted cheaply before the run; 0 when unknown.
	total int

	mu       sync.Mutex
	start    time.Time
	last     time.Time // of the last line drawn or logged
	drawn    bool      // a live line is on the terminal
	stopTick chan struct{}
	tickDone chan struct{}
}

// progressInterval is the time between progress log lines off a terminal.
const progressInterval = 10 * time.Second

// newProgress returns the run's progress reporter, writing to e.stderr:
// live on a terminal with text logs, as log lines otherwise. Its log and
// total (the most deliveries expected; 0: unknown) are set by the caller;
// the log should write through p.writer.
func newProgress(e *env, cfg *Config, now func() time.Time) *progress {
	p := &progress{log: slog.New(slog.DiscardHandler), now: now, interval: progressInterval}
	if cfg.Ops.LogFormat != "json" && !cfg.Ops.Quiet && isTerminal(e.stderr) {
		p.term = e.stderr
	}
	return p
}

// writer returns w, or on a terminal a writer to it that first clears the
// live line, so log lines do not run into it.
func (p *progress) writer(w io.Writer) io.Writer {
	if p.term == nil {
		return w
	}
	return clearingWriter{p: p, w: w}
}

type clearingWriter struct {
	p *progress
	w io.Writer
}

func (c clearingWriter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.p.drawn {
		fmt.Fprint(c.p.term, "\r\x1b[K")
		c.p.drawn = false
	}
	return c.w.Write(b)
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	if rw, ok := w.(redactingWriter); ok {
		w = rw.underlying()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// collecting shows that sources are being collected until the returned
// function is called: an elapsed-time line on a terminal, one log line
// otherwise.
func (p *progress) collecting() (stop func()) {
	start := p.now()
	if p.term == nil {
		p.log.Info("preparing the edition")
		return func() {}
	}
	p.stopTick, p.tickDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.tickDone)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			p.mu.Lock()
			p.draw(fmt.Sprintf("preparing the edition… %s", p.now().Sub(start).Round(time.Second)))
			p.mu.Unlock()
			select {
			case <-t.C:
			case <-p.stopTick:
				return
			}
		}
	}()
	return func() {
		close(p.stopTick)
		<-p.tickDone
		p.clear()
	}
}

// update is the Dispatcher's Progress hook: it is called with the running
// report after each batch of results is recorded.
func (p *progress) update(r *digest.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.start.IsZero() {
		p.start = r.Started
		if p.start.IsZero() {
			p.start = now
		}
	}
	done := r.Sent + r.Failed + r.Deferred + r.Unknown + r.Pending
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	var eta time.Duration
	if p.total > done && rate > 0 {
		eta = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second)
	}
	if p.term != nil {
		if now.Sub(p.last) < 100*time.Millisecond && p.drawn {
			return
		}
		line := fmt.Sprintf("delivering: %d", done)
		if p.total > 0 {
			line += fmt.Sprintf(" of at most %d (%d%%)", p.total, min(100, done*100/p.total))
		}
		line += fmt.Sprintf(", %d failed or deferred, %.1f/s", r.Failed+r.Deferred, rate)
		if eta > 0 {
			line += fmt.Sprintf(", ETA %s", eta)
		}
		p.draw(line)
		return
	}
	if !p.last.IsZero() && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	args := []any{"done", done, "sent", r.Sent, "failed", r.Failed, "deferred", r.Deferred, "rate_per_s", fmt.Sprintf("%.1f", rate)}
	if p.total > 0 {
		args = append(args, "total_at_most", p.total)
	}
	if eta > 0 {
		args = append(args, "eta", eta.String())
	}
	p.log.Info("delivering", args...)
}

// done clears the live line, so the final summary starts on a clean line.
func (p *progress) done() { p.clear() }

// draw replaces the live line; p.mu is held.
func (p *progress) draw(line string) {
	fmt.Fprintf(p.term, "\r\x1b[K%s", line)
	p.drawn = true
	p.last = p.now()
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.term, "\r\x1b[K")
		p.drawn = false
	}
}

// countRows returns the number of data rows of a CSV file with a header
// line, cheaply: its line count less one. Quoted fields that span lines
// make it an overestimate; a missing file gives 0 (unknown).
func countRows(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	lines, last := 0, byte('\n')
	for {
		n, err := f.Read(buf)
		if n > 0 {
			lines += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		lines++ // a last line without a newline
	}
	return max(0, lines-1)
}
