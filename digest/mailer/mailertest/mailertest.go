// Package mailertest runs an in-process SMTP server on loopback for tests.
//
// The server is github.com/emersion/go-smtp with a backend that keeps every
// accepted message in memory. It can require AUTH (PLAIN, LOGIN, CRAM-MD5),
// offer STARTTLS or listen with implicit TLS on a self-signed certificate,
// and inject faults: reply codes at MAIL, RCPT or DATA, a connection dropped
// in the middle of DATA, or a stall longer than a client's timeout. It is
// meant for tests only: messages are never relayed and are kept until the
// server closes.
package mailertest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Stages at which a Fault is consulted.
const (
	StageMail = "MAIL"
	StageRcpt = "RCPT"
	StageData = "DATA"
)

// A Fault decides how the server answers one stage of one transaction.
// stage is StageMail, StageRcpt or StageData; rcpt is the recipient (empty
// at MAIL, the first recipient at DATA); n is the 1-based number of the
// transaction (MAIL command) since the server started. A nil error lets the
// stage succeed. Any other error is answered: a Reply error with its code,
// ErrDrop by closing the connection, a Stall error by waiting and then
// succeeding. A 421 reply also closes the connection, as real servers do.
type Fault func(stage, rcpt string, n int) error

// ErrDrop, returned by a Fault, makes the server close the connection
// without a reply. At DATA the server reads part of the message first, so
// the client sees the connection drop mid-DATA.
var ErrDrop = errors.New("mailertest: drop connection")

// ErrLostReply, returned by a Fault at DATA, makes the server accept and
// keep the message, then close the connection before replying: the client
// cannot know the message arrived.
var ErrLostReply = errors.New("mailertest: drop connection before the reply")

// A Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
}

// An Option configures a Server.
type Option func(*config)

type config struct {
	user, pass  string
	mechs       []string
	startTLS    bool
	implicitTLS bool
	fault       Fault
}

// WithAuth makes the server require AUTH with the given username and
// password before MAIL.
func WithAuth(username, password string) Option {
	return func(c *config) { c.user, c.pass = username, password }
}

// WithAuthMechanisms limits the AUTH mechanisms offered, among "PLAIN",
// "LOGIN" and "CRAM-MD5" (all three by default).
func WithAuthMechanisms(mechs ...string) Option {
	return func(c *config) { c.mechs = mechs }
}

// WithSTARTTLS makes the server offer STARTTLS with a self-signed
// certificate; see Server.ClientTLSConfig.
func WithSTARTTLS() Option {
	return func(c *config) { c.startTLS = true }
}

// WithImplicitTLS makes the server speak TLS from the first byte (smtps).
func WithImplicitTLS() Option {
	return func(c *config) { c.implicitTLS = true }
}

// WithFault installs a Fault from the start; see also Server.SetFault.
func WithFault(f Fault) Option {
	return func(c *config) { c.fault = f }
}

// A Server is a running in-process SMTP server.
type Server struct {
	t       testing.TB
	cfg     config
	srv     *smtp.Server
	ln      net.Listener
	tlsConf *tls.Config
	pool    *x509.CertPool
	done    chan struct{}

	mu     sync.Mutex
	fault  Fault
	msgs   []Received
	conns  int
	txns   int
	closed bool
}

// NewServer starts a server on 127.0.0.1:0. It closes itself when the test
// ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.mechs == nil {
		cfg.mechs = []string{"CRAM-MD5", sasl.Plain, sasl.Login}
	}
	s := &Server{t: t, cfg: cfg, fault: cfg.fault, done: make(chan struct{})}
	if cfg.startTLS || cfg.implicitTLS {
		s.tlsConf, s.pool = selfSigned(t)
	}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mailertest.localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.AllowInsecureAuth = !cfg.startTLS && !cfg.implicitTLS
	if cfg.startTLS {
		srv.TLSConfig = s.tlsConf
	}
	s.srv = srv

	var ln net.Listener
	var err error
	if cfg.implicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", s.tlsConf)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("mailertest: listen: %v", err)
	}
	s.ln = ln
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Close()
		<-served
	})
	return s
}

