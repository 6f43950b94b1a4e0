package mailer

import (
	"bytes"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

func FuzzAppendQP(f *testing.F) {
	for _, s := range []string{
		"", "a", "=", " ", "a \r\nb\t\nc", "caf\xc3\xa9 = ok\r\n", strings.Repeat("x", 75), strings.Repeat("x", 76),
		strings.Repeat("y", 74) + "=", strings.Repeat("z", 75) + " \r\n", "\r\r\n\n", "<p style=\"color:red\">Hi</p>\n",
		strings.Repeat("é", 40), strings.Repeat("a ", 60) + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var want bytes.Buffer
		w := quotedprintable.NewWriter(&want)
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := appendQP(nil, p); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendQP(%q) =\n%q, want (mime/quotedprintable)\n%q", p, got, want.Bytes())
		}
	})
}

// One builder's messages to many subscribers, on frames that alternate,
// equal go-mail's own, byte for byte: the personal headers of the go-mail
// Msg it reuses follow every change.
func TestBuilderReusesRightly(t *testing.T) {
	body := func(view string) (string, string) {
		text := "Hello,\n\n" + strings.Repeat("Today in "+view+": a story with é and = signs.\n.\n", 20)
		html := "<html><body><p>Hello,</p>\n" + strings.Repeat("<p style=\"x\">"+view+" story é</p>\n", 20) + "</body></html>"
		return text, html
	}
	var b builder
	frames := map[string]digest.Frame{}
	for i := range 24 {
		// Two messages in a row to each address, under another name.
		l := testLetter(fmt.Sprintf("user%d@example.org", i/2))
		l.Boundary = "B"
		l.ToName = fmt.Sprintf("User %d", i)
		l.ListUnsubscribe = []string{fmt.Sprintf("https://example.com/u?e=user%d", i/2), "mailto:unsub@example.com"}
		l.Text, l.HTML = body([]string{"Go", "Rust", "Go"}[i%3])
		switch i % 8 {
		case 1:
			l.ListUnsubscribe, l.OneClick = nil, false
		case 2:
			l.ToName = ""
		case 3:
			l.Subject = fmt.Sprintf("Digest for User %d: a long subject that goes on and on, to fold", i)
		case 4:
			l.Text = ""
		case 5:
			l.OneClick = false
			l.Date = l.Date.Add(time.Second)
		case 6:
			l.MessageID = ""
			l.ToName = "Zoë Ünicode-Name"
		}
		key := fmt.Sprint(l.Text, l.HTML, l.Subject, l.letterhead())
		f := frames[key]
		if f == nil {
			m, err := l.message()
			if err != nil {
				t.Fatal(err)
			}
			f = m.Frame
			frames[key] = f
		}
		m := l.on(f)
		if i%8 == 7 {
			bad := *m
			bad.To = "not an address"
			if _, err := b.build(&bad, false); err == nil {
				t.Fatal("a bad recipient was built")
			}
		}
		want := goMail(t, l)
		got, err := b.build(m, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("message %d: got\n%s\nwant (go-mail)\n%s", i, got, want)
		}
		got, err = b.build(m, true)
		if err != nil {
			t.Fatal(err)
		}
		if want := appendDotStuffed(nil, want); !bytes.Equal(got, want) {
			t.Fatalf("message %d stuffed: got\n%s\nwant (go-mail, stuffed)\n%s", i, got, want)
		}
	}
}

// The builder's messages equal go-mail's own, byte for byte.
func TestBuilderMatchesGoMail(t *testing.T) {
	long := strings.Repeat("Ein Satz mit Umlauten: äöü, = Zeichen und  Leerzeichen am Ende   \n", 50)
	tests := []struct {
		name       string
		text, html string
	}{
		{"both", "Hello =\r\nthere \n", "<p style=\"x\">Hi</p>\n"},
		{"text only", long, ""},
		{"html only", "", "<html>" + long + "</html>"},
		{"no final newline", "a line without end", strings.Repeat("<td class=\"c\">é</td>", 200)},
		{"dots", ".\n..\n.x\n", ".\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLetter("ana@example.org")
			l.Text, l.HTML, l.Boundary = tt.text, tt.html, "BOUNDARY"
			want := goMail(t, l)
			m := mustMessage(t, l)
			var b builder
			for range 2 { // the second time with the buffers reused
				got, err := b.build(m, false)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("got\n%s\nwant (go-mail)\n%s", got, want)
				}
				got, err = b.build(m, true)
				if err != nil {
					t.Fatal(err)
				}
				if want := appendDotStuffed(nil, want); !bytes.Equal(got, want) {
					t.Fatalf("stuffed: got\n%s\nwant (go-mail, stuffed)\n%s", got, want)
				}
			}
		})
	}
}

