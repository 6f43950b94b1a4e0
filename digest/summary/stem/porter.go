// Package stem reduces English words to their Porter stems, as NLTK's
// PorterStemmer does in its default mode: the summarizer compares sentences
// by their stems, and package rouge scores summaries by them. It handles
// lower-case ASCII words only and knows no other language.
package stem

// Stem returns the Porter stem of a lower-case ASCII word, exactly as NLTK's
// PorterStemmer does in its default NLTK_EXTENSIONS mode, which is the
// stemmer rouge-score uses. Words of one or two letters are returned as they
// are. The word is not lower-cased: callers pass tokens already lowered.
func Stem(word string) string {
	if s, ok := irregular[word]; ok {
		return s
	}
	if len(word) <= 2 {
		return word
	}
	w := []byte(word)
	w = step1a(w)
	w = step1b(w)
	w = step1c(w)
	w = step2(w)
	w = step3(w)
	w = step4(w)
	w = step5a(w)
	w = step5b(w)
	return string(w)
}

// irregular holds NLTK's whole-word exceptions.
var irregular = map[string]string{
	"sky": "sky", "skies": "sky",
	"dying": "die", "lying": "lie", "tying": "tie",
	"news":    "news",
	"innings": "inning", "inning": "inning",
	"outings": "outing", "outing": "outing",
	"cannings": "canning", "canning": "canning",
	"howe":    "howe",
	"proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
}

// consonant reports whether w[i] is a consonant in Porter's sense: not a
// vowel, and a y only when it follows a vowel or starts the word.
func consonant(w []byte, i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		if i == 0 {
			return true
		}
		return !consonant(w, i-1)
	}
	return true
}

// measure returns m in [C](VC){m}[V].
func measure(w []byte) int {
	m := 0
	for i := 1; i < len(w); i++ {
		if !consonant(w, i-1) && consonant(w, i) {
			m++
		}
	}
	return m
}

func hasVowel(w []byte) bool {
	for i := range w {
		if !consonant(w, i) {
			return true
		}
	}
	return false
}

// doubleConsonant is Porter's condition *d.
func doubleConsonant(w []byte) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && consonant(w, n-1)
}