// Close stops the server and ends every session. It is safe to call more
// than once; NewServer arranges for it to run when the test ends.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	_ = s.srv.Close()
	// go-smtp's Close closes only the listeners Serve has registered: a test
	// that ends before Serve's goroutine ran would leave Serve in Accept
	// for ever, and the cleanup waiting on it.
	_ = s.ln.Close()
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns an SMTP URL for the server: "smtp://127.0.0.1:PORT?tls=none",
// "?tls=starttls" with WithSTARTTLS, "smtps://127.0.0.1:PORT" with
// WithImplicitTLS. It carries no credentials.
func (s *Server) URL() string {
	switch {
	case s.cfg.implicitTLS:
		return "smtps://" + s.Addr()
	case s.cfg.startTLS:
		return "smtp://" + s.Addr() + "?tls=starttls"
	default:
		return "smtp://" + s.Addr() + "?tls=none"
	}
}

// ClientTLSConfig returns a TLS configuration that trusts the server's
// self-signed certificate, or nil if the server has no TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.pool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// CertPool returns the pool holding the server's certificate, or nil if the
// server has no TLS.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// SetFault replaces the fault hook while the server runs; nil clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Messages returns a copy of the accepted messages in arrival order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// Count returns the number of accepted messages.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Connections returns how many sessions have been opened.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
	return &session{s: s, c: c}, nil
}

// ask runs the fault hook for one stage; nil means no fault.
func (s *Server) ask(stage, rcpt string, n int) error {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(stage, rcpt, n)
}

// answer turns a Fault's error into the error go-smtp replies with, after
// stalling, dropping or closing the connection as the error asks.
func (s *Server) answer(c *smtp.Conn, err error) error {
	if err == nil {
		return nil
	}
	var st *stallError
	if errors.As(err, &st) {
		select {
		case <-time.After(st.d):
		case <-s.done:
		}
		return nil
	}
	if errors.Is(err, ErrDrop) {
		_ = c.Close()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "dropped"}
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		se = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
	}
	if se.Code == 421 {
		// go-smtp writes the reply after we return, too late: write it
		// here so the client reads it before the connection closes.
		_, _ = fmt.Fprintf(c.Conn(), "421 %d.%d.%d %s\r\n", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
		_ = c.Close()
	}
	return se
}

type session struct {
	s      *Server
	c      *smtp.Conn
	authed bool
	from   string
	to     []string
	n      int
}

func (ss *session) Reset() {
	ss.from, ss.to, ss.n = "", nil, 0
}

func (ss *session) Logout() error { return nil }

