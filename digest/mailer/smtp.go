package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/digest-newsletter/digest/digest"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SMTPConfig configures an SMTP transport. Zero fields take the defaults
// given with them.
type SMTPConfig struct {
	// URL is smtp://[user:pass@]host[:port][?tls=MODE] or
	// smtps://[user:pass@]host[:port] for implicit TLS. MODE is "starttls"
	// (required), "opportunistic" (STARTTLS when offered) or "none". The
	// default is "starttls", except for loopback hosts (127.0.0.0/8, ::1,
	// localhost), where it is "opportunistic": local mail catchers rarely
	// offer TLS. Ports default to 587 (smtp) and 465 (smtps).
	URL string
	// Username and Password, when set, win over those in URL. PLAIN and
	// LOGIN are never used on an unencrypted connection to a host that is
	// not loopback; CRAM-MD5 is preferred when offered.
	Username, Password string
	// Timeout bounds the dial and each command, including the transfer of
	// the message. Default 30s.
	Timeout time.Duration
	// PerConn is how many messages go over one connection before it is
	// closed and dialled again; 0 means no limit.
	PerConn int
	// HelloName is the name given in EHLO; default the host name.
	HelloName string
	// TLSConfig is used for TLS, cloned, with ServerName set to the host if
	// empty. Default: the system roots.
	TLSConfig *tls.Config
	// DKIM, when set, signs every message.
	DKIM *DKIMConfig
}

// tlsMode says how a connection is encrypted.
type tlsMode int

const (
	tlsStartTLS      tlsMode = iota // STARTTLS, required
	tlsOpportunistic                // STARTTLS when offered
	tlsNone                         // plain text
	tlsImplicit                     // TLS from the first byte
)

// SMTP is a Transport to an SMTP server. Each Conn holds one connection,
// reused for many messages, one recipient a message.
type SMTP struct {
	cfg      SMTPConfig
	host     string
	addr     string // host:port
	mode     tlsMode
	user     string
	pass     string
	redacted string // the URL without its password, for errors
	hello    string
	dkim     *dkimSigner
}

var _ digest.Transport = (*SMTP)(nil)

