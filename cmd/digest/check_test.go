package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

// TestCheckTriesTheMailServer runs digest check against the in-process
// SMTP server as it is configured in different ways, and against a closed
// port: check names the transport, connects, logs in, sends nothing, and
// names what failed with exit 2.
func TestCheckTriesTheMailServer(t *testing.T) {
	closed := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "smtp://" + addr + "?tls=none"
	}
	tests := []struct {
		name     string
		server   []mailertest.Option // nil: a closed port
		user     string
		password string
		wantCode int
		want     string // a regexp for check's line about the server
	}{
		{name: "logs in", server: []mailertest.Option{mailertest.WithAuth("digest", "right-password"), mailertest.WithAuthMechanisms("PLAIN")},
			user: "digest", password: "right-password", wantCode: exitOK,
			want: `^smtp: 127\.0\.0\.1:\d+, no TLS, auth PLAIN as digest \(connected and logged in; nothing sent\)$`},
		{name: "no login wanted", server: []mailertest.Option{}, wantCode: exitOK,
			want: `^smtp: 127\.0\.0\.1:\d+, no TLS, no auth \(connected and logged in; nothing sent\)$`},
		{name: "closed port", wantCode: exitUsage, user: "digest", password: "right-password",
			want: `^smtp: 127\.0\.0\.1:\d+: cannot connect: .*connection refused`},
		{name: "server without AUTH", server: []mailertest.Option{}, user: "digest", password: "right-password", wantCode: exitUsage,
			want: `^smtp: 127\.0\.0\.1:\d+: no usable AUTH: .*server offers no usable AUTH mechanism`},
		{name: "login refused", server: []mailertest.Option{mailertest.WithAuth("digest", "right-password")},
			user: "digest", password: "wrong-password", wantCode: exitUsage,
			want: `^smtp: 127\.0\.0\.1:\d+: login refused: .*535`},
		{name: "STARTTLS with an untrusted certificate", server: []mailertest.Option{mailertest.WithSTARTTLS()}, wantCode: exitUsage,
			want: `^smtp: 127\.0\.0\.1:\d+: TLS handshake failed: .*certificate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var url string
			var srv *mailertest.Server
			if tt.server == nil {
				url = closed(t)
			} else {
				srv = mailertest.NewServer(t, tt.server...)
				url = srv.URL()
			}
			environ := []string{"DIGEST_SMTP_URL=" + url, "DIGEST_FROM=The Digest <digest@example.org>",
				"DIGEST_SOURCES=../../examples/sources.txt", "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
				"DIGEST_STATE=" + filepath.Join(t.TempDir(), "digest.db")}
			if tt.user != "" {
				environ = append(environ, "DIGEST_SMTP_USERNAME="+tt.user, "DIGEST_SMTP_PASSWORD="+tt.password)
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), &env{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), environ: environ},
				[]string{"check"})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if !regexp.MustCompile(`(?m)` + tt.want).MatchString(stdout.String()) {
				t.Errorf("stdout:\n%s\nwant a line matching %s", stdout.String(), tt.want)
			}
			if srv != nil && srv.Count() != 0 {
				t.Errorf("check sent %d messages", srv.Count())
			}
			if strings.Contains(stdout.String()+stderr.String(), tt.password) && tt.password != "" {
				t.Errorf("the password is shown:\n%s%s", stdout.String(), stderr.String())
			}
		})
	}
}

// TestCheckMailSettings: the example's sender and secrets left in place,
// and a DKIM key for another domain than the sender's, are problems; with
// --offline the server is described, not tried.
func TestCheckMailSettings(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "dkim.pem")
	if err := os.WriteFile(key, dkimTestKey(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		environ  []string
		wantCode int
		want     []string
	}{
		{name: "outbox", wantCode: exitOK, want: []string{`^outbox: outbox \(no DIGEST_SMTP_URL: messages are written as \.eml files, not sent\)$`}},
		{name: "offline", environ: []string{"DIGEST_SMTP_URL=smtp://mail.example.org", "DIGEST_SMTP_USERNAME=digest", "DIGEST_FROM=d@example.org"},
			wantCode: exitOK, want: []string{`^smtp: mail\.example\.org:587, STARTTLS, auth \(as offered\) as digest \(not tried: --offline\)$`,
				`^dkim: not set up: messages from example\.org go unsigned`}},
		{name: "default sender", environ: []string{"DIGEST_SMTP_URL=smtp://mail.example.org"}, wantCode: exitUsage,
			want: []string{`^from: "The Digest <digest@localhost>" is no address mail servers accept mail from`}},
		{name: "example secrets", environ: []string{"DIGEST_SMTP_PASSWORD=change-me", "DIGEST_SECRET=change-me-to-the-output-of-openssl-rand-hex-32"},
			wantCode: exitUsage, want: []string{`^secrets: DIGEST_SMTP_PASSWORD is still the example's placeholder: set a real one$`, `^secrets: DIGEST_SECRET is still the example's placeholder: set a real one$`}},
		{name: "DKIM for another domain", environ: []string{"DIGEST_SMTP_URL=smtp://mail.example.org", "DIGEST_FROM=d@news.example.org",
			"DIGEST_DKIM_KEY_FILE=" + key, "DIGEST_DKIM_SELECTOR=s1", "DIGEST_DKIM_DOMAIN=example.net"},
			wantCode: exitUsage, want: []string{`^dkim: signs for example\.net, but mail is from news\.example\.org`}},
		{name: "DKIM for the parent domain aligns", environ: []string{"DIGEST_SMTP_URL=smtp://mail.example.org", "DIGEST_FROM=d@news.example.org",
			"DIGEST_DKIM_KEY_FILE=" + key, "DIGEST_DKIM_SELECTOR=s1", "DIGEST_DKIM_DOMAIN=example.org"},
			wantCode: exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := append([]string{"DIGEST_SOURCES=../../examples/sources.txt", "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
				"DIGEST_STATE=" + filepath.Join(t.TempDir(), "digest.db")}, tt.environ...)
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), &env{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), environ: environ},
				[]string{"check", "--offline"})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d:\n%s%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, want := range tt.want {
				if !regexp.MustCompile(`(?m)` + want).MatchString(stdout.String()) {
					t.Errorf("stdout:\n%s\nwant a line matching %s", stdout.String(), want)
				}
			}
		})
	}
}

// dkimTestKey returns a new Ed25519 private key in PEM.
func dkimTestKey(t *testing.T) []byte {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
