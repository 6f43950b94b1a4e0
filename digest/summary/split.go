package summary

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split breaks text into sentences. A sentence ends at '.', '!', '?' or an
// ellipsis followed by space and a word that can open a sentence (a capital,
// a digit or an opening quote), and always at a blank line. It does not end
// after a title or other abbreviation (Mr., Dr., e.g., Jan. 5), an initial
// (George W. Bush), a decimal (3.5) or a dotted acronym running on into the
// sentence (the U.S. team); closing quotes and brackets stay with the
// sentence they close. Whitespace inside a sentence is collapsed to single
// spaces.
//
// Split knows the abbreviations of English best, and some of German,
// Portuguese, Spanish, Italian and Indonesian; in scripts without case
// (Korean, Chinese) any letter may open a sentence. It cannot find a
// boundary that has no punctuation, such as a photo caption run into the
// next sentence.
func Split(text string) []string {
	var out []string
	for _, para := range paragraphs(text) {
		out = splitParagraph(para, "", out)
	}
	return out
}

// paragraphs splits text at blank lines and collapses its whitespace.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for p := range strings.SplitSeq(text, "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitParagraph appends the sentences of one paragraph in language lang
// (a BCP 47 tag such as "de-AT"; "" for unknown) to out.
func splitParagraph(p, lang string, out []string) []string {
	start := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		if r != '.' && r != '!' && r != '?' && r != '…' {
			i += size
			continue
		}
		// The run of terminal punctuation, then closing quotes and brackets.
		end := i + size
		for end < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[end:])
			if r2 != '.' && r2 != '!' && r2 != '?' && r2 != '…' {
				break
			}
			end += s2
		}
		for end < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[end:])
			if !strings.ContainsRune(closers, r2) {
				break
			}
			end += s2
		}
		if end >= len(p) || p[end] != ' ' {
			i = end
			continue
		}
		next := p[end+1:]
		if boundary(p[start:i], p[i:end], next, lang) {
			if s := strings.TrimSpace(p[start:end]); s != "" {
				out = append(out, s)
			}
			start = end + 1
		}
		i = end
	}
	if s := strings.TrimSpace(p[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// Quotes and brackets that may close a sentence after its full stop, and
// those that may open the next one.
const (
	closers = `"')]}”’»`
	openers = `"'([{“‘«`
)

// boundary decides whether the sentence ends after punct, given the text
// before it (from the sentence's start) and the text after the space.
func boundary(before, punct, next, lang string) bool {
	// The next sentence must open with a capital letter or digit, or a
	// letter of a script without case (Korean, Chinese, Arabic), possibly
	// after opening quotes or brackets.
	first := strings.TrimLeft(next, openers)
	r, _ := utf8.DecodeRuneInString(first)
	if !unicode.IsUpper(r) && !unicode.IsDigit(r) && !caseless(r) {
		return false
	}
	if !strings.HasPrefix(punct, ".") || strings.HasPrefix(punct, "..") {
		return true // '!', '?' or an ellipsis before a capital
	}
	word := lastWord(before)
	nextWord := firstWord(first)
	key := strings.ToLower(word)
	switch {
	case word == "":
		return true
	case titles[key] || foreignTitle(elided(key), lang):
		return false // Mr. Smith, Dr. Who, St. Louis, bzw. Kosten
	case unicode.IsDigit(r) && numbered[key]:
		return false // Jan. 5, No. 10, pp. 3
	case utf8.RuneCountInString(word) == 1 && unicode.IsLetter(r0(word)):
		return false // George W. Bush, J. K. Rowling, z. B.
	case strings.Contains(word, "."):
		// e.g. and i.e. never end a sentence; U.S. or a.m. do when a
		// common sentence opener follows.
		if key == "e.g" || key == "i.e" || key == "cf" {
			return false
		}
		return openerWords[nextWord]
	case abbreviations[key]:
		return openerWords[nextWord]
	}
	return true
}

// elided returns a word without an elided article before an apostrophe,
// as in Italian "dell'Ing." or French "l'av.".
func elided(w string) string {
	if i := strings.LastIndexAny(w, "'’"); i >= 0 {
		_, size := utf8.DecodeRuneInString(w[i:])
		return w[i+size:]
	}
	return w
}

// caseless reports whether r is a letter of a script without upper and
// lower case, whose sentences open with any letter.
func caseless(r rune) bool {
	return unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsLower(r) && !unicode.IsTitle(r)
}

// r0 returns the first rune of s.
func r0(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// lastWord returns the word that the full stop follows, without leading
// quotes or brackets.
func lastWord(s string) string {
	i := strings.LastIndexAny(s, " ")
	w := s[i+1:]
	return strings.TrimLeft(w, openers)
}

func firstWord(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }); i >= 0 {
		return s[:i]
	}
	return s
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// titles precede a name and never end a sentence.
var titles = set("mr", "mrs", "ms", "mssrs", "messrs", "dr", "prof", "sen", "rep", "gov", "gen",
	"col", "lt", "sgt", "capt", "cpt", "cmdr", "adm", "maj", "pres", "rev", "hon", "st", "mt",
	"ft", "fr", "sr", "jr", "supt", "insp", "det", "pte", "cpl", "brig", "vs", "v", "nos", "approx")

// foreignTitles are abbreviations of other languages that never end a
// sentence ("bzw. Kosten", "Sra. Lima", "Dott. Rossi"), by language.
var foreignTitles = map[string]map[string]bool{
	"de": set("bzw", "vgl", "ca", "evtl", "ggf", "inkl", "zzgl", "sog", "hl", "nr", "str", "tel"),
	"pt": set("sra", "srta", "dra", "profa", "sto", "sta", "av", "nº"),
	"es": set("sra", "srta", "dra", "ud", "uds", "av", "nº"),
	"it": set("dott", "sig", "sigg", "avv", "arch", "ing", "geom", "sta", "sto"),
	"id": set("bpk", "ibu", "yth", "sdr", "no"),
}

// foreignTitle reports whether key never ends a sentence in language
// lang; with no language known, in any of the languages above.
func foreignTitle(key, lang string) bool {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if base == "" {
		for _, m := range foreignTitles {
			if m[key] {
				return true
			}
		}
		return false
	}
	return foreignTitles[base][key]
}

// numbered are abbreviations usually followed by a number.
var numbered = set("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
	"dec", "no", "p", "pp", "vol", "ch", "sec", "fig", "art", "op", "para", "est", "rd", "ave")

// abbreviations may end a sentence too: they do when a common sentence
// opener follows them.
var abbreviations = set("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
	"nov", "dec", "inc", "ltd", "co", "corp", "plc", "llc", "etc", "al", "bros", "dept", "univ",
	"assn", "ave", "blvd", "rd", "est", "mph", "min", "max", "vol", "fig", "ch", "sec", "no",
	"usw", "ecc", "dll", "dsb", "dst")

// openerWords commonly start a sentence; after an ambiguous abbreviation
// they signal that a new sentence has begun.
var openerWords = set("The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "But",
	"And", "In", "On", "At", "This", "That", "These", "Those", "There", "His", "Her", "Its",
	"Their", "Our", "My", "If", "When", "While", "After", "Before", "As", "So", "Yet", "Now",
	"Then", "However", "Meanwhile", "Officials", "Police", "According", "Some", "Many", "Most",
	"One", "Two", "Last", "Earlier", "Later", "Since", "For", "With", "What", "Who", "Why", "How")

// A piece of a sentence as splitCaptions finds it.
type piece struct {
	text    string
	caption bool // glued to the next piece without punctuation
}

// splitCaptions breaks a sentence where a photo caption runs into the next
// sentence without punctuation, as pages flattened to text leave them
// ("... HMP Altcourse in Liverpool The amount of drugs ..."): before a
// capitalized word that usually opens a sentence ("The", "He", "But") and
// never sits inside one unless it starts a name, when the word before it
// ends in a letter or digit and is not one that leads into a name ("of The
// Times", "at The Hawthorns"). Each piece but the last is a caption. It
// misses captions that run into a sentence opening with a name.
func splitCaptions(s string) []piece {
	words := strings.Split(s, " ")
	var out []piece
	start := 0
	for k := 1; k < len(words); k++ {
		prev, w := words[k-1], words[k]
		if !gluedOpeners[w] || k+1 == len(words) {
			continue
		}
		r, _ := utf8.DecodeLastRuneInString(prev)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) || nameLeads[strings.ToLower(prev)] {
			continue
		}
		// "The Times They Are A-Changin'": a title in capitals goes on.
		if n, _ := utf8.DecodeRuneInString(words[k+1]); unicode.IsUpper(n) && w != "The" {
			continue
		}
		out = append(out, piece{strings.Join(words[start:k], " "), true})
		start = k
	}
	return append(out, piece{strings.Join(words[start:], " "), false})
}

// gluedOpeners open many sentences and, capitalized, hardly ever appear
// inside one except at the start of a name or title.
var gluedOpeners = set("The", "A", "An", "He", "She", "They", "It", "His", "Her", "Their", "But",
	"However", "This", "These", "Those", "There", "We", "When", "While", "After", "Meanwhile")

// nameLeads are words after which a capitalized "The" or "A" starts a name
// or title rather than a new sentence.
var nameLeads = set("the", "of", "by", "and", "or", "to", "in", "at", "on", "for", "from", "with",
	"into", "onto", "as", "about", "called", "named", "titled", "entitled", "star", "stars",
	"starring", "read", "reads", "watch", "watched", "film", "movie", "book", "song", "album",
	"show", "series", "play", "magazine", "newspaper", "via", "is", "was", "are", "were", "plan",
	"type", "vitamin", "grade", "class", "section", "part", "category", "group", "level", "exhibit",
	"appendix", "item", "row", "block", "tier", "division", "league", "route", "platform", "gate")
