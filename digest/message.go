package digest

import (
	"strings"
	"time"
)

// A Compiled is a view of an edition compiled once for every subscriber
// who gets the same message but for their own values: the subject and the
// two parts as literal text shared by all of them, with slots where each
// message puts in its own values. It is made by a Renderer's Compile, never
// changed after, and shared by every message made from it. It holds no
// subscriber's data: the templates ran with slots, not values.
type Compiled struct {
	Subject Part
	Text    Part // "" when the templates give no text part
	HTML    Part // "" when the templates give no HTML part
	// Slots says what each slot holds; a message's Values follow it.
	Slots []Slot
}

// A Part is text with slots for what is personal: Lits[0], the value of
// slot Slots[0], Lits[1], …, Lits[len(Slots)]. A plain string is a Part with
// one literal and no slots (see Plain).
type Part struct {
	Lits  []string
	Slots []int // indexes into Compiled.Slots and a message's Values
}

// Plain returns s as a Part with no slots.
func Plain(s string) Part { return Part{Lits: []string{s}} }

// Fill returns the part with vals, a message's Values, in its slots.
func (p Part) Fill(vals []string) string {
	if len(p.Slots) == 0 && len(p.Lits) == 1 {
		return p.Lits[0]
	}
	var b strings.Builder
	for i, s := range p.Lits {
		b.WriteString(s)
		if i < len(p.Slots) {
			b.WriteString(vals[p.Slots[i]])
		}
	}
	return b.String()
}

// Empty reports whether the part is empty for every message. A slot holds
// a value that is not empty: the renderer compiles an empty value as a
// literal "".
func (p Part) Empty() bool {
	if len(p.Slots) > 0 {
		return false
	}
	for _, s := range p.Lits {
		if s != "" {
			return false
		}
	}
	return true
}

// A Slot is one personal value as a part prints it.
type Slot struct {
	// Field names the value: Email, Name, Status, Cadence or Timezone of
	// the subscriber, Attrs.NAME for one of their attributes, or
	// UnsubscribeURL.
	Field string
	// Escape writes the value as the part prints it (HTML-escaped, say);
	// nil prints it as it is.
	Escape func(string) string
}

// Values returns the values a message to sub puts in c's slots, each
// escaped as its slot says; unsubscribe is sub's unsubscribe URL.
func (c *Compiled) Values(sub Subscriber, unsubscribe string) []string {
	if len(c.Slots) == 0 {
		return nil
	}
	vals := make([]string, len(c.Slots))
	for i, s := range c.Slots {
		v, _ := FieldValue(s.Field, sub, unsubscribe)
		if s.Escape != nil {
			v = s.Escape(v)
		}
		vals[i] = v
	}
	return vals
}

// FieldValue returns the value of the field a Slot names for sub, and
// whether sub has it: every field but an attribute missing from their row.
func FieldValue(field string, sub Subscriber, unsubscribe string) (string, bool) {
	switch field {
	case "Email":
		return sub.Email, true
	case "Name":
		return sub.Name, true
	case "Status":
		return sub.Status, true
	case "Cadence":
		return sub.Cadence, true
	case "Timezone":
		return sub.Timezone, true
	case "UnsubscribeURL":
		return unsubscribe, true
	}
	if name, ok := strings.CutPrefix(field, "Attrs."); ok {
		v, ok := sub.Attrs[name]
		return v, ok
	}
	return "", false
}

// A Letterhead is what every message of a run says alike in its headers.
type Letterhead struct {
	From   string // "Name <addr>" or "addr"
	ListID string // the List-Id header, if any
	// Unsubscribe says the messages have a List-Unsubscribe header, and
	// OneClick that its URL takes RFC 8058's one-click POST.
	Unsubscribe, OneClick bool
}

// A Frame is what a Transport built, once, of a compiled view and a
// letterhead, to make each of its messages from: for MIME, the skeleton
// with the static lines already encoded. It is immutable and shared by
// every connection.
type Frame interface {
	Body() *Compiled
}

// A Message is one subscriber's digest, ready for a Transport: the frame
// of their view of the edition and what is their own.
type Message struct {
	Edition string // the edition's ID
	// Sender is the envelope sender (MAIL FROM), an address.
	Sender    string
	To        string // the subscriber's address
	ToName    string
	MessageID string // without angle brackets: "2026-11-29.abc123@example.com"
	Date      time.Time
	// ListUnsubscribe holds the List-Unsubscribe URIs, when the letterhead
	// has the header.
	ListUnsubscribe []string
	Frame           Frame
	// Values are the message's values for the slots of Frame.Body().
	Values []string
}

// Subject returns the message's subject line.
func (m *Message) Subject() string { return m.Frame.Body().Subject.Fill(m.Values) }

// For returns c put together for sub, whose unsubscribe URL is
// unsubscribe: a Compiled with no slots.
func (c *Compiled) For(sub Subscriber, unsubscribe string) *Compiled {
	vals := c.Values(sub, unsubscribe)
	return &Compiled{Subject: Plain(c.Subject.Fill(vals)), Text: Plain(c.Text.Fill(vals)), HTML: Plain(c.HTML.Fill(vals))}
}

// String returns a part with no slots as text.
func (p Part) String() string { return p.Fill(nil) }

// MaxSubject caps a subject line, in runes: an inbox shows 60 to 80
// characters of it. A longer one is cut on a word boundary with an ellipsis
// when the message is built.
const MaxSubject = 150
