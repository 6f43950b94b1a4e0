package extract

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/yuin/goldmark"
)

// frontMatterRE matches YAML (---) or TOML (+++) front matter at the start.
var frontMatterRE = regexp.MustCompile(`\A(?:\x{FEFF})?(---|\+\+\+)[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\z)`)

// titleRE finds a title: line in front matter.
var titleRE = regexp.MustCompile(`(?m)^title\s*[:=]\s*(.+?)\s*$`)

// markdown renders Markdown to clean text. Raw HTML in the source is
// omitted, as goldmark does by default. The title is the front matter's,
// or else a heading at the top of the file; that heading is not part of
// the text.
func markdown(in []byte) (Page, error) {
	var p Page
	src := decodeText(in, "")
	if m := frontMatterRE.FindStringSubmatch(src); m != nil {
		if t := titleRE.FindStringSubmatch(m[2]); t != nil {
			p.Title = Clean(strings.Trim(t[1], `"'`))
		}
		src = src[len(m[0]):]
	}
	heading, rest := MarkdownTitle(src)
	switch {
	case heading == "":
	case p.Title == "":
		p.Title, src = heading, rest
	case slices.Equal(titleWords(heading), titleWords(p.Title)):
		src = rest
	}
	var out bytes.Buffer
	if err := goldmark.New().Convert([]byte(src), &out); err != nil {
		p.Text = Clean(src)
	} else {
		p.Text = Fragment(out.String())
	}
	if p.Text == "" {
		return p, ErrNoContent
	}
	return p, nil
}

// setextRE matches the underline of a setext heading.
var setextRE = regexp.MustCompile(`^(?:=+|-+)[ \t]*$`)

// MarkdownTitle returns the heading that opens a Markdown body (after any
// blank lines), an ATX heading ("# Title") of any level or a setext one
// (a line underlined with = or -), as clean text, and the body after it.
// A body that opens with anything else has no title and is returned as it
// was. Front matter must have been removed first.
func MarkdownTitle(body string) (title, rest string) {
	s := strings.TrimLeft(strings.ReplaceAll(body, "\r\n", "\n"), " \t\n")
	first, after, _ := strings.Cut(s, "\n")
	if h, ok := strings.CutPrefix(first, "#"); ok {
		h = strings.TrimLeft(h, "#")
		if h == "" || h[0] == ' ' || h[0] == '\t' {
			if t := Clean(strings.Trim(strings.TrimSpace(h), "#")); t != "" {
				if u, err := goldmarkInline(t); err == nil {
					t = u
				}
				return t, after
			}
		}
		return "", body
	}
	under, after2, _ := strings.Cut(after, "\n")
	if strings.TrimSpace(first) != "" && setextRE.MatchString(strings.TrimSpace(under)) && !strings.HasPrefix(first, "    ") {
		t := Clean(strings.TrimSpace(first))
		if u, err := goldmarkInline(t); err == nil {
			t = u
		}
		return t, after2
	}
	return "", body
}

// goldmarkInline renders one line of Markdown to its plain text, so that a
// title written with emphasis or links reads as text.
func goldmarkInline(line string) (string, error) {
	var out bytes.Buffer
	if err := goldmark.New().Convert([]byte(line), &out); err != nil {
		return "", err
	}
	return strings.Join(strings.Fields(Fragment(out.String())), " "), nil
}
