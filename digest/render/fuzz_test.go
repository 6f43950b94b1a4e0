package render

import (
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// FuzzRenderSafety renders feed data and notes of any shape and checks the
// safety promises: no markup from feeds, only absolute http(s) links, a
// one-line subject.
func FuzzRenderSafety(f *testing.F) {
	f.Add("<script>alert(1)</script>", "javascript:alert(1)", "Src\r\nBcc: x", "[x](javascript:y) <img src=x onerror=z>")
	f.Add("Title", "https://example.com/a?b=c&d=<e>", "Source", "---\nsubject: Hi\r\nthere\n---\nbody")
	f.Add("\"'><a href=x>", "//evil.example/", "&amp;", "<a href=\"vbscript:x\">v</a>")
	r := newTestRenderer(f, "")
	f.Fuzz(func(t *testing.T, title, link, source, note string) {
		ed := testEdition(2)
		ed.Items[0].Title, ed.Items[0].URL, ed.Items[0].Source = title, link, source
		ed.Items[1].AlsoIn = []string{source}
		ed.Items[1].Blurb = []string{title}
		ed.Note = note
		c, err := renderFor(r, ed, digest.Subscriber{Email: "a@example.org", Name: title})
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(c.Subject, "\r\n") {
			t.Fatalf("subject has a line break: %q", c.Subject)
		}
		checkSafeHTML(t, c.HTML)
	})
}
