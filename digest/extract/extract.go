// Package extract turns web pages, feed entry HTML, Markdown and plain text
// into the clean text the summarizer is given: no markup, no entity codes, no
// boilerplate lines, no citation markers, normalized white space, paragraphs
// separated by one blank line.
//
// Whole pages go through codeberg.org/readeck/go-readability/v2 to find the
// main content. The package does no I/O of its own beyond reading the
// io.Reader it is handed, and it keeps no state between calls, so every
// function is safe for concurrent use.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// MaxPage caps how many bytes HTML reads from a page; the rest is ignored.
const MaxPage = 10 << 20

// ErrNoContent reports a document in which no text was found.
var ErrNoContent = errors.New("extract: no content")

// A Page is the clean text of one page or document and what its metadata
// says about it. Fields the document does not give are empty.
type Page struct {
	Title, Byline, Lang, SiteName string
	// Text is the clean main text: paragraphs separated by a blank line.
	Text      string
	Published time.Time
}

// HTML extracts the main content of a whole web page read from r. The
// charset is taken from a byte order mark, then contentType (the HTTP
// Content-Type header, may be empty), then the page's <meta> tags, and
// otherwise guessed (UTF-8 if the bytes are valid UTF-8, else Windows-1252).
// pageURL, which may be nil, resolves relative links. HTML returns
// ErrNoContent if the page holds no text.
func HTML(r io.Reader, pageURL *url.URL, contentType string) (Page, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxPage))
	if err != nil {
		return Page{}, fmt.Errorf("extract: read page: %w", err)
	}
	doc, err := parseHTML(raw, contentType)
	if err != nil {
		return Page{}, err
	}
	return fromDocument(doc, pageURL)
}

