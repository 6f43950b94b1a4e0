// Package mailer turns digest messages into MIME and carries them away: to an
// SMTP server (SMTP) or into a folder of .eml files (Outbox).
//
// Messages are built with github.com/wneessen/go-mail: multipart/alternative
// with the text part first and the HTML part last, UTF-8, quoted-printable
// (the bodies encoded by this package, to the same bytes, faster).
// Header values are stripped of CR and LF; nothing from a feed reaches
// go-mail's verbatim header setters. DKIM signatures are added with
// github.com/emersion/go-msgauth. The SMTP client is go-mail's low-level
// smtp package; MAIL, RCPT and DATA go out in one write when the server
// offers PIPELINING (RFC 2920), behind the previous message's final dot
// when the connection was told the next envelope (digest.Announcer), and
// each refusal keeps its reply code and the stage it happened at. There is
// no support for attachments or several recipients per message.
package mailer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	gomail "github.com/wneessen/go-mail"
)

// A BuildOption changes how WriteMessage builds a message.
type BuildOption func(*buildOptions)

type buildOptions struct {
	boundary string
}

// WithBoundary fixes the MIME boundary, for byte-stable output in tests.
// Without it go-mail picks a random boundary per message.
func WithBoundary(boundary string) BuildOption {
	return func(o *buildOptions) { o.boundary = boundary }
}

// Errors of WriteMessage about the message itself; the message cannot be
// sent as it is and retrying will not help.
var (
	ErrNoRecipient = errors.New("mailer: message has no recipient")
	ErrNoBody      = errors.New("mailer: message has neither text nor HTML")
)

// WriteMessage writes m as an RFC 5322 message to w, CRLF line endings,
// without a DKIM signature. It sets From, To (with ToName), Subject, Date,
// Message-ID, MIME-Version, List-Id, List-Unsubscribe,
// List-Unsubscribe-Post (when m.OneClick) and Precedence: bulk. Both parts
// are written when both are set; a message with only one becomes a single
// part.
func WriteMessage(w io.Writer, m *digest.Message, opts ...BuildOption) error {
	var b builder
	out, err := b.build(m, opts...)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	return nil
}

// A builder builds messages in buffers it reuses from one message to the
// next. It is not safe for concurrent use.
//
// go-mail encodes each part as quoted-printable a byte at a time into a
// buffer of its own, the largest cost of a message once rendering is
// cached. So the builder has go-mail write the message with a random word
// for each part's body, then puts each body in place of its word, encoded
// by a qpCache, which gives the same bytes as go-mail's encoder and copies
// the lines it has encoded for an earlier message (or, for a part given as
// a digest.Filling, encoded once for its shape). go-mail's Msg is kept from
// one message to the next while only the personal headers change. Should
// a word not appear exactly once, go-mail writes the message on its own.
type builder struct {
	word  string // random; "" until the first message
	raw   bytes.Buffer
	out   []byte
	parts [2]qpCache // text, HTML
	from  senders
	// msg is go-mail's Msg for the last message, reused for the next
	// while their shapes are the same, with the words for bodies.
	msg      *gomail.Msg
	shape    msgShape
	personal personal
}

// build returns m as WriteMessage writes it; the bytes are the builder's
// until the next call.
func (b *builder) build(m *digest.Message, opts ...BuildOption) ([]byte, error) {
	return b.assemble(m, false, opts)
}

// buildStuffed returns m as DATA carries it: dot-stuffed, with the final
// dot, as appendDotStuffed would make of build's bytes.
func (b *builder) buildStuffed(m *digest.Message, opts ...BuildOption) ([]byte, error) {
	return b.assemble(m, true, opts)
}

