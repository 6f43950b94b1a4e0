package mailer

import (
	"bytes"
	"slices"
	"strings"
)

// appendQP appends p encoded as quoted-printable to dst: the output of a
// new mime/quotedprintable.Writer (Binary false) given p in one Write and
// then closed, byte for byte (a fuzz test checks), but copying runs of
// plain characters at once instead of a byte at a time.
func appendQP[T string | []byte](dst []byte, p T) []byte {
	const lineMaxLen = 76
	dst = slices.Grow(dst, len(p)+len(p)/16)
	i := 0 // length of the current output line, the tail of dst
	cr := false
	for len(p) > 0 {
		b := p[0]
		switch {
		case b == '\n' || b == '\r':
			p = p[1:]
			if cr && b == '\n' {
				cr = false
				continue
			}
			cr = b == '\r'
			if i > 0 && isQPSpace(dst[len(dst)-1]) { // a space at the end of a line is encoded
				c := dst[len(dst)-1]
				dst, i = dst[:len(dst)-1], i-1
				dst, i = appendQPByte(dst, i, c)
			}
			dst, i = append(dst, '\r', '\n'), 0
		case b >= '!' && b <= '~' && b != '=' || isQPSpace(b):
			// A run of bytes written as they are, up to the line's end.
			if i == lineMaxLen-1 {
				dst, i = append(dst, '=', '\r', '\n'), 0
			}
			n, room := 1, lineMaxLen-1-i
			for n < len(p) && n < room {
				c := p[n]
				if !(c >= '!' && c <= '~' && c != '=' || isQPSpace(c)) {
					break
				}
				n++
			}
			dst, i = append(dst, p[:n]...), i+n
			p = p[n:]
			cr = false
		default:
			dst, i = appendQPByte(dst, i, b)
			p = p[1:]
		}
	}
	if i > 0 && isQPSpace(dst[len(dst)-1]) {
		c := dst[len(dst)-1]
		dst, i = dst[:len(dst)-1], i-1
		dst, _ = appendQPByte(dst, i, c)
	}
	return dst
}

// appendQPByte appends b as =XX, after a soft line break if the line has
// no room for it; i is the length of the line so far.
func appendQPByte(dst []byte, i int, b byte) ([]byte, int) {
	if 76-1-i < 3 {
		dst, i = append(dst, '=', '\r', '\n'), 0
	}
	return append(dst, '=', upperhex[b>>4], upperhex[b&0x0f]), i + 3
}

const upperhex = "0123456789ABCDEF"

func isQPSpace(b byte) bool { return b == ' ' || b == '\t' }

// A qpCache encodes one part of message after message, reusing the
// encoding of every line it has seen before. A digest's parts differ from
// one subscriber to the next in a few lines only (the greeting, the
// unsubscribe link), and quoted-printable encodes each line on its own, so
// most of a part's encoding is a copy. The cache holds a few reference
// bodies (editions filtered by topic alternate); a body's lines are
// compared with those at the same index in the reference most like it (as
// many lines, the most alike where sampled), and the runs that match are
// copied from its encoding. A body with no such reference, or one that
// differs from it in more than a quarter of its lines, becomes a reference.
//
// The encoding is appendQP's, byte for byte; stuffed, it is also
// dot-stuffed as DATA carries it (each part starts a line and has only
// CRLF line ends once encoded, so stuffing is per line). Bodies with a CR
// are encoded whole; rendered ones have none.
type qpCache struct {
	stuffed bool // of the encodings held
	slots   [qpSlots]qpBody
	ends    []int // the end of each line of the body being encoded
	clock   int
	shapes  map[shapeKey]*qpShape // Fillings' shapes, compiled (see appendFilled)
	line    []byte                // a line of a Filling, put together
}

// qpSlots is how many reference bodies a qpCache holds.
const qpSlots = 4

// A qpBody is a reference body's lines and their encodings.
type qpBody struct {
	lines []qpLine
	enc   []byte
	used  int // the qpCache's clock when last used; 0: empty
}

type qpLine struct {
	src      string // a substring of the body
	from, to int    // its encoding: enc[from:to]
}

