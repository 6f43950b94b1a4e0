package extract

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// furnitureRE matches one word of an element's class or id (split at
// dashes and underscores) that names site furniture rather than article
// prose: captions and credits, bylines and datelines, galleries, share bars,
// newsletter prompts, related links and advertisements.
var furnitureRE = regexp.MustCompile(`^(?:caption|captions|figcaption|credit|credits|byline|bylines|dateline|timestamp|author|authors|bio|gallery|slideshow|carousel|share|sharing|sharebar|social|newsletter|subscribe|subscription|signup|related|recommended|promo|promotion|advert|advertisement|advertising|ad|ads|adslot|sponsor|sponsored|breadcrumb|breadcrumbs|tags|toc|disclaimer|copyright)$`)

// hiddenClassRE matches a whole class name that hides an element from
// sighted readers. Responsive names such as hidden-lg are not in it.
var hiddenClassRE = regexp.MustCompile(`^(?:hidden|visually-hidden|visuallyhidden|sr-only|screen-reader-text|screenreader-only|print-only|offscreen)$`)

// notBodyProps are the schema.org Article properties (itemprop) of the
// elements around the article's body: its headline, its standfirst
// (description), its author and dates.
var notBodyProps = map[string]bool{"headline": true, "alternativeHeadline": true, "description": true,
	"author": true, "datePublished": true, "dateModified": true, "creator": true}

// maxFurnitureShare is the largest share of the article's text an element
// may hold and still be pruned as furniture: a wrapper that happens to be
// called "related-content" but holds the article is kept.
const maxFurnitureShare = 0.25

// prune removes from readability's article node what is not article prose:
// figure captions and small figures, and elements whose class or id names
// them as furniture (see furnitureRE), provided they hold a small part of
// the text.
func prune(root *html.Node) {
	total := utf8.RuneCountInString(textOf(root))
	if total == 0 {
		return
	}
	var remove []*html.Node
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if isFurniture(c, total) {
				remove = append(remove, c)
				continue
			}
			visit(c)
		}
	}
	visit(root)
	for _, n := range remove {
		n.Parent.RemoveChild(n)
	}
}

func isFurniture(n *html.Node, total int) bool {
	switch n.DataAtom {
	case atom.Figcaption, atom.Picture:
		return true
	case atom.Ul, atom.Ol:
		// A list of links (trending stories, tags, "more on this") is
		// navigation, not prose.
		return isLinkList(n, total)
	case atom.P, atom.Table, atom.Blockquote, atom.Pre, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		// Text blocks themselves are judged by their words, not names.
		return false
	}
	size := utf8.RuneCountInString(textOf(n))
	if n.DataAtom == atom.Figure {
		return size < 300
	}
	if float64(size) > maxFurnitureShare*float64(total) {
		return false
	}
	for _, a := range n.Attr {
		if a.Key == "itemprop" && notBodyProps[a.Val] {
			return true
		}
		if a.Key != "class" && a.Key != "id" {
			continue
		}
		for name := range strings.FieldsSeq(strings.ToLower(a.Val)) {
			if hiddenClassRE.MatchString(name) {
				return true
			}
			for w := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '_' || r == '-' }) {
				if furnitureRE.MatchString(w) {
					return true
				}
			}
		}
	}
	return false
}

// isLinkList reports whether the list n is mostly link text, with at least
// three items, and small beside the article.
func isLinkList(n *html.Node, total int) bool {
	items := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Li {
			items++
		}
	}
	all := utf8.RuneCountInString(strings.Join(strings.Fields(textOf(n)), " "))
	return items >= 3 && all > 0 && float64(all) <= maxFurnitureShare*float64(total) &&
		float64(linkText(n)) >= 0.8*float64(all)
}

// textOf returns the raw text under n.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			return
		}
		if n.Type == html.ElementNode && skipped[n.DataAtom] {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// minShare is the smallest share of the page's densest block of
// paragraphs that readability's text may have before that block is taken
// instead: readability sometimes settles on one section of a long article,
// or on a teaser.
const minShare = 0.5

// improve returns readability's text of doc, or the text of the page's
// densest block of paragraphs when readability found none or much less.
// doc is pruned in place.
func improve(doc *html.Node, text string) string {
	block := densestBlock(doc)
	if block == nil {
		return text
	}
	prune(block)
	alt := Clean(blockText(block))
	if utf8.RuneCountInString(text) >= int(minShare*float64(utf8.RuneCountInString(alt))) {
		return text
	}
	return alt
}

// densestBlock returns the element of doc whose child paragraphs hold the
// most text that is not link text, or nil if no paragraph holds any. It is
// the classic text-density heuristic, used here as a second opinion.
func densestBlock(doc *html.Node) *html.Node {
	var best *html.Node
	bestScore := 0
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode && (skipped[n.DataAtom] || n.DataAtom == atom.Footer || n.DataAtom == atom.Aside || n.DataAtom == atom.Header || hidden(n)) {
			return
		}
		score := 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.DataAtom == atom.P || c.DataAtom == atom.Blockquote || c.DataAtom == atom.Pre) {
				all := utf8.RuneCountInString(strings.Join(strings.Fields(textOf(c)), " "))
				links := linkText(c)
				if all > 0 && float64(links) < 0.5*float64(all) {
					score += all - links
				}
			}
		}
		if score > bestScore {
			best, bestScore = n, score
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	return best
}

// linkText counts the runes of text inside links under n.
func linkText(n *html.Node) int {
	count := 0
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			count += utf8.RuneCountInString(strings.Join(strings.Fields(textOf(n)), " "))
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return count
}