func (b *builder) assemble(m *digest.Message, stuffed bool, opts []BuildOption) ([]byte, error) {
	var o buildOptions
	for _, opt := range opts {
		opt(&o)
	}
	if b.word == "" {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, fmt.Errorf("build message: %w", err)
		}
		b.word = "zq" + hex.EncodeToString(r[:]) + "q"
	}
	type part struct {
		word, body string
		fill       *digest.Filling
		cache      *qpCache
	}
	parts := []part{{"", m.Text, m.TextFill, &b.parts[0]}, {"", m.HTML, m.HTMLFill, &b.parts[1]}}
	for i, has := range []bool{hasText(m), hasHTML(m)} {
		if has {
			parts[i].word = b.word + string(rune('t'+i))
		}
	}
	if err := checkMessage(m); err != nil {
		return nil, err
	}
	if sh := shapeOf(m, &o); b.msg == nil || sh != b.shape {
		msg, err := newShapedMsg(m, &o, &b.from, parts[0].word, parts[1].word)
		if err != nil {
			return nil, err
		}
		b.msg, b.shape, b.personal = msg, sh, personal{}
	}
	msg := b.msg
	if err := b.personal.set(msg, m); err != nil {
		b.msg = nil // it may hold some of m's headers
		return nil, err
	}
	b.raw.Reset()
	if _, err := msg.WriteTo(&b.raw); err != nil {
		return nil, fmt.Errorf("write message: %w", err)
	}
	raw := b.raw.Bytes()
	parts = slices.DeleteFunc(parts, func(p part) bool { return p.word == "" })
	for _, p := range parts {
		if bytes.Count(raw, []byte(p.word)) != 1 {
			return b.slow(m, &o, stuffed)
		}
	}
	slices.SortFunc(parts, func(x, y part) int {
		return bytes.Index(raw, []byte(x.word)) - bytes.Index(raw, []byte(y.word))
	})
	b.out = b.out[:0]
	var st dotStuffer
	for _, p := range parts {
		i := bytes.Index(raw, []byte(p.word))
		encode := func(dst []byte) []byte {
			if p.fill != nil {
				return p.cache.appendFilled(dst, p.fill, stuffed)
			}
			return p.cache.appendEncoded(dst, p.body, stuffed)
		}
		if !stuffed {
			b.out = append(b.out, raw[:i]...)
			b.out = encode(b.out)
		} else {
			b.out = st.append(b.out, raw[:i])
			if !st.atLineStart() {
				return b.slow(m, &o, stuffed)
			}
			n := len(b.out)
			b.out = encode(b.out)
			st.wrote(b.out[n:])
		}
		raw = raw[i+len(p.word):]
	}
	if !stuffed {
		return append(b.out, raw...), nil
	}
	b.out = st.append(b.out, raw)
	return st.end(b.out), nil
}

// slow is buildSlow, then dot-stuffed if stuffed.
func (b *builder) slow(m *digest.Message, o *buildOptions, stuffed bool) ([]byte, error) {
	msg, err := b.buildSlow(m, o)
	if err != nil || !stuffed {
		return msg, err
	}
	b.out = appendDotStuffed(b.out[:0], msg)
	return b.out, nil
}

// buildSlow has go-mail write the message, bodies and all.
func (b *builder) buildSlow(m *digest.Message, o *buildOptions) ([]byte, error) {
	msg, err := newMsg(m, o, &b.from, m.TextPart(), m.HTMLPart())
	if err != nil {
		return nil, err
	}
	b.raw.Reset()
	if _, err := msg.WriteTo(&b.raw); err != nil {
		return nil, fmt.Errorf("write message: %w", err)
	}
	return b.raw.Bytes(), nil
}

// newMsg fills a go-mail Msg from m, with text and html as the bodies of
// the parts m.Text and m.HTML have.
func newMsg(m *digest.Message, o *buildOptions, sender *senders, text, html string) (*gomail.Msg, error) {
	msg, err := newShapedMsg(m, o, sender, text, html)
	if err != nil {
		return nil, err
	}
	var last personal
	if err := last.set(msg, m); err != nil {
		return nil, err
	}
	return msg, nil
}

// A msgShape is what a go-mail Msg holds that most messages of a run share:
// a builder reuses its Msg while the shape stays the same, and sets only
// the personal headers (see personal) for each message.
type msgShape struct {
	from, listID, boundary      string
	unsubscribe, oneClick       bool
	date, messageID, text, html bool // which are set
}

func shapeOf(m *digest.Message, o *buildOptions) msgShape {
	unsub := listUnsubscribe(m.ListUnsubscribe) != ""
	return msgShape{from: m.From, listID: m.ListID, boundary: o.boundary,
		unsubscribe: unsub, oneClick: unsub && m.OneClick,
		date: !m.Date.IsZero(), messageID: m.MessageID != "", text: hasText(m), html: hasHTML(m)}
}

// checkMessage reports what makes m unfit to build, if anything.
func checkMessage(m *digest.Message) error {
	if m.To == "" {
		return ErrNoRecipient
	}
	if !hasText(m) && !hasHTML(m) {
		return ErrNoBody
	}
	return nil
}

// hasText and hasHTML report whether m has a text part and an HTML part.
func hasText(m *digest.Message) bool {
	if m.TextFill != nil {
		return !m.TextFill.Empty()
	}
	return m.Text != ""
}

func hasHTML(m *digest.Message) bool {
	if m.HTMLFill != nil {
		return !m.HTMLFill.Empty()
	}
	return m.HTML != ""
}

