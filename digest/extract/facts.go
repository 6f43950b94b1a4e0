package extract

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pageFacts is what a page says about itself in its markup, apart from
// the text: schema.org Article JSON-LD, image descriptions and captions,
// <time> elements and author links.
type pageFacts struct {
	// From JSON-LD of type Article (NewsArticle, BlogPosting, …).
	headline, author, body string
	published              time.Time
	// captions are the alt and title texts of images and the texts of
	// <figcaption>, as word lists.
	captions [][]string
	// stamps are the texts of <time> elements and of author links
	// (rel=author, itemprop=author), as word lists.
	stamps [][]string
	// titles are the page's own headlines: <h1>, og:title and
	// twitter:title, and the JSON-LD headline, as word lists.
	titles [][]string
}

// readFacts collects the facts of doc.
func readFacts(doc *html.Node) pageFacts {
	var f pageFacts
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script:
				if strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") && n.FirstChild != nil {
					f.readJSONLD(n.FirstChild.Data)
				}
				return
			case atom.Img:
				for _, k := range []string{"alt", "title"} {
					if w := titleWords(attr(n, k)); len(w) >= 4 {
						f.captions = append(f.captions, w)
					}
				}
			case atom.Figcaption:
				if w := titleWords(textOf(n)); len(w) >= 4 {
					f.captions = append(f.captions, w)
				}
			case atom.H1:
				if w := titleWords(textOf(n)); len(w) > 0 {
					f.titles = append(f.titles, w)
				}
			case atom.Meta:
				switch attr(n, "property") + attr(n, "name") {
				case "og:title", "twitter:title":
					if w := titleWords(attr(n, "content")); len(w) > 0 {
						f.titles = append(f.titles, w)
					}
				}
			case atom.Time:
				if w := titleWords(textOf(n)); len(w) > 0 {
					f.stamps = append(f.stamps, w)
				}
			}
			if attr(n, "rel") == "author" || attr(n, "itemprop") == "author" {
				if w := titleWords(textOf(n)); len(w) > 0 && len(w) <= 8 {
					f.stamps = append(f.stamps, w)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	return f
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// readJSONLD reads the first schema.org Article found in a JSON-LD block,
// looking into arrays and @graph; a block that does not parse is ignored.
func (f *pageFacts) readJSONLD(src string) {
	var v any
	if json.Unmarshal([]byte(strings.TrimSpace(src)), &v) != nil {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			if g, ok := v["@graph"]; ok {
				walk(g)
			}
			if !isArticleType(v["@type"]) {
				return
			}
			if s, ok := v["headline"].(string); ok && f.headline == "" {
				f.headline = Clean(s)
				f.titles = append(f.titles, titleWords(f.headline))
			}
			if s, ok := v["articleBody"].(string); ok && len(s) > len(f.body) {
				f.body = s
			}
			if f.author == "" {
				f.author = authorName(v["author"])
			}
			if s, ok := v["datePublished"].(string); ok && f.published.IsZero() {
				f.published = parseDate(s)
			}
		}
	}
	walk(v)
}

// isArticleType reports whether a JSON-LD @type names a kind of article.
func isArticleType(t any) bool {
	switch t := t.(type) {
	case string:
		return strings.HasSuffix(t, "Article") || t == "BlogPosting" || t == "Report" || t == "LiveBlogPosting"
	case []any:
		return slices.ContainsFunc(t, isArticleType)
	}
	return false
}

// authorName returns the names of a JSON-LD author: a string, a Person or
// Organization, or a list of them, joined with commas.
func authorName(a any) string {
	switch a := a.(type) {
	case string:
		return Clean(a)
	case map[string]any:
		if s, ok := a["name"].(string); ok {
			return Clean(s)
		}
	case []any:
		var names []string
		for _, x := range a {
			if n := authorName(x); n != "" {
				names = append(names, n)
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

// parseDate reads an ISO 8601 date or date and time, as JSON-LD and
// article:published_time give them.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// minBodyWords is the fewest words a JSON-LD articleBody must have to be
// trusted as the article's whole text rather than a teaser.
const minBodyWords = 150

// applyFacts removes from text, paragraph by paragraph, what the page's
// markup marks as not the article: paragraphs that repeat an image's
// description or caption, lines that are one of the page's headlines
// (<h1>, og:title, the JSON-LD headline), lines that are only a <time> or
// an author link,
// and, when the page gives its article's body in JSON-LD, paragraphs of
// four words or more that are not in that body.
func applyFacts(text string, f pageFacts) string {
	var body map[string]bool
	if bw := titleWords(f.body); len(bw) >= minBodyWords {
		body = shingleSet(bw)
		// A body that covers little of the text is another article's, or
		// a summary: it is not used.
		if coverage(titleWords(text), body) < 0.5 {
			body = nil
		}
	}
	var keep []string
	for para := range strings.SplitSeq(text, "\n\n") {
		var lines []string
		for line := range strings.SplitSeq(para, "\n") {
			w := titleWords(line)
			if f.isCaption(w) || f.isStamp(w) || slices.ContainsFunc(f.titles, func(t []string) bool { return slices.Equal(t, w) }) {
				continue
			}
			if body != nil && len(w) >= 4 && coverage(w, body) < 0.3 {
				continue
			}
			lines = append(lines, line)
		}
		if len(lines) > 0 {
			keep = append(keep, strings.Join(lines, "\n"))
		}
	}
	return strings.Join(keep, "\n\n")
}

// isCaption reports whether the words of a line are an image's
// description or caption, whole or followed by a short credit.
func (f pageFacts) isCaption(w []string) bool {
	if len(w) < 4 {
		return false
	}
	for _, c := range f.captions {
		switch {
		case slices.Equal(w, c):
			return true
		case len(w) > len(c) && len(c) >= 6 && slices.Equal(w[:len(c)], c) && len(w)-len(c) <= 8:
			return true
		case len(c) > len(w) && len(w) >= 6 && slices.Equal(c[:len(w)], w):
			return true
		}
	}
	return false
}

// isStamp reports whether the words of a line are those of a <time>
// element or an author link, perhaps with a "By" or "Updated" before
// them and joined with each other.
func (f pageFacts) isStamp(w []string) bool {
	if len(w) == 0 || len(w) > 20 || len(f.stamps) == 0 {
		return false
	}
	rest := w
	for len(rest) > 0 {
		matched := false
		for _, s := range f.stamps {
			if len(rest) >= len(s) && slices.Equal(rest[:len(s)], s) {
				rest, matched = rest[len(s):], true
				break
			}
		}
		if !matched {
			if !stampWords[rest[0]] {
				return false
			}
			rest = rest[1:]
		}
	}
	return true
}

// stampWords may stand beside a date or an author's name in a byline.
var stampWords = map[string]bool{"by": true, "and": true, "updated": true, "published": true, "posted": true,
	"on": true, "at": true, "von": true, "por": true, "di": true, "oleh": true, "e": true, "und": true, "dan": true}

// shingleSet returns the 4-word shingles of words.
func shingleSet(words []string) map[string]bool {
	set := make(map[string]bool, len(words))
	for i := 0; i+4 <= len(words); i++ {
		set[strings.Join(words[i:i+4], " ")] = true
	}
	return set
}

// coverage returns the share of the 4-word shingles of words found in set;
// words too short for one shingle count as covered.
func coverage(words []string, set map[string]bool) float64 {
	if len(words) < 4 {
		return 1
	}
	in := 0
	for i := 0; i+4 <= len(words); i++ {
		if set[strings.Join(words[i:i+4], " ")] {
			in++
		}
	}
	return float64(in) / float64(len(words)-3)
}

// cleanByline returns the names of a byline without what surrounds them:
// "By Iris Penhale · 2 December 2026 · 6 min read" is "Iris Penhale".
func cleanByline(s string) string {
	s = strings.TrimSpace(s)
	for _, sep := range []string{" · ", " | ", " • ", " — ", " – ", "\n"} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	lower := strings.ToLower(s)
	for _, p := range []string{"by ", "von ", "por ", "di ", "par ", "oleh ", "door "} {
		if strings.HasPrefix(lower, p) && len(s) > len(p) && unicode.IsUpper([]rune(s[len(p):])[0]) {
			s = s[len(p):]
			break
		}
	}
	if isDateline(strings.ToLower(s)) {
		return ""
	}
	return strings.TrimSpace(strings.TrimRight(s, ",;:"))
}

// maxStandfirstWords is the most words an element marked as the
// article's description may hold and still be taken for its standfirst.
const maxStandfirstWords = 80

// removeStandfirsts removes from doc the elements that schema.org
// microdata marks as the article's description or alternative headline
// (itemprop="description", "alternativeHeadline"): the standfirst above
// the article, which is not its body. A long one is kept, as it may be
// the body mislabelled. It runs before readability, which may replace an
// element by its only child and lose the mark.
func removeStandfirsts(doc *html.Node) {
	var remove []*html.Node
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if p := attr(n, "itemprop"); (p == "description" || p == "alternativeHeadline") && n.DataAtom != atom.Meta &&
				len(strings.Fields(textOf(n))) <= maxStandfirstWords {
				remove = append(remove, n)
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	for _, n := range remove {
		n.Parent.RemoveChild(n)
	}
}
