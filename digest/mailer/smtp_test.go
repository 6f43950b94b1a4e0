package mailer

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/emersion/go-msgauth/dkim"
)

// open returns a Conn to srv, closed when the test ends.
func open(t testing.TB, cfg SMTPConfig) digest.Conn {
	t.Helper()
	tr, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	c, err := tr.Open(context.Background())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSMTPDelivers(t *testing.T) {
	srv := mailertest.NewServer(t)
	c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second})
	rcpts := []string{"ana@example.org", "bo@example.net", "cy@example.com"}
	for _, to := range rcpts {
		reply, err := c.Send(context.Background(), testMessage(to))
		if err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
		if !strings.HasPrefix(reply, "250 ") || !strings.Contains(reply, "queued") {
			t.Errorf("reply %q, want the server's 250 queued reply", reply)
		}
	}
	msgs := srv.Messages()
	if got, want := len(msgs), len(rcpts); got != want {
		t.Fatalf("server got %d messages, want %d", got, want)
	}
	for i, got := range msgs {
		if len(got.To) != 1 || got.To[0] != rcpts[i] {
			t.Errorf("message %d to %v, want [%s]", i, got.To, rcpts[i])
		}
		if got.From != "news@example.com" {
			t.Errorf("message %d envelope from %q, want news@example.com", i, got.From)
		}
		p := parse(t, got.Data)
		if len(p.types) != 2 || !strings.HasPrefix(p.types[0], "text/plain") || !strings.HasPrefix(p.types[1], "text/html") {
			t.Errorf("message %d parts %v, want text then HTML", i, p.types)
		}
		if !strings.Contains(p.bodies[0], "\r\n.\r\n") {
			t.Errorf("message %d lost its dot line: %q", i, p.bodies[0])
		}
		if got, want := p.header.Get("Message-ID"), "<2026-11-29.abc123@example.com>"; got != want {
			t.Errorf("message %d Message-ID %q, want %q", i, got, want)
		}
	}
	if got, want := srv.Connections(), 1; got != want {
		t.Errorf("server saw %d connections, want %d", got, want)
	}
}

func TestSMTPRefusals(t *testing.T) {
	stages := []string{mailertest.StageMail, mailertest.StageRcpt, mailertest.StageData}
	codes := []int{421, 451, 452, 550, 554}
	for _, stage := range stages {
		for _, code := range codes {
			t.Run(fmt.Sprintf("%s %d", stage, code), func(t *testing.T) {
				srv := mailertest.NewServer(t, mailertest.WithFault(mailertest.FailFirst(1, stage, code)))
				c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second})
				_, err := c.Send(context.Background(), testMessage("ana@example.org"))
				var se *digest.SendError
				if !errors.As(err, &se) {
					t.Fatalf("got %v, want a *digest.SendError", err)
				}
				if se.Code != code || se.Permanent != (code >= 500) {
					t.Errorf("got code %d permanent %v, want %d %v", se.Code, se.Permanent, code, code >= 500)
				}
				if got, want := digest.IsPermanent(err), code >= 500; got != want {
					t.Errorf("IsPermanent = %v, want %v", got, want)
				}
				if se.Err == nil || !strings.HasPrefix(se.Err.Error(), "smtp "+strings.ToLower(stage)+":") {
					t.Errorf("wrapped error %v does not name the stage %s", se.Err, stage)
				}
				// The same Conn carries on; only a 421 costs a new connection.
				if _, err := c.Send(context.Background(), testMessage("bo@example.net")); err != nil {
					t.Fatalf("send after the refusal: %v", err)
				}
				wantConns := 1
				if code == 421 {
					wantConns = 2
				}
				if got := srv.Connections(); got != wantConns {
					t.Errorf("server saw %d connections, want %d", got, wantConns)
				}
				if got, want := srv.Count(), 1; got != want {
					t.Errorf("server kept %d messages, want %d", got, want)
				}
			})
		}
	}
}

func TestSMTPRefusesOneRecipient(t *testing.T) {
	srv := mailertest.NewServer(t, mailertest.WithFault(mailertest.FailRcpt(mailertest.StageRcpt, 550, "bo@example.net")))
	c := open(t, SMTPConfig{URL: srv.URL()})
	for _, to := range []string{"ana@example.org", "bo@example.net", "cy@example.com"} {
		_, err := c.Send(context.Background(), testMessage(to))
		if got, want := digest.IsPermanent(err), to == "bo@example.net"; got != want {
			t.Errorf("send to %s: permanent = %v (%v), want %v", to, got, err, want)
		}
	}
	if got, want := srv.Count(), 2; got != want {
		t.Errorf("server kept %d messages, want %d", got, want)
	}
}

