package extract

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

var (
	// tagRE matches what reads as an HTML tag or comment left in text.
	tagRE = regexp.MustCompile(`(?i)<script\b[^>]*>[\s\S]*?</script\s*>|<style\b[^>]*>[\s\S]*?</style\s*>|<!--[\s\S]*?-->|</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>`)
	// entityRE matches a character reference that html.UnescapeString decodes.
	entityRE = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?`)
	// citationRE matches a reference marker such as [1], [12, 14], [3–5],
	// [a], [note 2] or [citation needed].
	citationRE = regexp.MustCompile(`\[(?:\d{1,3}(?:\s*[,–-]\s*\d{1,3})*|[a-z]|(?:note|nb|fn) ?\d{1,3}|citation needed|clarification needed|according to whom\?|when\?|who\?|by whom\?|edit|update)\]`)
	// citationAfterRE matches a marker attached to the word or sign before
	// it, the way footnote markers are written; a bracketed number standing
	// alone, as in "see [1]" or "a[i]", is left.
	citationAfterRE = regexp.MustCompile(`([\p{L}\p{N}.,;:!?)"'’”\]])(?:` + citationRE.String() + `)+`)
	spacesRE        = regexp.MustCompile(`[ \t]+`)
)

// Clean returns text cleaned for the summarizer: tags and comments removed,
// character references decoded, invisible and control characters dropped,
// citation markers such as [1] or [citation needed] removed, boilerplate
// lines (navigation, share and subscribe prompts, advertisement labels,
// cookie notices) dropped, runs of white space within a line collapsed to
// one space, and paragraphs separated by exactly one blank line. Single line
// breaks inside a paragraph are kept. The result is NFC-normalized.
func Clean(text string) string {
	text = stripMarkup(text)

	var out strings.Builder
	blank := false
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(spacesRE.ReplaceAllString(line, " "))
		if line == "" || isBoilerplate(line) {
			if line == "" {
				blank = true
			}
			continue
		}
		if out.Len() > 0 {
			if blank {
				out.WriteString("\n\n")
			} else {
				out.WriteByte('\n')
			}
		}
		blank = false
		out.WriteString(line)
	}
	return out.String()
}

// stripMarkup removes tags, decodes character references, drops invisible
// characters and citation markers, and repeats until nothing changes, so
// that escaped markup ("&lt;b&gt;"), double escaping ("&amp;amp;") and
// references split by invisible characters come out as text too.
func stripMarkup(s string) string {
	for range 8 {
		t := s
		if strings.IndexByte(t, '<') >= 0 {
			t = tagRE.ReplaceAllStringFunc(t, func(m string) string {
				if !isMarkup(m) {
					return m
				}
				return tagBreak(m)
			})
		}
		if strings.IndexByte(t, '&') >= 0 {
			t = html.UnescapeString(t)
		}
		t = norm.NFC.String(t)
		t = strings.Map(normalizeRune, t)
		t = citationAfterRE.ReplaceAllString(t, "$1")
		if t == s {
			return s
		}
		s = t
	}
	// Pathological nesting: break up what is still markup-like.
	s = tagRE.ReplaceAllStringFunc(s, func(m string) string {
		if !isMarkup(m) {
			return m
		}
		return " "
	})
	return entityRE.ReplaceAllStringFunc(s, func(m string) string {
		if html.UnescapeString(m) == m {
			return m
		}
		return "& " + m[1:]
	})
}

// isMarkup reports whether m, a match of tagRE, is HTML markup: a
// comment, declaration or processing instruction, or a tag named after an
// HTML element or attribute, or a namespaced (o:p) or custom (my-widget)
// element. Text in angle brackets, such as the title "<The Palace>", is not
// markup and stays.
func isMarkup(m string) bool {
	if strings.HasPrefix(m, "<!") || strings.HasPrefix(m, "<?") {
		return true
	}
	name := tagName(m)
	return strings.ContainsAny(name, ":-") || atom.Lookup([]byte(name)) != 0
}

// tagName returns the lower-cased name of the tag m.
func tagName(m string) string {
	name := strings.ToLower(strings.TrimLeft(m, "</"))
	if i := strings.IndexAny(name, " \t\n\r\f/>"); i >= 0 {
		name = name[:i]
	}
	return name
}

// tagBreak replaces a tag found in text: block-level tags by a line break,
// others by nothing (inline) or a space.
func tagBreak(tag string) string {
	switch tagName(tag) {
	case "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
		"blockquote", "pre", "tr", "table", "section", "article", "hr", "figure", "figcaption":
		return "\n"
	case "a", "b", "i", "em", "strong", "span", "code", "sup", "sub", "small", "u", "s", "mark", "abbr":
		return ""
	}
	return " "
}

// normalizeRune maps white space to a plain space (keeping line breaks),
// and drops control, format and private-use characters (soft hyphens, zero
// width spaces and joiners, byte order marks, bidi marks).
func normalizeRune(r rune) rune {
	switch r {
	case '\n':
		return '\n'
	case '\r':
		return -1
	case '\u2028', '\u2029', '\v', '\f', '\u0085':
		return '\n'
	case '\uFFFD':
		return r
	}
	if unicode.IsSpace(r) {
		return ' '
	}
	if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) {
		return -1
	}
	return r
}

// htmlUnescapes reports whether html.UnescapeString changes s.
func htmlUnescapes(s string) bool { return html.UnescapeString(s) != s }