// newShapedMsg returns a go-mail Msg with m's shape: every header but the
// personal ones, and the parts, whose bodies are text and html.
func newShapedMsg(m *digest.Message, o *buildOptions, sender *senders, text, html string) (*gomail.Msg, error) {
	if err := checkMessage(m); err != nil {
		return nil, err
	}
	msgOpts := []gomail.MsgOption{
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent(),
	}
	if o.boundary != "" {
		msgOpts = append(msgOpts, gomail.WithBoundary(o.boundary))
	}
	msg := gomail.NewMsg(msgOpts...)

	from, err := sender.parse(m.From)
	if err != nil {
		return nil, err
	}
	msg.FromMailAddress(&mail.Address{Name: from.Name, Address: from.Address})
	if m.ListID != "" {
		msg.SetGenHeader(gomail.Header("List-Id"), oneLine(m.ListID))
	}
	if shapeOf(m, o).oneClick {
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetGenHeader(gomail.HeaderPrecedence, "bulk")

	// The writer forms stream the strings; the String forms copy each
	// into a buffer first.
	switch {
	case hasText(m) && hasHTML(m):
		msg.SetBodyWriter(gomail.TypeTextPlain, stringWriter(text))
		msg.AddAlternativeWriter(gomail.TypeTextHTML, stringWriter(html))
	case hasText(m):
		msg.SetBodyWriter(gomail.TypeTextPlain, stringWriter(text))
	default:
		msg.SetBodyWriter(gomail.TypeTextHTML, stringWriter(html))
	}
	return msg, nil
}

// personal holds the personal headers a Msg was last given, so that a
// reused Msg is given only those that changed.
type personal struct {
	to, toName, subject, messageID, unsubscribe string
	date                                        time.Time
	ok                                          bool // the others are set
}

// set gives msg m's personal headers: To, Subject, Date, Message-ID and
// List-Unsubscribe, of those m's shape has.
func (p *personal) set(msg *gomail.Msg, m *digest.Message) error {
	if !p.ok || m.To != p.to || m.ToName != p.toName {
		to, err := mail.ParseAddress(oneLine(m.To))
		if err != nil {
			return fmt.Errorf("to %q: %w", oneLine(m.To), err)
		}
		if m.ToName != "" {
			to.Name = oneLine(m.ToName)
		}
		msg.ToMailAddress(to)
	}
	if !p.ok || m.Subject != p.subject {
		msg.Subject(oneLine(m.Subject))
	}
	if !m.Date.IsZero() && (!p.ok || !m.Date.Equal(p.date)) {
		msg.SetDateWithValue(m.Date)
	}
	if m.MessageID != "" && (!p.ok || m.MessageID != p.messageID) {
		msg.SetMessageIDWithValue(strings.Trim(oneLine(m.MessageID), "<> "))
	}
	// SetGenHeader, not go-mail's List-Unsubscribe setters, which write
	// their value verbatim and in random order.
	if v := listUnsubscribe(m.ListUnsubscribe); v != "" && (!p.ok || v != p.unsubscribe) {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, v)
		p.unsubscribe = v
	}
	p.to, p.toName, p.subject, p.messageID, p.date, p.ok = m.To, m.ToName, m.Subject, m.MessageID, m.Date, true
	return nil
}

// stringWriter returns a go-mail body function that writes s.
func stringWriter(s string) func(io.Writer) (int64, error) {
	return func(w io.Writer) (int64, error) {
		n, err := io.WriteString(w, s)
		return int64(n), err
	}
}

// A senders parses From header values, remembering the last: every
// message of a run has the same sender, and parsing it for each cost more
// than building its headers.
type senders struct {
	raw  string
	addr mail.Address
	err  error
	ok   bool
}

// parse returns from parsed as a mail address; the result must not be
// changed.
func (s *senders) parse(from string) (*mail.Address, error) {
	if !s.ok || from != s.raw {
		a, err := mail.ParseAddress(oneLine(from))
		if err != nil {
			err = fmt.Errorf("from %q: %w", oneLine(from), err)
			a = &mail.Address{}
		}
		*s = senders{raw: from, addr: *a, err: err, ok: true}
	}
	if s.err != nil {
		return nil, s.err
	}
	return &s.addr, nil
}

// listUnsubscribe formats the List-Unsubscribe value: each URI in angle
// brackets, comma-separated. URIs with spaces, brackets, commas or bytes
// outside printable ASCII are left out: they would break the header.
func listUnsubscribe(uris []string) string {
	var b strings.Builder
	for _, u := range uris {
		u = strings.TrimSpace(oneLine(u))
		if u == "" || strings.ContainsFunc(u, badURIRune) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('<')
		b.WriteString(u)
		b.WriteByte('>')
	}
	return b.String()
}

func badURIRune(r rune) bool {
	return r <= ' ' || r > '~' || r == '<' || r == '>' || r == ','
}

// oneLine removes CR and LF from a header value: feed text must never add
// a header line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