func TestSMTPConnectionLost(t *testing.T) {
	tests := []struct {
		name  string
		fault mailertest.Fault
	}{
		{"drop mid-DATA", mailertest.DropAt(mailertest.StageData)},
		{"drop at RCPT", mailertest.DropAt(mailertest.StageRcpt)},
		{"stall at DATA", mailertest.StallAt(mailertest.StageData, 5*time.Second)},
		{"stall at MAIL", mailertest.StallAt(mailertest.StageMail, 5*time.Second)},
	}
	const timeout = 300 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailertest.NewServer(t)
			c := open(t, SMTPConfig{URL: srv.URL(), Timeout: timeout})
			srv.SetFault(tt.fault)
			start := time.Now()
			_, err := c.Send(context.Background(), testMessage("ana@example.org"))
			took := time.Since(start)
			var se *digest.SendError
			if err == nil || errors.As(err, &se) {
				t.Fatalf("got %v, want a plain (not SendError) error", err)
			}
			if strings.HasPrefix(tt.name, "stall") {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("got %v, want a timeout", err)
				}
				if took > 3*timeout {
					t.Errorf("stall noticed after %v, want about %v", took, timeout)
				}
			}
			// The Conn redials on the next Send.
			srv.SetFault(nil)
			if _, err := c.Send(context.Background(), testMessage("bo@example.net")); err != nil {
				t.Fatalf("send after the loss: %v", err)
			}
			if got, want := srv.Connections(), 2; got != want {
				t.Errorf("server saw %d connections, want %d", got, want)
			}
		})
	}
}

