package digest

import (
	"strings"
	"time"
)

// A Message is one rendered, personalized digest ready for a Transport. The
// Transport turns it into MIME: text part first, then HTML.
type Message struct {
	Edition   string // the edition's ID
	From      string // "Name <addr>" or "addr"
	To        string // the subscriber's address
	ToName    string
	Subject   string
	MessageID string // without angle brackets: "2026-11-29.abc123@example.com"
	Date      time.Time
	Text      string
	HTML      string
	// TextFill and HTMLFill, when set, are the parts instead of Text and
	// HTML.
	TextFill, HTMLFill *Filling
	// ListID, ListUnsubscribe (URLs) and OneClick (RFC 8058) fill the list
	// headers; values never carry CR or LF.
	ListID          string
	ListUnsubscribe []string
	OneClick        bool
}

// TextPart returns the text part, "" if there is none.
func (m *Message) TextPart() string {
	if m.TextFill != nil {
		return m.TextFill.String()
	}
	return m.Text
}

// HTMLPart returns the HTML part, "" if there is none.
func (m *Message) HTMLPart() string {
	if m.HTMLFill != nil {
		return m.HTMLFill.String()
	}
	return m.HTML
}

// A Filling is a message part given as a shape cached for many
// subscribers and one subscriber's values for its holes: Lits[0], Vals[0],
// Lits[1], …, Lits[len(Vals)]. Lits is shared by every part cut from the
// shape and never changes, so a transport can encode its lines once.
type Filling struct {
	Lits []string
	Vals []string
}

// Empty reports whether the part is empty.
func (f *Filling) Empty() bool {
	for _, s := range f.Lits {
		if s != "" {
			return false
		}
	}
	for _, s := range f.Vals {
		if s != "" {
			return false
		}
	}
	return true
}

// String returns the part.
func (f *Filling) String() string {
	n := 0
	for _, s := range f.Lits {
		n += len(s)
	}
	for _, s := range f.Vals {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for i, s := range f.Lits {
		b.WriteString(s)
		if i < len(f.Vals) {
			b.WriteString(f.Vals[i])
		}
	}
	return b.String()
}
