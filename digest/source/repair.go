package source

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// An XML feed that the strict reader refuses is read again after
// repairXML, the way a loose feed parser (Python's feedparser) reads it:
// as far as it goes. The repairs are limited to what breaks real feeds:
//
//   - bytes that are not UTF-8 in a UTF-8 (or undeclared) document are read
//     as Windows-1252, the usual culprit ("M\xfcller" is "Müller");
//   - characters XML forbids (NUL and the other C0 controls but tab and the
//     line ends), raw or as references such as &#0;, are dropped;
//   - a "&" that starts no entity or character reference becomes &amp;, and
//     a "<" that starts no tag becomes &lt;;
//   - an end tag closes the elements left open inside its element, and an
//     end tag that matches no open element is dropped;
//   - a truncated document is cut after its last complete item (or entry)
//     and its open elements are closed.
//
// Inside CDATA sections and comments only the forbidden characters and bad
// bytes are touched. A document still broken in other ways is cut after the
// last complete item before the line the reader stopped at, and closed;
// what follows is lost.

// declaredEncoding matches the encoding named in an XML declaration.
var declaredEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']*)["']`)

// xmlRepair is what repairXML did, for the warning.
type xmlRepair struct {
	badBytes, badChars, amps, lts int
	unclosed, strays              int
	truncated                     bool
	cutAtLine                     int
}

// changed reports whether the repair changed the document.
func (r xmlRepair) changed() bool {
	return r != xmlRepair{}
}

func (r xmlRepair) String() string {
	var did []string
	if r.badBytes > 0 {
		did = append(did, strconv.Itoa(r.badBytes)+" byte(s) not UTF-8 read as Windows-1252")
	}
	if r.badChars > 0 {
		did = append(did, strconv.Itoa(r.badChars)+" character(s) XML forbids dropped")
	}
	if r.amps > 0 {
		did = append(did, strconv.Itoa(r.amps)+" bare & escaped")
	}
	if r.lts > 0 {
		did = append(did, strconv.Itoa(r.lts)+" bare < escaped")
	}
	if r.unclosed > 0 {
		did = append(did, strconv.Itoa(r.unclosed)+" element(s) left open closed")
	}
	if r.strays > 0 {
		did = append(did, strconv.Itoa(r.strays)+" stray end tag(s) dropped")
	}
	if r.truncated {
		did = append(did, "truncated document closed")
	}
	if r.cutAtLine > 0 {
		did = append(did, "read up to the last complete item before line "+strconv.Itoa(r.cutAtLine))
	}
	if len(did) == 0 {
		return "nothing repaired"
	}
	return strings.Join(did, ", ")
}

// maxDepth bounds the work of matching end tags: a feed nests a few
// elements deep; a document nested deeper is not matched past this depth.
const maxDepth = 64

// itemEnd is where an item or entry element ends, with the elements still
// open there.
type itemEnd struct {
	offset int
	open   []string
}

// repairXML returns data with the repairs above made, and the item ends of
// the repaired document, for cutAfterItem.
func repairXML(data []byte) ([]byte, []itemEnd, xmlRepair) {
	var rep xmlRepair
	utf8Doc := true
	if m := declaredEncoding.FindSubmatch(data); m != nil {
		enc := strings.ToLower(string(m[1]))
		utf8Doc = enc == "utf-8" || enc == "utf8" || enc == ""
	}
	out := make([]byte, 0, len(data)+len(data)/64)
	var (
		stack []string
		at    []int // where each open element starts in out
		ends  []itemEnd
	)
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '<' && bytes.HasPrefix(data[i:], []byte("<![CDATA[")):
			end := bytes.Index(data[i+9:], []byte("]]>"))
			if end < 0 {
				// An unclosed section runs to the end: close it.
				out = appendChars(out, data[i:], utf8Doc, &rep)
				out = append(out, "]]>"...)
				i = len(data)
				continue
			}
			out = appendChars(out, data[i:i+9+end+3], utf8Doc, &rep)
			i += 9 + end + 3
		case c == '<' && bytes.HasPrefix(data[i:], []byte("<!--")):
			end := bytes.Index(data[i+4:], []byte("-->"))
			if end < 0 {
				i = len(data) // an unclosed comment: drop it
				continue
			}
			out = appendChars(out, data[i:i+4+end+3], utf8Doc, &rep)
			i += 4 + end + 3
		case c == '<' && i+1 < len(data) && data[i+1] == '?':
			end := bytes.Index(data[i+2:], []byte("?>"))
			if end < 0 {
				i = len(data) // an unclosed processing instruction: drop it
				continue
			}
			out = appendChars(out, data[i:i+2+end+2], utf8Doc, &rep)
			i += 2 + end + 2
		case c == '<' && i+1 < len(data) && data[i+1] == '!':
			end := declEnd(data, i+2)
			if end < 0 {
				i = len(data)
				continue
			}
			out = appendChars(out, data[i:end], utf8Doc, &rep)
			i = end
		case c == '<' && i+1 < len(data) && (data[i+1] == '/' || nameStart(data[i+1])):
			end, eof := tagEnd(data, i+1)
			switch {
			case eof:
				i = len(data) // a tag cut off by the end of the file
				continue
			case end < 0:
				rep.lts++ // not a tag after all
				out = append(out, "&lt;"...)
				i++
				continue
			}
			tag := data[i:end]
			name := tagName(tag)
			switch {
			case tag[1] == '/':
				// Close up to the matching start, closing the elements
				// left open inside it; an end tag that matches no open
				// element (within maxDepth) is dropped.
				j := len(stack) - 1
				for j >= max(0, len(stack)-maxDepth) && stack[j] != name {
					j--
				}
				if j < 0 || stack[j] != name {
					rep.strays++
					break
				}
				for k := len(stack) - 1; k > j; k-- {
					rep.unclosed++
					out = append(out, "</"+stack[k]+">"...)
				}
				stack, at = stack[:j], at[:j]
				out = appendAttrs(out, tag, utf8Doc, &rep)
				if local := name[strings.IndexByte(name, ':')+1:]; (local == "item" || local == "entry") && len(stack) <= maxDepth {
					ends = append(ends, itemEnd{len(out), append([]string(nil), stack...)})
				}
			default:
				if !bytes.HasSuffix(tag, []byte("/>")) {
					stack, at = append(stack, name), append(at, len(out))
				}
				out = appendAttrs(out, tag, utf8Doc, &rep)
			}
			i = end
		case c == '<':
			rep.lts++
			out = append(out, "&lt;"...)
			i++
		case c == '&':
			var n int
			out, n = appendReference(out, data[i:], &rep)
			i += n
		default:
			n := charLen(data[i:], utf8Doc)
			out = appendChars(out, data[i:i+n], utf8Doc, &rep)
			i += n
		}
	}
	if len(stack) > 0 {
		// Truncated: drop the item cut off, close the rest.
		rep.truncated = true
		if j := openItem(stack); j >= 0 {
			out, stack = out[:at[j]], stack[:j]
		}
		for j := len(stack) - 1; j >= 0; j-- {
			out = append(out, "</"+stack[j]+">"...)
		}
	}
	return out, ends, rep
}

// cutAfterItem returns data cut after the last item that ends before line
// (1-based), with the elements open there closed, or nil if none does.
func cutAfterItem(data []byte, ends []itemEnd, line int) []byte {
	limit := len(data)
	for l, i := 1, 0; l < line; l++ {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		limit = i
	}
	for k := len(ends) - 1; k >= 0; k-- {
		e := ends[k]
		if e.offset > limit {
			continue
		}
		out := append([]byte(nil), data[:e.offset]...)
		for j := len(e.open) - 1; j >= 0; j-- {
			out = append(out, "</"+e.open[j]+">"...)
		}
		return out
	}
	return nil
}

// openItem returns the index in stack of the outermost open item or entry,
// or -1.
func openItem(stack []string) int {
	for j, name := range stack {
		if local := name[strings.IndexByte(name, ':')+1:]; local == "item" || local == "entry" {
			return j
		}
	}
	return -1
}

// nameStart reports whether c may start an XML name (ASCII letters, "_",
// ":" and any non-ASCII byte).
func nameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

// tagEnd returns the offset just after the ">" that ends the tag whose
// name starts at data[from], skipping quoted attribute values; -1 if a "<"
// comes first, and eof if the data ends first.
func tagEnd(data []byte, from int) (end int, eof bool) {
	var quote byte
	for i := from; i < len(data); i++ {
		c := data[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, false
		case c == '<':
			return -1, false
		}
	}
	return -1, true
}

// declEnd returns the offset just after the ">" that ends the declaration
// (<!DOCTYPE ...>, say) whose body starts at data[from], skipping quoted
// strings and an internal subset in brackets, or -1 if the data ends first.
func declEnd(data []byte, from int) int {
	var quote byte
	depth := 0
	for i := from; i < len(data); i++ {
		c := data[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '>' && depth <= 0:
			return i + 1
		}
	}
	return -1
}

// tagName returns the name of a start or end tag.
func tagName(tag []byte) string {
	s := tag[1:]
	if len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	end := bytes.IndexAny(s, " \t\r\n/>")
	if end < 0 {
		end = len(s)
	}
	return string(s[:end])
}

// appendAttrs appends a tag, escaping a bare "&" or "<" in its attribute
// values.
func appendAttrs(out, tag []byte, utf8Doc bool, rep *xmlRepair) []byte {
	var quote byte
	for i := 0; i < len(tag); {
		switch c := tag[i]; {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == '<':
			rep.lts++
			out = append(out, "&lt;"...)
			i++
			continue
		}
		if tag[i] == '&' {
			var n int
			out, n = appendReference(out, tag[i:], rep)
			i += n
			continue
		}
		n := charLen(tag[i:], utf8Doc)
		out = appendChars(out, tag[i:i+n], utf8Doc, rep)
		i += n
	}
	return out
}

// appendReference copies the reference that b starts with (b[0] is '&'):
// a well-formed one as it is, a bare & escaped, one to a character XML
// forbids (&#0;) dropped. It returns out and the bytes of b it used.
func appendReference(out, b []byte, rep *xmlRepair) ([]byte, int) {
	n, keep := reference(b)
	switch {
	case n == 0:
		rep.amps++
		return append(out, "&amp;"...), 1
	case !keep:
		rep.badChars++
		return out, n
	}
	return append(out, b[:n]...), n
}

// reference returns the length of the entity or character reference at
// the start of b (which starts with "&"), 0 if there is none, and whether
// it names a character XML allows.
func reference(b []byte) (n int, ok bool) {
	end := bytes.IndexByte(b[:min(len(b), 33)], ';')
	if end < 2 {
		return 0, false
	}
	ref := b[1:end]
	if ref[0] != '#' {
		for k, c := range ref {
			if !(nameStart(c) || k > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.')) {
				return 0, false
			}
		}
		return end + 1, true
	}
	num, base := ref[1:], 10
	if len(num) > 0 && (num[0] == 'x' || num[0] == 'X') {
		num, base = num[1:], 16
	}
	v, err := strconv.ParseUint(string(num), base, 32)
	if err != nil {
		if len(num) > 0 && strings.Trim(string(num), "0123456789abcdefABCDEF") == "" {
			return end + 1, false // a number too large for a character
		}
		return 0, false
	}
	return end + 1, xmlChar(rune(v))
}

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// charLen returns the length of the character at the start of b: a UTF-8
// sequence, or one byte.
func charLen(b []byte, utf8Doc bool) int {
	if !utf8Doc || b[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRune(b)
	return n
}

// appendChars appends b, dropping characters XML forbids and reading bytes
// that are not UTF-8 as Windows-1252 in a UTF-8 document.
func appendChars(out, b []byte, utf8Doc bool, rep *xmlRepair) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf || !utf8Doc {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				rep.badChars++
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			rep.badBytes++
			if r := charmap.Windows1252.DecodeByte(c); xmlChar(r) && r != utf8.RuneError {
				out = utf8.AppendRune(out, r)
			}
			i++
			continue
		}
		if !xmlChar(r) {
			rep.badChars++
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