// appendEncoded appends body, encoded (and stuffed if stuffed), to dst.
func (c *qpCache) appendEncoded(dst []byte, body string, stuffed bool) []byte {
	if stuffed != c.stuffed {
		*c = qpCache{stuffed: stuffed}
	}
	if body == "" {
		return dst
	}
	if strings.IndexByte(body, '\r') >= 0 {
		// Encoding a line with a CR in it can swallow the LF that ends
		// it (as mime/quotedprintable does), so the next line does not
		// start one of its own: no line is reused.
		n := len(dst)
		dst = appendQP(dst, body)
		if stuffed {
			var tmp []byte
			tmp = stuffLines(tmp, dst[n:])
			return append(dst[:n], tmp...)
		}
		return dst
	}
	c.ends = c.ends[:0]
	for i := 0; i < len(body); {
		n := strings.IndexByte(body[i:], '\n') + 1
		if n == 0 {
			n = len(body) - i
		}
		i += n
		c.ends = append(c.ends, i)
	}
	line := func(i int) string {
		if i == 0 {
			return body[:c.ends[0]]
		}
		return body[c.ends[i-1]:c.ends[i]]
	}
	c.clock++
	ref := c.pick(line)
	if ref == nil {
		ref = c.oldest()
		c.fill(ref, body, line)
		ref.used = c.clock
		return append(dst, ref.enc...)
	}
	ref.used = c.clock
	misses := 0
	run := -1 // the first line of the run of matching lines not yet copied
	for i := range c.ends {
		l := line(i)
		if ref.lines[i].src == l {
			if run < 0 {
				run = i
			}
			continue
		}
		if run >= 0 {
			dst = append(dst, ref.enc[ref.lines[run].from:ref.lines[i-1].to]...)
			run = -1
		}
		dst = c.encodeLine(dst, l)
		misses++
	}
	if run >= 0 {
		dst = append(dst, ref.enc[ref.lines[run].from:ref.lines[len(c.ends)-1].to]...)
	}
	if misses > len(c.ends)/4 {
		c.fill(ref, body, line)
	}
	return dst
}

// pick returns the reference most like the body whose line i is line(i),
// or nil if none has as many lines.
func (c *qpCache) pick(line func(int) string) *qpBody {
	n := len(c.ends)
	var best *qpBody
	bestScore := -1
	for i := range c.slots {
		s := &c.slots[i]
		if s.used == 0 || len(s.lines) != n {
			continue
		}
		score := 0
		for _, j := range [...]int{0, n / 4, n / 2, 3 * n / 4, n - 1} {
			if s.lines[j].src == line(j) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	return best
}

// oldest returns the reference used least recently, or an empty one.
func (c *qpCache) oldest() *qpBody {
	old := &c.slots[0]
	for i := range c.slots {
		if c.slots[i].used < old.used {
			old = &c.slots[i]
		}
	}
	return old
}

// fill makes the body whose line i is line(i) the reference ref.
func (c *qpCache) fill(ref *qpBody, body string, line func(int) string) {
	ref.enc, ref.lines = slices.Grow(ref.enc[:0], len(body)+len(body)/8), ref.lines[:0]
	for i := range c.ends {
		from := len(ref.enc)
		ref.enc = c.encodeLine(ref.enc, line(i))
		ref.lines = append(ref.lines, qpLine{src: line(i), from: from, to: len(ref.enc)})
	}
}

// encodeLine appends line, encoded and stuffed as c's encodings are.
func (c *qpCache) encodeLine(dst []byte, line string) []byte {
	return encodeLine(dst, line, c.stuffed)
}

// encodeLine appends line encoded, and stuffed if stuffed.
func encodeLine[T string | []byte](dst []byte, line T, stuffed bool) []byte {
	if !stuffed {
		return appendQP(dst, line)
	}
	n := len(dst)
	dst = appendQP(dst, line)
	if bytes.IndexByte(dst[n:], '.') < 0 {
		return dst
	}
	var tmp [256]byte
	enc := append(tmp[:0], dst[n:]...)
	return stuffLines(dst[:n], enc)
}
