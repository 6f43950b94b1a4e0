package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
)

// A Probe is what Probe learnt of the way to the SMTP server.
type Probe struct {
	// Addr is the server's host:port.
	Addr string
	// TLS is how the connection was encrypted: "TLS" (smtps), "STARTTLS",
	// or "none".
	TLS string
	// Auth is the AUTH mechanism used, such as "PLAIN", or "" when no user
	// is set.
	Auth string
	// User is the user logged in as, or "".
	User string
}

// String describes the way mail goes, like "smtp: mail.example.org:587,
// STARTTLS, auth PLAIN as digest@example.org".
func (p Probe) String() string {
	auth := "no auth"
	if p.User != "" {
		auth = "auth " + p.Auth + " as " + p.User
	}
	return fmt.Sprintf("smtp: %s, %s, %s", p.Addr, p.TLS, auth)
}

// Describe returns what s will do without connecting: the address, the TLS
// it asks for, and the user, the mechanism being the server's to offer.
func (s *SMTP) Describe() Probe {
	p := Probe{Addr: s.addr, User: s.user, Auth: "(as offered)"}
	switch s.mode {
	case tlsImplicit:
		p.TLS = "TLS"
	case tlsStartTLS:
		p.TLS = "STARTTLS"
	case tlsOpportunistic:
		p.TLS = "STARTTLS if offered"
	default:
		p.TLS = "no TLS"
	}
	return p
}

// Probe connects to the server as a run does (EHLO, STARTTLS, AUTH with
// the configured user) and says QUIT without sending anything. Its error
// is a *ProbeError naming the step that failed. It does not check that
// the server will take mail for any address.
func (s *SMTP) Probe(ctx context.Context) (Probe, error) {
	p := s.Describe()
	c := &smtpConn{s: s}
	if err := c.dial(ctx); err != nil {
		return p, &ProbeError{Step: probeStep(err), Err: err}
	}
	defer c.quit()
	p.TLS = "no TLS"
	if _, ok := c.client.TLSConnectionState(); ok {
		p.TLS = "STARTTLS"
		if s.mode == tlsImplicit {
			p.TLS = "TLS"
		}
	}
	if s.user != "" {
		_, offer := c.client.Extension("AUTH")
		p.Auth = authChoice(offer)
	}
	return p, nil
}

// authChoice is the mechanism auth picks among those offered: CRAM-MD5,
// then PLAIN, then LOGIN.
func authChoice(offer string) string {
	mechs := strings.Fields(strings.ToUpper(offer))
	for _, m := range []string{"CRAM-MD5", "PLAIN", "LOGIN"} {
		for _, o := range mechs {
			if o == m {
				return m
			}
		}
	}
	return ""
}

// A ProbeError is a failed Probe: Step is "connect", "TLS handshake",
// "login refused", "no usable AUTH" or "greeting", in words an operator
// reads.
type ProbeError struct {
	Step string
	Err  error
}

func (e *ProbeError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *ProbeError) Unwrap() error { return e.Err }

// probeStep names the step of dial that failed with err: by the error's
// type where it tells, else by the step dial names at the start of its
// errors ("smtp auth …").
func probeStep(err error) string {
	var (
		op     *net.OpError
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		record tls.RecordHeaderError
	)
	msg := err.Error()
	switch {
	case errors.Is(err, ErrNoAuthMech):
		return "no usable AUTH"
	case errors.Is(err, ErrInsecureAuth):
		return "AUTH refused by digest"
	case errors.Is(err, ErrNoSTARTTLS):
		return "no STARTTLS"
	case errors.As(err, &op) && op.Op == "dial", strings.HasPrefix(msg, "smtp dial "):
		return "cannot connect"
	case errors.As(err, &verify), errors.As(err, &alert), errors.As(err, &record),
		strings.HasPrefix(msg, "smtp tls "), strings.HasPrefix(msg, "smtp starttls "):
		return "TLS handshake failed"
	case strings.HasPrefix(msg, "smtp auth "):
		return "login refused"
	}
	return "greeting failed"
}
