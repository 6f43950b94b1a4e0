package source

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/digest-newsletter/digest/digest"
)

// FuzzParseList checks that ParseList never panics, that every error it
// returns is an *InputError with a line, and that every source has a
// location it can fetch or read.
func FuzzParseList(f *testing.F) {
	f.Add("https://example.org/feed name=\"A B\" tags=a,b fulltext\n# c\n\narticles\n")
	f.Add("page:https://example.org/x\nftp://x\nname=\"\n")
	f.Add(`<opml><body><outline text="T"><outline xmlUrl="https://e.org/r" category="/a/b"/></outline></body></opml>`)
	f.Add("\ufeffhttps://example.org/ 'quoted name'\n")
	f.Fuzz(func(t *testing.T, list string) {
		specs, err := ParseList(strings.NewReader(list), "list.txt")
		for _, s := range specs {
			if (s.URL == "") == (s.Path == "") {
				t.Errorf("spec %+v: want exactly one of URL and Path", s)
			}
			if s.URL != "" && !strings.HasPrefix(strings.ToLower(s.URL), "http") {
				t.Errorf("spec %+v: URL not http(s)", s)
			}
			if s.Kind == KindPage && s.URL == "" {
				t.Errorf("spec %+v: page without URL", s)
			}
		}
		if err == nil {
			return
		}
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ie *digest.InputError
			if !errors.As(e, &ie) || ie.File != "list.txt" {
				t.Errorf("error %v: want an *InputError of list.txt", e)
			}
		}
	})
}

// FuzzParseFrontMatter checks that the front-matter parser never panics,
// reports errors with a line inside the file, and returns a body that is a
// suffix of the input.
func FuzzParseFrontMatter(f *testing.F) {
	f.Add("---\ntitle: x\ndate: 2026-11-20\ntags: [a, \"b\"]\n---\nbody")
	f.Add("---\ntags:\n  - a\n  - b\nurl: https://e.org/\n---\n")
	f.Add("---\ntitle: \"unterminated\n---\n")
	f.Add("no front matter")
	f.Fuzz(func(t *testing.T, in string) {
		fm, body, err := ParseFrontMatter([]byte(in), "f.md", time.UTC)
		if err != nil {
			var ie *digest.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if lines := strings.Count(in, "\n") + 1; ie.Line < 1 || ie.Line > lines {
				t.Errorf("error line %d outside the file's %d lines", ie.Line, lines)
			}
			return
		}
		if !strings.HasSuffix(in, string(body)) {
			t.Errorf("body %q is not the end of the input", body)
		}
		if fm.URL != "" && cleanLink(nil, fm.URL) == "" {
			t.Errorf("url %q accepted but not http(s)", fm.URL)
		}
	})
}

// FuzzParseFeed checks that feed parsing never panics and gives clean,
// valid UTF-8 titles and absolute http(s) links.
func FuzzParseFeed(f *testing.F) {
	files, _ := filepath.Glob("testdata/feeds/*")
	for _, file := range files {
		if !strings.HasSuffix(file, ".golden") {
			data, err := os.ReadFile(file)
			if err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, entries, _, err := parseFeed(data, nil)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !utf8.ValidString(e.Title) {
				t.Errorf("title %q is not valid UTF-8", e.Title)
			}
			if e.Title != digest.CleanText(e.Title) || e.Author != digest.CleanText(e.Author) {
				t.Errorf("title %q or author %q is not clean text", e.Title, e.Author)
			}
			if e.URL != "" && Canonical(e.URL) == "" {
				t.Errorf("link %q is not an absolute http(s) URL", e.URL)
			}
		}
	})
}

// FuzzRepairXML checks that repairXML never panics and leaves a
// well-formed document as it is: a feed that parses is never changed by the
// repair pass every feed goes through.
func FuzzRepairXML(f *testing.F) {
	files, _ := filepath.Glob("testdata/feeds/*.xml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<a x="1&amp;2" y='<'><![CDATA[a & b < c]]><!-- & < --><?pi x?>&#38;&lt;</a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, rep := repairXML(data)
		if !wellFormed(data) {
			return
		}
		if rep.changed() || !bytes.Equal(out, data) {
			t.Errorf("repairXML changed a well-formed document (%v):\n%q\n%q", rep, data, out)
		}
	})
}

// wellFormed reports whether encoding/xml reads data to the end in strict
// mode, with every element closed, and data declares no other encoding.
func wellFormed(data []byte) bool {
	if m := declaredEncoding.FindSubmatch(data); m != nil && !strings.EqualFold(string(m[1]), "utf-8") {
		return false
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return depth == 0
		}
		if err != nil {
			return false
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}