func TestSMTPContextCancel(t *testing.T) {
	srv := mailertest.NewServer(t, mailertest.WithFault(mailertest.StallAt(mailertest.StageData, 5*time.Second)))
	c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Send(ctx, testMessage("ana@example.org"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
}

func TestSMTPPerConn(t *testing.T) {
	srv := mailertest.NewServer(t)
	c := open(t, SMTPConfig{URL: srv.URL(), PerConn: 2})
	for i := range 5 {
		if _, err := c.Send(context.Background(), testMessage(fmt.Sprintf("r%d@example.org", i))); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := srv.Connections(), 3; got != want {
		t.Errorf("server saw %d connections for 5 messages at 2 a connection, want %d", got, want)
	}
	if got, want := srv.Count(), 5; got != want {
		t.Errorf("server got %d messages, want %d", got, want)
	}
}

func TestSMTPAuth(t *testing.T) {
	const user, pass = "digest", "s3cret-Passw0rd"
	tests := []struct {
		name  string
		mechs []string
		url   func(srv *mailertest.Server) string
		cfg   SMTPConfig
		ok    bool
	}{
		{"plain", []string{"PLAIN"}, nil, SMTPConfig{Username: user, Password: pass}, true},
		{"login", []string{"LOGIN"}, nil, SMTPConfig{Username: user, Password: pass}, true},
		{"cram-md5", []string{"CRAM-MD5"}, nil, SMTPConfig{Username: user, Password: pass}, true},
		{"prefers cram-md5", []string{"PLAIN", "LOGIN", "CRAM-MD5"}, nil, SMTPConfig{Username: user, Password: pass}, true},
		{"credentials in URL", []string{"PLAIN"}, func(srv *mailertest.Server) string {
			return "smtp://" + user + ":" + pass + "@" + srv.Addr() + "?tls=none"
		}, SMTPConfig{}, true},
		{"wrong password", []string{"PLAIN"}, nil, SMTPConfig{Username: user, Password: pass + "x"}, false},
		{"wrong password in URL", []string{"LOGIN"}, func(srv *mailertest.Server) string {
			return "smtp://" + user + ":" + pass + "x@" + srv.Addr() + "?tls=none"
		}, SMTPConfig{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailertest.NewServer(t, mailertest.WithAuth(user, pass), mailertest.WithAuthMechanisms(tt.mechs...))
			cfg := tt.cfg
			cfg.URL = srv.URL()
			if tt.url != nil {
				cfg.URL = tt.url(srv)
			}
			tr, err := NewSMTP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			c, err := tr.Open(context.Background())
			if !tt.ok {
				if err == nil {
					c.Close()
					t.Fatal("Open succeeded with a wrong password")
				}
				if strings.Contains(err.Error(), pass) {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer c.Close()
			if _, err := c.Send(context.Background(), testMessage("ana@example.org")); err != nil {
				t.Fatalf("send: %v", err)
			}
		})
	}
}

func TestSMTPErrorsHidePassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the dial fails
	const pass = "hunter2-very-secret"
	for _, url := range []string{
		"smtp://user:" + pass + "@" + addr + "?tls=none",
		"smtp://user:" + pass + "@" + addr + "?tls=bogus",
		"smtp://user:" + pass + "@[::1:bad/?tls=none",
	} {
		tr, err := NewSMTP(SMTPConfig{URL: url, Timeout: time.Second})
		if err == nil {
			_, err = tr.Open(context.Background())
		}
		if err == nil {
			t.Fatalf("%s: no error", addr)
		}
		if strings.Contains(err.Error(), pass) {
			t.Errorf("error %q shows the password", err)
		}
	}
}

func TestSMTPTLS(t *testing.T) {
	tests := []struct {
		name string
		opt  mailertest.Option
		url  func(srv *mailertest.Server) string
	}{
		{"implicit", mailertest.WithImplicitTLS(), nil},
		{"starttls required", mailertest.WithSTARTTLS(), nil},
		{"starttls by default on loopback", mailertest.WithSTARTTLS(), func(srv *mailertest.Server) string {
			return "smtp://" + srv.Addr()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The server takes PLAIN only over TLS: a login proves TLS.
			srv := mailertest.NewServer(t, tt.opt, mailertest.WithAuth("u", "p"), mailertest.WithAuthMechanisms("PLAIN"))
			url := srv.URL()
			if tt.url != nil {
				url = tt.url(srv)
			}
			c := open(t, SMTPConfig{URL: url, Username: "u", Password: "p", TLSConfig: srv.ClientTLSConfig()})
			if _, err := c.Send(context.Background(), testMessage("ana@example.org")); err != nil {
				t.Fatalf("send: %v", err)
			}
		})
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	srv := mailertest.NewServer(t) // no TLS
	tr, err := NewSMTP(SMTPConfig{URL: "smtp://" + srv.Addr() + "?tls=starttls"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tr.Open(context.Background())
	if !errors.Is(err, ErrNoSTARTTLS) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("got %v, want ErrNoSTARTTLS", err)
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	srv := mailertest.NewServer(t, mailertest.WithSTARTTLS())
	tr, err := NewSMTP(SMTPConfig{URL: srv.URL()}) // system roots only
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tr.Open(context.Background()); err == nil {
		c.Close()
		t.Fatal("Open trusted a self-signed certificate")
	}
}

func TestTLSPolicy(t *testing.T) {
	tests := []struct {
		scheme, host, param string
		want                tlsMode
		bad                 bool
	}{
		{"smtp", "mail.example.com", "", tlsStartTLS, false},
		{"smtp", "192.0.2.1", "", tlsStartTLS, false},
		{"smtp", "localhost", "", tlsOpportunistic, false},
		{"smtp", "127.0.0.1", "", tlsOpportunistic, false},
		{"smtp", "127.1.2.3", "", tlsOpportunistic, false},
		{"smtp", "::1", "", tlsOpportunistic, false},
		{"smtp", "mail.example.com", "none", tlsNone, false},
		{"smtp", "mail.example.com", "opportunistic", tlsOpportunistic, false},
		{"smtp", "localhost", "starttls", tlsStartTLS, false},
		{"smtps", "mail.example.com", "", tlsImplicit, false},
		{"smtps", "mail.example.com", "none", 0, true},
		{"smtp", "mail.example.com", "maybe", 0, true},
		{"http", "mail.example.com", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.scheme+" "+tt.host+" "+tt.param, func(t *testing.T) {
			got, err := tlsPolicy(tt.scheme, tt.host, tt.param)
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want error %v", err, tt.bad)
			}
			if !tt.bad && got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlainAuthPolicy(t *testing.T) {
	tests := []struct {
		host      string
		encrypted bool
		want      bool
	}{
		{"mail.example.com", true, true},
		{"mail.example.com", false, false},
		{"192.0.2.1", false, false},
		{"127.0.0.1", false, true},
		{"localhost", false, true},
		{"::1", false, true},
	}
	for _, tt := range tests {
		if got := plainAuthAllowed(tt.host, tt.encrypted); got != tt.want {
			t.Errorf("plainAuthAllowed(%q, %v) = %v, want %v", tt.host, tt.encrypted, got, tt.want)
		}
	}
}

// dkimKey makes a key of the given kind, writes it as PEM and returns the
// file and the DNS TXT record for it.
func dkimKey(t testing.TB, kind string) (file, record string) {
	t.Helper()
	var key crypto.Signer
	var der []byte
	var pub string
	var err error
	switch kind {
	case "rsa":
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		key = k
		der = x509.MarshalPKCS1PrivateKey(k)
		pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		pub = base64.StdEncoding.EncodeToString(pubDER)
	case "ed25519":
		p, k, _ := ed25519.GenerateKey(rand.Reader)
		key = k
		if der, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
			t.Fatal(err)
		}
		pub = base64.StdEncoding.EncodeToString(p)
	}
	_ = key
	typ := map[string]string{"rsa": "RSA PRIVATE KEY", "ed25519": "PRIVATE KEY"}[kind]
	file = filepath.Join(t.TempDir(), kind+".pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, "v=DKIM1; k=" + kind + "; p=" + pub
}

func TestDKIM(t *testing.T) {
	for _, kind := range []string{"rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			file, record := dkimKey(t, kind)
			srv := mailertest.NewServer(t)
			tr, err := NewSMTP(SMTPConfig{URL: srv.URL(), DKIM: &DKIMConfig{Domain: "example.com", Selector: "digest", KeyFile: file}})
			if err != nil {
				t.Fatal(err)
			}
			// Four Conns at once, as the worker pool runs them.
			var wg sync.WaitGroup
			for w := range 4 {
				c, err := tr.Open(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					defer c.Close()
					for i := range 5 {
						l := testLetter(fmt.Sprintf("w%d-%d@example.org", w, i))
						l.Subject = strings.Repeat("A long subject line that will be folded ", 4)
						m := mustMessage(t, l)
						if _, err := c.Send(context.Background(), m); err != nil {
							t.Errorf("send: %v", err)
						}
					}
				})
			}
			wg.Wait()
			lookup := func(domain string) ([]string, error) {
				if domain != "digest._domainkey.example.com" {
					return nil, fmt.Errorf("no TXT record for %s", domain)
				}
				return []string{record}, nil
			}
			msgs := srv.Messages()
			if got, want := len(msgs), 20; got != want {
				t.Fatalf("server got %d messages, want %d", got, want)
			}
			for _, m := range msgs {
				vs, err := dkim.VerifyWithOptions(strings.NewReader(string(m.Data)), &dkim.VerifyOptions{LookupTXT: lookup})
				if err != nil || len(vs) != 1 {
					t.Fatalf("verify: %v, %d signatures", err, len(vs))
				}
				if vs[0].Err != nil {
					t.Fatalf("signature of message to %v does not verify: %v", m.To, vs[0].Err)
				}
				signed := strings.ToLower(strings.Join(vs[0].HeaderKeys, ":"))
				for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type"} {
					if !strings.Contains(":"+signed+":", ":"+h+":") {
						t.Errorf("signature does not cover %s (h=%s)", h, signed)
					}
				}
			}
			// A changed body no longer verifies: the test can fail.
			tampered := strings.Replace(string(msgs[0].Data), "Hello Ana", "Hello Eve", 1)
			vs, err := dkim.VerifyWithOptions(strings.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil || len(vs) != 1 || vs[0].Err == nil {
				t.Errorf("tampered message verified: %v %v", err, vs)
			}
		})
	}
}

func TestDKIMConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  DKIMConfig
	}{
		{"no selector", DKIMConfig{Domain: "example.com", KeyFile: "x.pem"}},
		{"missing file", DKIMConfig{Domain: "example.com", Selector: "s", KeyFile: filepath.Join(t.TempDir(), "none.pem")}},
		{"not PEM", DKIMConfig{Domain: "example.com", Selector: "s", KeyFile: "message.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSMTP(SMTPConfig{URL: "smtp://localhost:25", DKIM: &tt.cfg}); err == nil {
				t.Error("NewSMTP succeeded, want an error")
			}
		})
	}
}

// BenchmarkSMTPSend sends one message per iteration over one Conn to an
// in-process server on loopback.
func BenchmarkSMTPSend(b *testing.B) {
	for _, signed := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "dkim-ed25519"}[signed], func(b *testing.B) {
			srv := mailertest.NewServer(b)
			cfg := SMTPConfig{URL: srv.URL()}
			if signed {
				file, _ := dkimKey(b, "ed25519")
				cfg.DKIM = &DKIMConfig{Domain: "example.com", Selector: "digest", KeyFile: file}
			}
			c := open(b, cfg)
			m := testMessage("ana@example.org")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Send(context.Background(), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSMTPSend1000 sends 1,000 messages over one Conn per iteration.
func BenchmarkSMTPSend1000(b *testing.B) {
	srv := mailertest.NewServer(b)
	c := open(b, SMTPConfig{URL: srv.URL()})
	m := testMessage("ana@example.org")
	b.ReportAllocs()
	for b.Loop() {
		for range 1000 {
			if _, err := c.Send(context.Background(), m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSMTPSend4Conns sends 1,000 messages per iteration over four
// Conns at once, as a pool of four workers does, and reports messages/s.
func BenchmarkSMTPSend4Conns(b *testing.B) {
	srv := mailertest.NewServer(b)
	conns := make([]digest.Conn, 4)
	for i := range conns {
		conns[i] = open(b, SMTPConfig{URL: srv.URL()})
	}
	m := testMessage("ana@example.org")
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() {
				for range 250 {
					if _, err := c.Send(context.Background(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "msgs/s")
}