// cvc is Porter's condition *o, with NLTK's extension for two-letter stems.
func cvc(w []byte) bool {
	n := len(w)
	if n >= 3 && consonant(w, n-3) && !consonant(w, n-2) && consonant(w, n-1) {
		c := w[n-1]
		return c != 'w' && c != 'x' && c != 'y'
	}
	return n == 2 && !consonant(w, 0) && consonant(w, 1)
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

// replace returns w with its suffix of length n replaced by repl.
func replace(w []byte, n int, repl string) []byte {
	out := make([]byte, 0, len(w)-n+len(repl))
	out = append(out, w[:len(w)-n]...)
	return append(out, repl...)
}

// A rule replaces a suffix when cond holds for the stem left without it.
type rule struct {
	suffix, repl string
	cond         func(stem []byte) bool
}

// applyRules applies the first rule whose suffix the word has; if its
// condition fails the word is returned unchanged, as in NLTK.
func applyRules(w []byte, rules []rule) []byte {
	for _, r := range rules {
		if !hasSuffix(w, r.suffix) {
			continue
		}
		stem := w[:len(w)-len(r.suffix)]
		if r.cond == nil || r.cond(stem) {
			return replace(w, len(r.suffix), r.repl)
		}
		return w
	}
	return w
}

func positive(stem []byte) bool { return measure(stem) > 0 }
func above1(stem []byte) bool   { return measure(stem) > 1 }

func step1a(w []byte) []byte {
	if len(w) == 4 && hasSuffix(w, "ies") {
		return replace(w, 3, "ie")
	}
	return applyRules(w, []rule{
		{"sses", "ss", nil},
		{"ies", "i", nil},
		{"ss", "ss", nil},
		{"s", "", nil},
	})
}

func step1b(w []byte) []byte {
	if hasSuffix(w, "ied") {
		if len(w) == 4 {
			return replace(w, 3, "ie")
		}
		return replace(w, 3, "i")
	}
	if hasSuffix(w, "eed") {
		if measure(w[:len(w)-3]) > 0 {
			return replace(w, 3, "ee")
		}
		return w
	}
	var stem []byte
	switch {
	case hasSuffix(w, "ed") && hasVowel(w[:len(w)-2]):
		stem = w[:len(w)-2]
	case hasSuffix(w, "ing") && hasVowel(w[:len(w)-3]):
		stem = w[:len(w)-3]
	default:
		return w
	}
	stem = append([]byte(nil), stem...)
	switch {
	case hasSuffix(stem, "at"), hasSuffix(stem, "bl"), hasSuffix(stem, "iz"):
		return append(stem, 'e')
	case doubleConsonant(stem):
		if c := stem[len(stem)-1]; c != 'l' && c != 's' && c != 'z' {
			return stem[:len(stem)-1]
		}
		return stem
	case measure(stem) == 1 && cvc(stem):
		return append(stem, 'e')
	}
	return stem
}

func step1c(w []byte) []byte {
	if hasSuffix(w, "y") {
		stem := w[:len(w)-1]
		if len(stem) > 1 && consonant(stem, len(stem)-1) {
			return replace(w, 1, "i")
		}
	}
	return w
}

var step2Rules = []rule{
	{"ational", "ate", positive},
	{"tional", "tion", positive},
	{"enci", "ence", positive},
	{"anci", "ance", positive},
	{"izer", "ize", positive},
	{"bli", "ble", positive},
	{"alli", "al", positive},
	{"entli", "ent", positive},
	{"eli", "e", positive},
	{"ousli", "ous", positive},
	{"ization", "ize", positive},
	{"ation", "ate", positive},
	{"ator", "ate", positive},
	{"alism", "al", positive},
	{"iveness", "ive", positive},
	{"fulness", "ful", positive},
	{"ousness", "ous", positive},
	{"aliti", "al", positive},
	{"iviti", "ive", positive},
	{"biliti", "ble", positive},
	{"fulli", "ful", positive},
	// NLTK tests "logi" on the word less "ogi", that is the stem plus "l".
	{"logi", "log", func(stem []byte) bool { return positive(append(stem[:len(stem):len(stem)], 'l')) }},
}

func step2(w []byte) []byte {
	if hasSuffix(w, "alli") && positive(w[:len(w)-4]) {
		return step2(replace(w, 4, "al"))
	}
	return applyRules(w, step2Rules)
}

var step3Rules = []rule{
	{"icate", "ic", positive},
	{"ative", "", positive},
	{"alize", "al", positive},
	{"iciti", "ic", positive},
	{"ical", "ic", positive},
	{"ful", "", positive},
	{"ness", "", positive},
}

func step3(w []byte) []byte { return applyRules(w, step3Rules) }

var step4Rules = []rule{
	{"al", "", above1},
	{"ance", "", above1},
	{"ence", "", above1},
	{"er", "", above1},
	{"ic", "", above1},
	{"able", "", above1},
	{"ible", "", above1},
	{"ant", "", above1},
	{"ement", "", above1},
	{"ment", "", above1},
	{"ent", "", above1},
	{"ion", "", func(stem []byte) bool {
		return above1(stem) && (stem[len(stem)-1] == 's' || stem[len(stem)-1] == 't')
	}},
	{"ou", "", above1},
	{"ism", "", above1},
	{"ate", "", above1},
	{"iti", "", above1},
	{"ous", "", above1},
	{"ive", "", above1},
	{"ize", "", above1},
}

func step4(w []byte) []byte { return applyRules(w, step4Rules) }

func step5a(w []byte) []byte {
	if hasSuffix(w, "e") {
		stem := w[:len(w)-1]
		m := measure(stem)
		if m > 1 || (m == 1 && !cvc(stem)) {
			return stem
		}
	}
	return w
}

func step5b(w []byte) []byte {
	if hasSuffix(w, "ll") && measure(w[:len(w)-1]) > 1 {
		return w[:len(w)-1]
	}
	return w
}
