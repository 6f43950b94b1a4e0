package summary

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxQuoteJoin is the most sentences joinQuotes puts together: a quotation
// running longer is left in pieces, each of them not whole.
const maxQuoteJoin = 4

// joinQuotes joins the sentences of one paragraph that a quotation or a
// bracket runs across ("She wrote: “It has stopped rising. Is it dead?”")
// into one, so that a blurb takes the quotation whole or not at all. A
// quotation still open at the end of the paragraph, or after maxQuoteJoin
// sentences, is left as it was.
func joinQuotes(ps []piece) []piece {
	var out []piece
	for i := 0; i < len(ps); i++ {
		if !opens(ps[i].text) {
			out = append(out, ps[i])
			continue
		}
		joined := ps[i].text
		end := -1
		for j := i + 1; j < len(ps) && j < i+maxQuoteJoin; j++ {
			joined += " " + ps[j].text
			if balanced(joined) {
				end = j
				break
			}
		}
		if end < 0 {
			out = append(out, ps[i])
			continue
		}
		out = append(out, piece{text: joined, caption: ps[end].caption})
		i = end
	}
	return out
}

// opens reports whether s opens more double quotes or brackets than it
// closes.
func opens(s string) bool {
	if strings.Count(s, "“") > strings.Count(s, "”") ||
		strings.Count(s, "«") > strings.Count(s, "»") ||
		strings.Count(s, "(") > strings.Count(s, ")") {
		return true
	}
	if strings.Count(s, `"`)%2 == 0 {
		return false
	}
	// An odd straight quote opens a quotation when it is not glued to
	// the word before it.
	i := strings.LastIndex(s, `"`)
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	return i == 0 || unicode.IsSpace(before) || strings.ContainsRune(openers, before)
}

// balanced reports whether s closes every double quote and bracket it
// opens.
func balanced(s string) bool {
	return strings.Count(s, "“") == strings.Count(s, "”") &&
		strings.Count(s, "«") == strings.Count(s, "»") &&
		strings.Count(s, "(") == strings.Count(s, ")") &&
		strings.Count(s, `"`)%2 == 0
}

// isWhole reports whether s reads as a whole sentence: it ends with a
// full stop, question or exclamation mark or an ellipsis (perhaps followed
// by closing quotes or brackets), and its quotes and brackets balance.
// Headlines, list items, bylines, labels ("Tempo de leitura: 2 minutos")
// and a sentence that only closes a quotation opened before it are not.
func isWhole(s string) bool {
	t := strings.TrimRight(s, closers)
	r, _ := utf8.DecodeLastRuneInString(t)
	if !strings.ContainsRune(".!?…。！？", r) {
		return false
	}
	return balanced(s)
}

// wordsOf returns the lower-cased runs of letters and digits of s.
func wordsOf(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// cutTitle removes the title from the start of a sentence it was run into,
// as often as it is repeated there (a headline given twice, in two
// casings), and returns what is left, perhaps nothing.
func cutTitle(s string, title []string) string {
	for {
		w := wordsOf(s)
		if len(w) < len(title) || !slices.Equal(w[:len(title)], title) {
			return s
		}
		// Skip past the title's words in s.
		n := 0
		i := 0
		for n < len(title) && i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				for i < len(s) {
					r, size = utf8.DecodeRuneInString(s[i:])
					if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
						break
					}
					i += size
				}
				n++
				continue
			}
			i += size
		}
		rest := strings.TrimLeftFunc(s[i:], func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune(`.:|-–—`, r)
		})
		if rest == s {
			return s
		}
		s = rest
	}
}