func (ss *session) AuthMechanisms() []string {
	if ss.s.cfg.user == "" {
		return nil
	}
	return ss.s.cfg.mechs
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	user, pass := ss.s.cfg.user, ss.s.cfg.pass
	ok := false
	for _, m := range ss.s.cfg.mechs {
		ok = ok || m == mech
	}
	if user == "" || !ok {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(u, p string) error {
		if u != user || p != pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, u, p string) error {
			if identity != "" && identity != u {
				return smtp.ErrAuthFailed
			}
			return check(u, p)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	case "CRAM-MD5":
		return &cramServer{user: user, pass: pass, done: func() { ss.authed = true }}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.cfg.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.s.mu.Lock()
	ss.s.txns++
	ss.n = ss.s.txns
	ss.s.mu.Unlock()
	if err := ss.s.answer(ss.c, ss.s.ask(StageMail, "", ss.n)); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.answer(ss.c, ss.s.ask(StageRcpt, to, ss.n)); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	rcpt := ""
	if len(ss.to) > 0 {
		rcpt = ss.to[0]
	}
	s := ss.s
	fault := s.ask(StageData, rcpt, ss.n)
	if errors.Is(fault, ErrDrop) {
		// Read a little of the message, then hang up.
		_, _ = io.ReadFull(r, make([]byte, 16))
		return s.answer(ss.c, fault)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if errors.Is(fault, ErrLostReply) {
		s.mu.Lock()
		s.msgs = append(s.msgs, Received{From: ss.from, To: append([]string(nil), ss.to...), Data: data})
		s.mu.Unlock()
		_ = ss.c.Close()
		return fault
	}
	if err := s.answer(ss.c, fault); err != nil {
		return err
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, Received{From: ss.from, To: append([]string(nil), ss.to...), Data: data})
	id := len(s.msgs)
	s.mu.Unlock()
	// go-smtp answers an SMTPError with its code, even a 250: this lets
	// the reply say which message was queued, as real servers do.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as " + strconv.Itoa(id)}
}

// Reply returns an error that a Fault uses to answer with code and text.
// The enhanced status code is derived from the reply code's class.
func Reply(code int, text string) error {
	cls := code / 100
	if cls < 2 || cls > 5 {
		cls = 5
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{cls, 0, 0}, Message: text}
}

type stallError struct{ d time.Duration }

func (e *stallError) Error() string { return "mailertest: stall " + e.d.String() }

// Stall returns an error that a Fault uses to make the server wait d before
// answering the stage normally. The wait ends early when the server closes.
func Stall(d time.Duration) error { return &stallError{d: d} }

// FailAll returns a Fault answering code at stage for every transaction.
func FailAll(stage string, code int) Fault {
	return func(st, _ string, _ int) error {
		if st == stage {
			return Reply(code, "mailertest: injected "+strconv.Itoa(code))
		}
		return nil
	}
}

// FailFirst returns a Fault answering code at stage for the first n
// transactions of the server.
func FailFirst(n int, stage string, code int) Fault {
	return func(st, _ string, k int) error {
		if st == stage && k <= n {
			return Reply(code, "mailertest: injected "+strconv.Itoa(code))
		}
		return nil
	}
}

// FailRcpt returns a Fault answering code at stage for the given recipients.
func FailRcpt(stage string, code int, rcpts ...string) Fault {
	set := make(map[string]bool, len(rcpts))
	for _, r := range rcpts {
		set[strings.ToLower(r)] = true
	}
	return func(st, rcpt string, _ int) error {
		if st == stage && set[strings.ToLower(rcpt)] {
			return Reply(code, "mailertest: injected "+strconv.Itoa(code))
		}
		return nil
	}
}

// DropAt returns a Fault that closes the connection at stage; at StageData
// the server first reads part of the message.
func DropAt(stage string) Fault {
	return func(st, _ string, _ int) error {
		if st == stage {
			return ErrDrop
		}
		return nil
	}
}

// StallAt returns a Fault that waits d at stage before answering.
func StallAt(stage string, d time.Duration) Fault {
	return func(st, _ string, _ int) error {
		if st == stage {
			return Stall(d)
		}
		return nil
	}
}

// loginServer is the server side of the LOGIN mechanism, which
// github.com/emersion/go-sasl implements for clients only.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil {
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

// cramServer is the server side of CRAM-MD5 (RFC 2195).
type cramServer struct {
	user, pass string
	challenge  string
	done       func()
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if c.challenge == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.challenge = fmt.Sprintf("<%s.%d@mailertest>", hex.EncodeToString(b[:]), time.Now().UnixNano())
		return []byte(c.challenge), false, nil
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	mac := hmac.New(md5.New, []byte(c.pass))
	mac.Write([]byte(c.challenge))
	want := hex.EncodeToString(mac.Sum(nil))
	if !ok || user != c.user || !hmac.Equal([]byte(digest), []byte(want)) {
		return nil, true, smtp.ErrAuthFailed
	}
	c.done()
	return nil, true, nil
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mailertest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailertest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("mailertest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("mailertest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}, pool
}

// TextPart returns the decoded text/plain part of a raw message (the whole
// body, decoded, when it is not multipart), or fails the test.
func TextPart(t testing.TB, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		return string(b)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, _ := io.ReadAll(p) // multipart decodes quoted-printable
			return string(b)
		}
	}
}
