// Package mailer turns digest messages into MIME and carries them away: to an
// SMTP server (SMTP) or into a folder of .eml files (Outbox).
//
// Messages are built with github.com/wneessen/go-mail: multipart/alternative
// with the text part first and the HTML part last, UTF-8, quoted-printable.
// go-mail builds each compiled view's skeleton once (a Frame): every header
// and MIME line, with markers where a message has its own headers and its
// parts; the parts' lines without a slot are encoded once, by this package
// (to go-mail's bytes, faster). A message is then the frame's bytes with
// its own headers, which go-mail encodes, and its parts' lines with slots,
// encoded, put in.
//
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

// Errors about the message itself; the message cannot be sent as it is
// and retrying will not help.
var (
	ErrNoRecipient = errors.New("mailer: message has no recipient")
	ErrNoBody      = errors.New("mailer: message has neither text nor HTML")
)

// The headers each message has of its own, in the order a frame's pieces
// name them.
const (
	headDate = iota
	headMessageID
	headSubject
	headTo
	headUnsubscribe
	numHeads
)

// headNames are the personal headers' names as go-mail writes them.
var headNames = [numHeads]string{"Date", "Message-ID", "Subject", "To", "List-Unsubscribe"}

// A frame is a compiled view's skeleton, built by go-mail once: the
// message as bytes, cut where each message puts its own headers and its
// parts. It is immutable and shared by every connection.
type frame struct {
	body   *digest.Compiled
	from   mail.Address // the sender, parsed once
	pieces []piece
	// parts are the text and HTML parts' encodings, plain and stuffed.
	parts [2][2]*qpShape
}

// A piece of a frame: literal bytes, a personal header, or a part.
type piece struct {
	lit  []byte
	head int // a head constant, or -1
	part int // 0 text, 1 HTML, or -1
}

// Body returns the compiled view the frame was built from.
func (f *frame) Body() *digest.Compiled { return f.body }

// newFrame has go-mail write a message of c with the letterhead h, with a
// marker for each personal header and each part, and cuts it at the
// markers. boundary, if not empty, fixes the MIME boundary.
func newFrame(c *digest.Compiled, h digest.Letterhead, boundary string) (*frame, error) {
	hasText, hasHTML := !c.Text.Empty(), !c.HTML.Empty()
	if !hasText && !hasHTML {
		return nil, ErrNoBody
	}
	from, err := mail.ParseAddress(headerText(h.From, 0))
	if err != nil {
		return nil, &digest.SettingsError{Fix: "check DIGEST_FROM", Err: fmt.Errorf("from %q: %w", headerText(h.From, 0), err)}
	}
	from.Name = headerText(from.Name, digest.MaxName)
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	word := "zq" + hex.EncodeToString(r[:]) + "q"
	opts := []gomail.MsgOption{
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent(),
	}
	if boundary != "" {
		opts = append(opts, gomail.WithBoundary(boundary))
	}
	msg := gomail.NewMsg(opts...)
	msg.FromMailAddress(from)
	if id := listID(h.ListID); id != "" {
		msg.SetGenHeader(gomail.Header("List-Id"), id)
	}
	if h.Unsubscribe && h.OneClick {
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetGenHeader(gomail.HeaderPrecedence, "bulk")
	mark := func(i int) string { return word + string(rune('a'+i)) }
	msg.SetGenHeader(gomail.HeaderDate, mark(headDate))
	msg.SetMessageIDWithValue(mark(headMessageID))
	msg.Subject(mark(headSubject))
	msg.ToMailAddress(&mail.Address{Address: mark(headTo) + "@example.invalid"})
	if h.Unsubscribe {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, mark(headUnsubscribe))
	}
	partWord := func(i int) string { return word + string(rune('x'+i)) }
	switch {
	case hasText && hasHTML:
		msg.SetBodyWriter(gomail.TypeTextPlain, stringWriter(partWord(0)))
		msg.AddAlternativeWriter(gomail.TypeTextHTML, stringWriter(partWord(1)))
	case hasText:
		msg.SetBodyWriter(gomail.TypeTextPlain, stringWriter(partWord(0)))
	default:
		msg.SetBodyWriter(gomail.TypeTextHTML, stringWriter(partWord(1)))
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		return nil, fmt.Errorf("write message: %w", err)
	}
	f := &frame{body: c, from: *from}
	type cut struct {
		from, to   int
		head, part int
	}
	var cuts []cut
	b := raw.Bytes()
	for i := range numHeads {
		at := bytes.Index(b, []byte(mark(i)))
		if at < 0 {
			continue // List-Unsubscribe, when the letterhead has none
		}
		start := bytes.LastIndex(b[:at], []byte("\r\n")) + 2
		if start < 2 {
			start = 0 // the first line
		}
		end := bytes.Index(b[at:], []byte("\r\n"))
		if end < 0 || !bytes.HasPrefix(b[start:], []byte(headNames[i]+":")) {
			return nil, fmt.Errorf("build message: go-mail wrote the %s header unexpectedly", headNames[i])
		}
		cuts = append(cuts, cut{from: start, to: at + end + 2, head: i, part: -1})
	}
	for i, has := range []bool{hasText, hasHTML} {
		if !has {
			continue
		}
		w := []byte(partWord(i))
		at := bytes.Index(b, w)
		if at < 0 || bytes.Count(b, w) != 1 {
			return nil, errors.New("build message: go-mail wrote a part unexpectedly")
		}
		cuts = append(cuts, cut{from: at, to: at + len(w), head: -1, part: i})
		p := []digest.Part{c.Text, c.HTML}[i]
		f.parts[i] = [2]*qpShape{compileQP(p, false), compileQP(p, true)}
	}
	slices.SortFunc(cuts, func(x, y cut) int { return x.from - y.from })
	at := 0
	for _, c := range cuts {
		if c.from < at {
			return nil, errors.New("build message: markers overlap")
		}
		if c.from > at {
			f.pieces = append(f.pieces, piece{lit: b[at:c.from], head: -1, part: -1})
		}
		f.pieces = append(f.pieces, piece{head: c.head, part: c.part})
		at = c.to
	}
	f.pieces = append(f.pieces, piece{lit: b[at:], head: -1, part: -1})
	return f, nil
}

