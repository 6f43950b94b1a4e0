package mailer

import (
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// A qpShape is a part of a compiled view, compiled for encoding: its lines
// without a slot, encoded once, and the lines with one, as the pieces to
// put together for each message. Quoted-printable encodes each line on its
// own (without CRs), so a message's encoding is the static lines'
// encodings and its own lines' encodings in order, as appendQP makes of the
// filled part (a fuzz test checks).
type qpShape struct {
	part    digest.Part
	stuffed bool
	ok      bool // false: a literal has a CR; the part is encoded whole
	segs    []qpSeg
	enc     []byte // the static lines' encodings
}

// A qpSeg is a run of static lines, enc[from:to], or one line with slots.
type qpSeg struct {
	from, to int
	pieces   []qpPiece // nil for static lines
}

// A qpPiece is a literal or, when slot ≥ 0, a message's Values[slot].
type qpPiece struct {
	lit  string
	slot int
}

// appendPart appends sh's part with vals in its slots, encoded as appendQP
// encodes the filled part (and stuffed if sh is), to dst.
func (b *builder) appendPart(dst []byte, sh *qpShape, vals []string, stuffed bool) []byte {
	whole := !sh.ok
	for _, s := range sh.part.Slots {
		whole = whole || strings.ContainsAny(vals[s], "\r\n")
	}
	if whole {
		if !stuffed {
			return appendQP(dst, sh.part.Fill(vals))
		}
		return stuffLines(dst, appendQP(nil, sh.part.Fill(vals)))
	}
	for _, s := range sh.segs {
		if s.pieces == nil {
			dst = append(dst, sh.enc[s.from:s.to]...)
			continue
		}
		b.line = b.line[:0]
		for _, p := range s.pieces {
			if p.slot >= 0 {
				b.line = append(b.line, vals[p.slot]...)
			} else {
				b.line = append(b.line, p.lit...)
			}
		}
		dst = encodeLine(dst, b.line, stuffed)
	}
	return dst
}

// compileQP compiles p for encoding, stuffed or not.
func compileQP(p digest.Part, stuffed bool) *qpShape {
	sh := &qpShape{part: p, stuffed: stuffed}
	var line []qpPiece // the current line's pieces
	slots := false     // whether the current line has a slot
	var text strings.Builder
	static := func() { // ends the current line, which has no slot
		from := len(sh.enc)
		sh.enc = encodeLine(sh.enc, text.String(), stuffed)
		if n := len(sh.segs); n > 0 && sh.segs[n-1].pieces == nil && sh.segs[n-1].to == from {
			sh.segs[n-1].to = len(sh.enc)
		} else {
			sh.segs = append(sh.segs, qpSeg{from: from, to: len(sh.enc)})
		}
	}
	end := func() { // ends the current line
		if slots {
			sh.segs = append(sh.segs, qpSeg{pieces: line})
		} else {
			static()
		}
		line, slots = nil, false
		text.Reset()
	}
	for i, lit := range p.Lits {
		if strings.IndexByte(lit, '\r') >= 0 {
			return sh // not ok: encoded whole
		}
		for lit != "" {
			n := strings.IndexByte(lit, '\n') + 1
			if n == 0 {
				n = len(lit)
			}
			line = append(line, qpPiece{lit: lit[:n], slot: -1})
			text.WriteString(lit[:n])
			ended := lit[n-1] == '\n'
			lit = lit[n:]
			if ended {
				end()
			}
		}
		if i < len(p.Slots) {
			line = append(line, qpPiece{slot: p.Slots[i]})
			slots = true
		}
	}
	if len(line) > 0 {
		end()
	}
	sh.ok = true
	return sh
}
