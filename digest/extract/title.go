package extract

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTitleWords is the longest first line of plain text that is taken for
// its title.
const maxTitleWords = 25

// textTitle finds the title of clean plain text: a first line of at most
// maxTitleWords words with no final punctuation that stands alone (a blank
// line follows it) or is repeated on the next lines, as scraped pages give
// it ("Talks collapse" and then "TALKS COLLAPSE"). It returns the title and
// the text without it and its repeats; text without such a line is
// returned as it was, with no title, and text that is nothing but the
// headline and its repeats is the headline once. A first line that runs on into the
// next one, as hard-wrapped prose does, is not a title.
func textTitle(text string) (title, rest string) {
	first, after, _ := strings.Cut(text, "\n")
	words := titleWords(first)
	if len(words) == 0 || len(words) > maxTitleWords || endsSentence(first) {
		return "", text
	}
	rest = after
	repeated := false
	for {
		line, more, _ := strings.Cut(rest, "\n")
		if line == "" || !slices.Equal(titleWords(line), words) {
			break
		}
		rest, repeated = more, true
	}
	switch {
	case strings.HasPrefix(rest, "\n"):
		// A blank line follows the title (or its last repeat).
	case repeated:
	default:
		return "", text
	}
	rest = strings.TrimLeft(rest, "\n")
	if rest == "" {
		// Nothing but the headline: it is the text, once.
		return "", first
	}
	return first, rest
}

// titleWords returns the lower-cased words of a line, for comparing a
// title with its repeats in another casing.
func titleWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// endsSentence reports whether a line ends with the punctuation of a
// sentence or a clause (. ! ? … : ; ,), perhaps followed by closing quotes
// or brackets.
func endsSentence(s string) bool {
	t := strings.TrimRight(s, `"')]}”’»`)
	r, _ := utf8.DecodeLastRuneInString(t)
	return strings.ContainsRune(".!?…:;,。！？", r)
}
