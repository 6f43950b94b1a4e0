package mailer

import (
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// A qpShape is a Filling's shape compiled for encoding: its lines without
// a hole, encoded once, and the lines with one, as the pieces to put
// together for each message. Quoted-printable encodes each line on its own
// (without CRs), so a message's encoding is the static lines' encodings
// and its own lines' encodings in order, as appendEncoded makes of the
// filled part.
type qpShape struct {
	segs []qpSeg
	enc  []byte // the static lines' encodings
}

// A qpSeg is a run of static lines, enc[from:to], or one line with holes.
type qpSeg struct {
	from, to int
	pieces   []qpPiece // nil for static lines
}

// A qpPiece is a literal or, when val ≥ 0, the Filling's Vals[val].
type qpPiece struct {
	lit string
	val int
}

// maxShapes bounds a qpCache's compiled shapes; they are dropped when full.
const maxShapes = 16

// appendFilled appends f's part, encoded as appendEncoded encodes
// f.String(), to dst.
func (c *qpCache) appendFilled(dst []byte, f *digest.Filling, stuffed bool) []byte {
	if stuffed != c.stuffed {
		*c = qpCache{stuffed: stuffed}
	}
	sh := c.compiled(f)
	if sh == nil {
		return c.appendEncoded(dst, f.String(), stuffed)
	}
	for _, v := range f.Vals {
		if strings.ContainsAny(v, "\r\n") {
			return c.appendEncoded(dst, f.String(), stuffed)
		}
	}
	for _, s := range sh.segs {
		if s.pieces == nil {
			dst = append(dst, sh.enc[s.from:s.to]...)
			continue
		}
		c.line = c.line[:0]
		for _, p := range s.pieces {
			if p.val >= 0 {
				c.line = append(c.line, f.Vals[p.val]...)
			} else {
				c.line = append(c.line, p.lit...)
			}
		}
		dst = encodeLine(dst, c.line, c.stuffed)
	}
	return dst
}

// compiled returns f's shape compiled, or nil if it cannot be: a literal
// with a CR, or holes that do not match the literals.
func (c *qpCache) compiled(f *digest.Filling) *qpShape {
	if len(f.Lits) == 0 || len(f.Vals) != len(f.Lits)-1 {
		return nil
	}
	key := shapeKey{&f.Lits[0], len(f.Lits)}
	if sh, ok := c.shapes[key]; ok {
		return sh
	}
	sh := c.compile(f.Lits)
	if c.shapes == nil || len(c.shapes) >= maxShapes {
		c.shapes = map[shapeKey]*qpShape{}
	}
	c.shapes[key] = sh
	return sh
}

// A shapeKey identifies a Filling's shape: its Lits, which are never
// changed, by address.
type shapeKey struct {
	first *string
	n     int
}

func (c *qpCache) compile(lits []string) *qpShape {
	sh := &qpShape{}
	var line []qpPiece // the current line's pieces
	holes := false     // whether the current line has a hole
	var text strings.Builder
	static := func() { // ends the current line, which has no hole
		from := len(sh.enc)
		sh.enc = c.encodeLine(sh.enc, text.String())
		if n := len(sh.segs); n > 0 && sh.segs[n-1].pieces == nil && sh.segs[n-1].to == from {
			sh.segs[n-1].to = len(sh.enc)
		} else {
			sh.segs = append(sh.segs, qpSeg{from: from, to: len(sh.enc)})
		}
	}
	end := func() { // ends the current line
		if holes {
			sh.segs = append(sh.segs, qpSeg{pieces: line})
		} else {
			static()
		}
		line, holes = nil, false
		text.Reset()
	}
	for i, lit := range lits {
		if strings.IndexByte(lit, '\r') >= 0 {
			return nil
		}
		for lit != "" {
			n := strings.IndexByte(lit, '\n') + 1
			if n == 0 {
				n = len(lit)
			}
			line = append(line, qpPiece{lit: lit[:n], val: -1})
			text.WriteString(lit[:n])
			ended := lit[n-1] == '\n'
			lit = lit[n:]
			if ended {
				end()
			}
		}
		if i < len(lits)-1 {
			line = append(line, qpPiece{val: i})
			holes = true
		}
	}
	if len(line) > 0 {
		end()
	}
	return sh
}
