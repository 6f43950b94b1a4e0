//go:build e2e

// End-to-end checks against a real mailpit, run by .ci/run, which starts
// mailpit and passes its addresses in MAILPIT_SMTP and MAILPIT_API.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

type mailpit struct {
	t    *testing.T
	smtp string
	api  string
}

func newMailpit(t *testing.T) *mailpit {
	t.Helper()
	smtp, api := os.Getenv("MAILPIT_SMTP"), os.Getenv("MAILPIT_API")
	if smtp == "" || api == "" {
		t.Fatal("MAILPIT_SMTP and MAILPIT_API must be set (see .ci/run)")
	}
	m := &mailpit{t: t, smtp: smtp, api: api}
	m.do(http.MethodDelete, "/api/v1/messages", nil, nil)
	m.chaos(0)
	return m
}

func (m *mailpit) do(method, path string, body, out any) {
	m.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, m.api+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("mailpit %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("mailpit %s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			m.t.Fatalf("mailpit %s %s: %v", method, path, err)
		}
	}
}

// chaos makes mailpit answer 451 at RCPT for this share (percent) of
// recipients.
func (m *mailpit) chaos(percent int) {
	m.do(http.MethodPut, "/api/v1/chaos", map[string]any{
		"Recipient": map[string]int{"ErrorCode": 451, "Probability": percent},
	}, nil)
}

type mailSummary struct {
	ID      string
	Subject string
	To      []struct{ Address string }
}

func (m *mailpit) messages() []mailSummary {
	var out struct {
		Total    int
		Messages []mailSummary
	}
	m.do(http.MethodGet, "/api/v1/messages?limit=5000", nil, &out)
	return out.Messages
}

// perAddress counts the messages each address received.
func perAddress(ms []mailSummary) map[string]int {
	n := map[string]int{}
	for _, s := range ms {
		for _, to := range s.To {
			n[strings.ToLower(to.Address)]++
		}
	}
	return n
}

func (m *mailpit) runDigest(vars []string, args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), environ: vars}, args)
	return code, out.String() + errb.String()
}

func baseEnv(t *testing.T, m *mailpit) []string {
	dir := t.TempDir()
	return []string{
		"DIGEST_SMTP_URL=smtp://" + m.smtp,
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
		"DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
		"DIGEST_TIMEZONE=UTC",
	}
}

func TestMailpitDefaultRun(t *testing.T) {
	m := newMailpit(t)
	env := baseEnv(t, m)
	code, out := m.runDigest(env)
	if code != 0 {
		t.Fatalf("digest run exited %d:\n%s", code, out)
	}
	ms := m.messages()
	counts := perAddress(ms)
	want := exampleSubscribers(t)
	if len(ms) != len(want) {
		t.Fatalf("mailpit has %d messages, want %d (one per example subscriber):\n%s", len(ms), len(want), out)
	}
	for _, addr := range want {
		if counts[addr] != 1 {
			t.Errorf("%s received %d messages, want 1", addr, counts[addr])
		}
	}
	for _, s := range ms {
		var msg struct{ Text, HTML string }
		m.do(http.MethodGet, "/api/v1/message/"+s.ID, nil, &msg)
		if strings.TrimSpace(msg.Text) == "" || strings.TrimSpace(msg.HTML) == "" {
			t.Errorf("message to %v lacks a text or an HTML part", s.To)
		}
	}
	var check struct {
		Total struct{ Supported, Partial, Unsupported float64 }
	}
	m.do(http.MethodGet, "/api/v1/message/"+ms[0].ID+"/html-check", nil, &check)
	fmt.Printf("mailpit html-check: %.1f%% supported, %.1f%% partial, %.1f%% unsupported\n",
		check.Total.Supported, check.Total.Partial, check.Total.Unsupported)
	if check.Total.Supported < 90 {
		t.Errorf("html-check supported = %.1f%%, want at least 90%%", check.Total.Supported)
	}

	// A second run of the same edition sends nothing.
	code, out = m.runDigest(env)
	if code != 0 || !strings.Contains(out, "already delivered") {
		t.Errorf("second run exited %d, want 0 and 'already delivered':\n%s", code, out)
	}
	if n := len(m.messages()); n != len(want) {
		t.Errorf("after the second run mailpit has %d messages, want %d", n, len(want))
	}
}

// TestMailpitChaosThenResume sends to 300 subscribers while mailpit
// answers 451 to 30% of recipients, then runs again without chaos, and
// checks that each subscriber received exactly one message: on a SQLite
// state and on a PostgreSQL one.
func TestMailpitChaosThenResume(t *testing.T) {
	forEachState(t, testMailpitChaosThenResume)
}

// testMailpitChaosThenResume is TestMailpitChaosThenResume on a SQLite
// state or on a PostgreSQL one.
func testMailpitChaosThenResume(t *testing.T, postgres bool) {
	const n = 300
	m := newMailpit(t)
	env := baseEnv(t, m)
	if postgres {
		state := newPostgresState(t)
		for i, v := range env {
			if strings.HasPrefix(v, "DIGEST_STATE=") {
				env[i] = "DIGEST_STATE=" + state
			}
		}
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "subscribers.csv")
	f, err := os.Create(list)
	if err != nil {
		t.Fatal(err)
	}
	if err := subscriber.Generate(f, n); err != nil {
		t.Fatal(err)
	}
	f.Close()
	report := filepath.Join(dir, "report.json")
	env = append(env, "DIGEST_SUBSCRIBERS="+list, "DIGEST_SMTP_RETRIES=1", "DIGEST_SMTP_MAX_FAILURES=100000", "DIGEST_REPORT="+report)

	m.chaos(30)
	code, out := m.runDigest(env)
	var rep digest.Report
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, out)
	}
	json.Unmarshal(b, &rep)
	fmt.Printf("chaos run (451 for 30%% of recipients): exit %d, sent %d, deferred %d, failed %d\n", code, rep.Sent, rep.Deferred, rep.Failed)
	if code != 3 || rep.Deferred == 0 || rep.Sent+rep.Deferred != n {
		t.Fatalf("chaos run: exit %d, sent %d, deferred %d; want exit 3 and sent+deferred = %d:\n%s", code, rep.Sent, rep.Deferred, n, outputTail(out))
	}

	m.chaos(0)
	code, out = m.runDigest(env)
	b, _ = os.ReadFile(report)
	json.Unmarshal(b, &rep)
	fmt.Printf("rerun without chaos: exit %d, sent %d, already sent %d\n", code, rep.Sent, rep.AlreadySent)
	if code != 0 {
		t.Fatalf("rerun exited %d:\n%s", code, outputTail(out))
	}
	counts := perAddress(m.messages())
	var wrong []string
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("user%07d@example.com", i)
		if counts[addr] != 1 {
			wrong = append(wrong, fmt.Sprintf("%s:%d", addr, counts[addr]))
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 || len(counts) != n {
		t.Fatalf("want exactly one message for each of %d subscribers; %d addresses seen, wrong counts: %v", n, len(counts), wrong)
	}
	fmt.Printf("mailpit: each of the %d subscribers received exactly one message\n", n)
}

func exampleSubscribers(t *testing.T) []string {
	var out []string
	for s, err := range (&subscriber.File{Path: "../../subscribers.example.csv"}).Subscribers(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ToLower(s.Email))
	}
	return out
}

// outputTail returns the last 3000 bytes of a command's output.
func outputTail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
