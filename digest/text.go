package digest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText returns s as one line of text fit to show a subscriber: a title,
// a source or subscriber name, an author, a blurb.
//
// It removes:
//   - bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069), which can make "exe.gpj" read as "jpg.exe";
//   - zero-width and invisible characters (U+00AD soft hyphen, U+180E,
//     U+200B–U+200D, U+2060–U+2064, U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB,
//     the tag characters U+E0000–U+E007F and the other invisible format
//     controls), which hide text or defeat comparisons; this also takes
//     apart emoji joined with U+200D and tag-sequence flags, which then
//     show as their parts;
//   - NUL and every other C0 and C1 control character, and DEL;
//   - bytes that are not valid UTF-8.
//
// Whitespace (tab, newline, carriage return, form feed, the Unicode spaces
// such as U+00A0, U+2028 and U+2029) is folded: each run of it becomes one
// ASCII space, and leading and trailing whitespace is dropped. A removed
// character does not separate words: "pay\u200bpal" becomes "paypal".
//
// The format characters that script text needs and that show (the Arabic
// number signs U+0600–U+0605, the Egyptian hieroglyph format controls) are
// kept. CleanText does not normalise Unicode (no NFC/NFKC), does not map
// look-alike letters ("раypal" with Cyrillic letters stays as it is), and
// does not escape anything for HTML or for mail headers: those are the
// renderer's and the mailer's jobs. It is idempotent.
func CleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a whitespace run is pending
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue // invalid UTF-8
		case isSpace(r):
			space = true
			continue
		case invisible(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isSpace reports whether r is whitespace that CleanText folds to one space.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x2028, 0x2029:
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// invisible reports whether r is a control, bidi or zero-width character that
// CleanText removes.
func invisible(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7F && r <= 0x9F: // C0, DEL, C1
		return true
	case r == 0x00AD, r == 0x061C, r == 0x180E:
		return true
	case r >= 0x200B && r <= 0x200F: // zero-width space, ZWNJ, ZWJ, LRM, RLM
		return true
	case r >= 0x202A && r <= 0x202E: // bidi embeddings and overrides
		return true
	case r >= 0x2060 && r <= 0x2064: // word joiner, invisible operators
		return true
	case r >= 0x2066 && r <= 0x206F: // bidi isolates, deprecated format controls
		return true
	case r == 0xFEFF: // byte order mark, zero-width no-break space
		return true
	case r >= 0xFFF9 && r <= 0xFFFB: // interlinear annotation controls
		return true
	case r >= 0x1BCA0 && r <= 0x1BCA3, r >= 0x1D173 && r <= 0x1D17A: // shorthand and musical format controls
		return true
	case r >= 0xE0000 && r <= 0xE007F: // tag characters: invisible ASCII
		return true
	}
	return false
}

// Length caps, in runes, of text from outside, chosen to read well in an
// inbox: a subject line shows 60 to 80 characters, a title of 200 is
// already a paragraph. Longer text is cut with Shorten.
const (
	// MaxTitle caps an article's title.
	MaxTitle = 200
	// MaxName caps a subscriber's name, a source's name, an author and a
	// tag.
	MaxName = 100
	// MaxSentence caps one sentence of a blurb.
	MaxSentence = 600
	// MaxBlurb caps the number of sentences of a blurb.
	MaxBlurb = 10
	// MaxAttr caps a subscriber attribute (an extra column of the list).
	MaxAttr = 1000
)

// Ellipsis is what Shorten puts at the end of shortened text.
const Ellipsis = "…"

// Shorten returns s cut to at most max runes (Unicode code points, not bytes
// and not user-perceived characters), ellipsis included. Text that fits is
// returned unchanged. Longer text is cut at the last space that leaves at
// least half of max, so a word is not split; a text with no such space (one
// long word, or a script written without spaces) is cut mid-word. Spaces,
// commas, colons, semicolons and dashes left before the cut are dropped and
// "…" is appended.
//
// Shorten never splits a rune, but it may split a sequence of runes that
// reads as one character (a flag, an emoji with modifiers, a letter with a
// combining accent). Invalid UTF-8 counts one rune per bad byte; run
// CleanText first. A max below 1 returns "".
func Shorten(s string, max int) string {
	if max < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return Ellipsis
	}
	// Byte offset just after the first max-1 runes: room for the ellipsis.
	end, n := 0, 0
	for end < len(s) && n < max-1 {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		n++
	}
	cut := s[:end]
	next, _ := utf8.DecodeRuneInString(s[end:])
	// Unless the cut already falls between words, back off to the last
	// space, if one lies in the second half.
	if !unicode.IsSpace(next) {
		if sp := strings.LastIndexFunc(cut, unicode.IsSpace); sp >= 0 && utf8.RuneCountInString(cut[:sp]) >= (max-1)/2 {
			cut = cut[:sp]
		}
	}
	cut = strings.TrimRightFunc(cut, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—", r)
	})
	if cut == "" {
		return Ellipsis
	}
	return cut + Ellipsis
}