// WriteMessage writes m as an RFC 5322 message to w, CRLF line endings,
// without a DKIM signature: the frame's headers and MIME lines (From,
// List-Id, List-Unsubscribe-Post with one-click, Precedence: bulk,
// MIME-Version) with m's own (To with ToName, Subject, Date, Message-ID,
// List-Unsubscribe) and its parts. m.Frame must be one this package built.
func WriteMessage(w io.Writer, m *digest.Message) error {
	var b builder
	out, err := b.build(m, false)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	return nil
}

// A builder makes messages from frames in buffers it reuses from one
// message to the next. It is not safe for concurrent use.
type builder struct {
	heads headWriter
	out   []byte
	line  []byte // a part's line with slots, put together
}

// build returns m as WriteMessage writes it or, stuffed, as DATA carries
// it: dot-stuffed, with the final dot. The bytes are the builder's until
// the next call.
func (b *builder) build(m *digest.Message, stuffed bool) ([]byte, error) {
	f, ok := m.Frame.(*frame)
	if !ok || f == nil {
		return nil, errors.New("build message: the message's frame is not the mailer's")
	}
	if m.To == "" {
		return nil, ErrNoRecipient
	}
	heads, err := b.heads.write(m, f)
	if err != nil {
		return nil, err
	}
	b.out = b.out[:0]
	var st dotStuffer
	for _, p := range f.pieces {
		switch {
		case p.head >= 0:
			b.out = st.append(b.out, heads[p.head])
		case p.part >= 0:
			if stuffed && !st.atLineStart() {
				return nil, errors.New("build message: a part does not start a line")
			}
			n := len(b.out)
			b.out = b.appendPart(b.out, f.parts[p.part][boolIndex(stuffed)], m.Values, stuffed)
			st.wrote(b.out[n:])
		case stuffed:
			b.out = st.append(b.out, p.lit)
		default:
			b.out = append(b.out, p.lit...)
		}
	}
	if stuffed {
		b.out = st.end(b.out)
	}
	return b.out, nil
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A headWriter has go-mail encode the headers each message has of its
// own, keeping its Msg from one message to the next and setting only the
// headers that changed.
type headWriter struct {
	msg   *gomail.Msg
	raw   bytes.Buffer
	last  struct{ to, toName, subject, messageID, unsubscribe string }
	date  time.Time
	ok    bool // msg has every header set
	heads [numHeads][]byte
}

// write returns m's personal headers, each whole lines ending in CRLF, by
// head constant; a header the frame has no place for is not used.
func (hw *headWriter) write(m *digest.Message, f *frame) (*[numHeads][]byte, error) {
	if hw.msg == nil {
		hw.msg = gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	}
	msg := hw.msg
	if !hw.ok || m.To != hw.last.to || m.ToName != hw.last.toName {
		to, err := toHeader(m.To, m.ToName)
		if err != nil {
			hw.ok = false
			return nil, err
		}
		// A generic header, not go-mail's address setter, so that a name
		// that looks like encoded words can be encoded; the bytes are the
		// setter's otherwise.
		msg.SetGenHeader(gomail.Header("To"), to)
		hw.last.to, hw.last.toName = m.To, m.ToName
	}
	if subject := m.Subject(); !hw.ok || subject != hw.last.subject {
		msg.SetGenHeader(gomail.HeaderSubject, words(headerText(subject, digest.MaxSubject)))
		hw.last.subject = subject
	}
	if !hw.ok || !m.Date.Equal(hw.date) || m.Date.IsZero() {
		date := m.Date
		if date.IsZero() {
			date = time.Now()
		}
		msg.SetDateWithValue(date)
		hw.date = m.Date
	}
	if !hw.ok || m.MessageID != hw.last.messageID {
		msg.SetMessageIDWithValue(strings.Trim(headerText(m.MessageID, 0), "<> "))
		hw.last.messageID = m.MessageID
	}
	// SetGenHeader, not go-mail's List-Unsubscribe setters, which write
	// their value verbatim and in random order.
	if v := listUnsubscribe(m.ListUnsubscribe); !hw.ok || v != hw.last.unsubscribe {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, v)
		hw.last.unsubscribe = v
	}
	hw.ok = true
	hw.raw.Reset()
	if _, err := msg.WriteTo(&hw.raw); err != nil {
		return nil, fmt.Errorf("write message: %w", err)
	}
	hw.heads = [numHeads][]byte{}
	b := hw.raw.Bytes()
	for len(b) > 0 {
		end := 0
		for {
			i := bytes.Index(b[end:], []byte("\r\n"))
			if i < 0 {
				end = len(b)
				break
			}
			end += i + 2
			if end >= len(b) || (b[end] != ' ' && b[end] != '\t') {
				break
			}
		}
		block := b[:end]
		b = b[end:]
		for i, name := range headNames {
			if bytes.HasPrefix(block, []byte(name+":")) {
				hw.heads[i] = block
			}
		}
	}
	if m.MessageID == "" {
		hw.heads[headMessageID] = nil
	}
	if len(m.ListUnsubscribe) == 0 || bytes.Equal(bytes.TrimSpace(hw.heads[headUnsubscribe]), []byte("List-Unsubscribe:")) {
		hw.heads[headUnsubscribe] = nil
	}
	return &hw.heads, nil
}