// A part with slots is encoded as its filled string would be, whatever the
// values, plain and stuffed.
func FuzzQPFill(f *testing.F) {
	f.Add("Hello \x00,\nline two\n<a href=\"\x00\">x</a>\n", "Ana", "https://e.org/u?e=a&t=1")
	f.Add("\x00\n.\x00 \n", ".dot", "")
	f.Add("a\r\n\x00", "b", "c")
	f.Add(strings.Repeat("x ", 50)+"\x00"+strings.Repeat("y", 80)+"\n\x00", "v\nw", "=")
	f.Fuzz(func(t *testing.T, shape, v1, v2 string) {
		p := digest.Part{Lits: strings.Split(shape, "\x00")}
		for i := range len(p.Lits) - 1 {
			p.Slots = append(p.Slots, i%2)
		}
		plain, stuffed := compileQP(p, false), compileQP(p, true)
		var b builder
		for i, vals := range [][]string{{v1, v2}, {v2, v1}, {v1 + "!", v2 + "!"}} {
			filled := p.Fill(vals)
			want := appendQP(nil, filled)
			if got := b.appendPart(nil, plain, vals, false); !bytes.Equal(got, want) {
				t.Fatalf("values %d %q: got\n%q, want (appendQP)\n%q", i, filled, got, want)
			}
			got := b.appendPart([]byte("x"), stuffed, vals, true)[1:]
			var st dotStuffer
			st.wrote(got)
			got = st.end(got)
			if want := appendDotStuffed(nil, want); !bytes.Equal(got, want) {
				t.Fatalf("values %d %q stuffed: got\n%q, want (appendDotStuffed)\n%q", i, filled, got, want)
			}
		}
	})
}

// A message made from a frame with slots is the same message as one made
// from the same parts put together.
func TestBuilderFillsLikeStrings(t *testing.T) {
	text := digest.Part{Lits: []string{"Hello ", ",\n\n" + strings.Repeat("Today: a story with é and = signs.\n.\n", 20) + "Unsubscribe: ", "\n"}, Slots: []int{0, 1}}
	html := digest.Part{Lits: []string{"<html><body><p>Hello ", ",</p>\n" + strings.Repeat("<p style=\"x\">story é</p>\n", 20) + "<a href=\"", "\">Unsubscribe</a></body></html>"}, Slots: []int{0, 2}}
	c := &digest.Compiled{Subject: digest.Part{Lits: []string{"News for ", ""}, Slots: []int{0}}, Text: text, HTML: html}
	l := testLetter("user@example.org")
	l.Boundary = "B"
	f, err := newFrame(c, l.letterhead(), "B")
	if err != nil {
		t.Fatal(err)
	}
	var b, s builder
	for i := range 8 {
		l.To = fmt.Sprintf("user%d@example.org", i)
		name, link := fmt.Sprintf("User %d", i), fmt.Sprintf("https://example.com/u?e=user%d&t=x", i)
		if i == 3 {
			name = "Two\nLines" // a value with a line break: encoded whole
		}
		vals := []string{name, link, strings.ReplaceAll(link, "&", "&amp;")}
		m := l.on(f)
		m.Values = vals
		l.Subject, l.Text, l.HTML = c.Subject.Fill(vals), text.Fill(vals), html.Fill(vals)
		want := mustMessage(t, l)
		for _, stuffed := range []bool{false, true} {
			got, err := b.build(m, stuffed)
			if err != nil {
				t.Fatal(err)
			}
			got = bytes.Clone(got)
			exp, err := s.build(want, stuffed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, exp) {
				t.Fatalf("message %d (stuffed %v): got\n%s\nwant\n%s", i, stuffed, got, exp)
			}
		}
	}
}