// NewSMTP checks cfg and returns the transport. It does not dial.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url.Parse errors quote the URL, password included.
		return nil, errors.New("smtp: malformed URL")
	}
	s := &SMTP{cfg: cfg, redacted: u.Redacted()}
	if s.cfg.Timeout <= 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	if s.cfg.PerConn < 0 {
		return nil, fmt.Errorf("smtp %s: negative PerConn", s.redacted)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, fmt.Errorf("smtp %s: no host", s.redacted)
	}
	port := u.Port()
	s.mode, err = tlsPolicy(u.Scheme, s.host, u.Query().Get("tls"))
	if err != nil {
		return nil, fmt.Errorf("smtp %s: %w", s.redacted, err)
	}
	if port == "" {
		port = "587"
		if s.mode == tlsImplicit {
			port = "465"
		}
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if cfg.Username != "" {
		s.user = cfg.Username
	}
	if cfg.Password != "" {
		s.pass = cfg.Password
	}
	s.hello = cfg.HelloName
	if s.hello == "" {
		if s.hello, err = os.Hostname(); err != nil || s.hello == "" {
			s.hello = "localhost"
		}
	}
	if cfg.DKIM != nil {
		if s.dkim, err = newDKIMSigner(cfg.DKIM); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// tlsPolicy decides how to encrypt a connection to host from the URL's
// scheme and its tls parameter.
func tlsPolicy(scheme, host, param string) (tlsMode, error) {
	switch strings.ToLower(scheme) {
	case "smtps":
		if param != "" {
			return 0, fmt.Errorf("tls=%s with smtps", param)
		}
		return tlsImplicit, nil
	case "smtp":
	default:
		return 0, fmt.Errorf("scheme %q is not smtp or smtps", scheme)
	}
	switch strings.ToLower(param) {
	case "":
		if isLoopback(host) {
			return tlsOpportunistic, nil
		}
		return tlsStartTLS, nil
	case "starttls":
		return tlsStartTLS, nil
	case "opportunistic":
		return tlsOpportunistic, nil
	case "none":
		return tlsNone, nil
	}
	return 0, fmt.Errorf("unknown tls=%s (want starttls, opportunistic or none)", param)
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Channel returns "smtp".
func (s *SMTP) Channel() string { return "smtp" }

// Frame builds the skeleton of c's messages once.
func (s *SMTP) Frame(c *digest.Compiled, h digest.Letterhead) (digest.Frame, error) {
	return newFrame(c, h, "")
}

// Open dials the server, says EHLO, starts TLS and authenticates as
// configured. Errors are plain errors, never *digest.SendError.
func (s *SMTP) Open(ctx context.Context) (digest.Conn, error) {
	c := &smtpConn{s: s}
	if s.dkim != nil {
		c.dkim = s.dkim.clone()
	}
	if err := c.dial(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// smtpConn is one connection; it is not safe for concurrent use.
type smtpConn struct {
	s       *SMTP
	raw     net.Conn
	client  *gosmtp.Client
	sent    int // messages sent on this connection
	dkim    *dkimSigner
	builder builder
	signed  bytes.Buffer
	wire    []byte // a signed message as DATA carries it
	cmds    []byte // pipelined commands
	// announced is the envelope Announce gave for the next Send, if any.
	announced *envelopeAddrs
	// ahead is the envelope written behind the last message's final dot,
	// whose three replies are not read yet; the server may be in DATA,
	// waiting for the message it announced.
	ahead *envelopeAddrs
}

// envelopeAddrs are a message's MAIL FROM and RCPT TO addresses.
type envelopeAddrs struct{ from, to string }

var _ digest.Announcer = (*smtpConn)(nil)

// Announce tells the connection the envelope of the message the Send after
// the next one will carry: the envelope sender and recipient addresses.
// When the server offers PIPELINING, the next Send writes that envelope
// right behind its message's final dot, and the Send after it has only the
// message left to write: one round trip a message instead of two.
func (c *smtpConn) Announce(sender, to string) {
	c.announced = nil
	if sender == "" || strings.ContainsAny(sender+to, "\r\n") {
		return
	}
	c.announced = &envelopeAddrs{from: sender, to: to}
}

var _ digest.Conn = (*smtpConn)(nil)

// deadline arms the connection's deadline for one command.
func (c *smtpConn) deadline() {
	_ = c.raw.SetDeadline(time.Now().Add(c.s.cfg.Timeout))
}

func (c *smtpConn) dial(ctx context.Context) (err error) {
	s := c.s
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	d := net.Dialer{}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtp dial %s: %w", s.redacted, err)
	}
	defer func() {
		if err != nil {
			_ = raw.Close()
		}
	}()
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	_ = raw.SetDeadline(time.Now().Add(s.cfg.Timeout))
	if s.mode == tlsImplicit {
		tc := tls.Client(raw, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return settingsTLS(fmt.Errorf("smtp tls %s: %w", s.redacted, err))
		}
		raw = tc
	}
	c.raw = raw
	client, err := gosmtp.NewClient(raw, s.host)
	if err != nil {
		return fmt.Errorf("smtp greeting %s: %w", s.redacted, err)
	}
	if err := client.Hello(s.hello); err != nil {
		return fmt.Errorf("smtp ehlo %s: %w", s.redacted, err)
	}
	encrypted := s.mode == tlsImplicit
	if s.mode == tlsStartTLS || s.mode == tlsOpportunistic {
		if ok, _ := client.Extension("STARTTLS"); ok {
			c.deadline()
			if err := client.StartTLS(s.tlsConfig()); err != nil {
				return settingsTLS(fmt.Errorf("smtp starttls %s: %w", s.redacted, err))
			}
			encrypted = true
		} else if s.mode == tlsStartTLS {
			return &digest.SettingsError{Fix: "use a server or port that offers STARTTLS, or set tls= in DIGEST_SMTP_URL",
				Err: fmt.Errorf("smtp %s: %w", s.redacted, ErrNoSTARTTLS)}
		}
	}
	if s.user != "" {
		c.deadline()
		if err := c.auth(client, encrypted); err != nil {
			return settingsAuth(fmt.Errorf("smtp auth %s: %w", s.redacted, err))
		}
	}
	_ = raw.SetDeadline(time.Time{})
	c.client = client
	c.sent = 0
	return nil
}

// Errors of Open about the server's offer.
var (
	ErrNoSTARTTLS   = errors.New("server does not offer STARTTLS, which is required (set tls=opportunistic or tls=none to allow plain text)")
	ErrNoAuthMech   = errors.New("server offers no usable AUTH mechanism (CRAM-MD5, PLAIN or LOGIN)")
	ErrInsecureAuth = errors.New("refusing to send a password in plain text to a host that is not loopback")
)

// settingsAuth marks err, a failed login, as the settings' fault unless it
// was the network's or the server said to try again later (4xx).
func settingsAuth(err error) error {
	var te *textproto.Error
	fix := "check the SMTP user and password (DIGEST_SMTP_USERNAME, DIGEST_SMTP_PASSWORD or the URL)"
	switch {
	case errors.Is(err, ErrNoAuthMech):
		fix = "check the host and port of DIGEST_SMTP_URL (a submission port such as 587 offers AUTH), or remove its user if the server needs no login"
	case errors.Is(err, ErrInsecureAuth):
		fix = "use TLS: smtps:// or tls=starttls in DIGEST_SMTP_URL"
	case errors.As(err, &te) && te.Code < 500, transientNet(err):
		return err
	}
	return &digest.SettingsError{Fix: fix, Err: err}
}

// settingsTLS marks err, a failed TLS handshake, as the settings' fault (a
// certificate that does not verify, a port that does not speak TLS) unless
// the network failed.
func settingsTLS(err error) error {
	if transientNet(err) {
		return err
	}
	return &digest.SettingsError{Fix: "check the host, port and tls= of DIGEST_SMTP_URL, and the server's certificate", Err: err}
}

// transientNet reports whether err is the network failing (a timeout, a
// connection closed or reset), which may pass.
func transientNet(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &ne) && ne.Timeout()
}

// auth picks CRAM-MD5, then PLAIN, then LOGIN, among those offered.
func (c *smtpConn) auth(client *gosmtp.Client, encrypted bool) error {
	s := c.s
	ok, offer := client.Extension("AUTH")
	if !ok {
		return ErrNoAuthMech
	}
	mechs := map[string]bool{}
	for _, m := range strings.Fields(strings.ToUpper(offer)) {
		mechs[m] = true
	}
	plainOK := plainAuthAllowed(s.host, encrypted)
	var a gosmtp.Auth
	switch {
	case mechs["CRAM-MD5"]:
		a = gosmtp.CRAMMD5Auth(s.user, s.pass)
	case (mechs["PLAIN"] || mechs["LOGIN"]) && !plainOK:
		return ErrInsecureAuth
	case mechs["PLAIN"]:
		a = gosmtp.PlainAuth("", s.user, s.pass, s.host, true)
	case mechs["LOGIN"]:
		a = gosmtp.LoginAuth(s.user, s.pass, s.host, true)
	default:
		return ErrNoAuthMech
	}
	return client.Auth(a)
}

// plainAuthAllowed reports whether a password may be sent in the clear
// (PLAIN or LOGIN): over TLS, or to a loopback host.
func plainAuthAllowed(host string, encrypted bool) bool {
	return encrypted || isLoopback(host)
}

func (s *SMTP) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if s.cfg.TLSConfig != nil {
		cfg = s.cfg.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	return cfg
}

// Send sends m to m.To over the connection, dialling again first if the
// connection was closed, lost or has carried PerConn messages. It returns
// the server's final reply, such as "250 2.0.0 Ok: queued as 12". A refusal
// at MAIL, RCPT or DATA is a *digest.SendError; a 421 also closes the
// connection. Network errors, timeouts and dial errors are plain errors.
func (c *smtpConn) Send(ctx context.Context, m *digest.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	next := c.announced
	c.announced = nil
	wire, from, err := c.build(m)
	if err != nil {
		return "", &digest.SendError{Permanent: true, Err: err}
	}
	if c.ahead != nil && *c.ahead != (envelopeAddrs{from, m.To}) {
		// The server waits in DATA for another message: only closing the
		// connection ends that transaction without delivering anything.
		c.drop()
	}
	if c.client != nil && c.s.cfg.PerConn > 0 && c.sent >= c.s.cfg.PerConn {
		c.quit()
	}
	if c.client == nil {
		if err := c.dial(ctx); err != nil {
			return "", err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = c.raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	reply, stage, err := c.transact(from, m.To, wire, next)
	if err == nil {
		c.sent++
		return reply, nil
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 {
		se := &digest.SendError{Code: te.Code, Reply: te.Msg, Permanent: te.Code >= 500,
			Err: fmt.Errorf("smtp %s: %w", stage, err)}
		if te.Code == 421 {
			c.drop()
			return "", se
		}
		if stage == "data" && c.ahead != nil {
			// The refusal ended the transaction, and the next one has
			// begun: a RSET now would be taken for its message.
			return "", se
		}
		// Abort the transaction so the next message starts clean; a
		// connection that cannot is dropped.
		c.deadline()
		if rerr := c.client.Reset(); rerr != nil {
			c.drop()
		}
		return "", se
	}
	c.drop()
	if ctx.Err() != nil {
		return "", fmt.Errorf("smtp %s %s: %w", stage, c.s.redacted, ctx.Err())
	}
	return "", fmt.Errorf("smtp %s %s: %w", stage, c.s.redacted, err)
}

// build returns m as DATA carries it, signed if configured: dot-stuffed,
// with the final dot. The bytes are the Conn's until the next call.
func (c *smtpConn) build(m *digest.Message) (wire []byte, from string, err error) {
	from = m.Sender
	if f, ok := m.Frame.(*frame); ok && from == "" {
		from = f.from.Address
	}
	if c.dkim == nil {
		wire, err := c.builder.build(m, true)
		return wire, from, err
	}
	msg, err := c.builder.build(m, false)
	if err != nil {
		return nil, "", err
	}
	c.signed.Reset()
	if err := c.dkim.sign(&c.signed, msg); err != nil {
		return nil, "", err
	}
	c.wire = appendDotStuffed(c.wire[:0], c.signed.Bytes())
	return c.wire, from, nil
}

// transact runs MAIL, RCPT and DATA, naming the stage that failed, then
// sends the message, wire as build returns it. When the server offers
// PIPELINING (RFC 2920) the three commands go out in one write and their
// replies are read together; and when next is set they go out behind the
// previous message's final dot, so that only the message and next's
// envelope are left to write: one round trip a message.
func (c *smtpConn) transact(from, to string, wire []byte, next *envelopeAddrs) (reply, stage string, err error) {
	if strings.ContainsAny(from, "\r\n") || strings.ContainsAny(to, "\r\n") {
		return "", "mail", errors.New("smtp: a line break in an address")
	}
	pipelining, _ := c.client.Extension("PIPELINING")
	switch {
	case c.ahead != nil:
		c.ahead = nil
		c.deadline()
		if stage, err := c.envelopeReplies(); err != nil {
			return "", stage, err
		}
	case pipelining:
		c.deadline()
		c.cmds = c.appendEnvelope(c.cmds[:0], from, to)
		if err := c.write(c.cmds); err != nil {
			return "", "mail", err
		}
		if stage, err := c.envelopeReplies(); err != nil {
			return "", stage, err
		}
	default:
		if stage, err := c.envelope(from, to); err != nil {
			return "", stage, err
		}
	}
	message := len(wire)
	if next != nil && pipelining && (c.s.cfg.PerConn <= 0 || c.sent+1 < c.s.cfg.PerConn) {
		wire = c.appendEnvelope(wire, next.from, next.to)
		c.ahead = next
	}
	return c.data(wire, message)
}

// write writes b and flushes it.
func (c *smtpConn) write(b []byte) error {
	_, err := c.writeCounted(b)
	return err
}

// envelope sends MAIL, RCPT and DATA one at a time.
func (c *smtpConn) envelope(from, to string) (stage string, err error) {
	cl := c.client
	c.deadline()
	// The low-level client writes its argument as is: the brackets are ours.
	if err := cl.Mail("<" + from + ">"); err != nil {
		return "mail", err
	}
	c.deadline()
	if err := cl.Rcpt("<" + to + ">"); err != nil {
		return "rcpt", err
	}
	c.deadline()
	// Not cl.Data: its DotWriter would write a final dot of its own.
	id, err := cl.Text.Cmd("DATA")
	if err != nil {
		return "data", err
	}
	cl.Text.StartResponse(id)
	defer cl.Text.EndResponse(id)
	if _, _, err := cl.Text.ReadResponse(354); err != nil {
		return "data", err
	}
	return "", nil
}

// appendEnvelope appends MAIL, RCPT and DATA to b.
func (c *smtpConn) appendEnvelope(b []byte, from, to string) []byte {
	b = append(b, "MAIL FROM:<"...)
	b = append(b, from...)
	b = append(b, '>')
	b = append(b, c.mailParams()...)
	b = append(b, "\r\nRCPT TO:<"...)
	b = append(b, to...)
	return append(b, ">\r\nDATA\r\n"...)
}

// envelopeReplies reads the replies to a pipelined MAIL, RCPT and DATA.
// Every reply is read, whatever the first ones say, so that the connection
// stays in step; should the server accept DATA after refusing the sender or
// the recipient, an empty message (a lone dot) ends it, which goes to
// nobody.
func (c *smtpConn) envelopeReplies() (stage string, err error) {
	t := c.client.Text
	_, _, mailErr := t.ReadResponse(250)
	if closing(mailErr) {
		return "mail", mailErr
	}
	_, _, rcptErr := t.ReadResponse(25)
	if closing(rcptErr) {
		return "rcpt", rcptErr
	}
	_, _, dataErr := t.ReadResponse(354)
	if closing(dataErr) {
		return "data", dataErr
	}
	if (mailErr != nil || rcptErr != nil) && dataErr == nil {
		if err := c.write([]byte(".\r\n")); err != nil {
			return "data", err
		}
		if _, _, err := t.ReadResponse(0); isNetErr(err) {
			return "data", err
		}
	}
	switch {
	case mailErr != nil:
		return "mail", mailErr
	case rcptErr != nil:
		return "rcpt", rcptErr
	case dataErr != nil:
		return "data", dataErr
	}
	return "", nil
}

// mailParams are the MAIL FROM parameters go-mail's Mail would add.
func (c *smtpConn) mailParams() string {
	p := ""
	if ok, _ := c.client.Extension("8BITMIME"); ok {
		p += " BODY=8BITMIME"
	}
	if ok, _ := c.client.Extension("SMTPUTF8"); ok {
		p += " SMTPUTF8"
	}
	return p
}

// data writes wire, whose first message bytes are the dot-stuffed message
// with its final dot (and the rest, if any, the next envelope), in one
// write, and reads the server's reply to the message.
func (c *smtpConn) data(wire []byte, message int) (reply, stage string, err error) {
	t := c.client.Text
	c.deadline()
	if left, err := c.writeCounted(wire); err != nil {
		c.ahead = nil
		if left < message {
			// The final dot never left: the server cannot have the
			// message. Safe to retry.
			return "", "data", err
		}
		return "", "data", fmt.Errorf("%w: %w", digest.ErrMaybeDelivered, err)
	}
	_, msg, err := t.ReadResponse(250)
	if err != nil {
		// The final dot went out and no reply came back: the server may
		// have queued the message. Retrying could mail the subscriber
		// twice, so the caller must not.
		var te *textproto.Error
		if !errors.As(err, &te) {
			return "", "data", fmt.Errorf("%w: %w", digest.ErrMaybeDelivered, err)
		}
		return "", "data", err
	}
	return "250 " + msg, "", nil
}

// writeCounted writes b and flushes it. On error it also returns how many
// bytes of b may have left, at most: what the buffered writer took, less
// what is still in its buffer (it is empty before, every write being
// flushed).
func (c *smtpConn) writeCounted(b []byte) (left int, err error) {
	w := c.client.Text.W
	n, err := w.Write(b)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		return len(b), nil
	}
	return max(0, n-w.Buffered()), err
}

// isNetErr reports whether err is an error other than a server's reply:
// the connection is no longer in step.
func isNetErr(err error) bool {
	var te *textproto.Error
	return err != nil && !errors.As(err, &te)
}

// closing reports whether no more replies will come after err: a broken
// connection, or a 421 (the server is closing it).
func closing(err error) bool {
	var te *textproto.Error
	return isNetErr(err) || errors.As(err, &te) && te.Code == 421
}

// quit ends the session politely; errors do not matter any more. With an
// envelope written ahead the server may be in DATA, where QUIT would be
// message text: the connection is closed instead.
func (c *smtpConn) quit() {
	if c.client == nil {
		return
	}
	if c.ahead != nil {
		c.drop()
		return
	}
	c.deadline()
	_ = c.client.Quit()
	c.drop()
}

// drop closes the connection without QUIT.
func (c *smtpConn) drop() {
	if c.client != nil {
		_ = c.client.Close()
	}
	if c.raw != nil {
		_ = c.raw.Close()
	}
	c.client, c.raw = nil, nil
	c.ahead = nil
}

// Close sends QUIT and closes the connection.
func (c *smtpConn) Close() error {
	c.quit()
	return nil
}