// parseHTML decodes raw to UTF-8 and parses it.
func parseHTML(raw []byte, contentType string) (*html.Node, error) {
	utf, err := decodeHTML(raw, contentType)
	if err != nil {
		// A decoder that fails mid-way leaves the page unreadable in that
		// charset; the bytes as UTF-8 (with replacement runes) are the best left.
		utf = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	doc, err := html.Parse(bytes.NewReader(utf))
	if err != nil {
		return nil, fmt.Errorf("extract: parse html: %w", err)
	}
	return doc, nil
}

// metaCharsetRE finds a charset declared in a <meta> tag.
var metaCharsetRE = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.-]+)`)

// decodeHTML decodes a page to UTF-8. A byte order mark decides; then bytes
// that are valid UTF-8 and not plain ASCII are taken as UTF-8 whatever the
// page declares (a page mislabelled as Latin-1 is far more common than
// Latin-1 text that happens to be valid UTF-8), and bytes declared UTF-8
// without a single multibyte sequence but with invalid ones as
// Windows-1252; then the charset of contentType, then a <meta> declaration
// in the first 64 KiB; else Windows-1252, the superset of ISO-8859-1 that
// browsers use.
func decodeHTML(raw []byte, contentType string) ([]byte, error) {
	enc, name, certain := charset.DetermineEncoding(raw, contentType)
	bom := certain && !strings.Contains(strings.ToLower(contentType), "charset")
	switch {
	case bom:
	case utf8.Valid(raw):
		if !isASCII(raw) || name == "utf-8" {
			return raw, nil
		}
	case name == "utf-8" && !hasMultibyte(raw):
		// Declared UTF-8, yet not one multibyte sequence and some bytes
		// invalid: single-byte text mislabelled, most often Windows-1252.
		enc = charmap.Windows1252
	case certain:
	default:
		head := raw[:min(len(raw), 64<<10)]
		if m := metaCharsetRE.FindSubmatch(head); m != nil {
			if e, err := htmlindex.Get(string(m[1])); err == nil {
				enc = e
			}
		}
	}
	if enc == nil || enc == encoding.Nop {
		return raw, nil
	}
	return enc.NewDecoder().Bytes(raw)
}

// hasMultibyte reports whether b holds a valid UTF-8 sequence of more
// than one byte.
func hasMultibyte(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if size > 1 && r != utf8.RuneError {
			return true
		}
		b = b[size:]
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fromDocument runs readability on doc and post-processes its result.
func fromDocument(doc *html.Node, pageURL *url.URL) (Page, error) {
	if pageURL == nil {
		pageURL = &url.URL{}
	}
	removeStandfirsts(doc)
	parser := readability.NewParser()
	// prune reads class names; readability would strip them.
	parser.KeepClasses = true
	article, err := parser.ParseDocument(doc, pageURL)
	var p Page
	text := ""
	if err == nil {
		p = Page{
			Title:    Clean(article.Title()),
			Byline:   Clean(article.Byline()),
			Lang:     article.Language(),
			SiteName: Clean(article.SiteName()),
		}
		if t, err := article.PublishedTime(); err == nil {
			p.Published = t
		}
		if article.Node != nil {
			prune(article.Node)
			text = Clean(blockText(article.Node))
		}
	}
	if p.Title == "" {
		p.Title = Clean(documentTitle(doc))
	}
	p.Title = trimSiteName(p.Title, p.SiteName)
	facts := readFacts(doc)
	if p.Published.IsZero() {
		p.Published = facts.published
	}
	if p.Title == "" {
		p.Title = facts.headline
	}
	rawByline := p.Byline
	p.Byline = cleanByline(p.Byline)
	if p.Byline == "" {
		p.Byline = facts.author
	}
	// The title and byline are fields of their own; repeated as lines of
	// the body they would open every summary.
	p.Text = dropLines(applyFacts(improve(doc, text), facts), rawByline, p.Byline, p.Title)
	if p.Text == "" {
		return p, ErrNoContent
	}
	return p, nil
}

// trimSiteName removes the site's name from the end or start of a title,
// as in "Story | Site" or "Site - Story".
func trimSiteName(title, site string) string {
	if site == "" || strings.EqualFold(title, site) {
		return title
	}
	for _, sep := range []string{" | ", " - ", " – ", " — ", " · ", " » ", ": "} {
		if t, ok := strings.CutSuffix(title, sep+site); ok && t != "" {
			return t
		}
		if t, ok := strings.CutPrefix(title, site+sep); ok && t != "" {
			return t
		}
	}
	return title
}

// dropLines removes from text the lines equal to one of lines, such as the
// byline repeated in the body.
func dropLines(text string, lines ...string) string {
	var keep []string
	for l := range strings.SplitSeq(text, "\n") {
		drop := false
		for _, d := range lines {
			if d != "" && strings.EqualFold(strings.TrimPrefix(l, "By "), strings.TrimPrefix(d, "By ")) {
				drop = true
			}
		}
		if !drop {
			keep = append(keep, l)
		}
	}
	return Clean(strings.Join(keep, "\n"))
}

// Fragment returns the clean text of an HTML fragment, such as a feed entry's
// content. It does no main-content extraction: all visible text is kept,
// apart from scripts, styles, forms, figure captions, small blocks whose
// class names them as furniture (share bars, related links), and
// boilerplate lines.
func Fragment(fragment string) string {
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return Clean(fragment)
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	prune(root)
	return Clean(blockText(root))
}

// Any returns the clean Page of a document of unknown kind. name (a file
// name or URL, may be empty) and contentType (may be empty) choose the kind:
// HTML (by type, extension or content), Markdown (text/markdown or a .md or
// .markdown name; YAML or TOML front matter is dropped, its title kept) or
// else plain text, whose first line is its title when it is short, has no
// final punctuation and stands alone or is repeated (see textTitle).
func Any(in []byte, name, contentType string) (Page, error) {
	switch kind(in, name, contentType) {
	case kindHTML:
		var u *url.URL
		if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
			u, _ = url.Parse(name)
		}
		return HTML(bytes.NewReader(in), u, contentType)
	case kindMarkdown:
		return markdown(in)
	}
	text := decodeText(in, contentType)
	var p Page
	p.Title, p.Text = textTitle(Clean(text))
	if p.Text == "" {
		return p, ErrNoContent
	}
	return p, nil
}

type docKind int

const (
	kindText docKind = iota
	kindHTML
	kindMarkdown
)

func kind(in []byte, name, contentType string) docKind {
	ct := strings.ToLower(contentType)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	ext := ""
	if name != "" {
		n := name
		if u, err := url.Parse(name); err == nil && u.Scheme != "" {
			n = u.Path
		}
		ext = strings.ToLower(path.Ext(n))
	}
	switch {
	case ct == "text/html" || ct == "application/xhtml+xml":
		return kindHTML
	case ct == "text/markdown" || ct == "text/x-markdown" || ext == ".md" || ext == ".markdown":
		return kindMarkdown
	case ext == ".html" || ext == ".htm" || ext == ".xhtml":
		return kindHTML
	case ct == "" || ct == "application/octet-stream":
		if looksHTML(in) {
			return kindHTML
		}
	}
	return kindText
}

func looksHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 1024)]))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body"} {
		if bytes.HasPrefix(head, []byte(p)) || (p != "<html" && bytes.Contains(head, []byte(p))) {
			return true
		}
	}
	return false
}

// decodeText decodes plain text or Markdown to UTF-8 as decodeHTML does.
func decodeText(in []byte, contentType string) string {
	out, err := decodeHTML(in, contentType)
	if err != nil {
		out = in
	}
	return string(bytes.ToValidUTF8(out, []byte("\uFFFD")))
}
