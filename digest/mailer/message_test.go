package mailer

import (
	"bytes"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestWriteMessageGolden(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *letter)
	}{
		{"full", func(m *letter) {}},
		{"text-only", func(m *letter) { m.HTML = ""; m.OneClick = false; m.ListUnsubscribe = nil }},
		{"header-injection", func(m *letter) {
			m.Subject = "News\r\nBcc: victim@example.org"
			m.ToName = "Ana\nX-Evil: 1"
			m.ListID = "list\r\nX-Evil: 2"
			m.ListUnsubscribe = []string{"https://example.com/u\r\nX-Evil: 3", "https://example.com/<bad>", "mailto:u@example.com"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLetter("ana@example.org")
			tt.edit(&l)
			l.Boundary = "digest-boundary-0001"
			var buf bytes.Buffer
			if err := WriteMessage(&buf, mustMessage(t, l)); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".eml")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("message differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// parsed is what a mail reader sees of a message.
type parsed struct {
	header mail.Header
	types  []string // content types of the parts, in order
	bodies []string // decoded bodies of the parts
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	p := parsed{header: msg.Header}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		p.types, p.bodies = []string{mt}, []string{string(body)}
		return p
	}
	if mt != "multipart/alternative" {
		t.Fatalf("content type %q, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, _ := io.ReadAll(part)
		pt, pp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.types = append(p.types, pt+"; charset="+pp["charset"])
		p.bodies = append(p.bodies, string(body))
	}
	return p
}

func TestWriteMessageReadsBack(t *testing.T) {
	m := testLetter("ana@example.org")
	var buf bytes.Buffer
	if err := WriteMessage(&buf, mustMessage(t, m)); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(p.header.Get("Subject"))
	to, _ := p.header.AddressList("To")
	from, _ := p.header.AddressList("From")
	got := map[string]string{
		"Subject":               subject,
		"To":                    to[0].String(),
		"From":                  from[0].String(),
		"Message-ID":            p.header.Get("Message-ID"),
		"Date":                  p.header.Get("Date"),
		"MIME-Version":          p.header.Get("MIME-Version"),
		"List-Id":               p.header.Get("List-Id"),
		"List-Unsubscribe":      p.header.Get("List-Unsubscribe"),
		"List-Unsubscribe-Post": p.header.Get("List-Unsubscribe-Post"),
		"Precedence":            p.header.Get("Precedence"),
	}
	want := map[string]string{
		"Subject":               m.Subject,
		"To":                    (&mail.Address{Name: "Ana Müller", Address: "ana@example.org"}).String(),
		"From":                  `"Weekly Digest" <news@example.com>`,
		"Message-ID":            "<2026-11-29.abc123@example.com>",
		"Date":                  "Sun, 29 Nov 2026 07:00:00 +0000",
		"MIME-Version":          "1.0",
		"List-Id":               "Weekly Digest <weekly.example.com>",
		"List-Unsubscribe":      "<https://example.com/u?t=abc>, <mailto:unsub@example.com?subject=unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Precedence":            "bulk",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"text/plain; charset=UTF-8", "text/html; charset=UTF-8"}, p.types); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{strings.ReplaceAll(m.Text, "\n", "\r\n"), m.HTML}, p.bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
}

func TestWriteMessageStripsLineBreaks(t *testing.T) {
	l := testLetter("ana@example.org")
	l.Subject = "News\r\nBcc: victim@example.org"
	l.ToName = "Ana\nX-Evil: 1"
	l.ListUnsubscribe = []string{"https://example.com/u\r\nX-Evil: 3", "mailto:u@example.com"}
	var buf bytes.Buffer
	if err := WriteMessage(&buf, mustMessage(t, l)); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	for _, h := range []string{"Bcc", "X-Evil"} {
		if v, ok := p.header[h]; ok {
			t.Errorf("header %s: %q was injected", h, v)
		}
	}
	if got, want := p.header.Get("List-Unsubscribe"), "<mailto:u@example.com>"; got != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
}

func TestWriteMessageRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *letter)
	}{
		{"no recipient", func(m *letter) { m.To = "" }},
		{"bad recipient", func(m *letter) { m.To = "not an address" }},
		{"bad sender", func(m *letter) { m.From = "nobody" }},
		{"no body", func(m *letter) { m.Text, m.HTML = "", "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLetter("ana@example.org")
			tt.edit(&l)
			m, err := l.message()
			if err == nil {
				err = WriteMessage(io.Discard, m)
			}
			if err == nil {
				t.Error("WriteMessage succeeded, want an error")
			}
		})
	}
}

func BenchmarkWriteMessage(b *testing.B) {
	l := testLetter("ana@example.org")
	l.Text = strings.Repeat(l.Text, 40) // ~3 KB
	l.HTML = strings.Repeat(l.HTML, 60) // ~5 KB
	m := mustMessage(b, l)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteMessage(&buf, m); err != nil {
			b.Fatal(err)
		}
	}
}

// Header text from outside reaches the headers clean, capped and, when it
// looks like encoded words, encoded: what a mail reader decodes is the
// text, never a header the text spelled out.
func TestHeadersAreCleanCappedAndEncoded(t *testing.T) {
	const lookAlike = "=?UTF-8?B?QmNjOiB4QGV2aWwuZXhhbXBsZQ==?=" // "Bcc: x@evil.example"
	long := strings.Repeat("word ", 40_000)                      // a 200,000-character title
	tests := []struct {
		name                  string
		subject, toName       string
		wantSubject, wantName string
	}{
		{"bidi override", "Invoice \u202Egpj.exe", "Ana", "Invoice gpj.exe", "Ana"},
		{"NUL and zero-width", "Caf\u00e9\u200b news", "An\x00a\u2066", "Café news", "Ana"},
		{"encoded-word look-alike", "News " + lookAlike, lookAlike, "News " + lookAlike, lookAlike},
		{"long", long, strings.Repeat("n", 1<<20), strings.TrimSpace(strings.Repeat("word ", 30)) + "…", strings.Repeat("n", 99) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLetter("ana@example.org")
			l.Subject, l.ToName = tt.subject, tt.toName
			var buf bytes.Buffer
			if err := WriteMessage(&buf, mustMessage(t, l)); err != nil {
				t.Fatal(err)
			}
			p := parse(t, buf.Bytes())
			dec := new(mime.WordDecoder)
			subject, err := dec.DecodeHeader(p.header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.wantSubject {
				t.Errorf("Subject decodes to %q, want %q", subject, tt.wantSubject)
			}
			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 1 {
				t.Fatalf("To %q: %v", p.header.Get("To"), err)
			}
			if to[0].Name != tt.wantName || to[0].Address != "ana@example.org" {
				t.Errorf("To is %q <%s>, want %q <ana@example.org>", to[0].Name, to[0].Address, tt.wantName)
			}
			if _, ok := p.header["Bcc"]; ok {
				t.Errorf("a Bcc header appeared")
			}
			head, _, _ := bytes.Cut(buf.Bytes(), []byte("\r\n\r\n"))
			if len(head) > 2000 {
				t.Errorf("headers are %d bytes, want them capped", len(head))
			}
		})
	}
}
