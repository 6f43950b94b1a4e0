package mailer

import (
	"bytes"
	"io"
	"net/mail"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	gomail "github.com/wneessen/go-mail"
)

// A letter is a message's every field as plain values, for tests: message
// frames it as the pipeline does, goMail has go-mail write it whole.
type letter struct {
	From, To, ToName, Subject, MessageID string
	Date                                 time.Time
	Text, HTML                           string
	ListID                               string
	ListUnsubscribe                      []string
	OneClick                             bool
	Boundary                             string
}

// testLetter returns a letter as the pipeline makes one.
func testLetter(to string) letter {
	return letter{
		From:            "Weekly Digest <news@example.com>",
		To:              to,
		ToName:          "Ana Müller",
		Subject:         "Digest: ünïcode news of the week",
		MessageID:       "2026-11-29.abc123@example.com",
		Date:            time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC),
		Text:            "Hello Ana,\n\nThis week: Café Ümlaut opens.\n.\nA line with a single dot above.\n",
		HTML:            "<html><body><p>Hello Ana,</p><p>This week: Café Ümlaut opens.</p></body></html>",
		ListID:          "Weekly Digest <weekly.example.com>",
		ListUnsubscribe: []string{"https://example.com/u?t=abc", "mailto:unsub@example.com?subject=unsubscribe"},
		OneClick:        true,
	}
}

// message returns the letter as a digest.Message on a frame of its own.
func (l letter) message() (*digest.Message, error) {
	c := &digest.Compiled{Subject: digest.Plain(l.Subject), Text: digest.Plain(l.Text), HTML: digest.Plain(l.HTML)}
	f, err := newFrame(c, l.letterhead(), l.Boundary)
	if err != nil {
		return nil, err
	}
	return l.on(f), nil
}

func (l letter) letterhead() digest.Letterhead {
	return digest.Letterhead{From: l.From, ListID: l.ListID, Unsubscribe: listUnsubscribe(l.ListUnsubscribe) != "", OneClick: l.OneClick}
}

// on returns the letter's message on frame f.
func (l letter) on(f digest.Frame) *digest.Message {
	sender, _ := digest.SenderDomain(l.From)
	return &digest.Message{Edition: "2026-11-29", Sender: sender, To: l.To, ToName: l.ToName, MessageID: l.MessageID,
		Date: l.Date, ListUnsubscribe: l.ListUnsubscribe, Frame: f}
}

// mustMessage is message for letters that frame.
func mustMessage(t testing.TB, l letter) *digest.Message {
	t.Helper()
	m, err := l.message()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testMessage returns testLetter(to) as a message.
func testMessage(to string) *digest.Message {
	m, err := testLetter(to).message()
	if err != nil {
		panic(err)
	}
	return m
}

// goMail has go-mail write the letter whole, bodies and all: what a frame
// filled in must give, byte for byte.
func goMail(t testing.TB, l letter) []byte {
	t.Helper()
	opts := []gomail.MsgOption{gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent()}
	if l.Boundary != "" {
		opts = append(opts, gomail.WithBoundary(l.Boundary))
	}
	msg := gomail.NewMsg(opts...)
	from, err := mail.ParseAddress(l.From)
	if err != nil {
		t.Fatal(err)
	}
	msg.FromMailAddress(from)
	if l.ListID != "" {
		msg.SetGenHeader(gomail.Header("List-Id"), headerText(l.ListID, 0))
	}
	unsub := listUnsubscribe(l.ListUnsubscribe)
	if unsub != "" && l.OneClick {
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetGenHeader(gomail.HeaderPrecedence, "bulk")
	to, err := mail.ParseAddress(l.To)
	if err != nil {
		t.Fatal(err)
	}
	to.Name = headerText(l.ToName, digest.MaxName)
	msg.ToMailAddress(to)
	msg.Subject(headerText(l.Subject, digest.MaxSubject))
	msg.SetDateWithValue(l.Date)
	if l.MessageID != "" {
		msg.SetMessageIDWithValue(l.MessageID)
	}
	if unsub != "" {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, unsub)
	}
	body := func(s string) func(io.Writer) (int64, error) {
		return func(w io.Writer) (int64, error) { n, err := io.WriteString(w, s); return int64(n), err }
	}
	switch {
	case l.Text != "" && l.HTML != "":
		msg.SetBodyWriter(gomail.TypeTextPlain, body(l.Text))
		msg.AddAlternativeWriter(gomail.TypeTextHTML, body(l.HTML))
	case l.Text != "":
		msg.SetBodyWriter(gomail.TypeTextPlain, body(l.Text))
	default:
		msg.SetBodyWriter(gomail.TypeTextHTML, body(l.HTML))
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if l.MessageID == "" {
		return dropHeader(b.Bytes(), "Message-ID")
	}
	return b.Bytes()
}

// dropHeader returns msg without its header line named name.
func dropHeader(msg []byte, name string) []byte {
	i := bytes.Index(msg, []byte("\r\n"+name+": "))
	if i < 0 {
		return msg
	}
	j := bytes.Index(msg[i+2:], []byte("\r\n"))
	return append(bytes.Clone(msg[:i]), msg[i+2+j:]...)
}