// stringWriter returns a go-mail body function that writes s.
func stringWriter(s string) func(io.Writer) (int64, error) {
	return func(w io.Writer) (int64, error) {
		n, err := io.WriteString(w, s)
		return int64(n), err
	}
}

// listUnsubscribe formats the List-Unsubscribe value: each URI in angle
// brackets, comma-separated. URIs with spaces, brackets, commas or bytes
// outside printable ASCII are left out: they would break the header.
func listUnsubscribe(uris []string) string {
	var b strings.Builder
	for _, u := range uris {
		u = headerText(u, 0)
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

// headerText makes text from outside fit for a header: digest.CleanText
// (no control, bidi or zero-width characters, no line breaks, white space
// folded), then cut to max runes on a word boundary with an ellipsis
// (digest.Shorten; max 0: no cap). It is the one helper every header value
// goes through.
func headerText(s string, max int) string {
	s = digest.CleanText(s)
	if max > 0 {
		s = digest.Shorten(s, max)
	}
	return s
}

// words returns header text as go-mail's generic header setter takes it:
// as it is, which the setter encodes if it has to, or, when it contains
// "=?", as encoded words already, so that a mail reader never decodes text
// that only looks like encoded words ("=?UTF-8?B?…?=" in a feed's title).
func words(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	return encodeWords(s)
}

// encodeWords encodes s as RFC 2047 Q-encoded words in UTF-8, each at most
// 75 characters, separated by spaces; no word splits a character.
func encodeWords(s string) string {
	const prefix, suffix, max = "=?UTF-8?q?", "?=", 75
	var b, w strings.Builder
	flush := func() {
		if w.Len() == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(prefix + w.String() + suffix)
		w.Reset()
	}
	for _, r := range s {
		var enc strings.Builder
		for _, c := range []byte(string(r)) {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!*+-/", c) >= 0:
				enc.WriteByte(c)
			default:
				fmt.Fprintf(&enc, "=%02X", c)
			}
		}
		if len(prefix)+w.Len()+enc.Len()+len(suffix) > max {
			flush()
		}
		w.WriteString(enc.String())
	}
	flush()
	return b.String()
}

// toHeader returns the To header's value for the address to and the name:
// the name made header text and capped at digest.MaxName, encoded when it
// looks like encoded words. An address that is not one line of plain text
// is refused, not cleaned: cleaned, it could be another's.
func toHeader(to, name string) (string, error) {
	if headerText(to, 0) != to {
		return "", fmt.Errorf("to %q: not one line of plain text", headerText(to, 0))
	}
	a, err := mail.ParseAddress(to)
	if err != nil {
		return "", fmt.Errorf("to %q: %w", to, err)
	}
	a.Name = headerText(name, digest.MaxName)
	if strings.Contains(a.Name, "=?") {
		return encodeWords(a.Name) + " <" + a.Address + ">", nil
	}
	return a.String(), nil
}

// listID returns the List-Id header's value: header text, its phrase
// encoded when it looks like encoded words.
func listID(v string) string {
	v = headerText(v, 0)
	if i := strings.LastIndex(v, " <"); i > 0 && strings.Contains(v[:i], "=?") {
		return encodeWords(v[:i]) + v[i:]
	}
	return words(v)
}
