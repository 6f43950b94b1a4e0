package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSecretsRedacted runs digest against a model server that echoes the
// API key in its 401, as some do, and a ping server that fails: the key
// and the ping URL's secret path reach neither stderr (cron's mail) nor
// the report.
func TestSecretsRedacted(t *testing.T) {
	const key = "sk-live-4f8a1c2e9b7d6a5f3e1c0b9a8d7e6f5a"
	var calls atomic.Int32
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
			"message": "Incorrect API key provided: " + r.Header.Get("Authorization")}})
	}))
	defer llm.Close()
	const pingPath = "/ping/0b9f2c6e-41d7-4a8e-9c3b-5d2e7f1a8c64"
	ping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such check "+r.URL.Path, http.StatusNotFound)
	}))
	defer ping.Close()

	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	var stderr bytes.Buffer
	environ := []string{
		"DIGEST_SOURCES=../../examples/sources.txt", "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"), "DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
		"DIGEST_EDITION=2026-11-29", "DIGEST_REPORT=" + report,
		"DIGEST_LLM_URL=" + llm.URL, "DIGEST_LLM_MODEL=test", "DIGEST_LLM_KEY=" + key,
		"DIGEST_PING_URL=" + ping.URL + pingPath,
	}
	code := Main(context.Background(), &env{stdout: &stderr, stderr: &stderr, stdin: strings.NewReader(""), environ: environ}, []string{"run"})
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	if calls.Load() == 0 {
		t.Fatal("the model server was not asked")
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"stderr": stderr.String(), "the report": string(b)} {
		for _, secret := range []string{key, "sk-live", strings.Trim(pingPath, "/")} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the secret %q:\n%s", name, secret, text)
			}
		}
	}
	if !strings.Contains(stderr.String(), "Incorrect API key provided: Bearer [redacted]") {
		t.Errorf("stderr does not show the model's refusal, redacted:\n%s", stderr.String())
	}
	fi, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("report mode %v, want 0600: it lists addresses", perm)
	}
}

// TestFinalErrorRedacted checks the last line digest prints, the error
// that stopped it, for the SMTP password.
func TestFinalErrorRedacted(t *testing.T) {
	const password = "Tr0ub4dor&3-horse-battery"
	dir := t.TempDir()
	var stderr bytes.Buffer
	environ := []string{
		"DIGEST_SOURCES=../../examples/sources.txt", "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"), "DIGEST_SMTP_PASSWORD=" + password,
		// A note file named like the password, as a stand-in for any error
		// that quotes a secret.
		"DIGEST_NOTE=" + filepath.Join(dir, password),
	}
	code := Main(context.Background(), &env{stdout: &stderr, stderr: &stderr, stdin: strings.NewReader(""), environ: environ}, []string{"run"})
	if code == exitOK {
		t.Fatalf("exit 0:\n%s", stderr.String())
	}
	if got := stderr.String(); strings.Contains(got, password) || !strings.Contains(got, redacted) {
		t.Errorf("stderr:\n%s\nwant the password redacted", got)
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor([]string{"", "abc", "p@ss w/rd!", "p@ss w/rd!-longer"})
	tests := []struct{ in, want string }{
		{"no secret here; abc is too short to redact", "no secret here; abc is too short to redact"},
		{"auth p@ss w/rd! refused", "auth [redacted] refused"},
		{"the longer one p@ss w/rd!-longer whole", "the longer one [redacted] whole"},
		{"in a URL: smtp://u:p%40ss+w%2Frd%21@h", "in a URL: smtp://u:[redacted]@h"},
		{"in a path: /p@ss%20w%2Frd%21", "in a path: /[redacted]"},
	}
	r2 := newRedactor([]string{`a&b<c>"d\e`})
	for _, in := range []string{`log: pw="a&b<c>\"d\\e"`, `report: "a\u0026b\u003cc\u003e\"d\\e"`, `json log: "a&b<c>\"d\\e"`} {
		if got := r2.String(in); strings.Contains(got, "a&b") || strings.Contains(got, `a\u0026b`) || !strings.Contains(got, redacted) {
			t.Errorf("String(%q) = %q, want the secret redacted", in, got)
		}
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var nilR *redactor
	if got := nilR.String("x"); got != "x" {
		t.Errorf("nil redactor changed %q", got)
	}
}

// TestIMAPPasswordRedacted runs digest bounces against an IMAP server on
// loopback that refuses the login and echoes the command, password and
// all, in its answer: the password reaches neither stdout nor stderr.
func TestIMAPPasswordRedacted(t *testing.T) {
	const password = "imap-Pa55word-9f8e7d6c"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprint(c, "* OK [CAPABILITY IMAP4rev1] ready\r\n")
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			tag, cmd, _ := strings.Cut(sc.Text(), " ")
			if strings.HasPrefix(strings.ToUpper(cmd), "CAPABILITY") {
				fmt.Fprintf(c, "* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag)
				continue
			}
			fmt.Fprintf(c, "%s NO [AUTHENTICATIONFAILED] invalid credentials: %s\r\n", tag, cmd)
		}
	}()
	f := newBounceFixture(t, 1)
	f.environ = append(f.environ, "DIGEST_IMAP_PASSWORD="+password)
	var out bytes.Buffer
	code := Main(t.Context(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ},
		[]string{"bounces", "imap://bounces@" + ln.Addr().String() + "/Bounces"})
	if code == exitOK {
		t.Fatalf("exit 0, want the refused login:\n%s", out.String())
	}
	if got := out.String(); strings.Contains(got, password) || !strings.Contains(got, "AUTHENTICATIONFAILED") {
		t.Errorf("output:\n%s\nwant the refusal with the password redacted", got)
	}
}

// TestSMTPAuthEchoRedacted runs digest against an SMTP server on loopback
// that refuses the login and echoes the AUTH command it got: the
// password, which AUTH PLAIN sends base64-encoded with the user, reaches
// stderr in neither form.
func TestSMTPAuthEchoRedacted(t *testing.T) {
	const user, password = "digest", "Tr0ub4dor-horse-battery-9"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprint(c, "220 echo ESMTP\r\n")
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					switch cmd := strings.ToUpper(sc.Text()); {
					case strings.HasPrefix(cmd, "EHLO"):
						fmt.Fprint(c, "250-echo\r\n250 AUTH PLAIN\r\n")
					case strings.HasPrefix(cmd, "AUTH"):
						fmt.Fprintf(c, "535 5.7.8 credentials rejected: %s\r\n", sc.Text())
					case strings.HasPrefix(cmd, "QUIT"):
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "502 no\r\n")
					}
				}
			}()
		}
	}()
	dir := t.TempDir()
	var stderr bytes.Buffer
	environ := []string{
		"DIGEST_SOURCES=../../examples/sources.txt", "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"), "DIGEST_EDITION=2026-11-29", "DIGEST_FROM=digest@example.org",
		"DIGEST_SMTP_URL=smtp://" + user + "@" + ln.Addr().String(), "DIGEST_SMTP_PASSWORD=" + password,
	}
	code := Main(context.Background(), &env{stdout: &stderr, stderr: &stderr, stdin: strings.NewReader(""), environ: environ}, []string{"run"})
	if code != exitUsage {
		t.Fatalf("exit %d, want %d (a refused login):\n%s", code, exitUsage, stderr.String())
	}
	got := stderr.String()
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	for _, secret := range []string{password, plain} {
		if strings.Contains(got, secret) {
			t.Errorf("stderr shows %q:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "credentials rejected: AUTH PLAIN "+redacted) {
		t.Errorf("stderr does not show the refusal, redacted:\n%s", got)
	}
}
