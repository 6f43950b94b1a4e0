package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// textBuilder renders the text of an HTML tree: block elements become
// paragraphs separated by a blank line, <br> a line break, and invisible or
// interactive elements (scripts, styles, forms, buttons, menus) nothing.
type textBuilder struct {
	b strings.Builder
	// pending is the separator owed before the next text: 0 none, -1 a
	// space, 1 a line break, 2 a paragraph break.
	pending int
	// pre counts the <pre> elements the walk is inside.
	pre int
}

// skipped are elements whose content is never reader text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Svg: true, atom.Math: true, atom.Canvas: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Audio: true, atom.Video: true,
	atom.Form: true, atom.Button: true, atom.Select: true, atom.Input: true, atom.Textarea: true,
	atom.Nav: true, atom.Menu: true, atom.Dialog: true,
}

// blocks are elements that start and end a paragraph.
var blocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Dd: true, atom.Details: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true, atom.Footer: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Header: true, atom.Hgroup: true, atom.Hr: true, atom.Li: true, atom.Main: true,
	atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true,
	atom.Table: true, atom.Tr: true, atom.Caption: true, atom.Ul: true, atom.Body: true,
	atom.Html: true, atom.Center: true,
}

// blockText returns the text of n, blocks separated by blank lines.
func blockText(n *html.Node) string {
	var b textBuilder
	b.walk(n)
	return b.String()
}

func (t *textBuilder) String() string { return t.b.String() }

// brk owes a line (1) or paragraph (2) break before the next text; breaks
// at the start are dropped and the stronger of two wins.
func (t *textBuilder) brk(level int) {
	if t.b.Len() > 0 && level > t.pending {
		t.pending = level
	}
}

// text writes s after the separator owed. Outside <pre>, runs of white
// space become one space.
func (t *textBuilder) text(s string) {
	if t.pre == 0 {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			// White space between inline elements still separates words.
			if t.b.Len() > 0 && t.pending == 0 {
				t.pending = -1
			}
			return
		}
	}
	switch {
	case t.pending == 2:
		t.b.WriteString("\n\n")
	case t.pending == 1:
		t.b.WriteString("\n")
	case t.pending == -1:
		t.b.WriteString(" ")
	}
	t.pending = 0
	t.b.WriteString(s)
}

// walk writes the text of n and its descendants.
func (t *textBuilder) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		s := n.Data
		first, _ := utf8.DecodeRuneInString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		if t.pre == 0 && s != "" && unicode.IsSpace(first) && t.b.Len() > 0 && t.pending == 0 {
			t.pending = -1
		}
		t.text(s)
		if t.pre == 0 && s != "" && unicode.IsSpace(last) && t.pending == 0 && t.b.Len() > 0 {
			t.pending = -1
		}
		return
	case html.CommentNode, html.DoctypeNode:
		return
	case html.ElementNode:
		if skipped[n.DataAtom] || hidden(n) {
			return
		}
		switch n.DataAtom {
		case atom.Br:
			if t.pending == 1 {
				// Two line breaks in a row separate paragraphs.
				t.pending = 2
			}
			t.brk(1)
			return
		case atom.Img:
			return
		case atom.Td, atom.Th:
			if t.pending == 0 && t.b.Len() > 0 {
				t.pending = -1
			}
		case atom.Sup:
			if isCitation(n) {
				return
			}
		}
	}
	block := n.Type == html.ElementNode && blocks[n.DataAtom]
	if block {
		t.brk(2)
	}
	if n.DataAtom == atom.Pre {
		t.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c)
	}
	if n.DataAtom == atom.Pre {
		t.pre--
	}
	if block {
		t.brk(2)
	}
}

// hidden reports whether n is marked invisible.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if a.Val == "true" {
				return true
			}
		case "style":
			s := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// isCitation reports whether a <sup> is a reference marker like [1].
func isCitation(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && (strings.Contains(a.Val, "reference") || strings.Contains(a.Val, "footnote")) {
			return true
		}
	}
	s := strings.TrimSpace(textOf(n))
	return s != "" && citationRE.FindString(s) == s
}

// documentTitle returns the text of the document's <title>.
func documentTitle(doc *html.Node) string {
	var title string
	var find func(*html.Node) bool
	find = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.DataAtom == atom.Title {
			var sb strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					sb.WriteString(c.Data)
				}
			}
			title = sb.String()
			return true
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			return false
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if find(c) {
				return true
			}
		}
		return false
	}
	find(doc)
	return title
}
