package mailer

import (
	"bytes"
	"slices"
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
