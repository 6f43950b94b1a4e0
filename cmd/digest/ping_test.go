package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

// pingRecorder is a healthchecks.io stand-in that records each ping's
// path and body.
type pingRecorder struct {
	mu     sync.Mutex
	pings  []string
	bodies []string
	status int
	delay  time.Duration
}

func (p *pingRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.pings = append(p.pings, r.Method+" "+r.URL.Path)
	p.bodies = append(p.bodies, string(body))
	status, delay := p.status, p.delay
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
}

func (p *pingRecorder) got() ([]string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.pings...), append([]string(nil), p.bodies...)
}

func TestRunPings(t *testing.T) {
	tests := []struct {
		name      string
		fault     mailertest.Fault
		status    int // the ping server's reply
		wantCode  int
		wantPings []string
		wantBody  string
		wantWarn  string
	}{
		{name: "success", wantCode: exitOK,
			wantPings: []string{"POST /ping/abc/start", "POST /ping/abc"}, wantBody: "exit 0: edition [2026-11-29] via smtp: sent 5"},
		{name: "refused deliveries ping fail", fault: mailertest.FailAll(mailertest.StageRcpt, 550), wantCode: exitPartial,
			wantPings: []string{"POST /ping/abc/start", "POST /ping/abc/fail"}, wantBody: "exit 3: edition [2026-11-29] via smtp: sent 0, failed 5"},
		{name: "a failing ping server does not fail the run", status: http.StatusInternalServerError, wantCode: exitOK,
			wantPings: []string{"POST /ping/abc/start", "POST /ping/abc"}, wantWarn: "ping failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &pingRecorder{status: tt.status}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			f := newCrashFixture(t, 5, tt.fault)
			var out bytes.Buffer
			environ := append(f.environ(), "DIGEST_PING_URL="+srv.URL+"/ping/abc/")
			code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: environ}, []string{"run"})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantCode, out.String())
			}
			pings, bodies := rec.got()
			if strings.Join(pings, "; ") != strings.Join(tt.wantPings, "; ") {
				t.Errorf("pings %q, want %q", pings, tt.wantPings)
			}
			if tt.wantBody != "" && (len(bodies) < 2 || !strings.HasPrefix(bodies[1], tt.wantBody)) {
				t.Errorf("end ping body %q, want one starting %q", bodies, tt.wantBody)
			}
			if tt.wantWarn != "" && !strings.Contains(out.String(), tt.wantWarn) {
				t.Errorf("no %q warning:\n%s", tt.wantWarn, out.String())
			}
			if strings.Contains(out.String(), "/ping/abc") {
				t.Errorf("the ping URL's secret path is in the log:\n%s", out.String())
			}
		})
	}
}

// TestRunPingsFailOnBadInput: an error before delivery pings /fail too.
func TestRunPingsFailOnBadInput(t *testing.T) {
	rec := &pingRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	f := newCrashFixture(t, 2, nil)
	var out bytes.Buffer
	environ := append(f.environ(), "DIGEST_PING_URL="+srv.URL+"/p", "DIGEST_SUBSCRIBERS="+filepath.Join(f.dir, "missing.csv"))
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: environ}, []string{"run"})
	pings, bodies := rec.got()
	// The list is checked before the lock is taken, so there is no /start:
	// the monitor hears of the failure alone.
	if code != exitUsage || strings.Join(pings, "; ") != "POST /p/fail" {
		t.Errorf("exit %d, pings %q; want %d, /fail\n%s", code, pings, exitUsage, out.String())
	}
	if len(bodies) == 1 && !strings.HasPrefix(bodies[0], "exit 2: run: DIGEST_SUBSCRIBERS "+filepath.Join(f.dir, "missing.csv")) {
		t.Errorf("fail ping body %q", bodies[0])
	}
}

// TestPingTimeout: an unresponsive monitor costs at most the timeout, and
// is a warning.
func TestPingTimeout(t *testing.T) {
	rec := &pingRecorder{delay: 5 * time.Second}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	var log bytes.Buffer
	p := &pinger{URL: srv.URL, Client: &http.Client{Timeout: 100 * time.Millisecond}, Logger: newLogger(&log, &Config{Ops: OpsConfig{LogFormat: "text"}})}
	start := time.Now()
	p.start(context.Background())
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("ping took %s", took)
	}
	if !strings.Contains(log.String(), "level=WARN msg=\"ping failed\"") {
		t.Errorf("no warning:\n%s", log.String())
	}
}

func TestPingURL(t *testing.T) {
	tests := []struct {
		raw, suffix, want, wantErr string
	}{
		{raw: "https://hc-ping.com/uuid", suffix: "start", want: "https://hc-ping.com/uuid/start"},
		{raw: "https://hc-ping.com/uuid/", suffix: "fail", want: "https://hc-ping.com/uuid/fail"},
		{raw: "https://hc-ping.com/uuid", suffix: "", want: "https://hc-ping.com/uuid"},
		{raw: "https://hc-ping.com/uuid/", suffix: "", want: "https://hc-ping.com/uuid"},
		{raw: "https://hc.example/ping/key/slug?create=1", suffix: "start", want: "https://hc.example/ping/key/slug/start?create=1"},
		{raw: "ftp://x/y", suffix: "start", wantErr: "want an http(s) URL"},
		{raw: "hc-ping.com/uuid", suffix: "", wantErr: "want an http(s) URL"},
	}
	for _, tt := range tests {
		got, err := pingURL(tt.raw, tt.suffix)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("pingURL(%q) err = %v, want %q", tt.raw, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("pingURL(%q, %q) = %q, %v; want %q", tt.raw, tt.suffix, got, err, tt.want)
		}
	}
}
