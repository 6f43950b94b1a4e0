package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"encoding/base64"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

// hostileFeed is a feed whose texts try to deceive or to bloat: a
// right-to-left override in the newest title (so "gpj.exe" reads as
// "exe.jpg"), a title of 200,000 characters, zero-width and control
// characters in a title, an author and the feed's name.
func hostileFeed() string {
	huge := strings.Repeat("Breaking news keeps breaking ", 200000/28)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Totally &#x202E;Real&#x202C; News&#x200B;</title>
  <link>https://news.example.com/</link>
  <description>News</description>
  <item>
    <title>Invoice &#x202E;gpj.exe ` + huge + `</title>
    <link>https://news.example.com/invoice</link>
    <pubDate>Sat, 28 Nov 2026 10:00:00 +0000</pubDate>
    <dc:creator>Mal&#x200B;lory&#x2066; the &#x061C;Editor</dc:creator>
    <description>Please find the invoice attached. It is due on Friday. Thank you for your business.</description>
  </item>
  <item>
    <title>Bell&#x85; and &#xFEFF;zero&#x200D;width in a title</title>
    <link>https://news.example.com/bell</link>
    <pubDate>Fri, 27 Nov 2026 10:00:00 +0000</pubDate>
    <description>A second story, with its own plain sentences. It is short.</description>
  </item>
</channel>
</rss>
`)
	return b.String()
}

// decodedMessage is a message as a mail program shows it: headers decoded,
// parts decoded.
type decodedMessage struct {
	subject, to string
	parts       map[string]string // content type → decoded body
}

func decodeMessage(t *testing.T, raw []byte) decodedMessage {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode Subject %q: %v", m.Header.Get("Subject"), err)
	}
	to, err := dec.DecodeHeader(m.Header.Get("To"))
	if err != nil {
		t.Fatalf("decode To %q: %v", m.Header.Get("To"), err)
	}
	d := decodedMessage{subject: subject, to: to, parts: map[string]string{}}
	var walk func(h mail.Header, body io.Reader)
	walk = func(h mail.Header, body io.Reader) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatalf("content type %q: %v", h.Get("Content-Type"), err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("part: %v", err)
				}
				walk(mail.Header(p.Header), p)
			}
		}
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s part: %v", mt, err)
		}
		d.parts[mt] = string(b)
	}
	walk(m.Header, m.Body)
	return d
}

// hidden lists the characters a subscriber must never receive from outside
// text: they hide or reorder what is read.
var hidden = []rune{0, 0x07, 0x85, 0x200B, 0x200D, 0x202C, 0x202E, 0x2066, 0x061C, 0xFEFF}

func hasHidden(s string) (rune, bool) {
	for _, r := range hidden {
		if strings.ContainsRune(s, r) {
			return r, true
		}
	}
	return 0, false
}

// TestHostileTextEndToEnd runs digest over a hostile feed and a careless
// subscriber list, to the in-process SMTP server, and checks the messages
// that arrive: no bidi, zero-width or control character from outside in the
// subject, the To header or the parts; a title of 200,000 characters and a
// name of a million make neither a huge subject nor a huge message.
func TestHostileTextEndToEnd(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("hostile.xml", hostileFeed())
	sources := write("sources.txt", "hostile.xml\n")
	hugeName := strings.Repeat("Bartholomew ", 1<<20/12)
	list := write("subscribers.csv", "email,name,company\n"+
		"ann@example.com,\"Ann\x00 Smith\u202E\",\"ACME\u200B\x00 Ltd\"\n"+
		"bart@example.com,"+hugeName+",Big\n"+
		"cy@example.org,Cy,\n")
	srv := mailertest.NewServer(t)
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: append(os.Environ(),
		"DIGEST_SMTP_URL="+srv.URL(),
		"DIGEST_STATE="+filepath.Join(dir, "digest.db"),
		"DIGEST_SUBSCRIBERS="+list,
		"DIGEST_SOURCES="+sources,
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_TIMEZONE=UTC",
	)}, []string{"run"})
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out.String())
	}
	msgs := srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages arrived, want 3:\n%s", len(msgs), out.String())
	}
	for _, m := range msgs {
		t.Run(m.To[0], func(t *testing.T) {
			if len(m.Data) > 100<<10 {
				t.Errorf("message is %d bytes, want well under 100 KiB", len(m.Data))
			}
			if bytes.Contains(m.Data, []byte("\u202E")) || bytes.IndexByte(m.Data, 0) >= 0 {
				t.Errorf("the raw message carries U+202E or NUL")
			}
			raw, _, _ := bytes.Cut(m.Data, []byte("\r\n\r\n"))
			for _, line := range strings.Split(string(raw), "\r\n") {
				if strings.HasPrefix(line, "To:") && strings.Contains(line, "=00") {
					t.Errorf("To header carries an encoded NUL: %q", line)
				}
			}
			d := decodeMessage(t, m.Data)
			if r, ok := hasHidden(d.subject); ok {
				t.Errorf("Subject %q carries %U", d.subject, r)
			}
			if n := utf8.RuneCountInString(d.subject); n > 300 {
				t.Errorf("Subject is %d characters, want at most 300", n)
			}
			if !strings.Contains(d.subject, "Invoice gpj.exe") {
				t.Errorf("Subject %q, want it to name the newest title, cleaned", d.subject)
			}
			if r, ok := hasHidden(d.to); ok {
				t.Errorf("To %q carries %U", d.to, r)
			}
			if n := utf8.RuneCountInString(d.to); n > 200 {
				t.Errorf("To is %d characters, want at most 200", n)
			}
			if m.To[0] == "ann@example.com" && !strings.Contains(d.to, "Ann Smith") {
				t.Errorf("To %q, want the name Ann Smith", d.to)
			}
			for mt, body := range d.parts {
				if r, ok := hasHidden(body); ok {
					i := strings.IndexRune(body, r)
					t.Errorf("%s part carries %U: %q", mt, r, body[max(0, i-40):min(len(body), i+40)])
				}
				if mt == "text/html" && len(body) > 102<<10 {
					t.Errorf("HTML part is %d bytes: Gmail clips it above 102 KB", len(body))
				}
			}
			if html := d.parts["text/html"]; !strings.Contains(html, "Totally Real News") || !strings.Contains(html, "Mallory the Editor") {
				t.Errorf("HTML part does not name the source and author cleaned: %s", excerpt(html, "news.example.com/invoice"))
			}
		})
	}
}

// excerpt returns up to 300 bytes of s around the first want, or its start.
func excerpt(s, want string) string {
	i := max(0, strings.Index(s, want)-150)
	return fmt.Sprintf("%q", s[i:min(len(s), i+300)])
}
