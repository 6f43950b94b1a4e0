package mailer

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"
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
			}
		})
	}
}
