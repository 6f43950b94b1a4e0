package mailer

import "bytes"

// appendDotStuffed appends b to dst as the DATA stream carries it (RFC 5321
// 4.5.2): CRLF line ends, a dot doubled at the start of a line, and the
// final CRLF.CRLF. Its output is that of textproto's DotWriter, byte for
// byte (a fuzz test checks), but it copies a line at a time instead of
// writing a byte at a time.
func appendDotStuffed(dst, b []byte) []byte {
	var s dotStuffer
	return s.end(s.append(dst, b))
}

// A dotStuffer dot-stuffs a message given in pieces, as appendDotStuffed
// does the whole.
type dotStuffer struct{ state int }

const (
	begin     = iota // nothing written yet: a line starts, and end adds CRLF
	lineStart        // after CRLF
	afterCR          // wrote \r, possibly at the end of a line
	inLine
)

// append appends b, stuffed, to dst.
func (s *dotStuffer) append(dst, b []byte) []byte {
	for len(b) > 0 {
		switch s.state {
		case begin, lineStart:
			if b[0] == '.' {
				dst = append(dst, '.')
			}
			s.state = inLine
			continue
		case afterCR:
			s.state = inLine
			if b[0] == '\n' {
				s.state = lineStart
			}
			dst = append(dst, b[0])
			b = b[1:]
			continue
		}
		seg := b
		if n := bytes.IndexByte(b, '\n'); n >= 0 {
			seg = b[:n]
		}
		if r := bytes.IndexByte(seg, '\r'); r >= 0 {
			seg = seg[:r]
		}
		dst = append(dst, seg...)
		b = b[len(seg):]
		if len(b) == 0 {
			break
		}
		if b[0] == '\r' {
			dst = append(dst, '\r')
			s.state = afterCR
		} else {
			dst = append(dst, '\r', '\n')
			s.state = lineStart
		}
		b = b[1:]
	}
	return dst
}

// wrote notes that b, stuffed already, was appended as it is: b starts a
// line and has only CRLF line ends.
func (s *dotStuffer) wrote(b []byte) {
	switch {
	case len(b) == 0:
	case b[len(b)-1] == '\n':
		s.state = lineStart
	default:
		s.state = inLine
	}
}

// end appends the final CRLF, if the last line has none, and the dot.
func (s *dotStuffer) end(dst []byte) []byte {
	switch s.state {
	case begin, inLine:
		dst = append(dst, '\r', '\n')
	case afterCR:
		dst = append(dst, '\n')
	}
	s.state = begin
	return append(dst, '.', '\r', '\n')
}

// stuffLines doubles the dot that starts any line of b, which starts a
// line and has only CRLF line ends, appending to dst.
func stuffLines(dst, b []byte) []byte {
	for len(b) > 0 {
		if b[0] == '.' {
			dst = append(dst, '.')
		}
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 {
			n = len(b)
		}
		dst = append(dst, b[:n]...)
		b = b[n:]
	}
	return dst
}

// atLineStart reports whether the next byte starts a line.
func (s *dotStuffer) atLineStart() bool { return s.state == begin || s.state == lineStart }
