package extract

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
)

// frontMatterRE matches YAML (---) or TOML (+++) front matter at the start.
var frontMatterRE = regexp.MustCompile(`\A(?:\x{FEFF})?(---|\+\+\+)[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\z)`)

// titleRE finds a title: line in front matter.
var titleRE = regexp.MustCompile(`(?m)^title\s*[:=]\s*(.+?)\s*$`)

// markdown renders Markdown to clean text. Raw HTML in the source is
// omitted, as goldmark does by default.
func markdown(in []byte) (Page, error) {
	var p Page
	src := decodeText(in, "")
	if m := frontMatterRE.FindStringSubmatch(src); m != nil {
		if t := titleRE.FindStringSubmatch(m[2]); t != nil {
			p.Title = Clean(strings.Trim(t[1], `"'`))
		}
		src = src[len(m[0]):]
	}
	var out bytes.Buffer
	if err := goldmark.New().Convert([]byte(src), &out); err != nil {
		p.Text = Clean(src)
	} else {
		p.Text = Fragment(out.String())
	}
	if p.Title == "" {
		if i := strings.Index(src, "# "); i >= 0 && (i == 0 || src[i-1] == '\n') {
			line := src[i+2:]
			if j := strings.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			p.Title = Clean(line)
		}
	}
	if p.Text == "" {
		return p, ErrNoContent
	}
	return p, nil
}
