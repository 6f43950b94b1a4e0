package mailer

import (
	"bytes"
	"fmt"
	"mime/quotedprintable"
	"slices"
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

// One builder's messages to many subscribers, from editions that
// alternate, equal go-mail's own, byte for byte: the lines it copies from
// earlier messages are the right ones, and so are the headers of the
// go-mail Msg it reuses.
func TestBuilderReusesRightly(t *testing.T) {
	body := func(name, view string) (string, string) {
		text := "Hello " + name + ",\n\n" + strings.Repeat("Today in "+view+": a story with é and = signs.\n.\n", 20) +
			"Unsubscribe: https://example.com/u?e=" + name + "\n"
		html := "<html><body><p>Hello " + name + ",</p>\n" + strings.Repeat("<p style=\"x\">"+view+" story é</p>\n", 20) +
			"<a href=\"https://example.com/u?e=" + name + "\">Unsubscribe</a></body></html>"
		return text, html
	}
	var b builder
	for i := range 24 {
		// Two messages in a row to each address, under another name.
		m := testMessage(fmt.Sprintf("user%d@example.org", i/2))
		m.ToName = fmt.Sprintf("User %d", i)
		m.ListUnsubscribe = []string{fmt.Sprintf("https://example.com/u?e=user%d", i/2), "mailto:unsub@example.com"}
		m.Text, m.HTML = body(fmt.Sprintf("User %d", i), []string{"Go", "Rust", "Go"}[i%3])
		// The headers vary too, so the builder's reused go-mail Msg
		// must follow every change.
		switch i % 8 {
		case 1:
			m.ListUnsubscribe, m.OneClick = nil, false
		case 2:
			m.ToName = ""
		case 3:
			m.Subject = fmt.Sprintf("Digest for User %d: a long subject that goes on and on, to fold", i)
		case 4:
			m.Text = ""
		case 5:
			m.OneClick = false
			m.Date = m.Date.Add(time.Second)
		case 6:
			m.MessageID = ""
			m.ToName = "Zoë Ünicode-Name"
		case 7:
			bad := *m
			bad.To = "not an address"
			if _, err := b.build(&bad, WithBoundary("B")); err == nil {
				t.Fatal("a bad recipient was built")
			}
		}
		var slow builder
		want, err := slow.buildSlow(m, &buildOptions{boundary: "B"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.build(m, WithBoundary("B"))
		if err != nil {
			t.Fatal(err)
		}
		if m.MessageID == "" {
			// go-mail makes one up: compare all but that line.
			got, want = dropHeader(got, "Message-ID"), dropHeader(want, "Message-ID")
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("message %d: got\n%s\nwant (go-mail)\n%s", i, got, want)
		}
		got, err = b.buildStuffed(m, WithBoundary("B"))
		if err != nil {
			t.Fatal(err)
		}
		if m.MessageID == "" {
			got = dropHeader(got, "Message-ID")
		}
		if want := appendDotStuffed(nil, want); !bytes.Equal(got, want) {
			t.Fatalf("message %d stuffed: got\n%s\nwant (go-mail, stuffed)\n%s", i, got, want)
		}
	}
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
			m := testMessage("ana@example.org")
			m.Text, m.HTML = tt.text, tt.html
			var b builder
			o := buildOptions{boundary: "BOUNDARY"}
			want, err := b.buildSlow(m, &o)
			if err != nil {
				t.Fatal(err)
			}
			want = bytes.Clone(want)
			for range 2 { // the second time with the buffers reused
				got, err := b.build(m, WithBoundary("BOUNDARY"))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("got\n%s\nwant (go-mail)\n%s", got, want)
				}
				got, err = b.buildStuffed(m, WithBoundary("BOUNDARY"))
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

// A qpCache encodes each body as appendQP does, and, stuffed, as
// appendDotStuffed makes of that, whatever bodies came before.
func FuzzQPCache(f *testing.F) {
	f.Add("Hello Ana,\nline two\n", "Hello Bo,\nline two\n")
	f.Add("a\r\nb\rc\n.\n", ".\n")
	f.Add(strings.Repeat("x ", 50)+"\n", strings.Repeat("x ", 50))
	f.Add("", "same\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		var plain, stuffed qpCache
		for i, body := range []string{a, b, a, b + a, a, b} {
			want := appendQP(nil, []byte(body))
			if got := plain.appendEncoded(nil, body, false); !bytes.Equal(got, want) {
				t.Fatalf("body %d %q: got\n%q, want (appendQP)\n%q", i, body, got, want)
			}
			got := stuffed.appendEncoded([]byte("x"), body, true)[1:]
			var st dotStuffer
			st.wrote(got)
			got = st.end(got)
			if want := appendDotStuffed(nil, want); !bytes.Equal(got, want) {
				t.Fatalf("body %d %q stuffed: got\n%q, want (appendDotStuffed)\n%q", i, body, got, want)
			}
		}
	})
}

// A Filling is encoded as its string would be, whatever the shapes and
// values before it.
func FuzzQPFill(f *testing.F) {
	f.Add("Hello \x00,\nline two\n<a href=\"\x00\">x</a>\n", "Ana", "https://e.org/u?e=a&t=1")
	f.Add("\x00\n.\x00 \n", ".dot", "")
	f.Add("a\r\n\x00", "b", "c")
	f.Add(strings.Repeat("x ", 50)+"\x00"+strings.Repeat("y", 80)+"\n\x00", "v\nw", "=")
	f.Fuzz(func(t *testing.T, shape, v1, v2 string) {
		fill := &digest.Filling{Lits: strings.Split(shape, "\x00")}
		for i := range len(fill.Lits) - 1 {
			fill.Vals = append(fill.Vals, []string{v1, v2}[i%2])
		}
		other := &digest.Filling{Lits: []string{"other\n", "\n"}, Vals: []string{v2}}
		var plain, stuffed qpCache
		for i, fl := range []*digest.Filling{fill, other, fill, fill} {
			want := appendQP(nil, fl.String())
			if got := plain.appendFilled(nil, fl, false); !bytes.Equal(got, want) {
				t.Fatalf("filling %d %q: got\n%q, want (appendQP)\n%q", i, fl.String(), got, want)
			}
			got := stuffed.appendFilled([]byte("x"), fl, true)[1:]
			var st dotStuffer
			st.wrote(got)
			got = st.end(got)
			if want := appendDotStuffed(nil, want); !bytes.Equal(got, want) {
				t.Fatalf("filling %d %q stuffed: got\n%q, want (appendDotStuffed)\n%q", i, fl.String(), got, want)
			}
			fill = &digest.Filling{Lits: fill.Lits, Vals: slices.Clone(fill.Vals)} // same shape, new values
			for j := range fill.Vals {
				fill.Vals[j] += "!"
			}
		}
	})
}

// A message with Fillings is built as the same message with strings.
func TestBuilderFillsLikeStrings(t *testing.T) {
	text := []string{"Hello ", ",\n\n" + strings.Repeat("Today: a story with é and = signs.\n.\n", 20) + "Unsubscribe: ", "\n"}
	html := []string{"<html><body><p>Hello ", ",</p>\n" + strings.Repeat("<p style=\"x\">story é</p>\n", 20) + "<a href=\"", "\">Unsubscribe</a></body></html>"}
	var b, s builder
	for i := range 8 {
		m := testMessage(fmt.Sprintf("user%d@example.org", i))
		name, link := fmt.Sprintf("User %d", i), fmt.Sprintf("https://example.com/u?e=user%d&amp;t=x", i)
		if i == 3 {
			name = "Two\nLines" // a value with a line break: encoded the slow way
		}
		m.TextFill = &digest.Filling{Lits: text, Vals: []string{name, link}}
		m.HTMLFill = &digest.Filling{Lits: html, Vals: []string{name, link}}
		if i == 5 {
			m.TextFill = &digest.Filling{Lits: []string{""}} // empty: no text part
		}
		want := *m
		want.TextFill, want.HTMLFill, want.Text, want.HTML = nil, nil, m.TextPart(), m.HTMLPart()
		for _, stuffed := range []bool{false, true} {
			got, err := b.assemble(m, stuffed, []BuildOption{WithBoundary("B")})
			if err != nil {
				t.Fatal(err)
			}
			got = bytes.Clone(got)
			exp, err := s.assemble(&want, stuffed, []BuildOption{WithBoundary("B")})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, exp) {
				t.Fatalf("message %d (stuffed %v): got\n%s\nwant\n%s", i, stuffed, got, exp)
			}
		}
	}
}
